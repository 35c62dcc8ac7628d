"""cocotb testbench of hw/rtl/bg_program_header.sv: real core-program images, good and corrupted (wrong
magic, another version, a flipped header byte, programs that do not fit the parameters, and combinations that
check the priority of the errors), each followed by a good image, with random gaps on the input handshake.

The images come from the pytest process (tests/sim/test_rtl_program_header.py builds them with
blurgauge.hw.compiler.cost.structure_program, which needs TensorFlow) in a JSON file named by ``IMAGES_ENV``. The
header layout comes from blurgauge.hw.compiler.program.HEADER, the format's single source (it imports only numpy).
"""

from __future__ import annotations

import json
import os
import random
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from blurgauge.hw import verilator
from blurgauge.hw.compiler import program
from blurgauge.sim import harness

PRM = verilator.params()
LANES, SLOTS, SLOT_BYTES = PRM.get("LANES", 16), PRM.get("SLOTS", 8), PRM.get("SLOT_BYTES", 65536)
IMAGES_ENV = "BG_HEADER_IMAGES"  # path of a JSON object {name: image as hex}
LATENCY = 4  # from the edge that takes the fourth beat to done: bg_crc32's three stages, then the check

# hw/regs/bg_core.rdl, enum bg_error_e
NONE, BAD_MAGIC, BAD_VERSION, HEADER_CRC, NO_FIT = 0, 1, 2, 3, 5

HEADER = struct.Struct("<" + "".join(code for _, code, _ in program.HEADER))
NAMES = [name for name, _, _ in program.HEADER]
# The fields the block outputs, as hdr_<name>.
OUTPUTS = ["version", "network_id", "outputs", "num_classes", "lanes", "layer_count", "layer_bytes", "slot_count",
           "input_frac", "slot_bytes", "structure_id", "class_offset", "layer_offset", "weight_offset",
           "weight_bytes", "total_bytes", "payload_crc", "batch_from"]


def fields(image: bytes) -> dict[str, int | bytes]:
    return dict(zip(NAMES, HEADER.unpack_from(image), strict=True))


def edit(image: bytes, crc: bool = True, **changes: int | bytes) -> bytes:
    """The image with header fields changed and (unless crc is False) the header CRC recomputed, so that
    only the changed fields are wrong."""
    f = fields(image)
    f.update(changes)
    head = bytearray(HEADER.pack(*(f[n] for n in NAMES)))
    if crc:
        head[60:64] = zlib.crc32(head[:60]).to_bytes(4, "little")
    return bytes(head) + image[len(head) :]


def flip(image: bytes, byte: int, bit: int) -> bytes:
    out = bytearray(image)
    out[byte] ^= 1 << bit
    return bytes(out)


def expected_error(image: bytes) -> int:
    """The checks of the block, written from the format (hw/compiler/program.py _header) and the parameters."""
    f = fields(image)
    if f["magic"] != program.MAGIC:
        return BAD_MAGIC
    if f["version"] != program.FORMAT_VERSION:
        return BAD_VERSION
    if zlib.crc32(image[:60]) != f["header_crc"]:
        return HEADER_CRC
    if f["lanes"] != LANES or f["slot_count"] > SLOTS or f["slot_bytes"] > SLOT_BYTES:
        return NO_FIT
    return NONE


def load_images() -> dict[str, bytes]:
    path = os.environ.get(IMAGES_ENV)
    assert path, f"{IMAGES_ENV} names no file of program images"
    images = {name: bytes.fromhex(text) for name, text in json.loads(Path(path).read_text()).items()}
    for name, image in images.items():
        assert expected_error(image) == NONE, f"{name} does not fit LANES={LANES} SLOTS={SLOTS} SLOT_BYTES={SLOT_BYTES}"
    return images


def random_good(rng: random.Random, image: bytes) -> bytes:
    """A header the block accepts whose other fields are random: each output must come from its own bytes."""
    def u(bits: int) -> int:
        return rng.getrandbits(bits)

    return edit(image, header_bytes=u(16), network_id=u(8), outputs=u(8), num_classes=u(8), layer_count=u(16),
                layer_bytes=u(16), width=u(16), input_height=u(16), input_width=u(16),
                slot_count=rng.randint(0, SLOTS), input_frac=u(8), slot_bytes=rng.randint(0, SLOT_BYTES),
                structure_id=u(32), class_offset=u(32), layer_offset=u(32), weight_offset=u(32),
                weight_bytes=u(32), total_bytes=u(32), payload_crc=u(32), batch_from=u(16), reserved=u(16))


