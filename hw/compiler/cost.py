"""Cost figures of a core program: MACs, weight bytes, activation sizes and ideal cycle counts.

Two cycle figures per layer on a P x P int8 MAC array:

* ``ideal``: MACs / P^2, the bound of a perfectly used array;
* ``tiled``: the cycles of the core's own schedule, one P x P tile per cycle, with channel blocks
  padded to P (the stem maps its 49 kernel taps onto the input lanes instead of its single channel).

Pooling, the average pool and requantization are not counted: the model assumes them overlapped with
the array. The RTL core's measured cycles (``make bench-rtl``) include them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from blurgauge.hw.compiler.program import FLAG_TAPS_ON_LANES, OP_CONV, OP_DENSE, CoreProgram


@dataclass(frozen=True)
class LayerCost:
    name: str
    op: str
    out_shape: tuple[int, int, int]
    macs: int
    weight_bytes: int
    ideal_cycles: float
    tiled_cycles: int


def layer_costs(program: CoreProgram, lanes: int | None = None) -> list[LayerCost]:
    p = lanes or program.lanes
    out = []
    for layer in program.layers:
        oh, ow, oc = layer.out_shape
        if layer.op in (OP_CONV, OP_DENSE):
            k, cin = layer.kernel, layer.in_shape[2]
            if layer.flags & FLAG_TAPS_ON_LANES:
                tiles = math.ceil(k * k * cin / p) * math.ceil(oc / p)
            else:
                tiles = k * k * math.ceil(cin / p) * math.ceil(oc / p)
            weight_bytes = k * k * cin * oc + 2 * oc
            tiled = tiles * oh * ow
        else:
            weight_bytes, tiled = 0, 0
        out.append(LayerCost(layer.name, layer.op_name, layer.out_shape, layer.macs, weight_bytes,
                             layer.macs / p**2, tiled))
    return out


def markdown(program: CoreProgram, lanes: int | None = None, clock_mhz: float = 100.0) -> str:
    p = lanes or program.lanes
    costs = layer_costs(program, p)
    rows = [f"| {c.name} | {c.op} | {'x'.join(map(str, c.out_shape))} | {c.macs:,} | {c.weight_bytes:,} "
            f"| {c.ideal_cycles:,.0f} | {c.tiled_cycles:,} |" for c in costs]
    macs = sum(c.macs for c in costs)
    ideal = sum(c.ideal_cycles for c in costs)
    tiled = sum(c.tiled_cycles for c in costs)
    largest = max(program.slot_bytes, program.input_shape[0] * program.input_shape[1])
    return (
        f"### Width {program.width}, {p} x {p} MAC array\n\n"
        "| layer | op | output | MACs | weight bytes | ideal cycles | tiled cycles |\n"
        "| --- | --- | --- | ---: | ---: | ---: | ---: |\n" + "\n".join(rows) + "\n"
        f"| **total** | | | **{macs:,}** | **{sum(c.weight_bytes for c in costs):,}** | **{ideal:,.0f}** "
        f"| **{tiled:,}** |\n\n"
        f"Largest activation: {largest:,} bytes; activation slots: {program.slot_count} "
        f"(slot 0 holds the input patch). Weight image: {program_bytes(program):,} bytes. "
        f"At {clock_mhz:g} MHz the tiled schedule takes {tiled / clock_mhz / 1e3:.2f} ms per network "
        f"and pass (array utilisation {ideal / tiled:.0%}).\n"
    )


def program_bytes(program: CoreProgram) -> int:
    from blurgauge.hw.compiler.program import pack

    return len(pack(program))


def structure_program(width: int, lanes: int = 16, role: str = "coarse") -> CoreProgram:
    """The program of an untrained network of a width (all weights zero): for structure and cost."""
    import numpy as np

    from blurgauge.hw.compiler import hls
    from blurgauge.hw.compiler.export import from_hls_model
    from blurgauge.model.nets.network import FOLDED, NetworkSpec, build_resnet18
    from blurgauge.model.nets.roles import role as get_role

    model = build_resnet18(NetworkSpec(width, get_role(role).outputs), name=role, bn_freeze=FOLDED)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    return from_hls_model(hls.convert(model, write=False), role, width, lanes)
