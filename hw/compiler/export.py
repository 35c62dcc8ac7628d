"""Export a core program from hls4ml's model graph (after its optimizer passes).

The fixed-point formats are read from the graph's precision objects, not from our own tables, so
the program is what hls4ml will build; ``tests/hw/test_program.py`` checks that both agree with
``model/nets/quantizers.py``. See ``hw/compiler/program.py`` for the format and the fusions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blurgauge.hw.compiler.program import (
    FLAG_RESIDUAL,
    FLAG_ROUND,
    FLAG_SATURATE,
    FLAG_TAPS_ON_LANES,
    INPUT_SLOT,
    OP_CONV,
    OP_DENSE,
    OP_GAP,
    OP_MAXPOOL,
    CoreProgram,
    Format,
    Layer,
    ProgramError,
    check,
)
from blurgauge.model import classes
from blurgauge.model.nets.roles import role as get_role

DEFAULT_LANES = 16


@dataclass
class _Tensor:
    shape: tuple[int, int, int]
    frac: int
    producer: int | None = None  # core layer that writes it; -1: the input codes; None: the raw input
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)  # zero padding still to apply when read
    source: _Tensor | None = None  # for a padded view: the tensor it pads


def _frac(precision) -> int:
    return int(precision.width) - int(precision.integer)


def _codes(data: np.ndarray, precision, what: str) -> np.ndarray:
    scaled = np.asarray(data, np.float64) * 2.0 ** _frac(precision)
    codes = np.round(scaled)
    if not np.array_equal(codes, scaled):
        raise ProgramError(f"{what}: values are not on the {precision} grid")
    lo, hi = -(1 << (precision.width - 1)), (1 << (precision.width - 1)) - 1
    if codes.min() < lo or codes.max() > hi:
        raise ProgramError(f"{what}: codes outside {precision}")
    return codes.astype(np.int64)


def _requant_flags(precision) -> int:
    flags = 0
    if str(precision.rounding_mode).endswith("RND_CONV"):
        flags |= FLAG_ROUND
    elif not str(precision.rounding_mode).endswith("TRN"):
        raise ProgramError(f"rounding mode {precision.rounding_mode} is not one the core implements")
    if str(precision.saturation_mode).endswith("SAT"):
        flags |= FLAG_SATURATE
    return flags


def class_table(role_name: str) -> list[tuple[int, int]]:
    """Per output of the network's head: the extents (px) it stands for; (0, 0) for unused outputs."""
    role = get_role(role_name)
    if role.name == "coarse":
        entries = [classes.range_bounds(k) for k in range(classes.NUM_COARSE)]
    elif role.name == "native":
        entries = [(iv.lo, iv.hi) for iv in classes.intervals()]
    else:
        entries = [(iv.lo, iv.hi) for iv in classes.range_intervals(role.coarse_range)]
    return entries + [(0, 0)] * (role.outputs - len(entries))