def bad_images(rng: random.Random, good: bytes) -> Iterator[tuple[str, bytes, int]]:
    """(what, image, the error code the block must give)."""
    f = fields(good)
    yield "wrong magic", edit(good, magic=b"BGCQ"), BAD_MAGIC
    yield "magic of another byte order", edit(good, magic=b"PCGB"), BAD_MAGIC
    yield "the next version", edit(good, version=program.FORMAT_VERSION + 1), BAD_VERSION
    yield "version 1 (before batch_from)", edit(good, version=1), BAD_VERSION
    yield "version 0x0101", edit(good, version=0x0101), BAD_VERSION
    for byte in [*rng.sample(range(64), 6), 0, 4, 11, 59, 60, 63]:
        bit = rng.randrange(8)
        damaged = flip(good, byte, bit)
        # A flip in the magic or the version is found by those checks first, which have priority.
        yield f"header byte {byte} bit {bit} flipped", damaged, expected_error(damaged)
    yield "lanes one less", edit(good, lanes=LANES - 1), NO_FIT
    yield "lanes one more", edit(good, lanes=(LANES + 1) & 0xFF), NO_FIT
    if SLOTS < 255:  # slot_count is a u8: with SLOTS = 255 every count fits
        yield "one slot too many", edit(good, slot_count=SLOTS + 1), NO_FIT
        yield "255 slots", edit(good, slot_count=255), NO_FIT
    yield "one slot byte too many", edit(good, slot_bytes=SLOT_BYTES + 1), NO_FIT
    yield "slot bytes 0xFFFFFFFF", edit(good, slot_bytes=0xFFFFFFFF), NO_FIT
    # Priority: each pair has the higher-priority error.
    yield "wrong magic and another version", edit(good, magic=b"XXXX", version=program.FORMAT_VERSION + 1), BAD_MAGIC
    yield "another version and a bad CRC", edit(good, crc=False, version=program.FORMAT_VERSION + 1), BAD_VERSION
    yield "bad CRC and no fit", edit(good, crc=False, lanes=LANES ^ 1), HEADER_CRC
    yield "stale CRC of a fitting change", edit(good, crc=False, slot_count=f["slot_count"] ^ 1), HEADER_CRC
    yield "all three misfits", edit(good, lanes=LANES ^ 1, slot_count=min(SLOTS + 1, 255),
                                    slot_bytes=SLOT_BYTES + 1), NO_FIT
    # At the limits the program fits.
    yield "exactly SLOTS and SLOT_BYTES", edit(good, slot_count=SLOTS, slot_bytes=SLOT_BYTES), NONE


def beats(image: bytes, count: int = 4) -> list[dict[str, int]]:
    return [{"data": int.from_bytes(image[16 * n : 16 * n + 16], "little")} for n in range(count)]


async def pulse_start(dut) -> None:
    dut.start.value = 1
    await RisingEdge(dut.clk)
    dut.start.value = 0


async def parse(dut, image: bytes, rng: random.Random, gaps: bool = True) -> int:
    """Start, send the header, wait for done; checks the error code and, when it is 0, every field.
    Returns the cycles from the edge that took the fourth beat to done."""
    await pulse_start(dut)
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, {"data": dut.in_data}, rng,
                               gap_prob=0.4 if gaps else 0.0, max_gap=5)
    await src.send(beats(image))
    assert dut.busy.value == 1
    cycles = 0
    while True:
        await RisingEdge(dut.clk)
        cycles += 1
        if dut.done.value:
            break
        assert cycles < 10, "no done"
    # The signals read here are those of the cycle in which done is high.
    got = dut.error_code.value.to_unsigned()
    want = expected_error(image)
    assert got == want, f"error code {got}, want {want}"
    if want == NONE:
        f = fields(image)
        for name in OUTPUTS:
            value = getattr(dut, f"hdr_{name}").value.to_unsigned()
            assert value == f[name], f"hdr_{name} {value:#x}, the header has {f[name]:#x}"
    await RisingEdge(dut.clk)
    assert dut.done.value == 0 and dut.busy.value == 0, "done is not one pulse"
    assert dut.error_code.value.to_unsigned() == want, "the error code does not hold"
    return cycles


