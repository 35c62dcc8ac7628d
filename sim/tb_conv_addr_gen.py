"""cocotb testbench of hw/rtl/bg_conv_addr_gen.sv alone: passes of every mode (conv/dense, stem window
origins, max-pool, global average pool) against a Python model of the walk, with random back-pressure on
the output handshake and random gaps between passes.

The model is written from the walk's definition (docs/core-rtl.md), nested loops over the output pixels
and the window: per beat the source word (iy*in_w + ix)*cbin + block, padding (tap outside the input),
the weight tile (wy*win_w + wx)*nib + ib, first and last beat of the pixel and the tag (oy*out_w +
ox)*cob + ob, each taken modulo its port's width; a padding beat's address is not compared. In stem mode
one transfer per pixel carries the window origin. A max-pool whose windows overlap along the row by at
most the stride walks, in every window after a row's first, only the columns it does not share with the
window before (flagged `resume` on its first beat), flags the taps of the columns the next window shares
(`keep`, `keep_first` on the first of them), and counts its beats as the tile. The sink checks that a
beat offered while out_ready is low stays unchanged until it is taken; a monitor checks `busy` (high
from the cycle after start until the pass's last transfer, what bg_core_engine's pass_busy relies on)
and that the first transfer is offered LATENCY cycles after start. Single-cycle stalls at random fill
and empty the output stage's skid entry on every pattern.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotb.utils import get_sim_time

from blurgauge.hw import verilator
from blurgauge.sim import harness

PRM = verilator.params()
ADDR_W, TILE_W, TAG_W = PRM.get("ADDR_W", 12), PRM.get("TILE_W", 7), PRM.get("TAG_W", 12)
CONV, STEM, POOL, GAP = 0, 1, 2, 3
LATENCY = 4  # out_valid rises in the fourth cycle after the start cycle (three cycles of per-pass set-up)


@dataclass(frozen=True)
class Pass:
    mode: int
    in_h: int
    in_w: int
    cbin: int
    out_h: int
    out_w: int
    cob: int
    win_h: int
    win_w: int
    nib: int
    stride: int = 1
    pad_top: int = 0
    pad_left: int = 0
    ob: int = 0

    def signals(self) -> dict[str, int]:
        names = (
            "mode",
            "stride",
            "pad_top",
            "pad_left",
            "in_h",
            "in_w",
            "cbin",
            "out_h",
            "out_w",
            "cob",
            "win_h",
            "win_w",
            "nib",
        )
        return {f"cfg_{n}": getattr(self, n) for n in names}


def conv(
    in_hw: tuple[int, int], cbin: int, k: int, stride: int, pad: tuple[int, int], cob: int = 1, ob: int = 0
) -> Pass:
    """A conv pass with the output size of the program format: (in + pad_before + pad_after - k) / s + 1
    with the padding after as large as the padding before (the walk clips whatever lies outside)."""
    out = [(n + 2 * p - k) // stride + 1 for n, p in zip(in_hw, pad, strict=True)]
    return Pass(CONV, *in_hw, cbin, *out, cob, k, k, cbin, stride, *pad, ob)


def pool(in_hw: tuple[int, int], cb: int, k: int, stride: int, pad: tuple[int, int], ob: int) -> Pass:
    out = [(n + 2 * p - k) // stride + 1 for n, p in zip(in_hw, pad, strict=True)]
    return Pass(POOL, *in_hw, cb, *out, cb, k, k, 1, stride, *pad, ob)


def gap(in_hw: tuple[int, int], cb: int, ob: int) -> Pass:
    return Pass(GAP, *in_hw, cb, 1, 1, cb, *in_hw, 1, 1, 0, 0, ob)


def stem(in_hw: tuple[int, int], k: int, stride: int, pad: tuple[int, int]) -> Pass:
    out = [(n + 2 * p - k) // stride + 1 for n, p in zip(in_hw, pad, strict=True)]
    return Pass(STEM, *in_hw, 1, *out, 1, k, k, 1, stride, *pad, 0)


def pool_reuse(p: Pass) -> bool:
    """Pool windows that overlap the window before by at most the stride skip the shared columns."""
    return p.mode == POOL and p.stride < p.win_w <= 2 * p.stride


def walk(p: Pass) -> list[tuple]:
    """The transfers of a pass, in order: (addr or None for padding, zero, tile, first, last, resume, keep,
    keep_first, tag) per beat, or ("origin", iy0, ix0, tag) per output pixel in stem mode."""
    out: list[tuple] = []
    reuse = pool_reuse(p)
    for oy in range(p.out_h):
        for ox in range(p.out_w):
            iy0, ix0 = oy * p.stride - p.pad_top, ox * p.stride - p.pad_left
            tag = ((oy * p.out_w + ox) * p.cob + p.ob) % (1 << TAG_W)
            if p.mode == STEM:
                out.append(("origin", iy0, ix0, tag))
                continue
            skip = reuse and ox > 0
            first_col = p.win_w - p.stride if skip else 0
            taps = [(wy, wx, ib) for wy in range(p.win_h) for wx in range(first_col, p.win_w)
                    for ib in range(p.nib)]
            for n, (wy, wx, ib) in enumerate(taps):
                iy, ix = iy0 + wy, ix0 + wx
                inside = 0 <= iy < p.in_h and 0 <= ix < p.in_w
                block = p.ob if p.mode in (POOL, GAP) else ib
                addr = ((iy * p.in_w + ix) * p.cbin + block) % (1 << ADDR_W) if inside else None
                tile = (n if p.mode == POOL else (wy * p.win_w + wx) * p.nib + ib) % (1 << TILE_W)
                keep = int(reuse and wx >= p.stride)
                flags = (int(skip and n == 0), keep, int(keep and wy == 0 and wx == p.stride))
                out.append((addr, int(not inside), tile, int(n == 0), int(n == len(taps) - 1), *flags, tag))
    return out


def ports(dut: Any) -> dict[str, Any]:
    return {
        "addr": dut.out_addr,
        "zero": dut.out_zero,
        "tile": dut.out_tile,
        "first": dut.out_first,
        "last": dut.out_last,
        "resume": dut.out_resume,
        "keep": dut.out_keep,
        "keep_first": dut.out_keep_first,
        "tag": dut.out_tag,
        "iy0": dut.out_iy0,
        "ix0": dut.out_ix0,
    }


def as_transfer(p: Pass, g: dict[str, int]) -> tuple:
    if p.mode == STEM:
        return ("origin", harness.to_signed(g["iy0"], 32), harness.to_signed(g["ix0"], 32), g["tag"])
    addr = None if g["zero"] else g["addr"]
    return (addr, g["zero"], g["tile"], g["first"], g["last"], g["resume"], g["keep"], g["keep_first"], g["tag"])


async def start(dut: Any, p: Pass) -> None:
    await FallingEdge(dut.clk)
    for name, value in p.signals().items():
        getattr(dut, name).value = value
    dut.start_ob.value = p.ob
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0


async def watch_busy(dut: Any, p: Pass, transfers: int) -> None:
    """From the first edge after start: busy high at every edge until the pass's last transfer, out_valid
    low before the LATENCY-th edge and high at it (the sink may stall at random, so later edges are not
    checked for out_valid)."""
    seen, edge = 0, 0
    while seen < transfers:
        await RisingEdge(dut.clk)
        edge += 1
        assert dut.busy.value, f"{p}: busy low at edge {edge} after start, {seen} of {transfers} transfers done"
        if edge < LATENCY:
            assert not dut.out_valid.value, f"{p}: out_valid at edge {edge} after start, before the products"
        elif edge == LATENCY:
            assert dut.out_valid.value, f"{p}: no transfer offered {LATENCY} cycles after start"
        seen += int(dut.out_valid.value and dut.out_ready.value)


async def run_pass(dut: Any, p: Pass, rng: random.Random, stall_prob: float, max_stall: int = 5) -> int:
    """One pass with back-pressure; compares every transfer; returns the cycles from start to the end."""
    want = walk(p)
    sink = harness.StreamSink(
        dut.clk,
        dut.out_valid,
        dut.out_ready,
        ports(dut),
        rng,
        stall_prob=stall_prob,
        max_stall=max_stall,
        check_hold=True,
    )
    t0 = get_sim_time("ns")
    await start(dut, p)
    monitor = cocotb.start_soon(watch_busy(dut, p, len(want)))
    got = await sink.receive(len(want))
    cycles = round((get_sim_time("ns") - t0) / 10)
    await monitor
    for n, (g, w) in enumerate(zip(got, want, strict=True)):
        have = as_transfer(p, g)
        assert have == w, f"{p}: transfer {n} of {len(want)}: got {have}, want {w}"
    await RisingEdge(dut.clk)
    assert not dut.out_valid.value, f"{p}: out_valid after the last of {len(want)} transfers"
    assert not dut.busy.value, f"{p}: busy after the last of {len(want)} transfers"
    return cycles


def edge_cases() -> list[Pass]:
    """Kernels 1, 3, 7; strides 1, 2; padding on every border, windows wholly in the padding; the
    smallest shapes; every mode."""
    return [
        conv((1, 1), 1, 1, 1, (0, 0)),  # the smallest pass: one beat
        conv((1, 1), 3, 3, 1, (1, 1), cob=2, ob=1),  # one pixel, 8 of 9 taps padding
        conv((5, 6), 2, 3, 1, (1, 1), cob=3, ob=2),  # "same" 3x3: every border padded
        conv((6, 7), 1, 3, 2, (1, 1), cob=2, ob=1),  # stride 2, odd and even sizes
        conv((7, 5), 2, 3, 2, (0, 0)),  # stride 2, no padding
        conv((4, 4), 2, 1, 2, (0, 0), cob=2, ob=1),  # 1x1 downsampling (the residual branch)
        conv((3, 2), 1, 1, 1, (2, 1)),  # windows wholly in the padding
        conv((9, 8), 1, 7, 2, (3, 3)),  # 7x7, stride 2, pad 3 (the stem's shape)
        conv((2, 3), 1, 7, 1, (3, 3)),  # 7x7 window larger than the input
        Pass(CONV, 1, 1, 4, 1, 1, 3, 1, 1, 4, ob=2),  # dense: 1x1 conv on a 1x1 map
        pool((6, 6), 3, 3, 2, (1, 1), ob=2),  # max-pool 3x3/2 pad 1, block 2 of 3
        pool((1, 1), 1, 3, 2, (1, 1), ob=0),
        pool((7, 9), 2, 3, 2, (0, 0), ob=1),  # 3x3/2 without padding: every window after the first skips
        pool((6, 9), 1, 4, 2, (1, 2), ob=0),  # 4x4/2: the shared columns are half the window
        pool((7, 10), 2, 5, 3, (2, 2), ob=1),  # 5x5/3: two shared columns
        pool((5, 8), 1, 2, 1, (0, 0), ob=0),  # 2x2/1
        pool((5, 8), 1, 3, 1, (1, 1), ob=0),  # 3x3/1: overlap 2 > stride: no skipping
        pool((6, 2), 1, 3, 2, (1, 1), ob=0),  # one window per row: nothing to skip
        gap((4, 4), 2, ob=1),  # global average pool: one pixel, the map
        gap((1, 1), 1, ob=0),
        stem((16, 16), 7, 2, (3, 3)),  # stem: window origins
        stem((5, 3), 3, 1, (1, 1)),
        stem((1, 1), 1, 1, (0, 0)),
    ]


def random_pass(rng: random.Random) -> Pass:
    mode = rng.choice([CONV, CONV, STEM, POOL, GAP])
    hw = (rng.randint(1, 9), rng.randint(1, 9))
    if mode == GAP:
        return gap(hw, rng.randint(1, 3), rng.randint(0, 2))
    k = rng.choice([1, 3, 3, 7])
    stride = rng.choice([1, 2])
    pad = (rng.randint(0, k // 2 + 1), rng.randint(0, k // 2 + 1))
    if any((n + 2 * q - k) // stride + 1 < 1 for n, q in zip(hw, pad, strict=True)):
        hw = (k, k)
    if mode == STEM:
        return stem(hw, k, stride, pad)
    cb = rng.randint(1, 3)
    if mode == POOL:
        if rng.random() < 0.5:  # the overlapping shapes, whose windows skip shared columns
            k, stride = rng.choice([(3, 2), (2, 1), (4, 2), (5, 3)])
            pad = (rng.randint(0, k // 2), rng.randint(0, k // 2))
            hw = (max(hw[0], k), max(hw[1], k))
        return pool(hw, cb, k, stride, pad, rng.randrange(cb))
    cob = rng.randint(1, 3)
    return conv(hw, cb, k, stride, pad, cob, rng.randrange(cob))


@cocotb.test(timeout_time=20, timeout_unit="us")
async def reset_state(dut: Any) -> None:
    dut.start.value = 0
    dut.out_ready.value = 0
    await harness.start_clock_and_reset(dut)
    await RisingEdge(dut.clk)
    assert dut.out_valid.value == 0


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def edge_cases_with_stalls(dut: Any) -> None:
    """The hand-picked passes, then 40 random ones, with back-pressure and gaps between passes."""
    rng = random.Random(cocotb.RANDOM_SEED)
    dut.start.value = 0
    await harness.start_clock_and_reset(dut)
    passes = edge_cases() + [random_pass(rng) for _ in range(40)]
    for n, p in enumerate(passes):
        await ClockCycles(dut.clk, rng.choice([0, 0, 1, 3]) + 1)
        # every other pass with stalls of one cycle: the skid entry fills and empties at random
        await run_pass(dut, p, rng, stall_prob=0.4 if n % 2 else 0.5, max_stall=5 if n % 2 else 1)
    dut._log.info("%d passes, %d transfers", len(passes), sum(len(walk(p)) for p in passes))


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def largest_shapes(dut: Any) -> None:
    """Counts at their 16-bit limits where they do not multiply the beats (input size, channel blocks,
    stride and padding, output block), and a 1x1 conv over exactly 2**ADDR_W source words (every address,
    the last one included), all against the model's wrap-around at the port widths."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    dut.start.value = 0
    await harness.start_clock_and_reset(dut)
    big = 0xFFFF
    passes = [
        Pass(POOL, big, big, big, 2, 2, big, 2, 2, 1, 255, 255, 255, big - 1),
        Pass(CONV, big, big, 1, 2, 3, big, 1, 2, 1, 255, 0, 0, big - 1),
        Pass(GAP, 1, 300, big, 1, 1, big, 1, 300, 1, 1, 0, 0, big - 1),
        Pass(STEM, big, big, 1, 3, 3, big, 7, 7, 1, 255, 255, 255, 0),
        Pass(CONV, 1, 1, 2, 1, 1, 1, 1, 1, min(1 << TILE_W, 300), 1, 0, 0, 0),  # every tile index
    ]
    words = 1 << ADDR_W
    side = 1 << (ADDR_W // 2)
    passes.append(conv((side, words // side), 1, 1, 1, (0, 0), cob=1))
    for p in passes:
        await run_pass(dut, p, rng, stall_prob=0.2)
    seen = {t[0] for t in walk(passes[-1])}
    assert seen == set(range(words)), "the last pass does not cover the address space"


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def full_rate(dut: Any) -> None:
    """With out_ready high, one transfer per cycle from the first (LATENCY cycles after start), passes back
    to back; also the one-beat pixels of a 1x1 window and a one-column map, where every transfer steps an
    output pixel or row."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    dut.start.value = 0
    await harness.start_clock_and_reset(dut)
    passes = (
        conv((6, 6), 2, 3, 1, (1, 1)),
        pool((8, 8), 1, 3, 2, (1, 1), 0),
        stem((8, 8), 7, 2, (3, 3)),
        conv((5, 1), 1, 1, 1, (0, 0), cob=2, ob=1),
        conv((6, 3), 1, 1, 2, (1, 1)),
    )
    for p in passes:
        cycles = await run_pass(dut, p, rng, stall_prob=0.0)
        n = len(walk(p))
        # start's own cycle, LATENCY - 1 cycles without a transfer, then one per cycle
        assert cycles == n + LATENCY, f"{p}: {n} transfers took {cycles} cycles, want {n + LATENCY}"


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def reset_ends_a_pass(dut: Any) -> None:
    """rst in the middle of a pass drops the rest; the next pass starts clean at its first beat."""
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    dut.start.value = 0
    await harness.start_clock_and_reset(dut)
    p = conv((5, 5), 2, 3, 1, (1, 1), cob=2, ob=1)
    await start(dut, p)
    dut.out_ready.value = 1
    await ClockCycles(dut.clk, 17)
    await FallingEdge(dut.clk)
    assert dut.out_valid.value, "the pass ended before the reset"
    dut.rst.value = 1
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    assert not dut.out_valid.value, "out_valid after rst"
    assert not dut.busy.value, "busy after rst"
    await run_pass(dut, replace(p, ob=0), rng, stall_prob=0.3)


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def start_abandons_a_pass(dut: Any) -> None:
    """A start in the middle of a pass, with beats in the output register and the skid entry, drops
    them: the next transfers are the new pass's, from its first."""
    rng = random.Random(cocotb.RANDOM_SEED + 4)
    dut.start.value = 0
    await harness.start_clock_and_reset(dut)
    await start(dut, conv((5, 5), 2, 3, 1, (1, 1), cob=2, ob=1))
    dut.out_ready.value = 1
    await ClockCycles(dut.clk, 9)
    await FallingEdge(dut.clk)
    dut.out_ready.value = 0  # the output register and the skid entry fill
    await ClockCycles(dut.clk, 3)
    assert dut.out_valid.value, "the first pass ended early"
    await run_pass(dut, pool((6, 6), 3, 3, 2, (1, 1), ob=2), rng, stall_prob=0.3)
