"""cocotb testbench of hw/rtl/bg_maxpool.sv: windows of 1..9 taps (3x3 max-pool has 9) in both code
modes against Python's max, with random stalls on both handshakes."""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import RisingEdge
from cocotb.utils import get_sim_time

from blurgauge.hw import verilator
from blurgauge.sim import harness

PRM = verilator.params()
LANES, CODE_W, TAG_W = PRM["LANES"], PRM["CODE_W"], PRM["TAG_W"]
LATENCY = 2


def make_windows(rng: random.Random, count: int) -> list[tuple[bool, list[list[int]], int]]:
    """(signed, taps as lists of LANES codes, tag) per window."""
    out = []
    for _ in range(count):
        signed = rng.random() < 0.5
        lo, hi = (-(1 << (CODE_W - 1)), (1 << (CODE_W - 1)) - 1) if signed else (0, (1 << CODE_W) - 1)
        edge = [lo, hi, 0, -1 if signed else 1, lo + 1, hi - 1]
        taps = [[rng.choice(edge) if rng.random() < 0.3 else rng.randint(lo, hi) for _ in range(LANES)]
                for _ in range(rng.choice([1, 2, 4, 9, rng.randint(1, 9)]))]
        out.append((signed, taps, rng.getrandbits(TAG_W)))
    return out


def beats(windows: list[tuple[bool, list[list[int]], int]]) -> list[dict[str, int]]:
    return [{"x": harness.pack(tap, CODE_W), "signed": int(signed), "first": int(k == 0),
             "last": int(k == len(taps) - 1), "tag": tag}
            for signed, taps, tag in windows for k, tap in enumerate(taps)]


async def run(dut, windows: list[tuple[bool, list[list[int]], int]], rng: random.Random, stalls: bool) -> int:
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready,
                               {"x": dut.in_x, "signed": dut.in_signed, "first": dut.in_first, "last": dut.in_last,
                                "tag": dut.in_tag}, rng, gap_prob=0.3 if stalls else 0.0)
    sink = harness.StreamSink(dut.clk, dut.out_valid, dut.out_ready, {"y": dut.out_y, "tag": dut.out_tag}, rng,
                              stall_prob=0.5 if stalls else 0.0, max_stall=6)
    start = get_sim_time("ns")
    sender = cocotb.start_soon(src.send(beats(windows)))
    got = await sink.receive(len(windows))
    await sender
    for n, ((signed, taps, tag), g) in enumerate(zip(windows, got, strict=True)):
        want = [max(col) for col in zip(*taps, strict=True)]
        have = harness.unpack(g["y"], CODE_W, LANES, signed=signed)
        assert have == want and g["tag"] == tag, f"window {n}: got {have} tag {g['tag']}, want {want} tag {tag}"
    return round((get_sim_time("ns") - start) / 10)


@cocotb.test(timeout_time=20, timeout_unit="us")
async def reset_state(dut) -> None:
    await harness.start_clock_and_reset(dut)
    dut.out_ready.value = 0
    await RisingEdge(dut.clk)
    assert dut.out_valid.value == 0 and dut.in_ready.value == 1


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def random_windows_with_stalls(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    await harness.start_clock_and_reset(dut)
    await run(dut, make_windows(rng, 800), rng, stalls=True)


@cocotb.test(timeout_time=200, timeout_unit="us")
async def full_throughput(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    await harness.start_clock_and_reset(dut)
    windows = make_windows(rng, 40)
    cycles = await run(dut, windows, rng, stalls=False)
    total = sum(len(taps) for _, taps, _ in windows)
    assert cycles <= total + LATENCY, f"{total} beats took {cycles} cycles"
