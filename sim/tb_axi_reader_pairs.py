"""cocotb testbench of bg_axi_reader's pairs of bursts: the reader ahead of bg_axi_read_interleave
(sim/hdl/bg_axi_reader_pairs_tb.sv, as bg_core connects them with READ_PORTS = 2), two memories
(cocotbext-axi AxiRamRead over the same bytes) on the two ports, random pauses on both ports' AR and R and
on the reader's output.

The reference is the split the reader must make (``plan``): in a request that welcomes pairs, two full
bursts that stay inside a 4 KB page go as a pair, the rest as single bursts of at most MAX_BURST that never
cross a 4 KB boundary. The monitor checks the bursts asked for against it, at most OUTSTANDING bursts in
flight over both ports, and the output against the memory: a pair's beat j of both bursts at once
(`out_pair`, the second on `out_data2`, `out_pair_end` on its last), a single burst's beats one by one,
`out_last` on the request's last beat. A cancel or SLVERR, also in the middle of a pair, must drop the rest
of the request, still take every beat of every burst asked for (a pair's second included), and leave the
next request clean.
"""

from __future__ import annotations

import random
from typing import Any

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiReadBus

from blurgauge.hw import verilator
from blurgauge.sim import harness
from blurgauge.sim.tb_core import FaultyRam, pauses, read_pauses

PRM = verilator.params()
MAX_BURST, OUTSTANDING = PRM.get("MAX_BURST", 16), PRM.get("OUTSTANDING", 4)
MEM_SIZE = 1 << 20
BEAT = 16

#: One output transfer: (data, last, pair, data2, pair_end); data2 and pair_end are 0 without a pair.
Out = tuple[int, int, int, int, int]


def plan(addr: int, beats: int, pair: bool, max_burst: int = MAX_BURST,
         outstanding: int = OUTSTANDING) -> list[tuple[int, int, bool]]:
    """The bursts the reader must ask for: (address, beats, the first of a pair). Also the model of the
    reader in sim/tb_weight_fetch.py."""
    out = []
    addr &= ~0xF
    while beats:
        to_4k = (4096 - addr % 4096) // BEAT
        if pair and outstanding >= 2 and beats >= 2 * max_burst and to_4k >= 2 * max_burst:
            out += [(addr, max_burst, True), (addr + BEAT * max_burst, max_burst, False)]
            n = 2 * max_burst
        else:
            n = min(max_burst, to_4k, beats)
            out.append((addr, n, False))
        addr, beats = addr + BEAT * n, beats - n
    return out


