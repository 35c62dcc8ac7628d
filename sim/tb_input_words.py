"""cocotb testbench of hw/rtl/bg_input_words.sv: random patches as 16-byte beats with random gaps on the
input handshake come out as the P-byte words an AXI4-Stream of width P would carry (the reference is the
bytes themselves, cut into P-byte little-endian words); a reset in the middle of a patch leaves nothing
behind for the next one.

The output has no ready (the engine takes a word every cycle it is offered), so the monitor records a word
on every edge where out_valid is high.
"""

from __future__ import annotations

import random
from typing import Any

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

from blurgauge.hw import verilator
from blurgauge.sim import harness

P = verilator.params().get("P", 16)
BEAT = 16


def words(data: bytes) -> list[int]:
    """The stream's words: P bytes each, the earlier byte in the lower bits."""
    return [int.from_bytes(data[i:i + P], "little") for i in range(0, len(data), P)]


async def monitor(dut: Any, seen: list[int]) -> None:
    while True:
        await RisingEdge(dut.clk)
        if dut.out_valid.value:
            seen.append(harness.unsigned(dut.out_data.value))


def source(dut: Any, rng: random.Random, gap_prob: float) -> harness.StreamSource:
    return harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, {"data": dut.in_data}, rng, gap_prob=gap_prob)


async def send(src: harness.StreamSource, data: bytes) -> None:
    await src.send({"data": int.from_bytes(data[i:i + BEAT], "little")} for i in range(0, len(data), BEAT))


@cocotb.test()
async def patches_with_gaps(dut: Any) -> None:
    """Patches of 1..40 words (whole beats), with no gaps, some, and many, back to back."""
    rng = random.Random(cocotb.RANDOM_SEED)
    await harness.start_clock_and_reset(dut)
    seen: list[int] = []
    cocotb.start_soon(monitor(dut, seen))
    expected: list[int] = []
    for gap_prob in (0.0, 0.3, 0.8):
        src = source(dut, rng, gap_prob)
        for _ in range(6):
            n_bytes = BEAT * max(1, rng.randint(1, 40) * P // BEAT)
            data = rng.randbytes(n_bytes)
            expected += words(data)
            await send(src, data)
    await ClockCycles(dut.clk, 4 + BEAT // P)
    first = next((i for i, (a, b) in enumerate(zip(seen, expected, strict=False)) if a != b),
                 min(len(seen), len(expected)))
    assert seen == expected, f"{len(seen)} words seen, {len(expected)} expected; first difference at {first}"


@cocotb.test()
async def stall_free_rate(dut: Any) -> None:
    """Without input gaps the block keeps the engine busy: one word per cycle, whatever P."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    await harness.start_clock_and_reset(dut)
    seen: list[int] = []
    cocotb.start_soon(monitor(dut, seen))
    data = rng.randbytes(64 * max(P, BEAT))
    src = source(dut, rng, 0.0)
    begin = cocotb.utils.get_sim_time("ns")
    await send(src, data)
    await ClockCycles(dut.clk, 2 + BEAT // P)
    assert seen == words(data)
    cycles = (cocotb.utils.get_sim_time("ns") - begin) // 10
    # words out = bytes / P; the beats in = bytes / 16; the slower of the two sets the pace
    assert cycles <= max(len(data) // P, len(data) // BEAT) + 4 + BEAT // P, cycles


@cocotb.test()
async def reset_mid_patch(dut: Any) -> None:
    """A reset while a beat is half sent (P < 16) or a word half gathered (P > 16) drops it: the next patch
    comes out whole and alone."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    await harness.start_clock_and_reset(dut)
    seen: list[int] = []
    cocotb.start_soon(monitor(dut, seen))
    src = source(dut, rng, 0.0)
    # one beat: for P > 16 a partial word, for P < 16 a beat whose words are still going out
    await send(src, rng.randbytes(BEAT))
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)  # words offered before the reset edge were sent; none may follow it
    seen.clear()
    data = rng.randbytes(4 * max(P, BEAT))
    await send(src, data)
    await ClockCycles(dut.clk, 4 + BEAT // P)
    assert seen == words(data)
