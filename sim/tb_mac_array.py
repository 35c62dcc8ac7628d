"""cocotb testbench of hw/rtl/bg_mac_array.sv against a Python model of the program format's
accumulation (docs/core-program.md: acc = sum(x * w) + (bias << bias_shift), 32-bit accumulator),
with the weight tile in the program's layout (output channel major, input channel minor). With
DSP_PRODUCTS < P*P the products from DSP_PRODUCTS up are built in LUTs: every test covers them too, and
`every_lut_product` sends each (activation code, weight) pair through every LUT product."""

from __future__ import annotations

import random
from dataclasses import dataclass

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge
from cocotb.utils import get_sim_time

from blurgauge.hw import verilator
from blurgauge.sim import harness

PRM = verilator.params()
P, ACC_W, TAG_W = PRM["P"], PRM["ACC_W"], PRM["TAG_W"]
DSP_PRODUCTS = PRM.get("DSP_PRODUCTS", 4096)  # the RTL's default: every product in a DSP
# (output, input) of the products built in LUTs: flat index o*P + i from DSP_PRODUCTS up
LUT_SLOTS = [(o, i) for o in range(P) for i in range(P) if o * P + i >= DSP_PRODUCTS]
LATENCY = 4


@dataclass
class Beat:
    act: list[int]  # codes as the lane holds them: -128..127 (signed) or 0..255
    act_signed: bool
    w: np.ndarray  # (P, P) int8, [output, input]
    bias: list[int]
    clear: bool
    last: bool
    tag: int

    def signals(self) -> dict[str, int]:
        return {
            "act": harness.pack(self.act, 8),
            "act_signed": int(self.act_signed),
            "w": harness.pack(self.w.reshape(-1).tolist(), 8),  # row-major (o, i): index o*P + i
            "bias": harness.pack(self.bias, ACC_W),
            "clear": int(self.clear),
            "last": int(self.last),
            "tag": self.tag,
        }


def wrap(x: int) -> int:
    return harness.to_signed(x, ACC_W)


def expected(beats: list[Beat], acc: list[int] | None = None) -> list[tuple[list[int], int]]:
    """(accumulators, tag) for each last beat, computed with numpy int64 dot products."""
    out = []
    acc = list(acc or [0] * P)
    for b in beats:
        sums = b.w.astype(np.int64) @ np.asarray(b.act, np.int64)
        start = b.bias if b.clear else acc
        acc = [wrap(s + int(d)) for s, d in zip(start, sums, strict=True)]
        if b.last:
            out.append((acc, b.tag))
    return out


def codes(rng: random.Random, signed: bool, n: int) -> list[int]:
    lo, hi = (-128, 127) if signed else (0, 255)
    edge = [lo, hi, 0, lo + 1, hi - 1]
    return [rng.choice(edge) if rng.random() < 0.3 else rng.randint(lo, hi) for _ in range(n)]


def make_beats(rng: random.Random, sums: int, big_bias: bool = True) -> list[Beat]:
    """Groups of 1..7 beats, each group one sum: clear on its first beat, last on its last."""
    beats: list[Beat] = []
    for _ in range(sums):
        length = rng.randint(1, 7)
        bias_range = 1 << (ACC_W - 1) if big_bias else 1 << 20
        bias = [rng.randint(-bias_range, bias_range - 1) for _ in range(P)]
        for k in range(length):
            signed = rng.random() < 0.5
            w = np.array(codes(rng, True, P * P), np.int64).reshape(P, P)
            beats.append(Beat(codes(rng, signed, P), signed, w, bias, k == 0, k == length - 1,
                              rng.getrandbits(TAG_W)))
    return beats


def ports(dut) -> dict[str, object]:
    return {"act": dut.in_act, "act_signed": dut.in_act_signed, "w": dut.in_w, "bias": dut.in_bias,
            "clear": dut.in_clear, "last": dut.in_last, "tag": dut.in_tag}