class TB:
    def __init__(self, dut: Any, rng: random.Random) -> None:
        self.dut, self.rng = dut, rng
        port0 = FaultyRam(AxiReadBus.from_prefix(dut, "m0_axi"), dut.clk, dut.rst, size=MEM_SIZE)
        port1 = FaultyRam(AxiReadBus.from_prefix(dut, "m1_axi"), dut.clk, dut.rst, mem=port0.mem)
        self.ports = [port0, port1]
        for ram in self.ports:
            ram.ar_channel.queue_occupancy_limit = 64  # take every AR: a reader over OUTSTANDING would show
        port0.write(0, rng.randbytes(MEM_SIZE))
        self.ready_prob = 1.0
        self.bursts: list[tuple[int, int]] = []  # AR transfers over both ports, in order: (address, beats)
        self.r_beats = 0
        self.in_flight = 0
        self.out: list[Out] = []
        self.errs = 0
        self.cycle = 0
        for name in ("req_valid", "req_addr", "req_beats", "req_pair", "cancel", "out_ready"):
            getattr(dut, name).value = 0

    def stalls(self, ar: float, r: float, out: float, port_bits: int = 128) -> None:
        for ram in self.ports:
            ram.ar_channel.set_pause_generator(pauses(self.rng, ar))
            ram.r_channel.set_pause_generator(read_pauses(self.rng, r, port_bits))
        self.ready_prob = 1.0 - out

    async def start(self) -> None:
        await harness.start_clock_and_reset(self.dut)
        cocotb.start_soon(self.monitor())

    async def monitor(self) -> None:
        d = self.dut
        while True:
            await RisingEdge(d.clk)
            self.cycle += 1
            for prefix in ("m0_axi", "m1_axi"):
                port = {f: getattr(d, f"{prefix}_{f}").value
                        for f in ("arvalid", "arready", "araddr", "arlen", "rvalid", "rready", "rlast")}
                if port["arvalid"] and port["arready"]:
                    self.bursts.append((int(port["araddr"]), int(port["arlen"]) + 1))
                    self.in_flight += 1
                if port["rvalid"] and port["rready"]:
                    self.r_beats += 1
                    self.in_flight -= int(port["rlast"])
            assert self.in_flight <= OUTSTANDING, f"{self.in_flight} bursts in flight"
            if d.out_valid.value and d.out_ready.value:
                pair = int(d.out_pair.value)
                self.out.append((int(d.out_data.value), int(d.out_last.value), pair,
                                 int(d.out_data2.value) if pair else 0, int(d.out_pair_end.value) if pair else 0))
            if d.err.value:
                self.errs += 1
            d.out_ready.value = int(self.rng.random() < self.ready_prob)

    def word(self, addr: int) -> int:
        return int.from_bytes(self.ports[0].read(addr, BEAT), "little")

    def expected(self, addr: int, beats: int, pair: bool) -> list[Out]:
        """The output transfers of a request that is not dropped."""
        out: list[Out] = []
        bursts = plan(addr, beats, pair)
        k = 0
        while k < len(bursts):
            a, n, first = bursts[k]
            if first:
                b = bursts[k + 1][0]
                out += [(self.word(a + BEAT * j), 0, 1, self.word(b + BEAT * j), int(j == n - 1)) for j in range(n)]
                k += 2
            else:
                out += [(self.word(a + BEAT * j), 0, 0, 0, 0) for j in range(n)]
                k += 1
        out[-1] = (out[-1][0], 1, *out[-1][2:])
        return out

    async def request(self, addr: int, beats: int, pair: bool, gap: int = 0) -> None:
        d = self.dut
        if gap:
            await ClockCycles(d.clk, gap)
        await FallingEdge(d.clk)
        d.req_valid.value, d.req_addr.value, d.req_beats.value, d.req_pair.value = 1, addr, beats, int(pair)
        while True:
            await RisingEdge(d.clk)
            if d.req_ready.value:
                break
        await FallingEdge(d.clk)
        d.req_valid.value = 0

    async def idle(self, timeout: int = 40000) -> None:
        """Wait until the reader is idle and every beat of every burst asked for has been taken."""
        for _ in range(timeout):
            await RisingEdge(self.dut.clk)
            if not self.dut.busy.value and not self.dut.req_valid.value:
                break
        else:
            raise AssertionError("reader still busy")
        await ClockCycles(self.dut.clk, 4)
        asked = sum(n for _, n in self.bursts)
        assert self.in_flight == 0 and self.r_beats == asked, \
            f"{self.in_flight} bursts in flight, {self.r_beats} R beats for {asked} asked"

    async def clean_request(self, addr: int, beats: int, pair: bool, gap: int = 0) -> None:
        """A request and its whole output, checked: the bursts of the plan and the memory's beats."""
        b0, o0 = len(self.bursts), len(self.out)
        await self.request(addr, beats, pair, gap)
        await self.idle()
        assert self.bursts[b0:] == [(a, n) for a, n, _ in plan(addr, beats, pair)], \
            f"bursts of the request at 0x{addr:x}, {beats} beats, pair {pair}: {self.bursts[b0:]}"
        want = self.expected(addr, beats, pair)
        got = self.out[o0:]
        assert len(got) == len(want), f"{len(got)} output transfers, want {len(want)}"
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            assert g == w, f"request at 0x{addr:x}, transfer {k}: {g}, want {w}"


