"""cocotb testbench of hw/rtl/bg_requant.sv against the golden reference's rounding and the program
format's requantization semantics (docs/core-program.md)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge
from cocotb.utils import get_sim_time

from blurgauge.hw.golden import round_shift
from blurgauge.sim import harness

P = harness.params()
LANES, ACC_W, CODE_W, TAG_W = P["LANES"], P["ACC_W"], P["CODE_W"], P["TAG_W"]
VW = CODE_W + 1
LATENCY = 3


@dataclass
class Beat:
    acc: list[int]
    res: list[int]
    shift: int
    out_fmt: int
    post_fmt: int
    round: bool
    sat: bool
    res_en: bool
    tag: int

    def signals(self) -> dict[str, int]:
        return {
            "acc": harness.pack(self.acc, ACC_W),
            "res": harness.pack(self.res, VW),
            "shift": self.shift,
            "out_fmt": self.out_fmt,
            "post_fmt": self.post_fmt,
            "round": int(self.round),
            "sat": int(self.sat),
            "res_en": int(self.res_en),
            "tag": self.tag,
        }


# ---- reference ---------------------------------------------------------------------------------


def fmt_range(fmt: int) -> tuple[int, int]:
    """Code range of a format byte (bits 5:0 width, bit 7 signed); widths outside 1..CODE_W act as CODE_W."""
    width = fmt & 0x3F
    if width == 0 or width > CODE_W:
        width = CODE_W
    if fmt & 0x80:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def shift(acc: int, s: int, rnd: bool) -> int:
    if not rnd:
        return acc >> s  # Python's >> floors, as an arithmetic shift does
    # Two independent roundings must agree: the golden model's (int64, s <= 62) and exact rationals
    # (Python's round() of a Fraction is half to even), which also covers any s.
    exact = round(Fraction(acc, 1 << s))
    if s <= 62:
        golden = int(round_shift(np.int64(acc), s))
        assert golden == exact, (acc, s, golden, exact)
    return exact


def fit(x: int, fmt: int, sat: bool) -> int:
    lo, hi = fmt_range(fmt)
    if sat:
        return min(max(x, lo), hi)
    return ((x - lo) % (hi - lo + 1)) + lo  # wrap: as hw/golden.py does for the unsaturated case


def requant(acc: int, res: int, b: Beat) -> int:
    y = fit(shift(acc, b.shift, b.round), b.out_fmt, b.sat)
    if b.res_en:
        y = fit(y + res, b.post_fmt, b.sat)
    return y


# ---- stimulus ----------------------------------------------------------------------------------


def random_fmt(rng: random.Random) -> int:
    width = rng.choice([8, 8, 8, 16, rng.randint(1, CODE_W), CODE_W, 0, rng.randint(CODE_W, 63)])
    return width | (0x80 if rng.random() < 0.5 else 0)


def edge_accs(rng: random.Random, s: int, fmt: int) -> list[int]:
    """Accumulators at the interesting points for a shift and a format: ties either side of zero,
    values that land next to the saturation bounds, and the accumulator's extremes."""
    lo_acc, hi_acc = -(1 << (ACC_W - 1)), (1 << (ACC_W - 1)) - 1
    out: list[int] = [0, 1, -1, lo_acc, hi_acc, lo_acc + 1, hi_acc - 1]
    if s > 0:
        half = 1 << (s - 1)
        k = rng.randint(-(1 << max(0, ACC_W - s - 2)), 1 << max(0, ACC_W - s - 2))
        out += [(k << s) + half, (k << s) - half, half, -half, 3 * half, -3 * half, (k << s) + half + 1]
    lo, hi = fmt_range(fmt)
    for bound in (lo, hi):
        for d in (-1, 0, 1):
            base = (bound + d) << s
            out += [base, base + (1 << s >> 1), base - 1]
    return [min(max(a, lo_acc), hi_acc) for a in out]


