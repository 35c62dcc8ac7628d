"""Logic depth of a 7-series netlist (hw/timing.py): the deepest register-to-register chains of LUTs,
carry cells, wide multiplexers and DSP slices used without their registers, in a flattened Yosys JSON
netlist of ``synth_xilinx``, each with the RTL names along it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from blurgauge.hw.timing_names import normalize_source, rtl_name

# ---------------------------------------------------------------------------------------------------------
# 7-series logic depth: the longest chains of LUTs between registers in the synth_xilinx netlist
# ---------------------------------------------------------------------------------------------------------

#: 7-series cells whose outputs follow their inputs within the cycle, and what each adds to a chain.
#: Distributed RAM and shift registers read combinationally from their address pins (UG474).
LUT_TYPES = frozenset({f"LUT{n}" for n in range(1, 7)} | {
    "RAM32X1S", "RAM32X1D", "RAM32M", "RAM64X1S", "RAM64X1D", "RAM64M", "RAM128X1S", "RAM128X1D",
    "RAM256X1S", "SRL16E", "SRLC32E"})
MUX_TYPES = frozenset({"MUXF7", "MUXF8"})
CARRY_TYPES = frozenset({"CARRY4", "CARRY8"})
#: The input pins of the LUT-based memories that reach their outputs in the same cycle (the rest are
#: the write port, taken at the clock edge).
ASYNC_READ_PINS = re.compile(r"^(A\d*|ADDR[A-H]|DPRA\d*|A_?\d+|RADR\d*)$")


#: Chain length fields, in the order the ranked tables show them.
DEPTH_FIELDS = ("lut_levels", "dsps", "carries", "muxes")


@dataclass
class DepthPath:
    """The deepest combinational chain into one endpoint (a register input, a DSP, block RAM or LUT-RAM
    write pin, or a top output)."""

    endpoint: str  # the RTL name of the register, or of the net into a DSP / RAM pin
    lut_levels: int
    muxes: int
    carries: int
    names: list[str]  # RTL nets along the chain, start to end (names Yosys made up left out)
    sources: list[str]  # file:line of those nets, where Yosys knows it
    dsps: int = 0  # DSP48 slices passed without a register (a multiply inside the cycle)
    #: Other endpoints whose deepest chain has the same length and RTL names up to its last (one row).
    more: list[str] = field(default_factory=list)

    @property
    def group(self) -> str:
        """The endpoint without bit indices: the bits of one RTL vector share a group."""
        return re.sub(r"\[\d+\]", "", self.endpoint)


DSP_TYPES = frozenset({"DSP48E1", "DSP48E2"})


def _param(cell: Mapping, name: str, default: int = 1) -> int:
    """An integer cell parameter (Yosys writes them as binary strings)."""
    value = cell.get("parameters", {}).get(name)
    if value is None:
        return default
    try:
        return int(value, 2) if isinstance(value, str) else int(value)
    except ValueError:
        return default


def _is_comb(cell: Mapping) -> bool:
    """Whether some input of the cell reaches an output within the cycle: LUTs, multiplexers, carry
    chains, LUT-RAM reads, and DSP slices without their output register (PREG = 0)."""
    t = cell["type"]
    if t in DSP_TYPES:
        return _param(cell, "PREG") == 0
    return t in LUT_TYPES or t in MUX_TYPES or t in CARRY_TYPES


def _weight(cell_type: str) -> tuple[int, int, int, int]:
    """What a cell adds to a chain, in DEPTH_FIELDS order."""
    return (int(cell_type in LUT_TYPES), int(cell_type in DSP_TYPES), int(cell_type in CARRY_TYPES),
            int(cell_type in MUX_TYPES))


#: A DSP48 input and the register parameters that, when set, stop it within the slice (UG479): the
#: port's own register, and for the multiplier's operands the multiplier register.
DSP_PIN_REGISTERS = {"A": ("AREG", "MREG"), "ACIN": ("AREG", "MREG"), "B": ("BREG", "MREG"),
                     "BCIN": ("BREG", "MREG"), "D": ("DREG", "MREG"), "C": ("CREG",), "PCIN": (),
                     "CARRYIN": ("CARRYINREG",)}


def _through(cell: Mapping, pin: str) -> bool:
    """Whether a change on ``pin`` reaches the cell's outputs in the same cycle."""
    t = cell["type"]
    if t in LUT_TYPES and t.startswith(("RAM", "SRL")):
        return bool(ASYNC_READ_PINS.match(pin))
    if t in DSP_TYPES:
        if pin not in DSP_PIN_REGISTERS:
            return False  # control pins (OPMODE, INMODE, ALUMODE, CE, RST): treated as registered
        registers = DSP_PIN_REGISTERS[pin]
        if "MREG" in registers and cell.get("parameters", {}).get("USE_MULT", "MULTIPLY") == "NONE":
            registers = registers[:1]
        return all(_param(cell, r) == 0 for r in registers)
    return True