def random_request(rng: random.Random) -> tuple[int, int, bool]:
    """An address near or away from a 4 KB boundary, a beat count around the burst and pair sizes, pairs
    welcome or not."""
    page = rng.randrange(4, MEM_SIZE // 4096 - 40)
    off = 4096 - BEAT * rng.randint(1, 3 * MAX_BURST) if rng.random() < 0.5 else BEAT * rng.randrange(256)
    beats = rng.choice([1, MAX_BURST, 2 * MAX_BURST - 1, 2 * MAX_BURST, 2 * MAX_BURST + 1, 4 * MAX_BURST,
                        5 * MAX_BURST + 3, rng.randint(1, 600)])
    return page * 4096 + off, beats, rng.random() < 0.8


@cocotb.test(timeout_time=40, timeout_unit="ms")
async def paired_requests_with_stalls(dut: Any) -> None:
    """Requests with and without pairs, pauses on both ports' AR and R (ports of 128 and of 64 bits) and
    on the output: the exact bursts, pairs side by side, every beat the memory's."""
    rng = random.Random(cocotb.RANDOM_SEED)
    tb = TB(dut, rng)
    await tb.start()
    for bits in (128, 64):
        tb.stalls(ar=0.3, r=0.3, out=0.3, port_bits=bits)
        for _ in range(30):
            await tb.clean_request(*random_request(rng), gap=rng.choice([0, 1, 3]))
    assert tb.errs == 0
    assert any(o[2] for o in tb.out) and any(not o[2] for o in tb.out)


@cocotb.test(timeout_time=40, timeout_unit="ms")
async def cancel_and_slverr_inside_pairs(dut: Any) -> None:
    """A cancel at a random beat of a paired request, and SLVERR on a beat inside a pair (on either port),
    drop the rest of the request: every burst asked for (a pair's second too) is still taken in full, err
    pulses once for the SLVERR and not for the cancel, and the next request is exact."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    tb = TB(dut, rng)
    tb.stalls(ar=0.3, r=0.3, out=0.2)
    await tb.start()
    d = tb.dut
    for k in range(12):
        addr = rng.randrange(8, MEM_SIZE // 4096 - 8) * 4096 + BEAT * rng.randrange(0, 256, 2 * MAX_BURST)
        beats = 8 * MAX_BURST
        if k % 2:
            # SLVERR on one beat of the request's third or fourth burst: inside its second pair
            fault_at = addr + BEAT * (2 * MAX_BURST + rng.randrange(2 * MAX_BURST))
            for ram in tb.ports:
                ram.fault = range(fault_at, fault_at + BEAT)
            errs = tb.errs
            await tb.request(addr, beats, True)
            await tb.idle()
            assert tb.errs == errs + 1, "SLVERR inside a pair: err did not pulse once"
            for ram in tb.ports:
                ram.fault = None
        else:
            await tb.request(addr, beats, True)
            for _ in range(rng.randrange(1, 3 * MAX_BURST)):
                await RisingEdge(d.clk)
            await FallingEdge(d.clk)
            d.cancel.value = 1
            await FallingEdge(d.clk)
            d.cancel.value = 0
            await tb.idle()
        await tb.clean_request(*random_request(rng))
    assert tb.errs == 6


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def pairs_through_two_wide_ports_take_two_beats_a_cycle(dut: Any) -> None:
    """Two 128-bit ports that never pause, the output always ready: a request of 4,096 beats as pairs
    takes under 1.15 cycles per two beats; without pairs, a cycle a beat."""
    tb = TB(dut, random.Random(cocotb.RANDOM_SEED + 2))
    await tb.start()
    cycles = {}
    for pair in (True, False):
        start = tb.cycle
        await tb.clean_request(0x10000, 4096, pair)
        cycles[pair] = tb.cycle - start
    dut._log.info("4096 beats: %d cycles as pairs, %d as single bursts", cycles[True], cycles[False])
    assert cycles[True] < 1.15 * 2048, cycles
    assert cycles[False] > 0.95 * 4096, cycles
