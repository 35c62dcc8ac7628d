"""cocotb testbench of hw/rtl/bg_requant.sv against the reference of sim/requant_ref.py, which
tests/sim/test_rtl_requant.py checks against hw/compiler/golden.py on the same vectors."""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cocotb.utils import get_sim_time

from blurgauge.hw import verilator
from blurgauge.sim import harness
from blurgauge.sim.requant_ref import RANDOM_VECTORS, Beat, Widths, make_beats, requant

PRM = verilator.params()
W = Widths(PRM["LANES"], PRM["ACC_W"], PRM["CODE_W"], PRM["TAG_W"])
LATENCY = 5


def ports(dut) -> dict[str, object]:
    return {
        "acc": dut.in_acc, "res": dut.in_res, "shift": dut.in_shift, "out_fmt": dut.in_out_fmt,
        "post_fmt": dut.in_post_fmt, "round": dut.in_round, "sat": dut.in_sat, "res_en": dut.in_res_en,
        "tag": dut.in_tag,
    }


def check(beats: list[Beat], got: list[dict[str, int]]) -> None:
    assert len(got) == len(beats)
    for n, (b, g) in enumerate(zip(beats, got, strict=True)):
        want = [requant(a, r, b, W.code_w) for a, r in zip(b.acc, b.res, strict=True)]
        have = harness.unpack(g["y"], W.vw, W.lanes)
        assert have == want and g["tag"] == b.tag, f"beat {n}: {b} gave {have} tag {g['tag']}, want {want}"


async def run(dut, beats: list[Beat], rng: random.Random, stalls: bool) -> int:
    """Push beats through, check every result; returns the cycles from the first beat to the last result."""
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, ports(dut), rng,
                               gap_prob=0.3 if stalls else 0.0)
    sink = harness.StreamSink(dut.clk, dut.out_valid, dut.out_ready, {"y": dut.out_y, "tag": dut.out_tag}, rng,
                              stall_prob=0.3 if stalls else 0.0)
    start = get_sim_time("ns")
    sender = cocotb.start_soon(src.send(b.signals(W) for b in beats))
    got = await sink.receive(len(beats))
    await sender
    check(beats, got)
    return round((get_sim_time("ns") - start) / 10)


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
    beats = make_beats(random.Random(cocotb.RANDOM_SEED), RANDOM_VECTORS, W)
    await harness.start_clock_and_reset(dut)
    await run(dut, beats, random.Random(cocotb.RANDOM_SEED + 100), stalls=True)


@cocotb.test(timeout_time=200, timeout_unit="us")
async def full_throughput(dut) -> None:
    """Without stalls the block takes one beat per cycle: N beats take N + latency cycles."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    await harness.start_clock_and_reset(dut)
    beats = make_beats(rng, 200, W)
    cycles = await run(dut, beats, rng, stalls=False)
    assert cycles <= len(beats) + LATENCY, f"{len(beats)} beats took {cycles} cycles"


@cocotb.test(timeout_time=100, timeout_unit="us")
async def reset_empties_pipeline(dut) -> None:
    """A reset while beats are in flight drops them; the next beats come through correctly."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    await harness.start_clock_and_reset(dut)
    dut.out_ready.value = 0
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, ports(dut), rng, gap_prob=0.0)
    flood = cocotb.start_soon(src.send(b.signals(W) for b in make_beats(rng, 2, W)))
    await ClockCycles(dut.clk, LATENCY + 1)
    assert dut.out_valid.value == 1
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    await flood
    await RisingEdge(dut.clk)
    assert dut.out_valid.value == 0
    await run(dut, make_beats(rng, 50, W), rng, stalls=True)
