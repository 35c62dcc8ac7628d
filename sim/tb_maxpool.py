"""cocotb testbench of hw/rtl/bg_maxpool.sv against Python's max, with random stalls on both handshakes:
windows of 1..9 taps (3x3 max-pool has 9) in both code modes, and rows of overlapping windows as the
address generator walks them (bg_conv_addr_gen): every window after a row's first skips the columns it
shares with the one before and resumes from the carry, whose taps the window before marked keep. The
expected maximum of a window is always taken over all of its taps, so a wrong carry shows."""

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
#: (window width, stride) pairs whose windows overlap by at most the stride: the carry's cases.
OVERLAPS = ((3, 2), (2, 1), (4, 2), (4, 3), (5, 3))


#: One window: signed, its beats (codes of LANES channels, resume, keep, keep_first), its expected
#: maxima, its tag.
Window = tuple[bool, list[tuple[list[int], int, int, int]], list[int], int]


def _codes(rng: random.Random, signed: bool) -> list[int]:
    lo, hi = (-(1 << (CODE_W - 1)), (1 << (CODE_W - 1)) - 1) if signed else (0, (1 << CODE_W) - 1)
    edge = [lo, hi, 0, -1 if signed else 1, lo + 1, hi - 1]
    return [rng.choice(edge) if rng.random() < 0.3 else rng.randint(lo, hi) for _ in range(LANES)]


def _column_max(taps: list[list[int]]) -> list[int]:
    return [max(col) for col in zip(*taps, strict=True)]


def plain_window(rng: random.Random) -> Window:
    signed = rng.random() < 0.5
    taps = [_codes(rng, signed) for _ in range(rng.choice([1, 2, 4, 9, rng.randint(1, 9)]))]
    return signed, [(t, 0, 0, 0) for t in taps], _column_max(taps), rng.getrandbits(TAG_W)


def window_row(rng: random.Random) -> list[Window]:
    """A row of 1..5 windows of win_h x k taps, stride s, over one random grid, walked row by row inside
    each window; the shared columns are walked only by the first window."""
    signed = rng.random() < 0.5
    k, s = rng.choice(OVERLAPS)
    rows, count = rng.randint(1, 3), rng.randint(1, 5)
    grid = [[_codes(rng, signed) for _ in range((count - 1) * s + k)] for _ in range(rows)]
    out = []
    for j in range(count):
        first_col = 0 if j == 0 else k - s
        walked = [(wy, wx) for wy in range(rows) for wx in range(first_col, k)]
        beats = [(grid[wy][j * s + wx], int(j > 0 and n == 0), int(wx >= s), int(wx >= s and wy == 0 and wx == s))
                 for n, (wy, wx) in enumerate(walked)]
        every = [grid[wy][j * s + wx] for wy in range(rows) for wx in range(k)]
        out.append((signed, beats, _column_max(every), rng.getrandbits(TAG_W)))
    return out


def make_windows(rng: random.Random, count: int) -> list[Window]:
    """About ``count`` windows: plain ones and rows of overlapping ones, interleaved."""
    out: list[Window] = []
    while len(out) < count:
        out.extend(window_row(rng) if rng.random() < 0.5 else [plain_window(rng)])
    return out


def beats(windows: list[Window]) -> list[dict[str, int]]:
    return [{"x": harness.pack(tap, CODE_W), "signed": int(signed), "first": int(k == 0),
             "last": int(k == len(taps) - 1), "resume": resume, "keep": keep, "keep_first": kfirst, "tag": tag}
            for signed, taps, _, tag in windows for k, (tap, resume, keep, kfirst) in enumerate(taps)]


async def run(dut, windows: list[Window], rng: random.Random, stalls: bool) -> int:
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready,
                               {"x": dut.in_x, "signed": dut.in_signed, "first": dut.in_first, "last": dut.in_last,
                                "resume": dut.in_resume, "keep": dut.in_keep, "keep_first": dut.in_keep_first,
                                "tag": dut.in_tag}, rng, gap_prob=0.3 if stalls else 0.0)
    sink = harness.StreamSink(dut.clk, dut.out_valid, dut.out_ready, {"y": dut.out_y, "tag": dut.out_tag}, rng,
                              stall_prob=0.5 if stalls else 0.0, max_stall=6)
    start = get_sim_time("ns")
    sender = cocotb.start_soon(src.send(beats(windows)))
    got = await sink.receive(len(windows))
    await sender
    for n, ((signed, _, want, tag), g) in enumerate(zip(windows, got, strict=True)):
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
    total = sum(len(taps) for _, taps, _, _ in windows)
    assert cycles <= total + LATENCY, f"{total} beats took {cycles} cycles"
