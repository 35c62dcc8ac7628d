"""cocotb testbench of hw/rtl/bg_crc32.sv against Python's zlib.crc32: random messages of 1..300 bytes cut
into beats of random sizes, and core-program images (their whole image, header and payload CRCs), with
random stalls on both handshakes.

The program images come from the pytest process (tests/sim/test_rtl_crc32.py) in a JSON file named by
``IMAGES_ENV``, so that the simulator process does not build programs itself.
"""

from __future__ import annotations

import json
import os
import random
import zlib
from collections.abc import Iterator
from pathlib import Path

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cocotb.utils import get_sim_time

from blurgauge.hw import verilator
from blurgauge.sim import harness

PRM = verilator.params()
BYTES = PRM.get("BYTES", 16)
CW = BYTES.bit_length()  # width of in_bytes, $clog2(BYTES + 1)
LATENCY = 3  # from the edge that takes a last beat to out_valid: stages a, z and s
IMAGES_ENV = "BG_CRC_IMAGES"  # path of a JSON object {name: image as hex}
HEADER_BYTES = 64  # blurgauge.hw.compiler.program.HEADER_BYTES; the header CRC covers bytes 0..59


# A message is a list of beats; a beat is (bytes of the message in it, start, last). The counts that mean
# "full beat" besides BYTES itself (0 and values above BYTES) are drawn sometimes, to check that rule.
Beat = tuple[bytes, int, int]


def cut(rng: random.Random, message: bytes, start: bool = True, full_beats: bool = False) -> list[Beat]:
    """Cut a message into beats of random sizes (or as many full beats as fit, the last one partial)."""
    beats: list[Beat] = []
    pos = 0
    while pos < len(message):
        size = BYTES if full_beats or rng.random() < 0.5 else rng.randint(1, BYTES)
        chunk = message[pos : pos + size]
        pos += len(chunk)
        beats.append((chunk, int(start and not beats), int(pos == len(message))))
    return beats


def signals(rng: random.Random, beat: Beat) -> dict[str, int]:
    """Port values of a beat: random bytes above the count (the block must ignore them)."""
    chunk, start, last = beat
    data = chunk + rng.randbytes(BYTES - len(chunk))
    count = len(chunk)
    if count == BYTES and rng.random() < 0.3:
        count = rng.choice([0, *range(BYTES + 1, 1 << CW)])
    return {"data": int.from_bytes(data, "little"), "bytes": count, "start": start, "last": last}


def ports(dut) -> dict[str, object]:
    return {"data": dut.in_data, "bytes": dut.in_bytes, "start": dut.in_start, "last": dut.in_last}


async def run(dut, beats: list[Beat], want: list[int], rng: random.Random, stalls: bool) -> int:
    """Send the beats, check the CRCs that come out; returns the cycles from the first beat to the last result."""
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, ports(dut), rng, gap_prob=0.3 if stalls else 0.0)
    sink = harness.StreamSink(dut.clk, dut.out_valid, dut.out_ready, {"crc": dut.out_crc}, rng,
                              stall_prob=0.5 if stalls else 0.0, max_stall=6)
    start = get_sim_time("ns")
    sender = cocotb.start_soon(src.send(signals(rng, b) for b in beats))
    got = await sink.receive(len(want))
    await sender
    for n, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g["crc"] == w, f"message {n}: crc {g['crc']:#010x}, zlib.crc32 {w:#010x}"
    return round((get_sim_time("ns") - start) / 10)


def random_messages(rng: random.Random, count: int) -> Iterator[bytes]:
    edges = [1, BYTES - 1, BYTES, BYTES + 1, 2 * BYTES, 60, 64, 299, 300]
    for n in range(count):
        length = edges[n] if n < len(edges) and edges[n] >= 1 else rng.randint(1, 300)
        yield rng.randbytes(length)


