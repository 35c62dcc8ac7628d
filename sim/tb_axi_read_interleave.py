"""cocotb testbench of hw/rtl/bg_axi_read_interleave.sv alone: bursts in on the slave side, two memories
(cocotbext-axi AxiRamRead over the same bytes) on the two ports, random pauses on every channel.

The reference is the order AXI4 promises a master with one ID: the beats come back burst after burst in
the order the bursts were asked for, each with the memory's bytes, rlast on its last beat, SLVERR exactly
on the beats the memory failed. A monitor checks every cycle that each port's AR is held stable until taken,
that the bursts go to port 0, 1, 0, 1, ..., and that a beat offered on the slave side stays until taken.
Each port can model a board port narrower than 128 bits (``read_pauses``: a 64-bit port passes a 128-bit
beat at most every other cycle); with both ports at 64 bits a long read must take about one cycle a beat,
the point of the module.

Pairs: a burst asked for with ``s_axi_arpair`` and the burst after it (same length) must come out side by
side, beat j of the first on ``s_axi_rdata`` and beat j of the second on ``s_axi_rdata2`` with
``s_axi_rpair``, each with its memory's bytes and its own rresp; with two 128-bit ports that never pause, a
long read of pairs must take about one cycle a pair, two beats a cycle.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiReadBus

from blurgauge.hw import verilator
from blurgauge.sim import harness
from blurgauge.sim.tb_core import FaultyRam, pauses, read_pauses

PRM = verilator.params()
FIFO_BEATS = PRM.get("FIFO_BEATS", 32)
MEM_SIZE = 1 << 20
SLVERR = 2


class TB:
    def __init__(self, dut: Any, rng: random.Random) -> None:
        self.dut, self.rng = dut, rng
        port0 = FaultyRam(AxiReadBus.from_prefix(dut, "m0_axi"), dut.clk, dut.rst, size=MEM_SIZE)
        port1 = FaultyRam(AxiReadBus.from_prefix(dut, "m1_axi"), dut.clk, dut.rst, mem=port0.mem)
        self.ports = [port0, port1]
        port0.write(0, rng.randbytes(MEM_SIZE))
        # bursts taken on the slave side: (address, beats, id, pair: the first of a pair)
        self.asked: deque[tuple[int, int, int, int]] = deque()
        self.beats: list[tuple[int, int, int, int, int]] = []  # (address, rdata, rresp, rlast, rid) out
        self.pairs_out = 0  # slave-side beats that carried a pair
        self.ports_taken: list[int] = []  # the port each burst went to, in the order the ports took them
        self.ar_prob = 0.5  # chance a cycle offers the next AR
        self.r_ready = 0.7  # chance the slave side takes a beat
        self.cycle = 0
        dut.s_axi_arvalid.value = 0
        dut.s_axi_arpair.value = 0
        dut.s_axi_rready.value = 0

    def memory(self, ports: list[tuple[float, float, int]]) -> None:
        """Per port: (AR pause probability, R pause probability, bits a cycle the port delivers)."""
        for ram, (ar, r, bits) in zip(self.ports, ports, strict=True):
            ram.ar_channel.set_pause_generator(pauses(self.rng, ar))
            ram.r_channel.set_pause_generator(read_pauses(self.rng, r, bits))

    async def start(self) -> None:
        await harness.start_clock_and_reset(self.dut)
        cocotb.start_soon(self.monitor())

    async def monitor(self) -> None:
        d = self.dut
        held: list[tuple[int, ...] | None] = [None, None]
        # the burst whose beats are coming out: [address of the next beat, beats left, id, the paired burst's
        # next address or None]
        pending = None
        offered = None  # the slave side's R beat while it waits for rready
        while True:
            await RisingEdge(d.clk)
            self.cycle += 1
            for p, prefix in enumerate(("m0_axi", "m1_axi")):
                if getattr(d, f"{prefix}_arvalid").value:
                    ar = tuple(int(getattr(d, f"{prefix}_{f}").value) for f in ("araddr", "arlen", "arid"))
                    assert held[p] is None or ar == held[p], f"port {p}: AR changed while waiting: {held[p]} -> {ar}"
                    if getattr(d, f"{prefix}_arready").value:
                        self.ports_taken.append(p)
                        held[p] = None
                    else:
                        held[p] = ar
            if d.s_axi_arvalid.value and d.s_axi_arready.value:
                self.asked.append((int(d.s_axi_araddr.value), int(d.s_axi_arlen.value) + 1, int(d.s_axi_arid.value),
                                   int(d.s_axi_arpair.value)))
            if d.s_axi_rvalid.value:
                beat = tuple(int(getattr(d, f"s_axi_{f}").value)
                             for f in ("rdata", "rresp", "rlast", "rid", "rpair", "rdata2", "rresp2"))
                assert offered is None or beat == offered, "R beat changed while it waited for rready"
                offered = None if d.s_axi_rready.value else beat
            else:
                assert offered is None, "R valid dropped before its beat was taken"
            if d.s_axi_rvalid.value and d.s_axi_rready.value:
                if pending is None:
                    assert self.asked, "a beat with no burst asked for"
                    addr, beats, rid, pair = self.asked.popleft()
                    second = None
                    if pair:
                        assert self.asked, "a pair's beats before its second burst was asked for"
                        second, beats2, _, _ = self.asked.popleft()
                        assert beats2 == beats, "the testbench asked for a pair of unequal bursts"
                    pending = [addr, beats, rid, second]
                addr, left, rid, second = pending
                last, rpair = int(d.s_axi_rlast.value), int(d.s_axi_rpair.value)
                assert last == (left == 1), f"rlast {last} with {left} beats of the burst left"
                assert int(d.s_axi_rid.value) == rid, f"rid {int(d.s_axi_rid.value)}, the burst's id is {rid}"
                assert rpair == (second is not None), f"rpair {rpair} on the beat at 0x{addr:x}"
                self.beats.append((addr, int(d.s_axi_rdata.value), int(d.s_axi_rresp.value), last, rid))
                if second is not None:
                    self.beats.append((second, int(d.s_axi_rdata2.value), int(d.s_axi_rresp2.value), last, rid))
                    self.pairs_out += 1
                pending = [addr + 16, left - 1, rid, None if second is None else second + 16] if left > 1 else None
            d.s_axi_rready.value = int(self.rng.random() < self.r_ready)

    async def ask(self, bursts: list[tuple[int, int]], pairs: set[int] = frozenset()) -> None:
        """Offer (address, beats) bursts on the slave's AR, each held until taken, random gaps between;
        burst k with arpair where k is in `pairs` (burst k + 1 is its second)."""
        d = self.dut
        for k, (addr, beats) in enumerate(bursts):
            while self.rng.random() >= self.ar_prob:
                await RisingEdge(d.clk)
            d.s_axi_araddr.value = addr
            d.s_axi_arlen.value = beats - 1
            d.s_axi_arid.value = self.rng.randrange(2)
            d.s_axi_arsize.value = 4
            d.s_axi_arburst.value = 1
            d.s_axi_arpair.value = int(k in pairs)
            d.s_axi_arvalid.value = 1
            await RisingEdge(d.clk)
            while not d.s_axi_arready.value:
                await RisingEdge(d.clk)
            d.s_axi_arvalid.value = 0

    async def drain(self, beats: int, limit: int = 200_000) -> None:
        for _ in range(limit):
            if len(self.beats) >= beats:
                return
            await RisingEdge(self.dut.clk)
        raise AssertionError(f"{len(self.beats)} of {beats} beats after {limit} cycles")

    def random_bursts(self, count: int) -> list[tuple[int, int]]:
        out = []
        for _ in range(count):
            beats = self.rng.choice([1, 1, 2, 3, 16, 16, self.rng.randint(1, 16)])
            page = self.rng.randrange(MEM_SIZE // 4096) * 4096
            out.append((page + 16 * self.rng.randrange(256 - beats + 1), beats))
        return out

    def random_pairs(self, count: int) -> tuple[list[tuple[int, int]], set[int]]:
        """Random single bursts and pairs (two bursts of one length, anywhere in memory), mixed."""
        bursts: list[tuple[int, int]] = []
        pairs: set[int] = set()
        for _ in range(count):
            single = self.random_bursts(1)[0]
            if self.rng.random() < 0.6:
                pairs.add(len(bursts))
                bursts += [single, (self.random_bursts(1)[0][0] // 4096 * 4096, single[1])]
            else:
                bursts.append(single)
        return bursts, pairs

    def check(self, fault: range | None = None) -> None:
        """Every beat the memory's, in burst order; SLVERR exactly where the memory failed."""
        mem = self.ports[0]
        for addr, data, resp, _, _ in self.beats:
            failed = fault is not None and addr in fault
            assert resp == (SLVERR if failed else 0), f"beat at 0x{addr:x}: rresp {resp}"
            if not failed:
                want = int.from_bytes(mem.read(addr, 16), "little")
                assert data == want, f"beat at 0x{addr:x}: {data:032x}, memory holds {want:032x}"
        turns = self.ports_taken
        assert turns == [k % 2 for k in range(len(turns))], f"bursts not alternated: {turns[:40]}"


