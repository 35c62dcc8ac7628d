"""bg_requant (hw/rtl/bg_requant.sv) in Verilator through cocotb: random and edge-case vectors with
random stalls on both handshakes (testbench: sim/tb_requant.py), and the testbench's reference
(sim/requant_ref.py) checked against hw/compiler/golden.py on the same vectors."""

from __future__ import annotations

import random

import numpy as np
import pytest

from blurgauge.hw import rtl_files, verilator
from blurgauge.hw.compiler import golden, program
from blurgauge.sim.requant_ref import RANDOM_VECTORS, Widths, make_beats, requant, shift

TB = "blurgauge.sim.tb_requant"
# LANES=2 checks that lanes are independent while keeping the model small; ACC_W=32 and CODE_W=32 are the
# widths of the program format (32-bit accumulator, formats up to 32 bits).
MAIN = {"LANES": 2, "ACC_W": 32, "CODE_W": 32, "TAG_W": 8}
NARROW = {"LANES": 4, "ACC_W": 24, "CODE_W": 8, "TAG_W": 1}
SEEDS = {"main": 1, "narrow": 2}


def widths(p: dict[str, int]) -> Widths:
    return Widths(p["LANES"], p["ACC_W"], p["CODE_W"], p["TAG_W"])


@pytest.mark.parametrize(("params", "seed"), [(MAIN, SEEDS["main"]), (NARROW, SEEDS["narrow"])], ids=["main", "narrow"])
def test_reference_equals_golden_on_the_simulated_vectors(params: dict[str, int], seed: int) -> None:
    """On every vector the simulation uses with a legal format and a shift golden's int64 arithmetic can
    take, the reference equals hw/compiler/golden.py's requantization (round_shift and the program's _requantize)."""
    w = widths(params)
    checked = 0
    for b in make_beats(random.Random(seed), RANDOM_VECTORS, w):
        fmts = [b.out_fmt, b.post_fmt] if b.res_en else [b.out_fmt]
        # Widths 0 and above CODE_W are bg_requant's own rule (the program loader rejects them); int64
        # shifts stop at 63.
        if b.shift > 62 or not all(1 <= f & 0x3F <= w.code_w for f in fmts):
            continue
        flags = (program.FLAG_ROUND if b.round else 0) | (program.FLAG_SATURATE if b.sat else 0)
        acc = np.asarray(b.acc, np.int64)
        # _requantize is the requantization run_program applies to every layer record.
        y = golden._requantize(acc, b.shift, program.Format.decode(b.out_fmt), flags)
        if b.res_en:
            y = golden._requantize(y + np.asarray(b.res, np.int64), 0, program.Format.decode(b.post_fmt), flags)
        assert y.tolist() == [requant(a, r, b, w.code_w) for a, r in zip(b.acc, b.res, strict=True)], b
        assert golden.round_shift(acc, b.shift).tolist() == [shift(a, b.shift, True) for a in b.acc], b
        checked += 1
    assert checked > RANDOM_VECTORS // 2, checked


def test_requant() -> None:
    verilator.run_cocotb("bg_requant", rtl_files.rtl_sources("bg_requant"), TB, MAIN, seed=SEEDS["main"])


@pytest.mark.slow
def test_requant_narrow() -> None:
    """The configuration a small core would use: 24-bit accumulators and 8-bit codes, four lanes."""
    verilator.run_cocotb("bg_requant", rtl_files.rtl_sources("bg_requant"), TB, NARROW, seed=SEEDS["narrow"])