@cocotb.test(timeout_time=20, timeout_unit="us")
async def reset_state(dut) -> None:
    """After reset nothing is valid and the input is ready."""
    await harness.start_clock_and_reset(dut)
    dut.out_ready.value = 0
    await RisingEdge(dut.clk)
    assert dut.out_valid.value == 0 and dut.in_ready.value == 1


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def random_messages_with_stalls(dut) -> None:
    """Messages of 1..300 bytes in beats of random sizes; some start without a start marker (allowed after a
    last beat), some follow an abandoned partial message (a new start marker restarts the CRC)."""
    rng = random.Random(cocotb.RANDOM_SEED)
    beats: list[Beat] = []
    want: list[int] = []
    for message in random_messages(rng, 150):
        if rng.random() < 0.15:
            abandoned = cut(rng, rng.randbytes(rng.randint(1, 3 * BYTES)))
            beats += [(chunk, start, 0) for chunk, start, _ in abandoned]  # never ends: no result
            beats += cut(rng, message, start=True)
        else:
            beats += cut(rng, message, start=rng.random() < 0.8)
        want.append(zlib.crc32(message))
    await harness.start_clock_and_reset(dut)
    await run(dut, beats, want, rng, stalls=True)


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def program_images(dut) -> None:
    """Core-program images from blurgauge.hw.compiler.program.pack: the CRC of each whole image, of its header bytes
    0..59 (equal to its header_crc field) and of its payload (equal to its payload_crc field)."""
    path = os.environ.get(IMAGES_ENV)
    assert path, f"{IMAGES_ENV} names no file of program images"
    images = {name: bytes.fromhex(text) for name, text in json.loads(Path(path).read_text()).items()}
    assert images
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    beats: list[Beat] = []
    want: list[int] = []
    for image in images.values():
        header_crc = int.from_bytes(image[60:64], "little")
        payload_crc = int.from_bytes(image[52:56], "little")
        for message, field in ((image, None), (image[:60], header_crc), (image[HEADER_BYTES:], payload_crc)):
            beats += cut(rng, message, full_beats=True)
            want.append(zlib.crc32(message))
            assert field is None or field == want[-1], "the image's own CRC field disagrees with zlib"
    await harness.start_clock_and_reset(dut)
    await run(dut, beats, want, rng, stalls=True)


@cocotb.test(timeout_time=200, timeout_unit="us")
async def full_throughput(dut) -> None:
    """Without stalls the block takes one beat per cycle, one-beat messages included: N beats, N + latency
    cycles."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    messages = [rng.randbytes(rng.randint(1, BYTES)) for _ in range(100)]
    messages += [rng.randbytes(rng.randint(1, 300)) for _ in range(20)]
    beats = [b for m in messages for b in cut(rng, m)]
    await harness.start_clock_and_reset(dut)
    cycles = await run(dut, beats, [zlib.crc32(m) for m in messages], rng, stalls=False)
    assert cycles <= len(beats) + LATENCY, f"{len(beats)} beats took {cycles} cycles"


@cocotb.test(timeout_time=50, timeout_unit="us")
async def beats_flow_while_a_result_waits(dut) -> None:
    """With out_ready low, a waiting result holds back only the next last beat: the beats before it are
    accepted, and the stage in front of it takes one more. A reset then drops the beats and the results in
    flight and restarts the CRC state."""
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    await harness.start_clock_and_reset(dut)
    dut.out_ready.value = 0
    first, second, third = rng.randbytes(BYTES), rng.randbytes(4 * BYTES), rng.randbytes(2 * BYTES)
    # After the second message, two beats of a message that the reset will drop; the second is never taken.
    dropped = [(rng.randbytes(BYTES), 1, 0), (rng.randbytes(BYTES), 0, 0)]
    beats = [*cut(rng, first, full_beats=True), *cut(rng, second, full_beats=True), *dropped]
    src = harness.StreamSource(dut.clk, dut.in_valid, dut.in_ready, ports(dut), rng, gap_prob=0.0)
    sender = cocotb.start_soon(src.send(signals(rng, b) for b in beats))
    await ClockCycles(dut.clk, 20)
    # The first result waits; the second message went in whole, its last beat waits in stage z, and the
    # beat after it in stage a.
    assert dut.out_valid.value == 1 and dut.out_crc.value.to_unsigned() == zlib.crc32(first)
    assert src.sent == 6 and dut.in_ready.value == 0, f"{src.sent} beats taken, in_ready {dut.in_ready.value}"
    sender.cancel()
    dut.in_valid.value = 0
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    assert dut.out_valid.value == 0
    # The third message has no start marker: after the reset it must start from the initial value anyway.
    await run(dut, cut(rng, third, start=False, full_beats=True), [zlib.crc32(third)], rng, stalls=True)
    fourth = rng.randbytes(100)
    await run(dut, cut(rng, fourth), [zlib.crc32(fourth)], rng, stalls=True)
