"""Paths of a placed and routed ECP5 design (hw/timing.py): nextpnr's --report JSON, and the worst path into
every endpoint from nextpnr's routed delays (its --sdf output), each named by the RTL signals along it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from blurgauge.hw.timing_names import HARNESS_INPUTS, HARNESS_OUTPUTS, is_design_source, normalize_source, rtl_name

# ---------------------------------------------------------------------------------------------------------
# nextpnr's report
# ---------------------------------------------------------------------------------------------------------

@dataclass
class PathStep:
    """One segment of a nextpnr critical path: a cell's own delay (clk-to-q, logic, setup) or a routed net."""

    kind: str  # nextpnr's segment type: clk-to-q, source, logic, routing, setup
    delay_ns: float
    cell_from: str
    cell_to: str
    net: str = ""
    source: str = ""  # RTL file:line of the net (Yosys' src attribute), "" when none


@dataclass
class CriticalPath:
    clock_from: str
    clock_to: str
    steps: list[PathStep]

    @property
    def delay_ns(self) -> float:
        return round(sum(s.delay_ns for s in self.steps), 3)

    @property
    def startpoint(self) -> str:
        return self.steps[0].cell_from if self.steps else ""

    @property
    def endpoint(self) -> str:
        return self.steps[-1].cell_to if self.steps else ""

    def logic_levels(self) -> int:
        return sum(1 for s in self.steps if s.kind == "logic")

    def rtl_signals(self) -> list[str]:
        """The distinct RTL nets along the path, in order (the harness prefix dropped)."""
        seen: list[str] = []
        for s in self.steps:
            name = rtl_of_cell(s.net)
            if s.net and name not in seen and not name.startswith("$"):
                seen.append(name)
        return seen

    def segments(self) -> list[tuple[str, float, str]]:
        """The path as runs of one RTL name: (name, delay in ns, first source line), consecutive steps of
        the same signal (its cells and its routing) summed."""
        runs: list[tuple[str, float, str]] = []
        for s in self.steps:
            name = rtl_of_cell(s.net) if s.net else rtl_of_cell(s.cell_to)
            if runs and (runs[-1][0] == name or name.startswith("$")):  # nextpnr's carry-chain internals
                name = runs[-1][0]
                runs[-1] = (name, runs[-1][1] + s.delay_ns, runs[-1][2] or s.source)
            else:
                runs.append((name, s.delay_ns, s.source))
        return runs



def parse_nextpnr_report(report: Mapping) -> tuple[dict[str, tuple[float, float]], list[CriticalPath],
                                                   dict[str, dict[str, int]]]:
    """(Fmax per clock {name: (achieved, constraint)}, critical paths worst first, utilization) of
    nextpnr's --report JSON. Each routed net's source is the first RTL location nextpnr lists for it."""
    fmax = {clk: (float(v["achieved"]), float(v["constraint"])) for clk, v in report.get("fmax", {}).items()}
    paths = []
    for entry in report.get("critical_paths", []):
        steps = []
        for seg in entry.get("path", []):
            rtl = [x for x in map(normalize_source, seg.get("sources", [])) if is_design_source(x)]
            steps.append(PathStep(seg["type"], float(seg["delay"]), seg["from"]["cell"], seg["to"]["cell"],
                                  seg.get("net", ""), rtl[0] if rtl else ""))
        paths.append(CriticalPath(entry.get("from", ""), entry.get("to", ""), steps))
    paths.sort(key=lambda p: -p.delay_ns)
    utilization = {k: {"used": int(v["used"]), "available": int(v["available"])}
                   for k, v in report.get("utilization", {}).items()}
    return fmax, paths, utilization


# ---------------------------------------------------------------------------------------------------------
# Every endpoint's worst path, from nextpnr's routed delays (SDF)
# ---------------------------------------------------------------------------------------------------------
# nextpnr reports one critical path per clock. To rank the paths that come after it, the routed design's
# delays (its --sdf output: each cell's pin-to-pin delays and setup times, each routed connection's delay)
# are walked here as nextpnr does: launch at a clock-to-output arc, add cell and routing delays, end at a
# pin with a setup check. Delays are the SDF's maximum corner, which nextpnr's own report uses.

