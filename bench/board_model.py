"""A cost model of the host's preprocessing on the PYNQ-Z2's ARM, and the board time per image.

The PYNQ-Z2's processing system is a dual-core Cortex-A9 at 650 MHz; its VFP/NEON has no float64 SIMD. The
host's work (host/accelerator.py prepare(), the image region of the shipped networks, over the whole image
or its central window) is counted per stage from the code: FFT flops (5 N log2 N per complex transform of
N points, 2.5 N log2 N per real one, at the padded sizes the product uses) and element passes (one numpy
operation over one float64 element: a cast, a subtraction, a square, a normal draw counted as four).

Calibration, the only measured inputs: ``np.fft.fft`` of 1,024 float64 points takes 391 us on a PYNQ-Z2
and of 16,384 points 9.14 ms (published PYNQ-Z2 numpy timings as the issue tracker cites them,
docs/experiments.md Experiment 22; no other source is used). A least-squares line through the origin of
time against 5 N log2 N flops gives the seconds per flop (about 8 ns, 125 MFLOP/s). An element pass is
costed at 2.5 flops: a radix-2 FFT pass does 5 flops per complex element, 2.5 per float64 it reads and
writes, so the calibrated rate already includes the A9's memory traffic for a pass. Decoding (Pillow's C
code) has no ARM calibration here: it is this machine's measured decode time times the ratio of the
cited FFT timings to the same FFTs on this machine. The core: 670,223 cycles per image (one start of
the image job through the PYNQ-Z2's two 64-bit HP ports, programs vouched for, the axes in two size
ranges: `make bench-rtl`'s figure; 648,131 in one range; with a memory that delivers 128 bits a cycle, as
bench-host's rtl row and `make demo` simulate it, 648,538) at 100 MHz.

What the model leaves out: Python's per-call overhead (tens of numpy calls per image, about 10-50 us
each on the A9), the second ARM core (the FFTs run on one), and cache effects beyond the 16,384-point
calibration (whole-image transforms exceed the A9's 512 KB L2; the 1,024-point point, in L1, runs at
nearly the same rate, so the model assumes the rate holds). It is a projection, not a measurement.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import scipy.fft as sfft

#: (points, seconds) of np.fft.fft on float64 data on a PYNQ-Z2: published timings as the issue tracker cites them.
CALIBRATION: tuple[tuple[int, float], ...] = ((1024, 391e-6), (16384, 9.14e-3))
SOURCE = ("np.fft.fft of 1,024 / 16,384 float64 points on a PYNQ-Z2 (650 MHz Cortex-A9): 391 us / 9.14 ms, "
          "published PYNQ-Z2 numpy timings as cited by the issue tracker (docs/experiments.md, Experiment 22)")
#: Flops one numpy pass over a float64 element costs, in the calibrated rate's units (see the docstring).
ELEMENT_PASS_FLOPS = 2.5
#: One register access from Python on a Zynq-7000's Cortex-A9 at 650 MHz: 5,600 ``MMIO.write`` calls in a Python
#: loop took 150-200 ms on a PYNQ-Z1 (discuss.pynq.io, "MMIO write is too slow", topic 389), 27-36 us each; the
#: midpoint. A read costs the same call path.
MMIO_ACCESS_S = 0.175 / 5600
MMIO_SOURCE = ("register access 31 us: 5,600 MMIO.write calls from Python in 150-200 ms on a PYNQ-Z1, "
               "discuss.pynq.io topic 389; copies at the element-pass rate")
#: One image job (two axes, coarse + fine) on the default core through the PYNQ-Z2's two 64-bit HP ports,
#: the programs vouched for (JOB_CHECKED), the axes in two size ranges (one range: 648,131): make bench-rtl.
CORE_CYCLES = 670_223
CORE_CLOCK_HZ = 100e6
PATCH = 128
#: Board sizes (rows, cols) projected.
SIZES = ((321, 481), (480, 640), (1080, 1920))
#: Windows projected (``Preprocessing.window``, ``--window``): 0 reads the whole image; through 320 px a
#: 640x480 board time from an array is 232 ms, under 250 ms (from 324 px on it is 250 ms and more: the padded
#: transform sizes step up); its accuracy: ``python -m bench.studies.map_window``, docs/host.md.
WINDOWS = (0, 320)


def complex_fft_flops(n: int) -> float:
    return 5.0 * n * math.log2(n)


def real_fft_flops(n: int) -> float:
    return 2.5 * n * math.log2(n)


def seconds_per_flop(points: tuple[tuple[int, float], ...] = CALIBRATION) -> float:
    """Least squares through the origin of the calibration times against complex FFT flops."""
    flops = [complex_fft_flops(n) for n, _ in points]
    return sum(f * t for f, (_, t) in zip(flops, points, strict=True)) / sum(f * f for f in flops)


def map_fft_flops(rows: int, cols: int, size: int = PATCH) -> float:
    """FFT flops of both axes' maps of a rows x cols image as model/inputs/preprocess.py computes them
    (``_gradient_powers``, ``_lags_of_power``): one forward transform of the image (real transforms of its
    rows, complex ones of every spectrum column), then per axis real transforms along the power spectrum's
    columns and the inverse of the kept rows (size / 2 + 1 for the width, ``size`` for the height)."""
    n_rows, n_cols = sfft.next_fast_len(rows + size), sfft.next_fast_len(cols + size, real=True)
    half_cols = n_cols // 2 + 1
    forward = rows * real_fft_flops(n_cols) + half_cols * complex_fft_flops(n_rows)
    inverses = 2 * half_cols * real_fft_flops(n_rows) + (size // 2 + 1 + size) * real_fft_flops(n_cols)
    return forward + inverses


#: Flops per spectrum element and axis of the power spectrum from the shared transform: the shift's
#: complex product (6), the rank-3 correction as a complex matrix product (3 complex multiply-adds, 24),
#: its subtraction (2) and |G|^2 (3).
POWER_FLOPS_PER_ELEMENT = 35.0


def element_passes(rows: int, cols: int, size: int = PATCH) -> dict[str, float]:
    """Element passes per stage (float64 elements touched by numpy operations), from the code."""
    pixels = rows * cols
    n_rows, n_cols = sfft.next_fast_len(rows + size), sfft.next_fast_len(cols + size, real=True)
    spectrum = n_rows * (n_cols // 2 + 1)
    # The zero fill (two float64 per element), then per axis the power spectrum's flops in passes.
    power = 2 * spectrum + 2 * spectrum * POWER_FLOPS_PER_ELEMENT / ELEMENT_PASS_FLOPS
    return {
        "gray conversion": 2 * pixels,  # cast, divide
        "noise estimate": 9 * pixels,  # cast, 2 x (3 terms of a second difference), abs, sum
        "structure measure": 2 * pixels,  # block means
        "seed (CRC of the image)": 1 * pixels,  # zlib over 8 bytes per pixel
        "noise top-up": 11 * pixels,  # cast, divide, normal draw (4), add, x255, rint, clip, to uint8
        "image to float64": 1 * pixels,  # the cast before the forward transform
        "power spectra": power,
    }


def board_bus_seconds(accesses: float, copied_bytes: float) -> float:
    """The bus overhead of one image on the board: register accesses at ``MMIO_ACCESS_S`` and the copies into
    device memory at the calibrated element-pass rate (one pass per 8 bytes; the cache flush is not modelled)."""
    return accesses * MMIO_ACCESS_S + copied_bytes / 8 * ELEMENT_PASS_FLOPS * seconds_per_flop()


@dataclass(frozen=True)
class Projection:
    rows: int
    cols: int
    fft_s: float
    passes_s: dict[str, float]
    decode_s: float
    core_s: float

    @property
    def host_s(self) -> float:
        return self.fft_s + sum(self.passes_s.values()) + self.decode_s

    @property
    def total_s(self) -> float:
        return self.host_s + self.core_s


def read_size(rows: int, cols: int, window: int = 0) -> tuple[int, int]:
    """The part of a rows x cols image the host reads through ``window`` (``images.central_window``)."""
    return (min(rows, window), min(cols, window)) if window else (rows, cols)


def project(rows: int, cols: int, decode_x86_s: float = 0.0, fft_ratio: float = 0.0,
            core_cycles: float = CORE_CYCLES, window: int = 0) -> Projection:
    """The board time of one rows x cols image read through ``window`` (0: the whole image): host stages
    from the op counts of the part read at the calibrated rate, decode of the whole file as this machine's
    ``decode_x86_s`` times ``fft_ratio`` (0: left out), and the core."""
    per_flop = seconds_per_flop()
    read_rows, read_cols = read_size(rows, cols, window)
    fft = map_fft_flops(read_rows, read_cols)
    passes = {stage: count * ELEMENT_PASS_FLOPS * per_flop
              for stage, count in element_passes(read_rows, read_cols).items()}
    return Projection(rows, cols, fft * per_flop, passes, decode_x86_s * fft_ratio, core_cycles / CORE_CLOCK_HZ)


def fft_ratio_here(repeats: int = 200) -> float:
    """The cited PYNQ-Z2 FFT times over the same np.fft.fft calls on this machine (median of ``repeats``),
    the geometric mean of the two points."""
    import numpy as np

    ratios = []
    for n, board in CALIBRATION:
        data = np.random.default_rng(0).random(n)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            np.fft.fft(data)
            times.append(time.perf_counter() - start)
        ratios.append(board / float(np.median(times)))
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))


def report(decode_x86_s: dict[tuple[int, int], float] | None = None,
           prepare_x86_s: dict[tuple[int, int], float] | None = None, core_cycles: float = CORE_CYCLES,
           windows: tuple[int, ...] = WINDOWS) -> list[dict]:
    """Print the projection table with its model and sources; returns its rows. ``decode_x86_s`` and
    ``prepare_x86_s``: this machine's measured decode and prepare() per size, where measured (the
    latter only for the cross-check of the whole image: prepare() times the FFT ratio). ``windows``:
    each size is projected read whole (0) and through each window smaller than it."""
    ratio = fft_ratio_here()
    decode_x86_s, prepare_x86_s = decode_x86_s or {}, prepare_x86_s or {}
    print(f"board projection (PYNQ-Z2, one 650 MHz Cortex-A9 core for the host; the core at "
          f"{CORE_CLOCK_HZ / 1e6:g} MHz, {core_cycles:,.0f} cycles per image):")
    print(f"  calibration: {SOURCE}; {seconds_per_flop() * 1e9:.2f} ns per flop "
          f"({1e-6 / seconds_per_flop():.0f} MFLOP/s); an element pass = {ELEMENT_PASS_FLOPS:g} flops; "
          f"the cited times are {ratio:.0f}x this machine's for the same np.fft.fft calls")
    print("| image | window | host FFTs ms | host element passes ms | core ms | **board ms, from an array** "
          "| decode ms (x86 x FFT ratio) | board ms, from a PNG file | core share | cross-check: x86 prepare() x "
          "FFT ratio, ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows_out = []
    for rows, cols in SIZES:
        for window in windows:
            if window and window >= max(rows, cols):
                continue
            p = project(rows, cols, decode_x86_s.get((rows, cols), 0.0), ratio, core_cycles, window)
            check = prepare_x86_s.get((rows, cols)) if not window else None
            array_s = p.total_s - p.decode_s
            print(f"| {cols}x{rows} | {window or 'whole'} | {p.fft_s * 1e3:.0f} | {sum(p.passes_s.values()) * 1e3:.0f} "
                  f"| {p.core_s * 1e3:.2f} | **{array_s * 1e3:.0f}** | {p.decode_s * 1e3:.0f} | {p.total_s * 1e3:.0f} "
                  f"| {p.core_s / p.total_s:.1%} | {f'{check * ratio * 1e3:.0f}' if check else ''} |")
            rows_out.append({"rows": rows, "cols": cols, "window": window, "fft_s": p.fft_s, "passes_s": p.passes_s,
                             "decode_s": p.decode_s, "host_s": p.host_s, "core_s": p.core_s, "board_s": p.total_s,
                             "board_from_array_s": array_s,
                             "x86_prepare_times_ratio_s": check * ratio if check else None})
    print("  (model: bench/board_model.py; a window reads the central W x W px of the image (--window W): the "
          "file is still decoded whole; decode is left out where it was not measured here; Python's per-call "
          "overhead, the second ARM core and caches beyond the calibration are not modelled)")
    return rows_out


if __name__ == "__main__":
    report()
