"""Reference of the core's requantization and the stimulus for bg_requant, free of cocotb and TensorFlow,
so that the testbench (sim/tb_requant.py) and the cross-check against hw/compiler/golden.py
(tests/sim/test_rtl_requant.py) share one vector generator and one reference.

The reference rounds with exact rationals (Python's round() of a Fraction is half to even), which
shares nothing with hw/compiler/golden.py's integer round_shift. The simulation checks the RTL against this
reference; the pytest side checks this reference against hw/compiler/golden.py on the very same vectors.
Importing hw/compiler/golden.py inside the simulator would cost ~18 s of TensorFlow start-up per run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from blurgauge.sim import harness

# Beats of the testbench's main random test, made by make_beats from random.Random(seed of the run).
RANDOM_VECTORS = 3000


@dataclass(frozen=True)
class Widths:
    """The bg_requant parameters a vector set is made for."""

    lanes: int
    acc_w: int
    code_w: int
    tag_w: int

    @property
    def vw(self) -> int:
        return self.code_w + 1


@dataclass
class Beat:
    acc: list[int]
    res: list[int]
    shift: int
    out_fmt: int  # format byte: bits 5:0 width, bit 7 signed
    post_fmt: int
    round: bool
    sat: bool
    res_en: bool
    tag: int

    def signals(self, w: Widths) -> dict[str, int]:
        return {
            "acc": harness.pack(self.acc, w.acc_w), "res": harness.pack(self.res, w.vw), "shift": self.shift,
            "out_fmt": self.out_fmt, "post_fmt": self.post_fmt, "round": int(self.round), "sat": int(self.sat),
            "res_en": int(self.res_en), "tag": self.tag,
        }


def fmt_range(fmt: int, code_w: int) -> tuple[int, int]:
    """Code range of a format byte; widths 0 and above code_w act as code_w (bg_requant's rule)."""
    width = fmt & 0x3F
    if width == 0 or width > code_w:
        width = code_w
    if fmt & 0x80:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def shift(acc: int, s: int, rnd: bool) -> int:
    """acc / 2**s: rounded half to even, or floored (an arithmetic shift) without rounding."""
    return round(Fraction(acc, 1 << s)) if rnd else acc >> s


def fit(x: int, fmt: int, sat: bool, code_w: int) -> int:
    lo, hi = fmt_range(fmt, code_w)
    if sat:
        return min(max(x, lo), hi)
    return ((x - lo) % (hi - lo + 1)) + lo


def requant(acc: int, res: int, b: Beat, code_w: int) -> int:
    """y = requant(acc, shift, out_fmt); with the residual flag y = requant(y + res, 0, post_fmt)."""
    y = fit(shift(acc, b.shift, b.round), b.out_fmt, b.sat, code_w)
    if b.res_en:
        y = fit(y + res, b.post_fmt, b.sat, code_w)
    return y


def random_fmt(rng: random.Random, code_w: int) -> int:
    width = rng.choice([8, 8, 8, 16, rng.randint(1, code_w), code_w, 0, rng.randint(code_w, 63)])
    return width | (0x80 if rng.random() < 0.5 else 0)


def edge_accs(rng: random.Random, s: int, fmt: int, w: Widths) -> list[int]:
    """Accumulators at the interesting points for a shift and a format: ties either side of zero,
    values that land next to the saturation bounds, and the accumulator's extremes."""
    lo_acc, hi_acc = -(1 << (w.acc_w - 1)), (1 << (w.acc_w - 1)) - 1
    out: list[int] = [0, 1, -1, lo_acc, hi_acc, lo_acc + 1, hi_acc - 1]
    if s > 0:
        half = 1 << (s - 1)
        k = rng.randint(-(1 << max(0, w.acc_w - s - 2)), 1 << max(0, w.acc_w - s - 2))
        out += [(k << s) + half, (k << s) - half, half, -half, 3 * half, -3 * half, (k << s) + half + 1]
    lo, hi = fmt_range(fmt, w.code_w)
    for bound in (lo, hi):
        for d in (-1, 0, 1):
            base = (bound + d) << s
            out += [base, base + (1 << s >> 1), base - 1]
    return [min(max(a, lo_acc), hi_acc) for a in out]


def make_beats(rng: random.Random, count: int, w: Widths) -> list[Beat]:
    beats: list[Beat] = []
    shifts = [0, 1, 2, 6, 7, 31, 32, w.acc_w - 1, w.acc_w, w.acc_w + 1, 63, 255]
    for i in range(count):
        s = rng.choice(shifts) if rng.random() < 0.4 else rng.randint(0, min(w.acc_w + 2, 40))
        out_fmt, post_fmt = random_fmt(rng, w.code_w), random_fmt(rng, w.code_w)
        if rng.random() < 0.5:
            pool = edge_accs(rng, s, out_fmt, w)
            acc = [rng.choice(pool) for _ in range(w.lanes)]
        else:
            acc = [rng.randint(-(1 << (w.acc_w - 1)), (1 << (w.acc_w - 1)) - 1) for _ in range(w.lanes)]
        lo, hi = fmt_range(post_fmt if rng.random() < 0.5 else rng.choice([0x08, 0x88]), w.code_w)
        res = [rng.choice([lo, hi, 0, rng.randint(lo, hi)]) for _ in range(w.lanes)]
        beats.append(Beat(acc, res, s, out_fmt, post_fmt, rng.random() < 0.7, rng.random() < 0.7, rng.random() < 0.4,
                          i & ((1 << w.tag_w) - 1)))
    return beats

