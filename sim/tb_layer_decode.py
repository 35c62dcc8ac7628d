"""cocotb testbench of hw/rtl/bg_layer_decode.sv: layer records (the layout of hw/compiler/program.py's
``LAYER``) against a reference written from the record's definition (docs/core-program.md) and the checks
listed in the module's header, with exact integer sizes. Records arrive at random intervals, are changed
beat by beat before they are whole (as bg_core fills them), and stay unchanged only from ``in_valid`` to
``out_valid``, which must come exactly LATENCY cycles later; a reset in between drops the decode."""

from __future__ import annotations

import random
import struct
from typing import Any

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge

from blurgauge.hw import verilator
from blurgauge.hw.compiler import program as prog
from blurgauge.sim import harness

PRM = verilator.params()
P, SLOT_BYTES, WBUF_TILES, STEM_K = PRM["P"], PRM["SLOT_BYTES"], PRM["WBUF_TILES"], PRM["STEM_K"]
SWD = SLOT_BYTES // P  # words of P codes per slot
LATENCY = 3
FIELDS = [name for name, _, _ in prog.LAYER]
SIZES = {name: struct.calcsize("<" + code) for name, code, _ in prog.LAYER}
KNOWN_FLAGS = prog.FLAG_RESIDUAL | prog.FLAG_TAPS_ON_LANES | prog.FLAG_ROUND | prog.FLAG_SATURATE


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def pack(f: dict[str, int]) -> int:
    return int.from_bytes(prog._LAYER_STRUCT.pack(*(f[n] for n in FIELDS)), "little")


def reference(f: dict[str, int], is_last: bool, slot_count: int) -> dict[str, int]:
    """What the decoder must give for record fields ``f``."""
    op, flags, src, dst, res = f["op"], f["flags"], f["src"], f["dst"], f["res"]
    kernel, stride = f["kernel"], f["stride"]
    in_h, in_w, in_c = f["in_height"], f["in_width"], f["in_channels"]
    out_h, out_w, out_c = f["out_height"], f["out_width"], f["out_channels"]
    res_en, taps = bool(flags & prog.FLAG_RESIDUAL), bool(flags & prog.FLAG_TAPS_ON_LANES)
    mac = op in (prog.OP_CONV, prog.OP_DENSE)
    gap = op == prog.OP_GAP
    cbin, cob, ntb = ceil_div(in_c, P), ceil_div(out_c, P), ceil_div(kernel * kernel, P)
    tiles = ntb if taps else kernel * kernel * cbin
    out_words, in_words = out_h * out_w * cob, in_h * in_w * cbin
    inner_fmt_bad = (f["out_format"] & prog.FORMAT_WIDTH_MASK) != 8 or (
        res_en and (f["post_format"] & prog.FORMAT_WIDTH_MASK) != 8)
    bad = any([
        op not in prog.OP_NAMES,
        (flags & ~KNOWN_FLAGS & 0xFF) != 0,
        src >= slot_count, dst >= slot_count, dst == prog.INPUT_SLOT, dst == src,
        res_en and (op != prog.OP_CONV or res >= slot_count or res in (src, dst, prog.INPUT_SLOT)),
        taps != (src == prog.INPUT_SLOT),
        taps and (op != prog.OP_CONV or in_c != 1 or kernel != STEM_K),
        not gap and (kernel == 0 or stride == 0),
        0 in (in_h, in_w, in_c, out_h, out_w, out_c),
        not is_last and inner_fmt_bad,
        is_last and (out_h != 1 or out_w != 1 or op == prog.OP_MAXPOOL),
        op in (prog.OP_MAXPOOL, prog.OP_GAP) and in_c != out_c,
        gap and (out_h != 1 or out_w != 1),
    ])
    no_fit = (mac and tiles > WBUF_TILES) or out_words > SWD or (not taps and in_words > SWD)
    half_fit = not taps and 2 * out_words <= SWD and 2 * in_words <= SWD
    return {
        "bad_layer": int(bad), "no_fit": int(no_fit), "half_fit": int(half_fit), "op": op, "src": src, "dst": dst,
        "out_frac": f["out_frac"], "mac": int(mac), "w_off": f["weight_offset"], "b_off": f["bias_offset"],
        "tiles": tiles,
        "cfg_mode": 2 if op == prog.OP_MAXPOOL else 3 if gap else 1 if taps else 0,
        "cfg_res": res, "cfg_res_en": int(res_en), "cfg_stride": 1 if gap else stride,
        "cfg_pad_top": 0 if gap else f["pad_top"], "cfg_pad_left": 0 if gap else f["pad_left"],
        "cfg_in_h": in_h, "cfg_in_w": in_w, "cfg_cbin": cbin, "cfg_out_h": out_h, "cfg_out_w": out_w,
        "cfg_cob": cob, "cfg_win_h": in_h if gap else kernel, "cfg_win_w": in_w if gap else kernel,
        "cfg_nib": cbin if mac else 1, "cfg_ntb": ntb, "cfg_bias_shift": f["bias_shift"],
        "cfg_shift": f["out_shift"], "cfg_out_fmt": f["out_format"], "cfg_post_fmt": f["post_format"],
        "cfg_round": int(bool(flags & prog.FLAG_ROUND)), "cfg_sat": int(bool(flags & prog.FLAG_SATURATE)),
        # only meaningful for a layer that fits (fewer than 2^24 words): the low 32 bits
        "cfg_out_words": out_words & 0xFFFF_FFFF,
    }


