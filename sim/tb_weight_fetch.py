"""cocotb testbench of hw/rtl/bg_weight_fetch.sv: it plays the reader and its arbiter, granting the block's
requests after random waits and handing back the requested beats from a random memory with random gaps,
and checks against the program's layout (docs/core-program.md):

* the weight request: base + w_off + ob * tiles * P*P bytes, tiles * P*P / 16 beats; every beat written
  to the weight buffer at once, at its index in the block, into half `buf`;
* the bias request: the 16-byte beats that hold bytes base + b_off + ob * 2P .. + 2P (not aligned when
  P < 8), and afterwards `bias` (bias_sel = buf) holds exactly those P int16 values;
* `idle` only after the last bias beat; a reset in the middle of a fetch leaves it idle and the next fetch
  clean;
* with PAIRS, the weight request asks for pairs (the bias request does not), and the model hands its beats
  as bg_axi_reader does: two full bursts that stay inside a 4 KB page as a pair, beat j of both at once,
  the rest one beat a cycle; each of the two beats is written at its own index.
"""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

from blurgauge.hw import verilator
from blurgauge.sim import harness
from blurgauge.sim.tb_axi_reader_pairs import plan

PRM = verilator.params()
P = PRM.get("P", 16)
WBUF_TILES = PRM.get("WBUF_TILES", 128)
PAIRS = PRM.get("PAIRS", 0)
MAX_BURST = PRM.get("MAX_BURST", 16)
BEAT = 16
MEMORY = 1 << 18  # bytes of the modelled image (four blocks of 12 tiles at P=32 in the lower half)


class Reader:
    """The reader and arbiter: grants, beats with the request's last marked, and what was asked for."""

    def __init__(self, dut, rng: random.Random, memory: bytes) -> None:
        self.dut, self.rng, self.memory = dut, rng, memory
        self.requests: list[tuple[int, int]] = []
        self.paired: list[bool] = []  # req_pair of each request
        # (address, the paired beat's address or None, last of its request, a pair's last beats)
        self.queue: list[tuple[int, int | None, bool, bool]] = []
        self.writes: list[tuple[int, int, int]] = []  # (wb_idx, wb_buf, data) of every weight-buffer write

    def beat(self, addr: int) -> int:
        return int.from_bytes(self.memory[addr : addr + BEAT], "little")

    async def cycle(self) -> None:
        dut = self.dut
        await FallingEdge(dut.clk)
        grant = bool(dut.req_valid.value) and self.rng.random() < 0.4
        dut.req_grant.value = int(grant)
        if grant:
            addr, beats = int(dut.req_addr.value), int(dut.req_beats.value)
            assert addr % BEAT == 0, f"request at {addr:#x}, not 16-byte aligned"
            self.requests.append((addr, beats))
            self.paired.append(bool(dut.req_pair.value))
            self.queue += self.beats_of(addr, beats, bool(dut.req_pair.value))
        offer = bool(self.queue) and self.rng.random() >= 0.3
        head = self.queue[0] if offer else (0, None, False, False)
        dut.in_valid.value = int(offer)
        dut.in_last.value = int(head[2])
        dut.in_pair.value = int(head[1] is not None)
        dut.in_pair_end.value = int(head[3])
        dut.in_data.value = self.beat(head[0]) if offer else self.rng.getrandbits(128)
        await RisingEdge(dut.clk)
        if dut.wb_we.value:
            assert offer, "a weight-buffer write without a beat"
            self.writes.append((int(dut.wb_idx.value), int(dut.wb_buf.value), self.beat(head[0])))
        if dut.wb_we2.value:
            assert offer and head[1] is not None, "a second weight-buffer write without a pair"
            self.writes.append((int(dut.wb_idx2.value), int(dut.wb_buf.value), self.beat(head[1])))
        if offer:
            self.queue.pop(0)  # taken at once

    @staticmethod
    def beats_of(addr: int, beats: int, pair: bool) -> list[tuple[int, int | None, bool, bool]]:
        """A request's beats as the reader hands them: its bursts as bg_axi_reader splits them (the reader's
        own testbench's ``plan``), a pair's beats side by side, single bursts' one by one."""
        out: list[tuple[int, int | None, bool, bool]] = []
        bursts = plan(addr, beats, pair, MAX_BURST)
        k = 0
        while k < len(bursts):
            a, n, first = bursts[k]
            second = bursts[k + 1][0] if first else None
            out += [(a + BEAT * j, None if second is None else second + BEAT * j, False, first and j == n - 1)
                    for j in range(n)]
            k += 2 if first else 1
        out[-1] = (*out[-1][:2], True, out[-1][3])
        return out


