"""cocotb testbench of the generated register block (hw/regs/bg_core_regs.sv) through its AXI4-Lite
slave, with the addresses and fields of the generated Python map (hw/regs/core_regs.py), so that the
RTL, the map and the driver's view are checked against each other. Every AXI4-Lite channel pauses at
random (cocotbext-axi pause generators) on the master side, which stalls valid and ready alike."""

from __future__ import annotations

import random
from collections.abc import Iterator

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiResp

from blurgauge.hw.compiler.program import FORMAT_VERSION
from blurgauge.hw.regs import core_regs as regs
from blurgauge.sim import harness


def pauses(rng: random.Random, prob: float = 0.4) -> Iterator[bool]:
    while True:
        yield rng.random() < prob


async def setup(dut, seed: int) -> tuple[AxiLiteMaster, random.Random]:
    rng = random.Random(seed)
    for name in ("st_busy", "st_done_set", "st_done_clr", "st_error"):
        getattr(dut, name).value = 0
    for name in ("cfg_lanes", "cfg_slots", "cfg_log2_slot_bytes", "st_error_code", "st_layer", "cycles",
                 "stall_cycles", "res_argmax", "res_logits_frac", "logits"):
        getattr(dut, name).value = 0
    axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
    for channel in (axil.write_if.aw_channel, axil.write_if.w_channel, axil.write_if.b_channel,
                    axil.read_if.ar_channel, axil.read_if.r_channel):
        channel.set_pause_generator(pauses(rng))
    await harness.start_clock_and_reset(dut)
    return axil, rng


async def read(axil: AxiLiteMaster, addr: int) -> int:
    resp = await axil.read(addr, 4)
    assert resp.resp == AxiResp.OKAY, f"read 0x{addr:02X}: {resp.resp}"
    return int.from_bytes(resp.data, "little")


async def write(axil: AxiLiteMaster, addr: int, value: int) -> None:
    resp = await axil.write(addr, value.to_bytes(4, "little"))
    assert resp.resp == AxiResp.OKAY, f"write 0x{addr:02X}: {resp.resp}"


@cocotb.test(timeout_time=100, timeout_unit="us")
async def identity_and_configuration(dut) -> None:
    axil, rng = await setup(dut, cocotb.RANDOM_SEED)
    assert await read(axil, regs.ID) == regs.ID_VALUE == 0x42474352
    version = await read(axil, regs.VERSION)
    assert version == regs.VERSION_VALUE
    assert regs.FIELDS["VERSION"]["program_format"].get(version) == FORMAT_VERSION
    for _ in range(5):
        lanes, slots, log2 = rng.randrange(256), rng.randrange(256), rng.randrange(256)
        dut.cfg_lanes.value, dut.cfg_slots.value, dut.cfg_log2_slot_bytes.value = lanes, slots, log2
        await RisingEdge(dut.clk)
        word = await read(axil, regs.CONFIG)
        f = regs.FIELDS["CONFIG"]
        assert (f["lanes"].get(word), f["slots"].get(word), f["log2_slot_bytes"].get(word)) == (lanes, slots, log2)


@cocotb.test(timeout_time=100, timeout_unit="us")
async def program_address(dut) -> None:
    axil, rng = await setup(dut, cocotb.RANDOM_SEED + 1)
    assert await read(axil, regs.PROGRAM_ADDR_LO) == 0 and await read(axil, regs.PROGRAM_ADDR_HI) == 0
    for _ in range(5):
        addr = rng.getrandbits(64) & ~0xF
        await write(axil, regs.PROGRAM_ADDR_LO, addr & 0xFFFFFFFF)
        await write(axil, regs.PROGRAM_ADDR_HI, addr >> 32)
        assert await read(axil, regs.PROGRAM_ADDR_LO) == addr & 0xFFFFFFFF
        assert await read(axil, regs.PROGRAM_ADDR_HI) == addr >> 32
        assert dut.program_addr.value.to_unsigned() == addr


@cocotb.test(timeout_time=100, timeout_unit="us")
async def control_pulses_and_flags(dut) -> None:
    """start and soft_reset are one-cycle pulses that read back 0; reuse_input and irq_enable hold."""
    axil, _ = await setup(dut, cocotb.RANDOM_SEED + 2)
    f = regs.FIELDS["CTRL"]
    high = {"ctrl_start": 0, "ctrl_soft_reset": 0}

    async def count_high() -> None:
        while True:
            await RisingEdge(dut.clk)
            for name in high:
                high[name] += int(getattr(dut, name).value)

    counter = cocotb.start_soon(count_high())
    word = f["start"].put(f["reuse_input"].put(f["irq_enable"].put(0, 1), 1), 1)
    await write(axil, regs.CTRL, word)
    await ClockCycles(dut.clk, 3)
    assert high == {"ctrl_start": 1, "ctrl_soft_reset": 0}
    assert (dut.ctrl_reuse_input.value, dut.ctrl_irq_enable.value) == (1, 1)
    back = await read(axil, regs.CTRL)
    assert (f["start"].get(back), f["reuse_input"].get(back), f["irq_enable"].get(back)) == (0, 1, 1)
    await write(axil, regs.CTRL, f["soft_reset"].put(0, 1))
    await ClockCycles(dut.clk, 3)
    assert high == {"ctrl_start": 1, "ctrl_soft_reset": 1}
    # That write carried 0 in the held flags, so they are clear now.
    assert await read(axil, regs.CTRL) == 0
    counter.cancel()