def bit_names(module: Mapping) -> tuple[dict[int, str], dict[int, str]]:
    """Bit -> the most readable net name (user names before Yosys' generated ``$`` names, then the
    shortest), and bit -> its source line."""
    names: dict[int, tuple[tuple[int, int], str, str]] = {}
    for name, net in module.get("netnames", {}).items():
        generated = int("$" in name or bool(net.get("hide_name", 0)))
        src = normalize_source(net.get("attributes", {}).get("src", ""))
        bits = net["bits"]
        for i, bit in enumerate(bits):
            if not isinstance(bit, int):
                continue
            label = name if len(bits) == 1 else f"{name}[{i + int(net.get('offset', 0))}]"
            key = (generated, len(label))
            if bit not in names or key < names[bit][0]:
                names[bit] = (key, label, src)
    return {b: v[1] for b, v in names.items()}, {b: v[2] for b, v in names.items()}



def logic_depth(netlist: Mapping, top: str | None = None, count: int = 10, rank_by: str = "luts") -> list[DepthPath]:
    """The ``count`` deepest register-to-register chains of a flattened 7-series netlist (Yosys JSON), one
    per endpoint vector, deepest first. ``rank_by="luts"`` counts LUT levels (LUTs and LUT-RAM reads)
    first, then DSP slices passed without a register, carry cells, wide multiplexers; ``rank_by="dsps"``
    puts the DSP slices first. A chain starts at a register, a registered DSP or block RAM output, or a top
    input, and ends at an input that is taken at the clock edge (a register, a registered DSP or block RAM
    pin, a LUT-RAM write pin) or at a top output."""
    order = {"luts": (0, 1, 2, 3), "dsps": (1, 0, 2, 3)}.get(rank_by)
    if order is None:
        raise ValueError(f"rank_by must be 'luts' or 'dsps', not {rank_by!r}")

    def key(depth: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(depth[i] for i in order)

    modules = netlist["modules"]
    if top is None:
        tops = [n for n, m in modules.items() if int(m.get("attributes", {}).get("top", 0))]
        top = tops[0] if tops else next(iter(modules))
    module = modules[top]
    cells = module["cells"]
    names, srcs = bit_names(module)
    driver: dict[int, str] = {}  # bit -> the combinational cell driving it
    for cname, cell in cells.items():
        if _is_comb(cell):
            dirs = cell.get("port_directions", {})
            for pin, bits in cell["connections"].items():
                if dirs.get(pin) == "output":
                    driver.update((b, cname) for b in bits if isinstance(b, int))

    zero = (0, 0, 0, 0)
    # bit -> (the deepest chain to it in DEPTH_FIELDS order, the previous bit on that chain)
    memo: dict[int, tuple[tuple[int, int, int, int], int | None]] = {}

    def inputs_of(bit: int) -> list[int]:
        cell = cells[driver[bit]]
        dirs = cell.get("port_directions", {})
        return [x for pin, bits in cell["connections"].items() if dirs.get(pin) == "input" and _through(cell, pin)
                for x in bits if isinstance(x, int)]

    def depth_of(bit: int) -> tuple[int, int, int, int]:
        # Iterative depth-first search (a carry chain is deeper than Python's recursion limit): a bit is
        # entered, its driver's inputs are evaluated, then it is finished. Bits entered and not finished
        # are the current chain, so meeting one again is a combinational loop.
        entered: set[int] = set()
        stack: list[tuple[int, bool]] = [(bit, False)]
        while stack:
            b, finish = stack.pop()
            if b in memo:
                continue
            if b not in driver:
                memo[b] = (zero, None)
                continue
            if not finish:
                if b in entered:
                    continue  # already on the stack to be finished
                entered.add(b)
                stack.append((b, True))
                for x in inputs_of(b):
                    if x in entered and x not in memo:
                        raise ValueError(f"combinational loop through {names.get(x, x)} "
                                         f"({cells[driver[b]]['type']} {driver[b]})")
                    if x not in memo:
                        stack.append((x, False))
                continue
            best, prev = zero, None
            for x in inputs_of(b):
                if prev is None or key(memo[x][0]) > key(best):
                    best, prev = memo[x][0], x
            w = _weight(cells[driver[b]]["type"])
            memo[b] = ((best[0] + w[0], best[1] + w[1], best[2] + w[2], best[3] + w[3]), prev)
        return memo[bit][0]

    clock_pins = ("C", "CLK", "CLKARDCLK", "CLKBWRCLK", "WCLK")
    endpoints: list[tuple[tuple[int, ...], str, int]] = []
    for cname, cell in cells.items():
        dirs = cell.get("port_directions", {})
        comb = _is_comb(cell)
        q = [b for pin, bits in cell["connections"].items() if dirs.get(pin) == "output" for b in bits
             if isinstance(b, int)]
        for pin, bits in cell["connections"].items():
            if dirs.get(pin) != "input" or pin in clock_pins or (comb and _through(cell, pin)):
                continue
            for b in bits:
                if not isinstance(b, int):
                    continue
                if cell["type"].startswith("FD"):
                    reg = names.get(q[0], cname) if q else cname
                    label = reg if pin == "D" else f"{reg} ({pin})"
                else:  # a DSP, block RAM or LUT-RAM write pin: named after the net that drives it
                    label = f"{names.get(b, '$')} → {cell['type']}.{pin}"
                d = depth_of(b)
                endpoints.append((key(d), label, b))
    for pname, port in module.get("ports", {}).items():
        if port["direction"] == "output":
            for i, b in enumerate(port["bits"]):
                if isinstance(b, int):
                    endpoints.append((key(depth_of(b)), f"{pname}[{i}] (output)", b))
    endpoints.sort(key=lambda e: (tuple(-x for x in e[0]), e[1]))  # deepest first, then by name

    paths: list[DepthPath] = []
    seen: set[str] = set()
    by_route: dict[tuple, DepthPath] = {}
    for _, label, b in endpoints:
        luts, dsps, carries, muxes = memo[b][0] if b in memo else zero
        if rank_by == "dsps" and dsps == 0:
            break
        path = DepthPath(rtl_name(label), lut_levels=luts, muxes=muxes, carries=carries, names=[], sources=[],
                         dsps=dsps)
        chain, cursor = [], b
        while cursor is not None:
            chain.append(cursor)
            cursor = memo[cursor][1] if cursor in memo else None
        for bit in reversed(chain):
            name = rtl_name(names.get(bit, "$"))
            if "$" in name:
                continue  # a name Yosys made up: the user names around it tell where the chain runs
            if not path.names or path.names[-1] != name:
                path.names.append(name)
                path.sources.append(srcs.get(bit, ""))
        if path.endpoint.startswith("$") and " → " in path.endpoint and path.names:
            # a pin fed by a made-up net: named after the last RTL name before it
            path.endpoint = f"{path.names[-1]} → {path.endpoint.split(' → ', 1)[1]}"
        if path.group in seen:
            continue
        seen.add(path.group)
        route = (luts, dsps, carries, muxes, *path.names[:-1])
        if len(path.names) > 1 and route in by_route:  # the same logic into another register: one row
            by_route[route].more.append(path.endpoint)
            continue
        by_route[route] = path
        paths.append(path)
        if len(paths) == count:
            break
    return paths