async def reset(dut) -> None:
    for name in ("kick", "ob", "buf_half", "base", "w_off", "b_off", "tiles", "req_grant", "in_valid", "in_last",
                 "in_data", "in_pair", "in_pair_end", "bias_sel"):
        getattr(dut, name).value = 0
    await harness.start_clock_and_reset(dut)


async def kick(dut, ob: int, buf: int, base: int, w_off: int, b_off: int, tiles: int) -> None:
    await FallingEdge(dut.clk)
    assert dut.idle.value, "kick while not idle"
    dut.ob.value, dut.buf_half.value, dut.base.value = ob, buf, base
    dut.w_off.value, dut.b_off.value, dut.tiles.value = w_off, b_off, tiles
    dut.kick.value = 1
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.kick.value = 0


async def fetch(dut, rng: random.Random, memory: bytes, ob: int, buf: int, tiles: int) -> None:
    block = tiles * P * P
    w_off = rng.randrange(0, MEMORY // 2 - (ob + 1) * block + 1, BEAT)
    b_off = rng.randrange(MEMORY // 2, MEMORY - (ob + 1) * 2 * P - BEAT, 2)
    reader = Reader(dut, rng, memory)
    await kick(dut, ob, buf, 0, w_off, b_off, tiles)
    for _ in range(60 * (block // BEAT) + 200):
        await reader.cycle()
        if dut.idle.value:
            break
    assert dut.idle.value, "the fetch did not finish"
    assert not reader.queue, "idle before the last bias beat was taken"
    # weights: one request, every beat written at its index into half buf
    w_addr = w_off + ob * block
    assert reader.requests[0] == (w_addr, block // BEAT), f"weight request {reader.requests[0]}"
    want = [(i, buf, int.from_bytes(memory[w_addr + BEAT * i : w_addr + BEAT * (i + 1)], "little"))
            for i in range(block // BEAT)]
    # a pair's two beats are written in one cycle, so the writes come in the order of the index pairs
    got = sorted(reader.writes)
    assert got == want, f"weight-buffer writes differ (first of {len(got)}: {got[:1]})"
    assert reader.paired == [bool(PAIRS), False], f"req_pair of the weight and bias requests: {reader.paired}"
    # biases: the beats that hold them, then exactly those values in buffer buf
    first = b_off + ob * 2 * P
    b_addr = first - first % BEAT
    beats = -(-(first % BEAT + 2 * P) // BEAT)
    assert reader.requests[1:] == [(b_addr, beats)], f"bias request {reader.requests[1:]}, expected {(b_addr, beats)}"
    dut.bias_sel.value = buf
    await FallingEdge(dut.clk)
    got = harness.unsigned(dut.bias.value)
    expect = int.from_bytes(memory[first : first + 2 * P], "little")
    assert got == expect, f"bias buffer {buf}: {got:#x}, expected {expect:#x}"


@cocotb.test()
async def blocks_with_stalls(dut) -> None:
    """Random blocks (tile counts 1..WBUF_TILES, both halves, bias offsets at every even byte) with random
    grant waits and beat gaps; the other half's biases must survive a fetch into this one."""
    rng = random.Random(cocotb.RANDOM_SEED)
    memory = rng.randbytes(MEMORY)
    await reset(dut)
    cases = [(0, 0, 1), (1, 1, 1), (3, 0, 2), (0, 1, min(WBUF_TILES, 9))]
    cases += [(rng.randrange(4), rng.randrange(2), rng.randint(1, min(WBUF_TILES, 12))) for _ in range(14)]
    for ob, buf, tiles in cases:
        await fetch(dut, rng, memory, ob, buf, tiles)


@cocotb.test()
async def reset_mid_fetch(dut) -> None:
    """A reset while the weights arrive leaves the block idle without a request; the next fetch is clean."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    memory = rng.randbytes(MEMORY)
    await reset(dut)
    reader = Reader(dut, rng, memory)
    await kick(dut, 1, 0, 0, 0, MEMORY // 2, 4)
    while len(reader.writes) < 3:
        await reader.cycle()
    await FallingEdge(dut.clk)
    dut.in_valid.value = 0
    dut.rst.value = 1
    await ClockCycles(dut.clk, 1)
    dut.rst.value = 0
    await FallingEdge(dut.clk)
    assert dut.idle.value and not dut.req_valid.value, "not idle after a reset"
    await fetch(dut, rng, memory, 2, 1, 3)
