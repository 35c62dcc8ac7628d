"""Cycles per layer and MAC utilization of the RTL core at a named configuration (``make bench-rtl``).

    python -m bench.rtl_core --target pynq-z2     # width 16 on the 16 x 16 array (build/bench/rtl.json)
    python -m bench.rtl_core --target zcu104      # width 64 on the 32 x 32 array (build/bench/rtl-zcu104.json)

Runs the whole core in Verilator (sim/core_run.py) on a coarse and a fine program of the target's width with
random weights, every handshake stalled at random, the DDR behind the target board's read ports (pynq-z2:
the Zynq-7000's 64-bit S_AXI_HP0 and HP1, each passing a 128-bit beat at most every other cycle, the core's
bursts alternating between them; ``--read-port-bits 128`` gives the core's own width, ``--read-ports 1``
one port, ``--weight-pairs 0`` zcu104's weights at a beat a cycle), the logits checked against golden; prints
the per-layer
table of each pass, the coarse + fine total and the 3x3 convolutions' utilization per stage; then one image
job (one start: coarse and fine on both axes' maps, read from DDR, the golden job's logits) with its cycles,
MAC utilization per layer and overall, starts and bytes read from DDR; and writes them as JSON. Cycle counts
from the simulation are exact: the same on any machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from blurgauge.hw import rtl_files, targets
from blurgauge.sim.core_run import CHECKED, pass_summary, print_bench, run_target, run_target_job, target_params

OUT = rtl_files.REPO / "build" / "bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rtl_core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default=targets.DEFAULT_TARGET, choices=list(targets.TARGETS),
                        help="named core configuration (default %(default)s)")
    parser.add_argument("--read-port-bits", type=int, choices=range(8, 129), metavar="8..128", default=None,
                        help="bits a core cycle the DDR port behind the core's reads delivers: its width times its "
                             "clock over the core's (91: a 64-bit port at 142.86 MHz beside a 100 MHz core; default: "
                             "the target board's, hw/targets.py read_port_bits)")
    parser.add_argument("--read-ports", type=int, choices=(1, 2), default=None,
                        help="read masters of the core, each on its own DDR port (bg_core READ_PORTS; default: the "
                             "target's, hw/targets.py)")
    parser.add_argument("--weight-pairs", type=int, choices=(0, 1), default=None,
                        help="weights two beats a cycle through both masters (bg_core WEIGHT_PAIRS; default: the "
                             "target's; 0 with one read master)")
    args = parser.parse_args(argv)
    name = args.target
    target = targets.get(name)
    port = args.read_port_bits or target.read_port_bits
    params = target_params(target, args.read_ports, args.weight_pairs)
    width, lanes = target.width, target.lanes
    ports, pairs = params["READ_PORTS"], params.get("WEIGHT_PAIRS", 0)
    own_pairs = target.core.get("WEIGHT_PAIRS", 0)
    print(f"{name}: {ports} DDR read port(s), each delivering {port} bits a core cycle (the core's masters: 128 bits)")
    with tempfile.TemporaryDirectory() as tmp:
        results = run_target(Path(tmp), name, port, ports, pairs)
    with tempfile.TemporaryDirectory() as tmp:
        job = run_target_job(Path(tmp), name, port, ports, pairs)
    for label in ("coarse pass", "fine pass (reuse_input)", CHECKED):
        print_bench(f"{label}, {name}: width {width}, P={lanes}", results[label]["bench"])
    summary = pass_summary(results, name, params, width)
    summary["read_port_bits"] = port
    summary["read_ports"] = ports
    summary["weight_pairs"] = pairs
    keys = ("cycles", "stall_cycles", "macs", "ideal_cycles", "utilization", "bytes_read", "starts", "ranges")
    summary["image"] = {kind: {**{k: job[kind][k] for k in keys}, **job[kind]["bench"]}
                        for kind in ("first", "vouched", "one_range")}
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = ("" if port == target.read_port_bits else f"-port{port}") + \
        ("" if ports == target.core["READ_PORTS"] else f"-ports{ports}") + \
        ("" if pairs == own_pairs or ports == 1 else f"-pairs{pairs}")
    path = OUT / (("rtl" if name == targets.DEFAULT_TARGET else f"rtl-{name}") + suffix + ".json")
    path.write_text(json.dumps(summary, indent=1))
    total, checked = summary["total"], summary["payload_checked"]
    print(f"\n{name}, coarse+fine: {total['cycles']:,} cycles, MAC utilization {total['utilization']:.0%}")
    print(f"{name}, {CHECKED}: {checked['cycles']:,} cycles, MAC utilization {checked['utilization']:.0%}")
    for kind, what in (("vouched", "the axes in two ranges"), ("one_range", "both axes in one range")):
        print_bench(f"one image, {name}: width {width}, P={lanes}, one start, programs vouched for, {what}; "
                    "W+H: both maps through each weight block", summary["image"][kind])
    for kind, what in (("first", "the axes in two ranges, every payload CRC checked"),
                       ("vouched", "the axes in two ranges, programs vouched for, JOB_CHECKED"),
                       ("one_range", "both axes in one range, JOB_CHECKED")):
        image = summary["image"][kind]
        print(f"{name}, one image (image job, {image['starts']} start: coarse + fine on both axes; {what}): "
              f"{image['cycles']:,} cycles ({image['stall_cycles']:,} stalled), MAC utilization "
              f"{image['utilization']:.0%}, {image['bytes_read']:,} bytes read from DDR")
        lowest = image["lowest_conv3x3"]
        print(f"  lowest 3x3 conv layer: {lowest['name']} at {lowest['utilization']:.1%}; 3x3 convs by stage: "
              + ", ".join(f"{g['stage']} {g['utilization']:.1%}" for g in image["conv3x3"]))
    for g in summary["conv3x3"]:
        if g["pass"] == "coarse+fine":
            print(f"coarse+fine, {g['stage']} 3x3 convs ({g['layers']} layers): {g['cycles']:,} cycles, "
                  f"MAC utilization {g['utilization']:.0%}")
    command = f"python -m bench.rtl_core --target {name}" + \
        (f" --read-port-bits {port}" if port != target.read_port_bits else "") + \
        (f" --read-ports {ports}" if ports != target.core["READ_PORTS"] else "") + \
        (f" --weight-pairs {pairs}" if pairs != own_pairs and ports != 1 else "")
    print(f"written: {path.relative_to(rtl_files.REPO)}; {ports} DDR read port(s) of {port} bits a cycle, weights "
          f"{'two beats' if pairs else 'a beat'} a cycle; "
          f"command: {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
