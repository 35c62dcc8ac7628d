"""Dataset builder throughput: patches per second on this machine, with all cores.

Run with `make data-bench` (or `python -m bench.data_throughput --count 512`). Prints the figure
and the command that reproduces it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from blurgauge.model.data.dataset import build_dataset
from blurgauge.model.data.synthesis import SynthesisConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=512, help="patches to build (default 512)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="processes (default: all cores)")
    parser.add_argument("--shard-size", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        build_dataset(tmp, args.count, SynthesisConfig(), seed=0, shard_size=args.shard_size,
                      workers=args.workers, progress=False)
        seconds = time.perf_counter() - start
    print(f"command: python bench/data_throughput.py --count {args.count} --workers {args.workers}")
    print(f"{args.count} patches (256x256 blurry images, kernels 3..95 px) in {seconds:.1f} s "
          f"with {args.workers} worker(s) on {os.cpu_count()} core(s): "
          f"{args.count / seconds:.1f} patches/s", file=sys.stdout)


if __name__ == "__main__":
    main()
