"""Estimate the motion blur of one photo on a PYNQ-Z2: the core runs in the overlay, the rest on the ARM.

On the board (a PYNQ 3.x image: Python 3.10), in the Python environment PYNQ runs in (a terminal of
PYNQ's Jupyter, or root's shell):

    pip install blurgauge-*.whl # the wheel `pip wheel --no-deps . -w dist` builds on the development
                                # machine; it needs numpy and Pillow only, both already on the image
    python estimate_on_board.py --overlay blurgauge.bit --programs images/ photo.jpg

What to copy to the board first:

* ``blurgauge.bit`` with ``blurgauge.hwh`` beside it: ``make bitstream BOARD=pynq-z2`` on a machine
  with Vivado (docs/board.md);
* ``images/``: the six core programs (``*.bgcp``) and their ``preprocess.json``, from ``make hls``
  (build/hls/images) on the development machine. Building programs needs TensorFlow and hls4ml,
  which a board does not have.

``--backend golden`` runs the same programs in the integer reference on the ARM instead of the core:
the same answer, much slower, and no overlay needed (a check of the install).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from blurgauge.host.accelerator import TARGET_CLOCK_MHZ, Accelerator
from blurgauge.model import classes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Estimate one photo's motion-blur kernel size on the board.")
    parser.add_argument("image", type=Path, help="the photo (any format Pillow reads)")
    parser.add_argument("--programs", type=Path, required=True,
                        help="folder of the six .bgcp core programs and their preprocess.json (make hls)")
    parser.add_argument("--overlay", type=Path, default=Path("blurgauge.bit"),
                        help="the bitstream, its .hwh beside it (default %(default)s)")
    parser.add_argument("--backend", choices=("pynq", "golden"), default="pynq",
                        help="pynq: the core in the overlay (default); golden: the integer reference on the ARM")
    args = parser.parse_args(argv)

    options = {"overlay": str(args.overlay)} if args.backend == "pynq" else {}
    start = time.perf_counter()
    # Opening loads the overlay, checks the core's ID, version and configuration, and writes the programs
    # to the core's memory: once per process, not per image.
    with Accelerator(args.backend, args.programs, **options) as accelerator:
        opened_s = time.perf_counter() - start
        result = accelerator.estimate(args.image)

    print(f"{result.path}: width {result.width_px:.1f} px, height {result.height_px:.1f} px")
    for name, axis in (("width", result.width), ("height", result.height)):
        low, high = classes.range_bounds(axis.coarse)
        interval = classes.intervals()[axis.fine].label
        print(f"  {name:6}: range R{axis.coarse + 1} ({low}-{high} px), interval {interval} px, "
              f"confidence {axis.confidence:.2f}")
    for line in result.warnings:
        print(f"  warning: {line}")
    backend_s = sum(stage.seconds for stage in result.stages)
    print(f"time: {opened_s:.2f} s to open the {args.backend} backend; this image {result.seconds * 1e3:.0f} ms "
          f"(preprocessing {result.preprocess_seconds * 1e3:.0f} ms, networks {backend_s * 1e3:.0f} ms)")
    if result.cycles:  # the core counts its cycles; the golden reference counts none
        print(f"core: {result.cycles:,} cycles, {result.cycles / TARGET_CLOCK_MHZ / 1e3:.2f} ms at "
              f"{TARGET_CLOCK_MHZ:g} MHz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