def legal_layer(rng: random.Random) -> dict[str, int]:
    """A layer the core can run: a stem, a 3x3 or 1x1 conv (with or without a residual), a pool, a GAP or
    a dense layer, at sizes around the limits of a slot and of the weight buffer."""
    kind = rng.choice(["stem", "conv", "conv", "res", "maxpool", "gap", "dense"])
    f = dict.fromkeys(FIELDS, 0)
    f.update(flags=prog.FLAG_ROUND | prog.FLAG_SATURATE, src=1, dst=2, res=255, kernel=3, stride=1,
             out_frac=rng.randrange(256), pad_top=1, pad_bottom=1, pad_left=1, pad_right=1,
             bias_shift=rng.randrange(16), out_shift=rng.randrange(32), out_format=0x88, post_format=0,
             weight_offset=rng.getrandbits(32), bias_offset=rng.getrandbits(32))
    side = rng.choice([1, 2, 4, 8, 16, 32, 64, 128])
    ch = rng.choice([1, 3, P - 1, P, P + 1, 2 * P, 64, 256, 512])
    f.update(op=prog.OP_CONV, in_height=side, in_width=side, in_channels=ch, out_height=side, out_width=side,
             out_channels=rng.choice([P, 2 * P, 64, 128, 3]))
    if kind == "stem":
        f.update(flags=f["flags"] | prog.FLAG_TAPS_ON_LANES, src=prog.INPUT_SLOT, kernel=STEM_K, in_channels=1,
                 stride=2, pad_top=3, pad_left=3)
    elif kind == "res":
        f.update(flags=f["flags"] | prog.FLAG_RESIDUAL, res=3, post_format=rng.choice([0x88, 0x08]))
    elif kind == "maxpool":
        f.update(op=prog.OP_MAXPOOL, kernel=rng.choice([2, 3]), stride=2, out_channels=ch, pad_top=0)
    elif kind == "gap":
        f.update(op=prog.OP_GAP, kernel=0, stride=0, out_height=1, out_width=1, out_channels=ch)
    elif kind == "dense":
        f.update(op=prog.OP_DENSE, kernel=1, in_height=1, in_width=1, out_height=1, out_width=1,
                 out_channels=rng.randint(1, 8), out_format=rng.choice([0x88, 0xA0]))
    return f


def random_record(rng: random.Random) -> tuple[dict[str, int], bool, int]:
    """A legal layer, often with one or two fields changed to an edge or a random value, with a random
    last-layer bit and slot count."""
    f = legal_layer(rng)
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        name = rng.choice(FIELDS)
        if name == "reserved":
            continue
        size = SIZES[name]
        f[name] = rng.choice([0, 1, 2, 3, 255, 256 if size > 1 else 7, rng.getrandbits(8 * size)]) % (1 << 8 * size)
    return f, rng.random() < 0.3, rng.choice([2, 3, 4, 4, 4, 8, 255])


