"""cocotb testbench of hw/rtl/bg_payload_crc.sv: it plays the reader and its arbiter, granting the block's
requests after random waits and handing back the requested beats from a random memory with random gaps,
and checks against zlib.crc32:

* the requests: contiguous from the start address, CHUNK beats each but the last, exactly the region;
* `done` only after the region's last beat, with `ok` exactly when expect_crc is the region's CRC;
* start_skip: done and ok at once, no request; `cancel`: no request after it, and a check after the
  pipeline reset works.
"""

from __future__ import annotations

import random
import zlib

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

from blurgauge.hw import verilator
from blurgauge.sim import harness

PRM = verilator.params()
ADDR_W = PRM.get("ADDR_W", 64)
CHUNK = PRM.get("CHUNK", 64)
BEAT = 16
#: Cycles from the last beat taken to `done`: bg_crc32's three stages and the done register.
DONE_WITHIN = 5


class Reader:
    """The reader and arbiter around the block: grants, beats, and a record of what was asked for."""

    def __init__(self, dut, rng: random.Random, memory: bytes, base: int) -> None:
        self.dut, self.rng, self.memory, self.base = dut, rng, memory, base
        self.requests: list[tuple[int, int]] = []
        self.queue: list[int] = []  # beats asked for, not yet taken
        self.taken = 0
        self.grant_prob, self.gap_prob = 0.3, 0.3

    def beat(self, addr: int) -> int:
        offset = addr - self.base
        return int.from_bytes(self.memory[offset : offset + BEAT], "little")

    async def cycle(self) -> None:
        """One clock cycle: decide the inputs at the falling edge, see what was taken at the rising one."""
        dut = self.dut
        await FallingEdge(dut.clk)
        grant = bool(dut.req_valid.value) and self.rng.random() < self.grant_prob
        dut.req_grant.value = int(grant)
        if grant:
            addr, beats = int(dut.req_addr.value), int(dut.req_beats.value)
            self.requests.append((addr, beats))
            self.queue += [addr + BEAT * i for i in range(beats)]
        offer = bool(self.queue) and self.rng.random() >= self.gap_prob
        dut.in_valid.value = int(offer)
        dut.in_data.value = self.beat(self.queue[0]) if offer else self.rng.getrandbits(128)
        await RisingEdge(dut.clk)
        if offer and dut.in_ready.value:
            self.queue.pop(0)
            self.taken += 1


async def reset(dut) -> None:
    for name in ("cancel", "start", "start_addr", "start_beats", "start_last_bytes", "start_skip", "expect_crc",
                 "req_grant", "in_valid", "in_data"):
        getattr(dut, name).value = 0
    await harness.start_clock_and_reset(dut)


async def start(dut, addr: int, beats: int, last_bytes: int, expect: int, skip: bool = False) -> None:
    await FallingEdge(dut.clk)
    dut.start.value = 1
    dut.start_addr.value = addr
    dut.start_beats.value = beats
    dut.start_last_bytes.value = last_bytes
    dut.start_skip.value = int(skip)
    dut.expect_crc.value = expect
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.start.value = 0


async def check_region(dut, rng: random.Random, beats: int, last_bytes: int, good: bool) -> None:
    base = rng.randrange(0, (1 << min(ADDR_W, 40)) - BEAT * (beats + 1), BEAT)
    memory = rng.randbytes(BEAT * beats)
    length = BEAT * (beats - 1) + (last_bytes or BEAT)
    crc = zlib.crc32(memory[:length])
    expect = crc if good else crc ^ (1 << rng.randrange(32))
    reader = Reader(dut, rng, memory, base)
    await start(dut, base, beats, last_bytes, expect)
    assert not dut.done.value, "done right after a start"
    since_last = None
    for _ in range(40 * beats + 200):
        await reader.cycle()
        if reader.taken == beats and since_last is None:
            since_last = 0
        if dut.done.value:
            break
        if since_last is not None:
            since_last += 1
            assert since_last <= DONE_WITHIN, f"no done {DONE_WITHIN} cycles after the last beat"
    assert dut.done.value, f"no done after {reader.taken} of {beats} beats"
    assert reader.taken == beats and not reader.queue, f"done after {reader.taken} of {beats} beats"
    assert bool(dut.ok.value) == good, f"ok {int(dut.ok.value)} for a {'good' if good else 'bad'} CRC"
    # the requests: contiguous, CHUNK beats each but the last, exactly the region
    addr, left = base, beats
    for got in reader.requests:
        want = (addr % (1 << ADDR_W), min(CHUNK, left))
        assert got == want, f"request {got}, expected {want} (requests {reader.requests})"
        addr, left = addr + BEAT * want[1], left - want[1]
    assert left == 0, f"{left} beats never asked for"
    for _ in range(5):
        await reader.cycle()
        assert not dut.req_valid.value, "a request after the check"
        assert dut.done.value and bool(dut.ok.value) == good, "done/ok did not hold"


@cocotb.test()
async def regions_with_stalls(dut) -> None:
    """Regions of 1 to 5 chunks and some beats, every last-beat length, good and damaged CRCs."""
    rng = random.Random(cocotb.RANDOM_SEED)
    await reset(dut)
    cases = [(1, 0, True), (1, 1, True), (CHUNK, 0, True), (CHUNK + 1, 7, True), (2 * CHUNK, 15, False)]
    cases += [(rng.randint(1, 5 * CHUNK), rng.randrange(16), rng.random() < 0.7) for _ in range(12)]
    for beats, last_bytes, good in cases:
        await check_region(dut, rng, beats, last_bytes, good)


@cocotb.test()
async def skip_and_cancel(dut) -> None:
    """start_skip: done and ok at once, nothing read. cancel: no request after it; after a pipeline reset
    the next check runs as usual."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    await reset(dut)
    await start(dut, 0x1000, 0, 0, 0, skip=True)
    assert dut.done.value and dut.ok.value, "a skipped check is done and ok"
    for _ in range(10):
        await RisingEdge(dut.clk)
        assert not dut.req_valid.value, "a skipped check reads"

    beats = 3 * CHUNK + 2
    reader = Reader(dut, rng, rng.randbytes(BEAT * beats), 0x2000)
    await start(dut, 0x2000, beats, 0, 0)
    while len(reader.requests) < 2:
        await reader.cycle()
    await FallingEdge(dut.clk)
    dut.cancel.value = 1
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.cancel.value = 0
    dut.in_valid.value = 0
    for _ in range(4 * CHUNK):
        await RisingEdge(dut.clk)
        assert not dut.req_valid.value, "a request after cancel"
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await check_region(dut, rng, CHUNK + 3, 5, True)
