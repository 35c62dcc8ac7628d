"""cocotb testbench of hw/rtl/bg_axi_reader.sv alone: requests against a cocotbext-axi AxiRamRead with
random pauses on AR and R and random back-pressure on the beat output.

Every cycle a monitor checks the AR channel (INCR, 16-byte beats, ID 0, at most MAX_BURST beats, never
across a 4 KB boundary, stable while it waits), counts the bursts in flight (at most OUTSTANDING),
collects the output beats and the `err` pulses, and drives `out_ready`. The bursts asked for are compared
with the split the reader must make (MAX_BURST, the 4 KB rule), the beats with the memory, `out_last`
with the request's last beat. SLVERR (from a memory subclass that fails reads in a chosen range) and
`cancel` must drop the rest of the request while every beat of the bursts already asked for is still
taken, and the next request must see none of them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiReadBus
from cocotbext.axi.axi_ram import AxiRamRead

from blurgauge.hw import verilator
from blurgauge.sim import harness

PRM = verilator.params()
ADDR_W, MAX_BURST, OUTSTANDING = PRM.get("ADDR_W", 32), PRM.get("MAX_BURST", 16), PRM.get("OUTSTANDING", 4)
MEM_SIZE = 1 << 20  # the model answers address % MEM_SIZE
# Requests go to addresses with high bits set where the bus has them, to see every address bit carried.
HIGH = (0x3 << (ADDR_W - 2)) if ADDR_W > 21 else 0


class FaultyRam(AxiRamRead):
    """Memory whose reads in ``fault`` (a range of byte addresses, taken modulo MEM_SIZE) answer SLVERR."""

    fault: range | None = None

    async def _read(self, address: int, length: int) -> bytes:
        if self.fault is not None and address % self.size in self.fault:
            raise OSError(f"injected read fault at 0x{address:x}")
        return await super()._read(address, length)


def pauses(rng: random.Random, prob: float) -> Iterator[bool]:
    while True:
        yield rng.random() < prob


def split(addr: int, beats: int) -> list[tuple[int, int]]:
    """The (address, beats) bursts the reader must ask for: MAX_BURST at most, none across 4 KB."""
    addr &= ~0xF
    out = []
    while beats:
        n = min(MAX_BURST, (4096 - addr % 4096) // 16, beats)
        out.append((addr, n))
        addr, beats = addr + 16 * n, beats - n
    return out


class TB:
    def __init__(self, dut: Any, rng: random.Random) -> None:
        self.dut, self.rng = dut, rng
        self.ram = FaultyRam(AxiReadBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=MEM_SIZE)
        self.ram.write(0, rng.randbytes(MEM_SIZE))
        # The model queues 2 bursts by default and takes no AR beyond them, which would hide a reader that
        # asks for more than OUTSTANDING: let it take every AR at once.
        self.ram.ar_channel.queue_occupancy_limit = 64
        self.ready_prob = 1.0
        self.bursts: list[tuple[int, int]] = []  # AR transfers: (address, beats)
        self.r_beats = 0  # R transfers
        self.in_flight = 0
        self.max_in_flight = 0
        self.out: list[tuple[int, int]] = []  # output transfers: (data, last)
        self.errs = 0
        self.cycle = 0
        self.cancelled = False  # a cancel edge since the last request was taken
        self.after_cancel = 0  # output transfers after a cancel edge
        dut.req_valid.value = 0
        dut.cancel.value = 0
        dut.out_ready.value = 0

    def stalls(self, ar: float, r: float, out: float) -> None:
        """Pause probabilities of the memory's AR and R channels and of out_ready."""
        for ch, p in ((self.ram.ar_channel, ar), (self.ram.r_channel, r)):
            if p:
                ch.set_pause_generator(pauses(self.rng, p))
            else:
                ch.clear_pause_generator()
        self.ready_prob = 1.0 - out

    async def start(self) -> None:
        await harness.start_clock_and_reset(self.dut)
        cocotb.start_soon(self.monitor())

    async def monitor(self) -> None:
        d = self.dut
        held = None  # AR fields while valid waits for ready
        while True:
            await RisingEdge(d.clk)
            self.cycle += 1
            if d.m_axi_arvalid.value:
                ar = (int(d.m_axi_araddr.value), int(d.m_axi_arlen.value), int(d.m_axi_arsize.value),
                      int(d.m_axi_arburst.value), int(d.m_axi_arid.value))
                assert held is None or ar == held, f"AR changed while waiting: {held} -> {ar}"
                addr, length, size, burst, arid = ar
                beats = length + 1
                assert (size, burst, arid) == (4, 1, 0), f"AR size {size} burst {burst} id {arid}"
                assert addr % 16 == 0 and beats <= MAX_BURST, f"AR 0x{addr:x} {beats} beats"
                assert addr % 4096 + 16 * beats <= 4096, f"AR 0x{addr:x} {beats} beats crosses 4 KB"
                if d.m_axi_arready.value:
                    self.bursts.append((addr, beats))
                    self.in_flight += 1
                    held = None
                else:
                    held = ar
            if d.m_axi_rvalid.value and d.m_axi_rready.value:
                self.r_beats += 1
                if d.m_axi_rlast.value:
                    self.in_flight -= 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            assert self.in_flight <= OUTSTANDING, f"{self.in_flight} bursts in flight"
            if d.out_valid.value and d.out_ready.value:
                self.out.append((int(d.out_data.value), int(d.out_last.value)))
                self.after_cancel += self.cancelled
            if d.cancel.value:
                self.cancelled = True
            if d.req_valid.value and d.req_ready.value:
                self.cancelled = False
            if d.err.value:
                self.errs += 1
            d.out_ready.value = int(self.rng.random() < self.ready_prob)

    def word(self, addr: int) -> int:
        return int.from_bytes(self.ram.read(addr % MEM_SIZE, 16), "little")

    def expected(self, addr: int, beats: int) -> list[tuple[int, int]]:
        base = addr & ~0xF
        return [(self.word(base + 16 * k), int(k == beats - 1)) for k in range(beats)]

    async def request(self, addr: int, beats: int, gap: int = 0) -> None:
        """One request through the valid/ready handshake, after ``gap`` idle cycles."""
        d = self.dut
        if gap:
            await ClockCycles(d.clk, gap)
        await FallingEdge(d.clk)
        d.req_valid.value, d.req_addr.value, d.req_beats.value = 1, addr, beats
        while True:
            await RisingEdge(d.clk)
            if d.req_ready.value:
                break
        await FallingEdge(d.clk)
        d.req_valid.value = 0

    async def idle(self, timeout: int = 20000) -> None:
        """Wait until the reader is idle, every burst asked for taken in full."""
        for _ in range(timeout):
            await RisingEdge(self.dut.clk)
            if not self.dut.busy.value and not self.dut.req_valid.value:
                break
        else:
            raise AssertionError("reader still busy")
        await ClockCycles(self.dut.clk, 2)
        assert self.in_flight == 0 and self.r_beats == sum(n for _, n in self.bursts), \
            f"{self.in_flight} bursts in flight, {self.r_beats} R beats for {sum(n for _, n in self.bursts)} asked"
        assert self.dut.req_ready.value == 1 and self.dut.m_axi_arvalid.value == 0

    def checkpoint(self) -> tuple[int, int]:
        return len(self.bursts), len(self.out)