def fit_edges() -> list[tuple[str, dict[str, int]]]:
    """Records one word or tile on either side of each limit, and sizes that wrap 32 bits."""
    out = []
    for extra in (0, 1):
        f = dict.fromkeys(FIELDS, 0)
        f.update(op=prog.OP_CONV, flags=prog.FLAG_SATURATE, src=1, dst=2, kernel=1, stride=1, out_format=8,
                 in_height=1, in_width=1, in_channels=P, out_height=1, out_width=SWD + extra, out_channels=P)
        out.append((f"output of {SWD + extra} words", f))
        g = dict(f, out_width=1, in_width=SWD + extra)
        out.append((f"input of {SWD + extra} words", g))
        # tiles of one block = kernel^2 * cbin: WBUF_TILES (+ one block of input channels more)
        h = dict(f, out_width=1, kernel=1, in_channels=P * (WBUF_TILES + extra))
        out.append((f"{WBUF_TILES + extra} tiles", h))
        # half a slot (a batched layer's limit, half_fit) and one word more, on either side
        out.append((f"output of {SWD // 2 + extra} words", dict(f, out_width=SWD // 2 + extra)))
        out.append((f"input of {SWD // 2 + extra} words", dict(f, out_width=1, in_width=SWD // 2 + extra)))
    # 32768 x 32768 pixels of 4 blocks are 2^32 words: a 32-bit product would wrap to 0 and fit
    for side, channels in ((32768, 4 * P), (65535, 65535)):
        f = dict.fromkeys(FIELDS, 0)
        f.update(op=prog.OP_CONV, flags=prog.FLAG_SATURATE, src=1, dst=2, kernel=1, stride=1, out_format=8,
                 in_height=1, in_width=1, in_channels=P, out_height=side, out_width=side, out_channels=channels)
        out.append((f"output {side} x {side} x {channels}", f))
        out.append((f"input {side} x {side} x {channels}",
                    dict(f, out_height=1, out_width=1, out_channels=P, in_height=side, in_width=side,
                         in_channels=channels)))
    return out


class TB:
    def __init__(self, dut: Any) -> None:
        self.dut = dut
        self.outputs = {name: getattr(dut, name) for name in reference(legal_layer(random.Random(0)), False, 4)}
        dut.in_valid.value = 0
        dut.rec.value = 0
        dut.is_last.value = 0
        dut.slot_count.value = 0

    async def decode(self, rng: random.Random, name: str, f: dict[str, int], is_last: bool, slot_count: int,
                     idle: int = 0) -> None:
        """The record arrives beat by beat after ``idle`` cycles, in_valid pulses, and out_valid must come
        LATENCY cycles later with the reference's outputs."""
        d = self.dut
        word = pack(f)
        for _ in range(idle):
            await FallingEdge(d.clk)
            d.rec.value = rng.getrandbits(8 * prog.LAYER_BYTES)   # the previous or a half-filled record
            d.is_last.value, d.slot_count.value = rng.getrandbits(1), rng.getrandbits(8)
        for beat in range(prog.LAYER_BYTES // 16):   # bg_core fills the record one 16-byte beat a cycle
            await FallingEdge(d.clk)
            mask = (1 << (128 * (beat + 1))) - 1
            d.rec.value = (word & mask) | (int(d.rec.value) & ~mask)
        d.is_last.value, d.slot_count.value = int(is_last), slot_count
        await FallingEdge(d.clk)
        d.in_valid.value = 1
        assert d.out_valid.value == 0, f"{name}: out_valid before its record"
        for cycle in range(1, LATENCY + 1):
            await FallingEdge(d.clk)
            d.in_valid.value = 0
            if cycle < LATENCY:
                assert d.out_valid.value == 0, f"{name}: out_valid {cycle} cycles after in_valid"
        assert d.out_valid.value == 1, f"{name}: no out_valid {LATENCY} cycles after in_valid"
        want = reference(f, is_last, slot_count)
        got = {k: int(h.value) for k, h in self.outputs.items()}
        diff = {k: (got[k], v) for k, v in want.items() if got[k] != v}
        assert not diff, f"{name} (is_last {is_last}, slot_count {slot_count}): (got, want) {diff}; fields {f}"
        await FallingEdge(d.clk)
        assert d.out_valid.value == 0, f"{name}: out_valid longer than one cycle"


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def random_records(dut: Any) -> None:
    """Legal layers and layers with fields changed at random, at random intervals."""
    rng = random.Random(cocotb.RANDOM_SEED)
    tb = TB(dut)
    await harness.start_clock_and_reset(dut)
    flagged = {"bad_layer": 0, "no_fit": 0, "legal": 0}
    for n in range(1500):
        f, is_last, slot_count = random_record(rng)
        await tb.decode(rng, f"record {n}", f, is_last, slot_count, idle=rng.choice([0, 0, 1, 5]))
        want = reference(f, is_last, slot_count)
        flagged["bad_layer" if want["bad_layer"] else "no_fit" if want["no_fit"] else "legal"] += 1
    dut._log.info("records: %s", flagged)
    assert min(flagged.values()) >= 100, flagged   # every outcome well covered


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def the_limits_of_a_slot_and_the_weight_buffer(dut: Any) -> None:
    """One word or tile on either side of each limit; sizes of 2^32 words and more do not wrap into a fit."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    tb = TB(dut)
    await harness.start_clock_and_reset(dut)
    for name, f in fit_edges():
        await tb.decode(rng, name, f, False, 4)


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def reset_drops_a_decode(dut: Any) -> None:
    """A reset between in_valid and out_valid: no out_valid; the next record decodes."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    tb = TB(dut)
    await harness.start_clock_and_reset(dut)
    for at in range(1, LATENCY + 1):
        f, _, _ = random_record(rng)
        dut.rec.value = pack(f)
        await FallingEdge(dut.clk)
        dut.in_valid.value = 1
        await FallingEdge(dut.clk)
        dut.in_valid.value = 0
        for _ in range(at - 1):
            await FallingEdge(dut.clk)
        dut.rst.value = 1
        await FallingEdge(dut.clk)
        dut.rst.value = 0
        for _ in range(LATENCY + 1):
            await RisingEdge(dut.clk)
            assert dut.out_valid.value == 0, f"out_valid after a reset {at} cycles into the decode"
        f, is_last, slot_count = random_record(rng)
        await tb.decode(rng, f"record after a reset at cycle {at}", f, is_last, slot_count)