@cocotb.test()
async def bursts_come_back_in_order(dut: Any) -> None:
    """Random bursts of 1 to 16 beats, random pauses on both ports and on the slave side, ports of the
    core's width and of 64 bits: every beat in order with the memory's bytes."""
    tb = TB(dut, random.Random(41))
    await tb.start()
    total = 0
    for ports in ([(0.3, 0.3, 128), (0.3, 0.3, 128)], [(0.2, 0.2, 64), (0.5, 0.5, 64)],
                  [(0.0, 0.0, 128), (0.7, 0.7, 128)]):
        tb.memory(ports)
        bursts = tb.random_bursts(150)
        total += sum(b for _, b in bursts)
        await tb.ask(bursts)
        await tb.drain(total)
    assert not tb.asked
    tb.check()


@cocotb.test()
async def slverr_rides_with_its_beat(dut: Any) -> None:
    """Failed beats on either port come out SLVERR in their place; the bursts around them are intact and
    the order holds after them."""
    tb = TB(dut, random.Random(42))
    await tb.start()
    tb.memory([(0.3, 0.3, 64), (0.3, 0.3, 64)])
    fault = range(0x4000, 0x4000 + 16 * 40)
    for ram in tb.ports:
        ram.fault = fault
    # bursts across the fault, on both ports, between clean ones
    bursts = [(0x3F00 + 16 * 16 * k, 16) for k in range(8)] + tb.random_bursts(60)
    await tb.ask(bursts)
    await tb.drain(sum(b for _, b in bursts))
    tb.check(fault)
    assert any(resp == SLVERR for _, _, resp, _, _ in tb.beats)