def make_beats(rng: random.Random, count: int) -> list[Beat]:
    beats: list[Beat] = []
    shifts = [0, 1, 2, 6, 7, 31, 32, ACC_W - 1, ACC_W, ACC_W + 1, 63, 255]
    for i in range(count):
        s = rng.choice(shifts) if rng.random() < 0.4 else rng.randint(0, min(ACC_W + 2, 40))
        out_fmt, post_fmt = random_fmt(rng), random_fmt(rng)
        if rng.random() < 0.5:
            pool = edge_accs(rng, s, out_fmt)
            acc = [rng.choice(pool) for _ in range(LANES)]
        else:
            acc = [rng.randint(-(1 << (ACC_W - 1)), (1 << (ACC_W - 1)) - 1) for _ in range(LANES)]
        lo, hi = fmt_range(post_fmt if rng.random() < 0.5 else rng.choice([0x08, 0x88]))
        res = [rng.choice([lo, hi, 0, rng.randint(lo, hi)]) for _ in range(LANES)]
        beats.append(
            Beat(acc, res, s, out_fmt, post_fmt, rng.random() < 0.7, rng.random() < 0.7, rng.random() < 0.4,
                 i & ((1 << TAG_W) - 1))
        )
    return beats


def ports(dut) -> dict[str, object]:
    return {
        "acc": dut.in_acc, "res": dut.in_res, "shift": dut.in_shift, "out_fmt": dut.in_out_fmt,
        "post_fmt": dut.in_post_fmt, "round": dut.in_round, "sat": dut.in_sat, "res_en": dut.in_res_en,
        "tag": dut.in_tag,
    }


def check(beats: list[Beat], got: list[dict[str, int]]) -> None:
    assert len(got) == len(beats)
    for n, (b, g) in enumerate(zip(beats, got, strict=True)):
        want = [requant(a, r, b) for a, r in zip(b.acc, b.res, strict=True)]
        have = harness.unpack(g["y"], VW, LANES)
        assert have == want and g["tag"] == b.tag, f"beat {n}: {b} gave {have} tag {g['tag']}, want {want}"


async def run(dut, beats: list[Beat], rng: random.Random, stalls: bool) -> int:
    """Push beats through, check every result; returns the cycles from the first beat to the last result."""
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, ports(dut), rng,
                               gap_prob=0.3 if stalls else 0.0)
    sink = harness.StreamSink(dut.clk, dut.out_valid, dut.out_ready, {"y": dut.out_y, "tag": dut.out_tag}, rng,
                              stall_prob=0.3 if stalls else 0.0)
    start = get_sim_time("ns")
    sender = cocotb.start_soon(src.send(b.signals() for b in beats))
    got = await sink.receive(len(beats))
    await sender
    check(beats, got)
    return round((get_sim_time("ns") - start) / 10)


# ---- tests -------------------------------------------------------------------------------------


@cocotb.test(timeout_time=20, timeout_unit="us")
async def reset_state(dut) -> None:
    """After reset nothing is valid and the input is ready."""
    await harness.start_clock_and_reset(dut)
    dut.out_ready.value = 0
    await RisingEdge(dut.clk)
    assert dut.out_valid.value == 0
    assert dut.in_ready.value == 1


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def random_vectors_with_stalls(dut) -> None:
    """Thousands of random and edge-case vectors, random gaps on the input, random back-pressure."""
    rng = random.Random(cocotb.RANDOM_SEED)
    await harness.start_clock_and_reset(dut)
    await run(dut, make_beats(rng, 3000), rng, stalls=True)


@cocotb.test(timeout_time=200, timeout_unit="us")
async def full_throughput(dut) -> None:
    """Without stalls the block takes one beat per cycle: N beats take N + latency cycles."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    await harness.start_clock_and_reset(dut)
    beats = make_beats(rng, 200)
    cycles = await run(dut, beats, rng, stalls=False)
    assert cycles <= len(beats) + LATENCY, f"{len(beats)} beats took {cycles} cycles"


@cocotb.test(timeout_time=100, timeout_unit="us")
async def reset_empties_pipeline(dut) -> None:
    """A reset while beats are in flight drops them; the next beats come through correctly."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    await harness.start_clock_and_reset(dut)
    dut.out_ready.value = 0
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, ports(dut), rng, gap_prob=0.0)
    flood = cocotb.start_soon(src.send(b.signals() for b in make_beats(rng, 2)))
    await ClockCycles(dut.clk, 4)
    assert dut.out_valid.value == 1
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    await flood
    await RisingEdge(dut.clk)
    assert dut.out_valid.value == 0
    await run(dut, make_beats(rng, 50), rng, stalls=True)
