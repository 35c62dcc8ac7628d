"""What the host's second core gives prepare(), with the same codes (docs/experiments.md, Experiment 39).

    .venv/bin/python -m bench.studies.host_second_core [--images 8] [--repeats 5]

Per image size (the board sizes of ``bench/host_stages.py``, its blurred dead-leaves images, 1 % noise
floor, the whole-image maps), in one process:

* prepare() with every transform on one thread, then with scipy.fft's ``workers=2``;
* ``--images`` images prepared one after the other, then two at a time on two threads;
* Immerkaer's estimate of a uint8 image (int16 differences) against the same image as float64 levels
  (the float path, the arithmetic the uint8 path had before).

Prints milliseconds per image and the ratios, and whether the codes were equal in every variant.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bench.host_stages import FLOOR, SIZES, median_seconds, test_image
from blurgauge.host.accelerator import prepare
from blurgauge.model.inputs import preprocess
from blurgauge.model.inputs.images import to_gray
from blurgauge.model.inputs.noise import noise_sigma
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, IMAGE, Preprocessing

SETTINGS = Preprocessing(FLOOR, AUTOCORRELATION)


def _codes(gray: np.ndarray) -> np.ndarray:
    return prepare(gray, preprocessing=SETTINGS, region=IMAGE, min_structure=0).codes


def measure(rows: int, cols: int, images: int, repeats: int) -> dict:
    grays = [to_gray(test_image(rows, cols, seed)) for seed in range(images)]
    one = [_codes(g) for g in grays]
    workers_before = preprocess.FFT_WORKERS
    try:
        single = median_seconds(lambda: _codes(grays[0]), repeats)
        preprocess.FFT_WORKERS = 2
        threaded = median_seconds(lambda: _codes(grays[0]), repeats)
        equal = np.array_equal(_codes(grays[0]), one[0])
    finally:
        preprocess.FFT_WORKERS = workers_before
    start = time.perf_counter()
    for g in grays:
        _codes(g)
    serial = (time.perf_counter() - start) / images
    with ThreadPoolExecutor(2) as pool:
        start = time.perf_counter()
        two = list(pool.map(_codes, grays))
        paired = (time.perf_counter() - start) / images
    equal = equal and all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))
    levels = test_image(rows, cols)
    as_float = levels / 255.0  # k / 255 * 255 == k for every 8-bit k: the same levels, the float path
    sigma_equal = noise_sigma(levels) == noise_sigma(as_float)
    return {"size": f"{cols}x{rows}", "one_thread_ms": single * 1e3, "fft_workers_2_ms": threaded * 1e3,
            "serial_ms": serial * 1e3, "two_at_once_ms": paired * 1e3,
            "estimate_uint8_ms": median_seconds(lambda: noise_sigma(levels), repeats) * 1e3,
            "estimate_float_ms": median_seconds(lambda: noise_sigma(as_float), repeats) * 1e3,
            "codes_equal": equal, "estimate_equal": sigma_equal}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8, help="images per size for the two-at-once row (default 8)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per median (default 5)")
    args = parser.parse_args(argv)
    rows = [measure(r, c, args.images, args.repeats) for r, c in SIZES]
    print("| image | prepare() ms | scipy.fft workers=2 ms | ratio | one after the other ms | two at once ms | ratio "
          "| estimate, uint8 ms | float64 ms | ratio |")
    print("| --- |" + " ---: |" * 9)
    for r in rows:
        print(f"| {r['size']} | {r['one_thread_ms']:.1f} | {r['fft_workers_2_ms']:.1f} "
              f"| {r['one_thread_ms'] / r['fft_workers_2_ms']:.2f}x | {r['serial_ms']:.1f} | {r['two_at_once_ms']:.1f} "
              f"| {r['serial_ms'] / r['two_at_once_ms']:.2f}x | {r['estimate_uint8_ms']:.2f} "
              f"| {r['estimate_float_ms']:.2f} | {r['estimate_float_ms'] / r['estimate_uint8_ms']:.1f}x |")
    same = all(r["codes_equal"] and r["estimate_equal"] for r in rows)
    print(f"codes equal in every variant, estimates equal exactly: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