SDF_TRIPLE = r"\(([-\d.]*):([-\d.]*):([-\d.]*)\)"
SDF_PIN = r"(\((?:posedge|negedge) [^()\s]+\)|[^()\s]+)"
SDF_IOPATH = re.compile(rf"\(IOPATH {SDF_PIN} {SDF_PIN} {SDF_TRIPLE}(?: {SDF_TRIPLE})?\)")
SDF_INTERCONNECT = re.compile(rf"\(INTERCONNECT (\S+) (\S+) {SDF_TRIPLE}(?: {SDF_TRIPLE})?\)")
SDF_SETUP = re.compile(rf"\((SETUPHOLD|SETUP) {SDF_PIN} {SDF_PIN} {SDF_TRIPLE}")
#: Cell-name suffixes that Yosys' and nextpnr's naming adds to an RTL signal's name (autoname, packing).
PRIMITIVE_SUFFIX = re.compile(r"(_TRELLIS_|_LUT4|_CCU2C|_PFUMX|_L6MUX21|_MULT18X18D|_DP16KD|_ALU54B|\$).*$")


def _sdf_max(groups: Sequence[str | None]) -> float:
    """The largest max-corner value of an SDF delay's rise and fall triples, in ps."""
    values = [float(g) for g in groups[2::3] if g not in (None, "")]
    return max(values) if values else 0.0


def _sdf_pin(text: str) -> str:
    m = re.match(r"\((?:posedge|negedge) (\S+)\)$", text)
    return m.group(1) if m else text


def _sdf_unescape(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)


@dataclass
class SdfTiming:
    """What the timing walk needs from an SDF file, in ps: cell arcs, routed connections, setup checks."""

    cell_type: dict[str, str] = field(default_factory=dict)
    arcs: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # sink pin -> [(source pin, delay)]
    launch: dict[str, float] = field(default_factory=dict)  # output pin -> clock-to-output delay
    setup: dict[str, float] = field(default_factory=dict)  # data pin -> setup time


def parse_sdf(text: str) -> SdfTiming:
    """The arcs of an SDF file written by nextpnr (one CELL per instance, INTERCONNECT at the top cell).
    Pins are named ``instance/pin``; an arc from a pin that clocks a setup check of its cell is a launch."""
    sdf = SdfTiming()
    instance = ""
    cell_arcs: list[tuple[str, str, float]] = []
    clocks: set[str] = set()

    def close_cell() -> None:
        for src, dst, delay in cell_arcs:
            if src in clocks or re.match(r"^CLK", src):
                key = f"{instance}/{dst}"
                sdf.launch[key] = max(delay, sdf.launch.get(key, 0.0))
            else:
                sdf.arcs.setdefault(f"{instance}/{dst}", []).append((f"{instance}/{src}", delay))
        cell_arcs.clear()
        clocks.clear()

    celltype = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("(CELLTYPE"):
            close_cell()
            celltype = line.split('"')[1]
        elif line.startswith("(INSTANCE"):
            instance = _sdf_unescape(line[len("(INSTANCE"):].rstrip(")").strip())
            sdf.cell_type[instance] = celltype
        elif line.startswith("(IOPATH"):
            m = SDF_IOPATH.match(line)
            if m:
                cell_arcs.append((_sdf_pin(m.group(1)), _sdf_pin(m.group(2)), _sdf_max(m.groups()[2:])))
        elif line.startswith("(INTERCONNECT"):
            m = SDF_INTERCONNECT.match(line)
            if m:
                src, dst = (_sdf_unescape(x) for x in m.group(1, 2))
                sdf.arcs.setdefault(dst, []).append((src, _sdf_max(m.groups()[2:])))
        elif line.startswith(("(SETUPHOLD", "(SETUP ")):
            m = SDF_SETUP.match(line)
            if m:
                data, clock = _sdf_pin(m.group(2)), _sdf_pin(m.group(3))
                clocks.add(clock)
                key = f"{instance}/{data}"
                setup = float(m.group(6) or 0.0)
                sdf.setup[key] = max(setup, sdf.setup.get(key, 0.0))
    close_cell()
    return sdf


def rtl_of_cell(instance: str) -> str:
    """The RTL signal a placed cell's name is derived from (``dut.u_engine.acc_TRELLIS_FF_Q_3`` ->
    ``u_engine.acc``): Yosys names a mapped cell after the register or net it drives. The harness's shift
    registers stand for the design's input and output ports."""
    name = PRIMITIVE_SUFFIX.sub("", rtl_name(instance)) or rtl_name(instance)
    if name.startswith(HARNESS_INPUTS):
        return "(input port)"
    return "(output port)" if name.startswith(HARNESS_OUTPUTS) else name