@cocotb.test(timeout_time=20, timeout_unit="us")
async def reset_state(dut) -> None:
    """After reset the block is idle: not ready for beats until a start."""
    dut.start.value = 0
    dut.in_valid.value = 0
    await harness.start_clock_and_reset(dut)
    await RisingEdge(dut.clk)
    assert dut.in_ready.value == 0 and dut.busy.value == 0 and dut.done.value == 0
    assert dut.error_code.value.to_unsigned() == 0


@cocotb.test(timeout_time=200, timeout_unit="us")
async def good_images(dut) -> None:
    """The real images, then headers with random field values (CRC recomputed): every field output comes
    from its own bytes."""
    rng = random.Random(cocotb.RANDOM_SEED)
    images = load_images()
    dut.start.value = 0
    await harness.start_clock_and_reset(dut)
    for name, image in images.items():
        cocotb.log.info("%s: %s", name, {k: v for k, v in fields(image).items() if k in OUTPUTS})
        await parse(dut, image, rng)
    for _ in range(40):
        await parse(dut, random_good(rng, next(iter(images.values()))), rng)


@cocotb.test(timeout_time=500, timeout_unit="us")
async def corrupted_images(dut) -> None:
    """Each corruption gives its error code, in the priority magic, version, header CRC, fit; the good image
    after each bad one parses correctly."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    images = load_images()
    dut.start.value = 0
    await harness.start_clock_and_reset(dut)
    for name, good in images.items():
        cases = list(bad_images(rng, good))
        codes = {code for _, _, code in cases}
        assert codes == {NONE, BAD_MAGIC, BAD_VERSION, HEADER_CRC, NO_FIT}, codes
        for what, bad, code in cases:
            assert expected_error(bad) == code, f"{name}, {what}: the model says {expected_error(bad)}, not {code}"
            cocotb.log.info("%s, %s: error %d", name, what, code)
            await parse(dut, bad, rng)
            await parse(dut, good, rng)


@cocotb.test(timeout_time=50, timeout_unit="us")
async def one_beat_per_cycle_and_nothing_more(dut) -> None:
    """Without gaps the four beats take four cycles and done follows LATENCY cycles later, also while the beat
    after the header waits on the stream (as the class table will); that beat is not taken (in_ready stays
    low until the next start)."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    image = next(iter(load_images().values()))
    dut.start.value = 0
    await harness.start_clock_and_reset(dut)
    await pulse_start(dut)
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, {"data": dut.in_data}, rng, gap_prob=0.0)
    sender = cocotb.start_soon(src.send(beats(image, 6)))
    cycles = 0
    while not dut.done.value:
        await RisingEdge(dut.clk)
        cycles += 1
        assert cycles < 20, "no done"
    assert cycles == 4 + LATENCY, f"four beats and the check took {cycles} cycles"
    assert src.sent == 4 and dut.error_code.value.to_unsigned() == NONE
    assert dut.hdr_total_bytes.value.to_unsigned() == len(image)
    await ClockCycles(dut.clk, 20)
    assert src.sent == 4 and dut.in_ready.value == 0 and dut.error_code.value.to_unsigned() == NONE
    sender.cancel()
    dut.in_valid.value = 0
    assert await parse(dut, image, rng, gaps=False) == LATENCY


@cocotb.test(timeout_time=50, timeout_unit="us")
async def start_abandons_a_header(dut) -> None:
    """A start in the middle of a header (or while it is checked) starts over: the bad beats before it do not
    count. A reset in the middle leaves the block idle."""
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    image = next(iter(load_images().values()))
    junk = edit(image, magic=b"JUNK", version=7)
    dut.start.value = 0
    await harness.start_clock_and_reset(dut)
    for taken in (1, 2, 3, 4):
        await pulse_start(dut)
        src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, {"data": dut.in_data}, rng, gap_prob=0.3)
        await src.send(beats(junk, taken))
        await parse(dut, image, rng)
    await pulse_start(dut)
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, {"data": dut.in_data}, rng, gap_prob=0.0)
    await src.send(beats(junk, 2))
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    assert dut.in_ready.value == 0 and dut.busy.value == 0 and dut.error_code.value.to_unsigned() == 0
    await parse(dut, junk, rng)
    await parse(dut, image, rng)
