"""cocotb testbench of hw/rtl/bg_stem_window.sv alone: a patch written into the banked buffer, windows
requested at random origins and along a stem pass (stride 2, padding on every border), against a
Python model of the window: tap t = ky*STEM_K + kx is pixel (iy0 + ky, ix0 + kx), zero outside the
patch and for t >= STEM_K^2, beat b carries taps b*P .. b*P+P-1.

Before the patch, every word of the buffer is written with random bytes, so a tap that the window
should mask (above, below, left or right of the patch, or the columns between cfg_in_w and the end
of the last word) reads non-zero garbage when it is not masked. Both handshakes stall at random
(gaps on the requests, back-pressure on the beats, whose hold while waiting the sink checks).
"""

from __future__ import annotations

import random
from typing import Any

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotb.utils import get_sim_time

from blurgauge.hw import verilator
from blurgauge.sim import harness

PRM = verilator.params()
P, K, SLOT_BYTES, TAG_W = PRM.get("P", 16), PRM.get("STEM_K", 7), PRM.get("SLOT_BYTES", 65536), PRM.get("TAG_W", 12)
NW = 2 if P >= K - 1 else 4  # word banks
WORDS = SLOT_BYTES // P  # words of the buffer
NTB = -(-K * K // P)  # beats of a window in the program's layout: ceil(K^2 / P)
MAX_NTB = 64 // P


class Patch:
    """A patch of in_h x in_w bytes in a buffer of wpr words per row."""

    def __init__(self, rng: random.Random, in_h: int, wpr: int, in_w: int | None = None) -> None:
        assert wpr % NW == 0 and -(-in_h // 8) * 8 * wpr <= WORDS, (in_h, wpr)
        self.in_h, self.wpr, self.in_w = in_h, wpr, in_w if in_w is not None else wpr * P
        self.rows = [[rng.randrange(1, 256) if rng.random() < 0.9 else 0 for _ in range(wpr * P)] for _ in range(in_h)]

    def pixel(self, y: int, x: int) -> int:
        return self.rows[y][x] if 0 <= y < self.in_h and 0 <= x < self.in_w else 0

    def window(self, iy0: int, ix0: int, ntb: int) -> list[int]:
        """The ntb*P taps of the window at (iy0, ix0)."""
        taps = [self.pixel(iy0 + t // K, ix0 + t % K) if t < K * K else 0 for t in range(ntb * P)]
        return taps

    def beats(self, iy0: int, ix0: int, tag: int, ntb: int) -> list[dict[str, int]]:
        taps = self.window(iy0, ix0, ntb)
        return [
            {
                "act": harness.pack(taps[b * P : (b + 1) * P], 8),
                "tb": b,
                "first": int(b == 0),
                "last": int(b == ntb - 1),
                "tag": tag,
            }
            for b in range(ntb)
        ]


async def write_buffer(dut: Any, patch: Patch, rng: random.Random) -> None:
    """Garbage into every word of the buffer (as rows of wpr words), then the patch, in a random order
    with idle cycles between some writes."""
    rows = WORDS // patch.wpr
    writes = [(y, w, rng.getrandbits(8 * P) | 1) for y in range(rows) for w in range(patch.wpr)]
    real = [
        (y, w, harness.pack(patch.rows[y][w * P : (w + 1) * P], 8)) for y in range(patch.in_h) for w in range(patch.wpr)
    ]
    rng.shuffle(real)
    dut.cfg_wpr.value = patch.wpr
    await FallingEdge(dut.clk)
    for y, w, data in writes + real:
        dut.in_we.value, dut.in_row.value, dut.in_wir.value, dut.in_data.value = 1, y, w, data
        await FallingEdge(dut.clk)
        if rng.random() < 0.1:
            dut.in_we.value = 0
            await FallingEdge(dut.clk)
    dut.in_we.value = 0


def configure(dut: Any, patch: Patch, ntb: int) -> None:
    dut.cfg_in_h.value, dut.cfg_in_w.value, dut.cfg_wpr.value, dut.cfg_ntb.value = (
        patch.in_h,
        patch.in_w,
        patch.wpr,
        ntb,
    )


def stem_origins(patch: Patch, stride: int = 2) -> list[tuple[int, int]]:
    """The window origins of a stem pass: stride 2, padding K//2 on every border."""
    pad = K // 2
    out_h = (patch.in_h + 2 * pad - K) // stride + 1
    out_w = (patch.in_w + 2 * pad - K) // stride + 1
    return [(oy * stride - pad, ox * stride - pad) for oy in range(out_h) for ox in range(out_w)]


def random_origins(rng: random.Random, patch: Patch, count: int) -> list[tuple[int, int]]:
    """Origins over the patch and around it: every border, corners, windows partly and wholly outside."""
    return [(rng.randint(-K - 1, patch.in_h + 1), rng.randint(-K - P, patch.in_w + 1)) for _ in range(count)]


async def run_windows(
    dut: Any, patch: Patch, origins: list[tuple[int, int]], ntb: int, rng: random.Random, stalls: bool
) -> int:
    """Requests at `origins`; compares every beat; returns the cycles from the first request to the last
    beat."""
    configure(dut, patch, ntb)
    tags = [rng.getrandbits(TAG_W) for _ in origins]
    want = [b for (iy0, ix0), tag in zip(origins, tags, strict=True) for b in patch.beats(iy0, ix0, tag, ntb)]
    src = harness.StreamSource(
        dut.clk,
        dut.req_valid,
        dut.req_ready,
        {"iy0": dut.req_iy0, "ix0": dut.req_ix0, "tag": dut.req_tag},
        rng,
        gap_prob=0.3 if stalls else 0.0,
        max_gap=6,
    )
    sink = harness.StreamSink(
        dut.clk,
        dut.out_valid,
        dut.out_ready,
        {"act": dut.out_act, "tb": dut.out_tb, "first": dut.out_first, "last": dut.out_last, "tag": dut.out_tag},
        rng,
        stall_prob=0.3 if stalls else 0.0,
        max_stall=6,
        check_hold=True,
    )
    t0 = get_sim_time("ns")
    sender = cocotb.start_soon(
        src.send(
            {"iy0": iy0 & 0xFFFFFFFF, "ix0": ix0 & 0xFFFFFFFF, "tag": tag}
            for (iy0, ix0), tag in zip(origins, tags, strict=True)
        )
    )
    got = await sink.receive(len(want))
    cycles = round((get_sim_time("ns") - t0) / 10)
    await sender
    for n, (g, w) in enumerate(zip(got, want, strict=True)):
        if g != w:
            iy0, ix0 = origins[n // ntb]
            have = harness.unpack(g["act"], 8, P, signed=False)
            exp = harness.unpack(w["act"], 8, P, signed=False)
            raise AssertionError(
                f"patch {patch.in_h}x{patch.in_w} (wpr {patch.wpr}), window ({iy0}, {ix0}), "
                f"beat {n % ntb}: got {have} {g | {'act': 0}}, want {exp} {w | {'act': 0}}"
            )
    await ClockCycles(dut.clk, 2)
    assert not dut.busy.value and not dut.out_valid.value, "busy after the last beat"
    return cycles


def geometries(rng: random.Random) -> list[tuple[Patch, int]]:
    """(patch, beats per window): the smallest patch (one row of NW words), the tallest and the widest
    that fill the buffer, heights that are not a multiple of the 8 row banks, a width that ends inside a
    word, and the longest window register (64 / P beats)."""
    tallest = WORDS // NW // 8 * 8
    widest = WORDS // 8 // NW * NW
    out = [
        (Patch(rng, 1, NW), NTB),
        (Patch(rng, tallest, NW), NTB),
        (Patch(rng, 8, widest), NTB),
        (Patch(rng, min(13, tallest - 1), NW), NTB),
        (Patch(rng, min(5, tallest), NW, in_w=NW * P - 3), NTB),
        (Patch(rng, min(11, tallest - 2), NW), MAX_NTB),
    ]
    return out


@cocotb.test(timeout_time=20, timeout_unit="us")
async def reset_state(dut: Any) -> None:
    dut.in_we.value = 0
    dut.req_valid.value = 0
    dut.out_ready.value = 0
    await harness.start_clock_and_reset(dut)
    await RisingEdge(dut.clk)
    assert dut.out_valid.value == 0 and dut.busy.value == 0 and dut.req_ready.value == 1


@cocotb.test(timeout_time=40, timeout_unit="ms")
async def windows_with_stalls(dut: Any) -> None:
    """Per geometry: a stem pass's windows (stride 2, pad K//2) and random origins around the patch,
    with stalls on both handshakes."""
    rng = random.Random(cocotb.RANDOM_SEED)
    dut.in_we.value = 0
    await harness.start_clock_and_reset(dut)
    total = 0
    for patch, ntb in geometries(rng):
        await write_buffer(dut, patch, rng)
        origins = stem_origins(patch)[:300] + random_origins(rng, patch, 60)
        await run_windows(dut, patch, origins, ntb, rng, stalls=True)
        total += len(origins)
    dut._log.info("%d windows", total)


#: Cycles from a request to its first beat: the row and word blocks, the banks' addresses, the read,
#: the extraction, the current-window register.
FIRST_BEAT_LATENCY = 5


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def full_rate(dut: Any) -> None:
    """With requests always offered and beats always taken: one beat per cycle, one window per
    max(ntb, 2) cycles."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    dut.in_we.value = 0
    await harness.start_clock_and_reset(dut)
    patch = Patch(rng, min(16, WORDS // NW // 8 * 8), NW)
    await write_buffer(dut, patch, rng)
    for ntb in sorted({1, 2, NTB, MAX_NTB} & set(range(1, MAX_NTB + 1))):
        origins = stem_origins(patch)[:64]
        cycles = await run_windows(dut, patch, origins, ntb, rng, stalls=False)
        bound = len(origins) * max(ntb, 2) + FIRST_BEAT_LATENCY
        assert cycles <= bound, f"{len(origins)} windows of {ntb} beats took {cycles} cycles, bound {bound}"


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def reset_drops_windows(dut: Any) -> None:
    """rst while windows are read and issued: nothing is left in flight, the next window starts at
    beat 0."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    dut.in_we.value = 0
    await harness.start_clock_and_reset(dut)
    patch = Patch(rng, min(8, WORDS // NW // 8 * 8), NW)
    await write_buffer(dut, patch, rng)
    configure(dut, patch, NTB)
    await FallingEdge(dut.clk)
    dut.req_valid.value, dut.req_iy0.value, dut.req_ix0.value, dut.req_tag.value = 1, 0, 0, 0
    dut.out_ready.value = 1
    await ClockCycles(dut.clk, 4)  # the second window loads while the first one's beats issue
    await FallingEdge(dut.clk)
    dut.req_valid.value = 0
    dut.rst.value = 1
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    assert not dut.busy.value and not dut.out_valid.value, "windows left after rst"
    await run_windows(dut, patch, random_origins(rng, patch, 20), NTB, rng, stalls=True)