@cocotb.test()
async def two_narrow_ports_stream_at_once(dut: Any) -> None:
    """Two 64-bit ports, no other pause, the slave side always ready: 1,024 beats in 16-beat bursts take
    under 1.15 cycles a beat (one 64-bit port alone: 2), so both ports fill while one is drained."""
    tb = TB(dut, random.Random(43))
    tb.r_ready = 1.0
    tb.ar_prob = 1.0
    await tb.start()
    tb.memory([(0.0, 0.0, 64), (0.0, 0.0, 64)])
    bursts = [(16 * 16 * k, 16) for k in range(64)]
    start = tb.cycle
    await tb.ask(bursts)
    await tb.drain(1024)
    cycles = tb.cycle - start
    dut._log.info("1024 beats through two 64-bit ports in %d cycles (%.3f a beat)", cycles, cycles / 1024)
    assert cycles < 1.15 * 1024, cycles
    tb.check()
    await ClockCycles(dut.clk, 2)


@cocotb.test()
async def pairs_come_out_side_by_side(dut: Any) -> None:
    """Pairs mixed with single bursts, random pauses on both ports and on the slave side, ports of the
    core's width and of 64 bits: each pair's beats side by side, every beat with the memory's bytes, the
    order of the bursts kept across pairs and singles."""
    tb = TB(dut, random.Random(44))
    await tb.start()
    total = 0
    for ports in ([(0.3, 0.3, 128), (0.3, 0.3, 128)], [(0.2, 0.2, 64), (0.5, 0.5, 64)],
                  [(0.0, 0.0, 128), (0.7, 0.7, 128)]):
        tb.memory(ports)
        bursts, pairs = tb.random_pairs(80)
        total += sum(b for _, b in bursts)
        await tb.ask(bursts, pairs)
        await tb.drain(total)
    assert not tb.asked
    assert tb.pairs_out > 0
    tb.check()


@cocotb.test()
async def pairs_of_two_wide_ports_stream_two_beats_a_cycle(dut: Any) -> None:
    """Two 128-bit ports, no other pause, the slave side always ready: 2,048 beats in 64 pairs of 16-beat
    bursts take under 1.15 cycles a pair (single bursts: a cycle a beat, twice as long)."""
    tb = TB(dut, random.Random(45))
    tb.r_ready = 1.0
    tb.ar_prob = 1.0
    await tb.start()
    tb.memory([(0.0, 0.0, 128), (0.0, 0.0, 128)])
    bursts = [(16 * 16 * k, 16) for k in range(128)]
    start = tb.cycle
    await tb.ask(bursts, set(range(0, 128, 2)))
    await tb.drain(2048)
    cycles = tb.cycle - start
    dut._log.info("2048 beats in 64 pairs through two 128-bit ports in %d cycles (%.3f a pair)", cycles, cycles / 1024)
    assert cycles < 1.15 * 1024, cycles
    tb.check()
    await ClockCycles(dut.clk, 2)