def from_hls_model(hls_model, role_name: str, width: int, lanes: int = DEFAULT_LANES) -> CoreProgram:
    """The core program of a converted network (``hw.hls.convert``'s model, compiled or not)."""
    tensors: dict[str, _Tensor] = {}
    layers: list[Layer] = []
    reads: dict[int, list[int]] = {}  # core layer -> producers of the tensors it reads (-1: input)
    merges: dict[str, tuple[str, str]] = {}

    def resolve(name: str) -> tuple[_Tensor, tuple[int, int, int, int]]:
        t = tensors[name]
        return (t.source, t.pad) if t.source is not None else (t, (0, 0, 0, 0))

    def attr(layer, key):
        return int(layer.get_attr(key))

    def add_layer(layer: Layer, out_name: str, srcs: list[_Tensor], frac: int) -> None:
        layers.append(layer)
        reads[len(layers) - 1] = [t.producer for t in srcs]
        tensors[out_name] = _Tensor(layer.out_shape, frac, producer=len(layers) - 1)

    for hl in hls_model.get_layers():
        kind, out_name = hl.class_name, hl.outputs[0]
        inputs = list(hl.inputs)
        if kind == "Input":
            shape = tuple(int(d) for d in hl.get_output_variable().shape)
            tensors[out_name] = _Tensor((*shape[:2], shape[2] if len(shape) > 2 else 1), 0)
        elif kind == "Clone":
            for name in hl.outputs:
                tensors[name] = tensors[inputs[0]]
        elif kind == "ZeroPadding2D":
            src, pad = resolve(inputs[0])
            extra = (attr(hl, "pad_top"), attr(hl, "pad_bottom"), attr(hl, "pad_left"), attr(hl, "pad_right"))
            tensors[out_name] = _Tensor(src.shape, src.frac, source=src,
                                        pad=tuple(a + b for a, b in zip(pad, extra, strict=True)))
        elif kind in ("Conv2D", "PointwiseConv2D", "Dense"):
            src, pad = resolve(inputs[0])
            w = hl.weights["weight"]
            b = hl.weights["bias"]
            kernel = _codes(w.data, w.type.precision, f"{hl.name} weights")
            bias = _codes(b.data, b.type.precision, f"{hl.name} bias")
            acc_frac = src.frac + _frac(w.type.precision)
            bias_shift = acc_frac - _frac(b.type.precision)
            if bias_shift < 0:
                raise ProgramError(f"{hl.name}: bias is finer than the accumulator")
            if kind == "Dense":
                kernel = kernel.reshape(1, 1, *kernel.shape)
                op, k, stride, out_shape = OP_DENSE, 1, 1, (1, 1, attr(hl, "n_out"))
                in_shape = (1, 1, attr(hl, "n_in"))
            else:
                k, stride = attr(hl, "filt_height"), attr(hl, "stride_height")
                kernel = kernel.reshape(k, k, src.shape[2], attr(hl, "n_filt"))
                op, out_shape, in_shape = OP_CONV, (attr(hl, "out_height"), attr(hl, "out_width"),
                                                    attr(hl, "n_filt")), src.shape
            flags = FLAG_ROUND | FLAG_SATURATE | (FLAG_TAPS_ON_LANES if in_shape[2] == 1 and k > 1 else 0)
            layer = Layer(hl.name, op, 0, 0, in_shape, out_shape, kernel=k, stride=stride, pad=pad, flags=flags,
                          out_frac=acc_frac, bias_shift=bias_shift, out_format=Format(32, True),
                          weights=kernel.astype(np.int8), bias=bias.astype(np.int16))
            add_layer(layer, out_name, [src], acc_frac)
        elif kind == "Pooling2D":
            src, pad = resolve(inputs[0])
            k = attr(hl, "pool_height")
            if str(hl.get_attr("pool_op")).lower() != "max":
                raise ProgramError(f"{hl.name}: only max pooling runs on the core")
            out_shape = (attr(hl, "out_height"), attr(hl, "out_width"), src.shape[2])
            layer = Layer(hl.name, OP_MAXPOOL, 0, 0, src.shape, out_shape, kernel=k, stride=attr(hl, "stride_height"),
                          pad=pad, out_frac=src.frac, out_format=Format(8, False))
            add_layer(layer, out_name, [src], src.frac)
        elif kind == "GlobalPooling2D":
            src = tensors[inputs[0]]
            area = src.shape[0] * src.shape[1]
            if area & (area - 1):
                raise ProgramError(f"{hl.name}: average over {area} positions is not a shift")
            frac = src.frac + area.bit_length() - 1
            layer = Layer(hl.name, OP_GAP, 0, 0, src.shape, (1, 1, src.shape[2]), kernel=src.shape[0],
                          out_frac=frac, out_format=Format(32, True))
            add_layer(layer, out_name, [src], frac)
        elif kind == "Merge":
            if str(hl.get_attr("op")).lower() != "add":
                raise ProgramError(f"{hl.name}: only residual adds run on the core")
            merges[out_name] = (inputs[0], inputs[1])
            tensors[out_name] = tensors[inputs[1]]
        elif kind == "Activation":
            precision = hl.get_output_variable().type.precision
            fmt, frac = Format(int(precision.width), bool(precision.signed)), _frac(precision)
            if str(hl.get_attr("activation")).lower() not in ("linear", "relu"):
                raise ProgramError(f"{hl.name}: activation {hl.get_attr('activation')} is not on the core")
            if str(hl.get_attr("activation")).lower() == "relu" and fmt.signed:
                raise ProgramError(f"{hl.name}: a ReLU into a signed format is not on the core")
            src_name = inputs[0]
            if tensors[src_name].producer is None and not layers:  # the input quantizer
                tensors[out_name] = _Tensor(tensors[src_name].shape, frac, producer=-1)
                input_shape, input_frac = tensors[src_name].shape, frac
                continue
            if src_name in merges:
                a, b = merges[src_name]
                ia, ib = tensors[a].producer, tensors[b].producer
                fused, other = (tensors[b], tensors[a]) if ib > ia else (tensors[a], tensors[b])
                layer = layers[fused.producer]
                if other.frac != layer.out_frac or frac != layer.out_frac:
                    raise ProgramError(f"{hl.name}: residual operands and sum must share one binary point")
                layer.flags |= FLAG_RESIDUAL
                layer.post_format = fmt
                layer.flags &= _requant_flags(precision) | ~(FLAG_ROUND | FLAG_SATURATE) | FLAG_RESIDUAL
                reads[fused.producer].append(other.producer)
                tensors[out_name] = _Tensor(layer.out_shape, frac, producer=fused.producer)
                continue
            index = tensors[src_name].producer
            layer = layers[index]
            layer.out_shift = layer.out_frac - frac
            if layer.out_shift < 0:
                raise ProgramError(f"{hl.name}: requantization would move the binary point right")
            layer.out_frac, layer.out_format = frac, fmt
            keep = layer.flags & (FLAG_TAPS_ON_LANES | FLAG_RESIDUAL)
            layer.flags = keep | _requant_flags(precision)
            tensors[out_name] = _Tensor(layer.out_shape, frac, producer=index)
        else:
            raise ProgramError(f"{hl.name}: hls4ml layer {kind} has no core operation")

    _assign_slots(layers, reads)
    program = CoreProgram(role=role_name, width=width, lanes=lanes, layers=layers,
                          class_table=class_table(role_name), input_shape=input_shape,
                          input_frac=input_frac, num_classes=get_role(role_name).num_classes)
    check(program)
    return program


def _assign_slots(layers: list[Layer], reads: dict[int, list[int]]) -> None:
    """Give every tensor (named by its producer; -1 is the input) an activation slot by liveness,
    lowest free first. The input keeps slot 0; a layer never writes a slot it reads."""
    last_use: dict[int, int] = {}
    for i, producers in reads.items():
        for p in producers:
            last_use[p] = i
    slot_of = {-1: INPUT_SLOT}
    holder: dict[int, int] = {INPUT_SLOT: -1}  # slot -> producer of the tensor it holds
    for i, layer in enumerate(layers):
        for slot, producer in list(holder.items()):
            if slot != INPUT_SLOT and last_use.get(producer, -1) < i:
                del holder[slot]
        layer.src = slot_of[reads[i][0]]
        if layer.flags & FLAG_RESIDUAL:
            layer.res = slot_of[reads[i][1]]
        slot = next(s for s in range(1, 255) if s not in holder)
        holder[slot] = i
        slot_of[i] = slot
        layer.dst = slot