def random_request(rng: random.Random) -> tuple[int, int]:
    """An address (bits 3:0 random: ignored) near or away from a 4 KB boundary, and a beat count around the
    burst and page sizes."""
    page = rng.randrange(4, MEM_SIZE // 4096 - 40)
    off = 4096 - 16 * rng.randint(1, 24) if rng.random() < 0.5 else 16 * rng.randrange(256)
    beats = rng.choice([1, 2, 3, MAX_BURST - 1, MAX_BURST, MAX_BURST + 1, 255, 256, 257, rng.randint(1, 600)])
    return HIGH + page * 4096 + off + rng.randrange(16), max(1, beats)


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def random_requests_with_stalls(dut: Any) -> None:
    """60 requests back to back and after gaps, pauses on AR, R and the output: the exact bursts, the
    data, out_last, at most OUTSTANDING bursts in flight."""
    rng = random.Random(cocotb.RANDOM_SEED)
    tb = TB(dut, rng)
    tb.stalls(ar=0.3, r=0.3, out=0.3)
    await tb.start()
    reqs = [random_request(rng) for _ in range(60)]
    for addr, beats in reqs:
        await tb.request(addr, beats, gap=rng.choice([0, 0, 1, 3]))
    await tb.idle()
    want_bursts = [b for a, n in reqs for b in split(a % (1 << ADDR_W), n)]
    assert tb.bursts == want_bursts, "bursts differ from the MAX_BURST / 4 KB split"
    want = [x for a, n in reqs for x in tb.expected(a, n)]
    assert len(tb.out) == len(want), f"{len(tb.out)} beats, want {len(want)}"
    for k, (got, exp) in enumerate(zip(tb.out, want, strict=True)):
        assert got == exp, f"beat {k}: data/last {got[0]:032x}/{got[1]}, want {exp[0]:032x}/{exp[1]}"
    assert tb.errs == 0
    dut._log.info("%d requests, %d bursts, %d beats in %d cycles, at most %d bursts in flight", len(reqs),
                  len(tb.bursts), len(tb.out), tb.cycle, tb.max_in_flight)


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def full_rate_and_bursts_in_flight(dut: Any) -> None:
    """No stalls: a long request streams about one beat per cycle when several bursts may be in flight.
    A slow R channel then fills the OUTSTANDING slots."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    tb = TB(dut, rng)
    tb.stalls(ar=0, r=0, out=0)
    await tb.start()
    beats = 1024
    start = tb.cycle
    await tb.request(HIGH + 0x10000, beats)
    await tb.idle()
    cycles = tb.cycle - start
    assert tb.out == tb.expected(HIGH + 0x10000, beats)
    bursts = len(split(0x10000, beats))
    dut._log.info("%d beats in %d bursts: %d cycles", beats, bursts, cycles)
    if OUTSTANDING > 1:
        assert cycles <= beats + 40, f"{beats} beats took {cycles} cycles"
    tb.stalls(ar=0, r=0.7, out=0)
    tb.out.clear()
    tb.max_in_flight = 0
    await tb.request(HIGH + 0x20000, 300)
    await tb.idle()
    assert tb.out == tb.expected(HIGH + 0x20000, 300)
    assert tb.max_in_flight == min(OUTSTANDING, len(split(0x20000, 300))), tb.max_in_flight


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def slverr_drops_the_request(dut: Any) -> None:
    """A beat answered SLVERR: the beats before it arrive, it and the rest of the request do not, `err`
    pulses once, every burst asked for is still taken in full; the next request reads cleanly. Faults on
    a request's first beat, in the middle of a burst and on a burst's last beat, each with stalls."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    tb = TB(dut, rng)
    tb.stalls(ar=0.3, r=0.3, out=0.3)
    await tb.start()
    for addr, beats, bad in [(0x8000, 200, 0), (0xA000, 300, 37), (0xF000 - 0x200, 100, MAX_BURST - 1),
                             (0x13000, 3 * MAX_BURST + 5, 2 * MAX_BURST + 2)]:
        bad = min(bad, beats - 1)
        tb.ram.fault = range(addr + 16 * bad, addr + 16 * bad + 16)
        errs, (_, n_out) = tb.errs, tb.checkpoint()
        await tb.request(HIGH + addr, beats)
        await tb.idle()
        assert tb.errs == errs + 1, f"err pulsed {tb.errs - errs} times"
        assert tb.out[n_out:] == tb.expected(HIGH + addr, beats)[:bad], \
            f"fault at beat {bad}: {len(tb.out) - n_out} beats handed on"
        tb.ram.fault = None
        n_bursts, n_out = tb.checkpoint()
        await tb.request(HIGH + addr + 0x40, 40)
        await tb.idle()
        assert tb.out[n_out:] == tb.expected(HIGH + addr + 0x40, 40), "request after SLVERR"
        assert tb.bursts[n_bursts:] == split((HIGH + addr + 0x40) % (1 << ADDR_W), 40), "bursts after SLVERR"


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def cancel_drops_the_request(dut: Any) -> None:
    """`cancel` during a request: no beat is handed on after it, the reader takes the rest of the bursts
    already asked for (a new request waits until then) and the next request sees none of them."""
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    tb = TB(dut, rng)
    tb.stalls(ar=0.2, r=0.4, out=0.2)
    await tb.start()
    for k in range(12):
        addr, beats = HIGH + 0x30000 + 0x2000 * k, rng.randint(2 * min(MAX_BURST, 100), 600)
        n_out = len(tb.out)
        await tb.request(addr, beats)
        await ClockCycles(dut.clk, rng.randint(0, 60))
        await FallingEdge(dut.clk)
        dut.cancel.value = 1
        await FallingEdge(dut.clk)
        dut.cancel.value = 0
        await tb.idle()
        got = tb.out[n_out:]
        assert tb.after_cancel == 0, f"{tb.after_cancel} beats handed on after cancel"
        assert got == tb.expected(addr, beats)[:len(got)], "beats before the cancel"
        n_bursts, n_out = tb.checkpoint()
        # Two beats before a 4 KB boundary: a burst length left over from the dropped request would cross it.
        nxt = HIGH + 0x81000 + 0x1000 * k - 0x20
        await tb.request(nxt, 20)
        await tb.idle()
        assert tb.out[n_out:] == tb.expected(nxt, 20), f"request {k} after cancel saw stale beats"
        assert tb.bursts[n_bursts:] == split(nxt % (1 << ADDR_W), 20), f"request {k} after cancel: bursts"
    assert tb.errs == 0
    # cancel while idle does nothing
    dut.cancel.value = 1
    await ClockCycles(dut.clk, 3)
    dut.cancel.value = 0
    assert not dut.busy.value and dut.req_ready.value


@cocotb.test(timeout_time=200, timeout_unit="us")
async def zero_beats_read_nothing(dut: Any) -> None:
    """A request of 0 beats is taken and reads nothing."""
    rng = random.Random(cocotb.RANDOM_SEED + 4)
    tb = TB(dut, rng)
    await tb.start()
    await tb.request(HIGH + 0x1000, 0)
    await ClockCycles(dut.clk, 20)
    assert tb.bursts == [] and tb.out == [] and not dut.busy.value