@cocotb.test(timeout_time=100, timeout_unit="us")
async def status_done_is_sticky_and_write_one_to_clear(dut) -> None:
    axil, rng = await setup(dut, cocotb.RANDOM_SEED + 3)
    f = regs.FIELDS["STATUS"]
    dut.st_busy.value, dut.st_error.value = 1, 1
    dut.st_error_code.value, dut.st_layer.value = int(regs.ErrorCode.AXI_READ), 1234
    await RisingEdge(dut.clk)
    word = await read(axil, regs.STATUS)
    assert (f["busy"].get(word), f["done"].get(word), f["error"].get(word)) == (1, 0, 1)
    assert (f["error_code"].get(word), f["layer"].get(word)) == (regs.ErrorCode.AXI_READ, 1234)
    # done: set by a one-cycle pulse from the core, stays set, cleared by writing 1 (writing 0 keeps it).
    dut.st_done_set.value = 1
    await RisingEdge(dut.clk)
    dut.st_done_set.value = 0
    await ClockCycles(dut.clk, rng.randint(1, 5))
    assert f["done"].get(await read(axil, regs.STATUS)) == 1
    await write(axil, regs.STATUS, 0)
    assert f["done"].get(await read(axil, regs.STATUS)) == 1
    await write(axil, regs.STATUS, f["done"].put(0, 1))
    assert f["done"].get(await read(axil, regs.STATUS)) == 0 and dut.status_done.value == 0
    # The core clears it when a new run starts.
    dut.st_done_set.value = 1
    await RisingEdge(dut.clk)
    dut.st_done_set.value = 0
    dut.st_done_clr.value = 1
    await RisingEdge(dut.clk)
    dut.st_done_clr.value = 0
    assert f["done"].get(await read(axil, regs.STATUS)) == 0


@cocotb.test(timeout_time=200, timeout_unit="us")
async def counters_result_and_logits(dut) -> None:
    axil, rng = await setup(dut, cocotb.RANDOM_SEED + 4)
    for _ in range(3):
        cycles, stalls = rng.getrandbits(32), rng.getrandbits(32)
        argmax, frac = rng.randrange(8), rng.randrange(16)
        logits = [rng.randint(-(1 << 31), (1 << 31) - 1) for _ in range(regs.LOGIT_COUNT)]
        dut.cycles.value, dut.stall_cycles.value = cycles, stalls
        dut.res_argmax.value, dut.res_logits_frac.value = argmax, frac
        dut.logits.value = harness.pack(logits, 32)
        await RisingEdge(dut.clk)
        assert await read(axil, regs.CYCLES) == cycles
        assert await read(axil, regs.STALL_CYCLES) == stalls
        result = await read(axil, regs.RESULT)
        assert regs.FIELDS["RESULT"]["argmax"].get(result) == argmax
        assert regs.FIELDS["RESULT"]["logits_frac"].get(result) == frac
        for i in range(regs.LOGIT_COUNT):
            got = harness.to_signed(await read(axil, regs.ADDRESSES[f"LOGIT{i}"]), 32)
            assert got == logits[i], f"LOGIT{i}: {got} != {logits[i]}"


@cocotb.test(timeout_time=100, timeout_unit="us")
async def bad_accesses_answer_slverr(dut) -> None:
    axil, _ = await setup(dut, cocotb.RANDOM_SEED + 5)
    mapped = set(regs.ADDRESSES.values())
    for addr in (a for a in range(0, 0x80, 4) if a not in mapped):
        assert (await axil.read(addr, 4)).resp == AxiResp.SLVERR, f"read 0x{addr:02X}"
        assert (await axil.write(addr, b"\xff" * 4)).resp == AxiResp.SLVERR, f"write 0x{addr:02X}"
    for name in ("ID", "VERSION", "CONFIG", "CYCLES", "LOGIT0"):
        assert (await axil.write(regs.ADDRESSES[name], b"\xff" * 4)).resp == AxiResp.SLVERR, name
    assert await read(axil, regs.ID) == regs.ID_VALUE