def endpoint_group(name: str) -> str:
    """What one row of the ranked table stands for: an RTL register vector or memory, whatever its bit,
    generate-loop instance or block RAM tile (``u_engine.g_slot[3].u_ram.mem.0.12`` ->
    ``u_engine.g_slot.u_ram.mem``)."""
    return re.sub(r"\[\d+\]", "", re.sub(r"(\.mem)\..*$", r"\1", name))


@dataclass
class RoutedPath:
    """The worst routed path into one endpoint, from the SDF walk."""

    delay_ns: float
    endpoint: str  # the RTL name of the endpoint's cell
    pins: list[str]  # instance/pin from the launch to the endpoint
    sources: list[str] = field(default_factory=list)  # file:line of the RTL names along it
    #: Other endpoints whose worst path runs through the same RTL names up to its last (shown as one row).
    more: list[str] = field(default_factory=list)

    @property
    def fmax_mhz(self) -> float:
        return round(1000.0 / self.delay_ns, 1) if self.delay_ns > 0 else float("inf")

    def rtl_names(self) -> list[str]:
        names: list[str] = []
        for pin in self.pins:
            name = rtl_of_cell(pin.rsplit("/", 1)[0])
            if name.startswith("$"):
                continue  # a cell nextpnr made (carry-chain packing): its neighbours name the signal
            if not names or names[-1] != name:
                names.append(name)
        return names


#: Pad cells: their checks belong to the pins, which the harness leaves unconstrained.
IO_CELLS = frozenset({"TRELLIS_IO"})


def routed_paths(sdf: SdfTiming, count: int = 10, within: Sequence[str] = ("",)) -> list[RoutedPath]:
    """The ``count`` worst endpoints' paths (setup included), one per RTL endpoint vector, worst first.
    Only endpoints whose cell name starts with one of ``within`` count (the design's instance and the
    harness's output register, which catches the design's output ports), and no pads."""
    arrival: dict[str, tuple[float, str | None]] = {}

    def arrive(pin: str) -> float:
        entered: set[str] = set()
        stack: list[tuple[str, bool]] = [(pin, False)]
        while stack:
            p, finish = stack.pop()
            if p in arrival:
                continue
            preds = sdf.arcs.get(p, [])
            if not finish:
                if p in entered:
                    continue
                entered.add(p)
                stack.append((p, True))
                stack.extend((q, False) for q, _ in preds if q not in arrival and q not in entered)
                continue
            best, prev = sdf.launch.get(p, -1.0), None
            for q, d in preds:
                a = arrival.get(q, (-1.0, None))[0]  # a predecessor on a loop counts as unreached
                if a >= 0 and a + d > best:
                    best, prev = a + d, q
            arrival[p] = (best, prev)
        return arrival[pin][0]

    ends = []
    for pin, setup in sdf.setup.items():
        instance = pin.rsplit("/", 1)[0]
        if not pin.startswith(tuple(within)) or sdf.cell_type.get(instance) in IO_CELLS:
            continue
        a = arrive(pin)
        if a >= 0:
            ends.append((a + setup, pin))
    ends.sort(reverse=True)
    paths: list[RoutedPath] = []
    seen: set[str] = set()
    by_route: dict[tuple[str, ...], RoutedPath] = {}
    for delay, pin in ends:
        endpoint = endpoint_group(rtl_of_cell(pin.rsplit("/", 1)[0]))
        if endpoint in seen:
            continue
        seen.add(endpoint)
        chain: list[str] = []
        cursor: str | None = pin
        while cursor is not None:
            chain.append(cursor)
            cursor = arrival[cursor][1]
        path = RoutedPath(round(delay / 1000.0, 3), endpoint, chain[::-1])
        route = tuple(path.rtl_names()[:-1])
        if len(route) > 1 and route in by_route:  # the same logic into another register: one row
            by_route[route].more.append(endpoint)
            continue
        by_route[route] = path
        paths.append(path)
        if len(paths) == count:
            break
    return paths


def cell_sources(netlist: Mapping) -> dict[str, str]:
    """Cell name -> the first design ``file:line`` of its src attribute (Yosys JSON)."""
    out: dict[str, str] = {}
    for module in netlist.get("modules", {}).values():
        for name, cell in module.get("cells", {}).items():
            for loc in cell.get("attributes", {}).get("src", "").split("|"):
                src = normalize_source(loc)
                if is_design_source(src):
                    out[name] = src
                    break
    return out