async def run(dut, beats: list[Beat], rng: random.Random, stalls: bool) -> int:
    want = expected(beats)
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, ports(dut), rng,
                               gap_prob=0.3 if stalls else 0.0)
    sink = harness.StreamSink(dut.clk, dut.out_valid, dut.out_ready, {"acc": dut.out_acc, "tag": dut.out_tag}, rng,
                              stall_prob=0.5 if stalls else 0.0, max_stall=8)
    start = get_sim_time("ns")
    sender = cocotb.start_soon(src.send(b.signals() for b in beats))
    got = await sink.receive(len(want))
    await sender
    for n, ((acc, tag), g) in enumerate(zip(want, got, strict=True)):
        have = harness.unpack(g["acc"], ACC_W, P)
        assert have == acc and g["tag"] == tag, f"sum {n}: got {have} tag {g['tag']}, want {acc} tag {tag}"
    return round((get_sim_time("ns") - start) / 10)


@cocotb.test(timeout_time=20, timeout_unit="us")
async def reset_state(dut) -> None:
    await harness.start_clock_and_reset(dut)
    dut.out_ready.value = 0
    await RisingEdge(dut.clk)
    assert dut.out_valid.value == 0 and dut.in_ready.value == 1


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def random_sums_with_stalls(dut) -> None:
    """Random and extreme codes in both activation modes, wrapping biases, stalls on both sides."""
    rng = random.Random(cocotb.RANDOM_SEED)
    await harness.start_clock_and_reset(dut)
    await run(dut, make_beats(rng, 400), rng, stalls=True)


@cocotb.test(timeout_time=200, timeout_unit="us")
async def full_throughput(dut) -> None:
    """One beat per cycle when nothing stalls: a long sum streams at the array's peak rate."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    await harness.start_clock_and_reset(dut)
    beats = make_beats(rng, 30, big_bias=False)
    cycles = await run(dut, beats, rng, stalls=False)
    assert cycles <= len(beats) + LATENCY, f"{len(beats)} beats took {cycles} cycles"


@cocotb.test(timeout_time=200, timeout_unit="us")
async def accumulation_continues_while_result_waits(dut) -> None:
    """With the output blocked, beats of the next sum still enter and accumulate; only its last beat
    waits for the result register."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    await harness.start_clock_and_reset(dut)
    dut.out_ready.value = 0
    first = make_beats(rng, 1)
    second = make_beats(rng, 10)[:6]  # longer than the three pipeline registers before the accumulator
    for k, b in enumerate(second):
        b.clear, b.last = k == 0, k == len(second) - 1
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, ports(dut), rng, gap_prob=0.0)
    sender = cocotb.start_soon(src.send(b.signals() for b in first + second))
    await ClockCycles(dut.clk, len(first) + len(second) + 3 * LATENCY)
    # The whole second sum has been taken while the first result waited, unchanged.
    assert src.sent == len(first) + len(second), src.sent
    want = expected(first + second)
    assert dut.out_valid.value == 1 and harness.unpack(dut.out_acc.value.to_unsigned(), ACC_W, P) == want[0][0]
    sink = harness.StreamSink(dut.clk, dut.out_valid, dut.out_ready, {"acc": dut.out_acc, "tag": dut.out_tag}, rng,
                              stall_prob=0.0)
    got = await sink.receive(2)
    await sender
    assert [harness.unpack(g["acc"], ACC_W, P) for g in got] == [acc for acc, _ in want]


def lut_product_beats(rng: random.Random) -> list[Beat]:
    """Beats that pair every activation code (int8 and uint8) with every int8 weight in the LUT products:
    per code, all lanes hold it and the 256 weights are spread over the LUT slots (DSP slots random);
    each beat is a sum of its own."""
    beats: list[Beat] = []
    weights = list(range(-128, 128))
    for signed, values in ((True, range(-128, 128)), (False, range(128, 256))):  # uint8 0..127 = int8's
        for a in values:
            for start in range(0, len(weights), len(LUT_SLOTS)):
                w = np.array(codes(rng, True, P * P), np.int64).reshape(P, P)
                for k, (o, i) in enumerate(LUT_SLOTS):
                    w[o, i] = weights[(start + k) % len(weights)]
                beats.append(Beat([a] * P, signed, w, [0] * P, True, True, rng.getrandbits(TAG_W)))
    return beats


@cocotb.test(timeout_time=5, timeout_unit="ms", skip=not LUT_SLOTS)
async def every_lut_product(dut) -> None:
    """Each of the 384 activation codes times each of the 256 weights in the LUT products, bit for bit
    (at P = 4 with 11 LUT products: 9,216 beats), with light stalls on both sides."""
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    await harness.start_clock_and_reset(dut)
    beats = lut_product_beats(rng)
    await run(dut, beats, rng, stalls=True)
