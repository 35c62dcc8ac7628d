"""cocotb testbench of the whole core, hw/rtl/bg_core.sv, end to end over its AXI interfaces.

* registers: cocotbext-axi AxiLiteMaster on s_axil_* (random pauses on all five channels);
* input patch: AxiStreamSource on s_axis_* (LANES bytes per beat, random pauses), or from DDR with
  CTRL.input_from_memory (the patch at INPUT_ADDR, read through m_axi_*);
* DDR: an AxiRamRead on m_axi_* (random pauses on AR and R) holding program images packed by
  blurgauge.hw.compiler.program.pack, and with READ_PORTS = 2 a second one on m1_axi_* over the same
  memory (its own random pauses); a subclass answers SLVERR on a chosen address range, on either port.
  The case's ``read_port_bits`` (default 128) models a narrower board port behind each of the core's
  128-bit masters, in bits per core cycle: R beats 128 / read_port_bits cycles apart on average
  (``read_pauses``).

The pytest process (tests/sim/test_rtl_core.py) builds the programs (TensorFlow), fills them with random
weights, computes the expected logits with blurgauge.hw.compiler.golden.run_program and hands everything over in a
JSON file named by CASE_ENV; this process imports neither TensorFlow nor the golden model. Every wait has
a timeout, so a hung core fails the test instead of hanging it. Cycle counts go to RESULTS_ENV (JSON).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiReadBus, AxiResp, AxiStreamBus, AxiStreamFrame, AxiStreamSource
from cocotbext.axi.axi_ram import AxiRamRead

from blurgauge.hw import targets, verilator
from blurgauge.hw.compiler.program import FORMAT_VERSION
from blurgauge.hw.regs import core_regs as regs
from blurgauge.sim import harness

CASE_ENV = "BG_CORE_CASE"        # JSON: images, patch, expected logits (tests/sim/test_rtl_core.py)
RESULTS_ENV = "BG_CORE_RESULTS"  # JSON written here: cycle counts of the good runs
PRM = verilator.params()
LANES = PRM.get("LANES", 16)
SLOTS = PRM.get("SLOTS", 4)
# bg_core's default is the default target's (tests/hw/test_boards.py keeps them equal)
READ_PORTS = PRM.get("READ_PORTS", targets.get(targets.DEFAULT_TARGET).core["READ_PORTS"])
ERR = regs.ErrorCode
ST = regs.FIELDS["STATUS"]
CTRL_START, CTRL_SOFT_RESET, CTRL_REUSE, CTRL_IRQ = 1, 2, 4, 8
CTRL_CHECKED = regs.FIELDS["CTRL"]["payload_checked"].mask
CTRL_MEMORY = regs.FIELDS["CTRL"]["input_from_memory"].mask
JOB_ONLY_ENV = "BG_CORE_JOB_ONLY"  # set: image_job runs its three good jobs and stops (bench/rtl_core.py)
# set: errors_then_good_runs raises only the faults that reach the core through its ports (the stream's
# length, SLVERR, start while busy, soft reset), not the program image's own (header, layers), whose
# path is the core's logic behind a read that already succeeded (tests/sim/test_rtl_wrapper.py)
PORT_FAULTS_ONLY_ENV = "BG_CORE_PORT_FAULTS_ONLY"
FIRST_JOB_ONLY_ENV = "BG_CORE_FIRST_JOB_ONLY"  # set: image_job runs its first job (two ranges) and stops
HEADER_BYTES, LAYER_BYTES = 64, 48
MEM_SIZE = 1 << 24
ADDR = {"coarse": 0x0010_0000, "fine": 0x0040_0000, "bad": 0x0080_0000}
MIB = 1 << 20


def layout(coarse_bytes: int, fine_bytes: int) -> tuple[dict[str, int], int]:
    """(addresses of the coarse, fine and bad images and of the input patch, DDR size): ADDR while the
    images fit between its addresses (the burst splits, and so the cycle counts, stay comparable from run to
    run), else each image 1 MiB-aligned after the one before (the width-64 images are 11 MB). The input
    patch (CTRL.input_from_memory) has the last MiB."""
    def up(n: int) -> int:
        return -(-n // MIB) * MIB

    if ADDR["coarse"] + coarse_bytes <= ADDR["fine"] and ADDR["fine"] + fine_bytes <= ADDR["bad"] \
            and ADDR["bad"] + max(coarse_bytes, fine_bytes) <= MEM_SIZE - MIB:
        return {**ADDR, "input": MEM_SIZE - MIB}, MEM_SIZE
    coarse = ADDR["coarse"]
    fine = up(coarse + coarse_bytes)
    bad = up(fine + fine_bytes)
    top = up(bad + max(coarse_bytes, fine_bytes))
    return {"coarse": coarse, "fine": fine, "bad": bad, "input": top}, top + MIB


class FaultyRam(AxiRamRead):
    """DDR whose reads in ``fault`` (a byte address range) fail: the model then answers SLVERR."""

    fault: range | None = None
    bytes_read = 0  # every byte the core has read, to check what a run fetches

    async def _read(self, address: int, length: int) -> bytes:
        if self.fault is not None and address in self.fault:
            raise OSError(f"injected read fault at 0x{address:x}")
        self.bytes_read += length
        return await super()._read(address, length)


class Ddr:
    """The board's DDR as the core sees it: one memory behind each of the core's READ_PORTS read masters
    (m_axi_*, m1_axi_*), each port a FaultyRam over the same bytes. ``fault`` fails reads in a range on
    every port; ``bytes_read`` counts both."""

    PREFIXES = ("m_axi", "m1_axi")

    def __init__(self, dut: Any, size: int, ports: int) -> None:
        first = FaultyRam(AxiReadBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=size)
        self.ports = [first] + [FaultyRam(AxiReadBus.from_prefix(dut, prefix), dut.clk, dut.rst, mem=first.mem)
                                for prefix in self.PREFIXES[1:ports]]

    def write(self, address: int, data: bytes) -> None:
        self.ports[0].write(address, data)

    @property
    def fault(self) -> range | None:
        return self.ports[0].fault

    @fault.setter
    def fault(self, where: range | None) -> None:
        for port in self.ports:
            port.fault = where

    @property
    def bytes_read(self) -> int:
        return sum(port.bytes_read for port in self.ports)


def pauses(rng: random.Random, prob: float) -> Iterator[bool]:
    while True:
        yield rng.random() < prob


#: The data width of the core's AXI4 read master (bg_core's m_axi_rdata).
CORE_READ_BITS = 128


def read_pauses(rng: random.Random, prob: float, port_bits: int = CORE_READ_BITS) -> Iterator[bool]:
    """R-channel pauses of DDR behind a port that delivers ``port_bits`` per core cycle (its width times its
    clock over the core's: 96 is a 64-bit port at 1.5 times the core's clock): a 128-bit beat can arrive
    only in the cycles where the port has gathered one, 128 / port_bits cycles apart on average, and a
    cycle that could deliver one still pauses at random with ``prob`` (the memory's own waits)."""
    if not 8 <= port_bits <= CORE_READ_BITS:
        raise ValueError(f"read port of {port_bits} bits a cycle: expected 8 to {CORE_READ_BITS}")
    cycle = 0
    while True:
        gathered = cycle * port_bits % CORE_READ_BITS < port_bits  # a beat's worth arrived since the last
        yield not gathered or rng.random() < prob
        cycle += 1


class Env:
    def __init__(self, dut: Any, case: dict, seed: int) -> None:
        self.dut, self.case = dut, case
        for bus in ("s_axil", "s_axis", *Ddr.PREFIXES):  # one INFO line per burst and access costs time
            logging.getLogger(f"cocotb.{dut._name}.{bus}").setLevel(logging.WARNING)
        self.rng = random.Random(seed)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        for ch in (self.axil.write_if.aw_channel, self.axil.write_if.w_channel, self.axil.write_if.b_channel,
                   self.axil.read_if.ar_channel, self.axil.read_if.r_channel):
            ch.set_pause_generator(pauses(self.rng, 0.3))
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst)
        self.source.set_pause_generator(pauses(self.rng, 0.3))
        self.images = {name: bytes.fromhex(case["images"][name]) for name in ("coarse", "fine")}
        self.addr, mem_size = layout(len(self.images["coarse"]), len(self.images["fine"]))
        # the image job's extra images (five fine programs, a coarse one with no range), 1 MiB-aligned above
        self.job_images = {k: bytes.fromhex(v) for k, v in case.get("job", {}).get("images", {}).items()}
        self.job_addr: dict[str, int] = {}
        for name, image in self.job_images.items():
            self.job_addr[name] = mem_size
            mem_size += -(-len(image) // MIB) * MIB
        self.ram = Ddr(dut, mem_size, READ_PORTS)
        port_bits = int(case.get("read_port_bits", CORE_READ_BITS))
        cocotb.start_soon(self.pause_ddr([(pauses(self.rng, 0.3), read_pauses(self.rng, 0.2, port_bits))
                                          for _ in self.ram.ports]))
        self.streaming = False
        for name, image in self.images.items():
            self.ram.write(self.addr[name], image)
        for name, image in self.job_images.items():
            self.ram.write(self.job_addr[name], image)
        self.patch = bytes(v & 0xFF for v in case["patch"])
        self.ram.write(self.addr["input"], self.patch)
        self.timeout_ns = int(case["timeout_ns"])
        self.results: dict[str, Any] = {}

    async def pause_ddr(self, port_pauses: list[tuple[Iterator[bool], Iterator[bool]]]) -> None:
        """The DDR's random pauses on AR and R of every port, all set every clock by one coroutine: what a
        pause generator on each channel does (per port the AR value drawn, then the R value, in the order
        the channels' generators drew them), at one Python resume a clock instead of two per port. The DDR
        runs throughout a test, so this is the testbench's most frequent coroutine after the R channels'."""
        edge = RisingEdge(self.dut.clk)
        channels = [(ram.ar_channel, ram.r_channel) for ram in self.ram.ports]
        while True:
            for (ar_channel, r_channel), (ar, r) in zip(channels, port_pauses, strict=True):
                ar_channel.pause = next(ar)
                r_channel.pause = next(r)
            await edge

    def pauses(self, on: bool) -> None:
        """Random pauses on the register and stream channels. A pause generator costs a Python call per
        clock, so they are on while those channels carry traffic and off while a run computes; the DDR
        channels pause at random throughout."""
        channels = [self.axil.write_if.aw_channel, self.axil.write_if.w_channel, self.axil.write_if.b_channel,
                    self.axil.read_if.ar_channel, self.axil.read_if.r_channel]
        if not self.streaming:
            channels.append(self.source)
        for ch in channels:
            if on:
                ch.set_pause_generator(pauses(self.rng, 0.3))
            else:
                ch.clear_pause_generator()

    async def read(self, addr: int) -> int:
        resp = await self.axil.read(addr, 4)
        assert resp.resp == AxiResp.OKAY, f"read 0x{addr:02X}: {resp.resp}"
        return int.from_bytes(resp.data, "little")

    async def write(self, addr: int, value: int) -> None:
        resp = await self.axil.write(addr, value.to_bytes(4, "little"))
        assert resp.resp == AxiResp.OKAY, f"write 0x{addr:02X}: {resp.resp}"

    async def start(self, addr: int, reuse: bool, patch: bytes | None, checked: bool = False,
                    input_addr: int | None = None) -> None:
        """Start a run of the program at ``addr``: the patch on the stream, or with ``input_addr`` read by
        the core from DDR there (CTRL.input_from_memory)."""
        await self.write(regs.STATUS, ST["done"].mask)  # clear done (and with it irq)
        await self.write(regs.PROGRAM_ADDR_LO, addr & 0xFFFFFFFF)
        await self.write(regs.PROGRAM_ADDR_HI, addr >> 32)
        ctrl = CTRL_IRQ | (CTRL_REUSE if reuse else 0) | (CTRL_CHECKED if checked else 0)
        if input_addr is not None:
            await self.write(regs.INPUT_ADDR_LO, input_addr & 0xFFFFFFFF)
            await self.write(regs.INPUT_ADDR_HI, input_addr >> 32)
            ctrl |= CTRL_MEMORY
        await self.write(regs.CTRL, ctrl)
        assert not self.dut.irq.value, "irq high with done cleared"
        await self.write(regs.CTRL, ctrl | CTRL_START)
        if patch is not None and input_addr is None:
            await self.source.send(AxiStreamFrame(patch))
            self.streaming = True

    async def layer_times(self, marks: list[tuple[int, int, int]], signal: Any) -> None:
        """(job run, layer, time in ns) at each change of ``signal`` (the sequencer's layer index or the
        image job's run): one event per layer, so the per-layer cycles cost no Python per clock."""
        while True:
            await signal.value_change
            marks.append((int(self.dut.job_run.value), int(self.dut.layer.value), int(get_sim_time("ns"))))

    async def wait_done(self, stream_ends: bool = True) -> dict[str, int]:
        start_ns = int(get_sim_time("ns"))
        marks: list[tuple[int, int, int]] = [(0, 0, start_ns)]
        watchers = [cocotb.start_soon(self.layer_times(marks, signal)) for signal in (self.dut.layer, self.dut.job_run)]
        if self.streaming and stream_ends:
            await with_timeout(self.source.wait(), self.timeout_ns, "ns")
            self.streaming = False
        self.pauses(False)
        if not self.dut.irq.value:
            await with_timeout(RisingEdge(self.dut.irq), self.timeout_ns, "ns")
        end_ns = int(get_sim_time("ns"))
        for watcher in watchers:
            watcher.cancel()
        self.pauses(True)
        status = await self.read(regs.STATUS)
        out = {
            "busy": ST["busy"].get(status), "done": ST["done"].get(status), "error": ST["error"].get(status),
            "error_code": ST["error_code"].get(status), "layer": ST["layer"].get(status),
            "cycles": await self.read(regs.CYCLES), "stall_cycles": await self.read(regs.STALL_CYCLES),
        }
        result = await self.read(regs.RESULT)
        out["argmax"], out["logits_frac"] = result & 0xFF, (result >> 8) & 0xFF
        logits = []
        for i in range(regs.LOGIT_COUNT):
            v = await self.read(regs.LOGIT0 + 4 * i)
            logits.append(v - (1 << 32) if v >> 31 else v)
        out["logits"] = logits  # type: ignore[assignment]
        # Cycles per layer (10 ns clock) from the layer index changes: the first layer's share includes
        # the header, the payload CRC and the input stream, each layer's its record and first weights. A
        # single run is the job's run 0.
        out["run_layer_cycles"] = run_layer_cycles(marks, end_ns)  # type: ignore[assignment]
        if out["error"] == 0:
            out["layer_cycles"] = out["run_layer_cycles"].get("0", [])  # type: ignore[assignment]
        return out

    async def run(self, name: str, reuse: bool, addr: int | None = None, patch: bytes | None = None,
                  stream_ends: bool = True, checked: bool = False, input_addr: int | None = None) -> dict:
        await self.start(self.addr[name] if addr is None else addr, reuse, None if reuse else (patch or self.patch),
                         checked, input_addr)
        return await self.wait_done(stream_ends)

    def check_good(self, out: dict, name: str, label: str) -> None:
        exp = self.case["expected"][name]
        assert (out["busy"], out["done"], out["error"], out["error_code"]) == (0, 1, 0, 0), f"{label}: {out}"
        assert out["logits"] == exp["logits"], f"{label}: logits {out['logits']} != golden {exp['logits']}"
        assert out["argmax"] == exp["argmax"], f"{label}: argmax {out['argmax']} != {exp['argmax']}"
        assert out["logits_frac"] == exp["logits_frac"], label
        assert out["layer"] == exp["layers"] - 1, label
        assert 0 < out["stall_cycles"] < out["cycles"], label
        self.dut._log.info("%s: %d cycles (%d stalled), logits %s", label, out["cycles"], out["stall_cycles"],
                           out["logits"])
        self.results[label] = {"cycles": out["cycles"], "stall_cycles": out["stall_cycles"],
                               "layer_cycles": out["layer_cycles"]}

    async def check_error(self, out: dict, code: int, label: str) -> None:
        assert (out["busy"], out["done"], out["error"], out["error_code"]) == (0, 1, 1, code), f"{label}: {out}"
        self.dut._log.info("%s: error %s as expected", label, ERR(code).name)

    def save(self) -> None:
        path = os.environ.get(RESULTS_ENV)
        if path:
            old = json.loads(Path(path).read_text()) if Path(path).exists() else {}
            old.update(self.results)
            Path(path).write_text(json.dumps(old, indent=1))


def load_case() -> dict:
    path = os.environ.get(CASE_ENV)
    assert path, f"{CASE_ENV} names no case file"
    return json.loads(Path(path).read_text())


async def setup(dut: Any, seed: int) -> Env:
    env = Env(dut, load_case(), seed)
    await harness.start_clock_and_reset(dut)
    return env


# ---- image edits (the CRCs recomputed so that only the intended field is wrong) --------------------


def fix_crcs(image: bytearray, payload: bool = True) -> bytes:
    if payload:
        image[52:56] = zlib.crc32(bytes(image[HEADER_BYTES:])).to_bytes(4, "little")
    image[60:64] = zlib.crc32(bytes(image[:60])).to_bytes(4, "little")
    return bytes(image)


def layer_offset(image: bytes) -> int:
    return int.from_bytes(image[36:40], "little")


def weight_range(image: bytes, layer: int) -> tuple[int, int]:
    """Byte offset and length of a layer's weight tiles in the image."""
    rec = layer_offset(image) + layer * LAYER_BYTES
    base = int.from_bytes(image[40:44], "little")
    return base + int.from_bytes(image[rec + 28:rec + 32], "little"), int.from_bytes(image[rec + 32:rec + 36], "little")


# ---- tests -------------------------------------------------------------------------------------------


def check_payload_read_once(env: Env, checking_read: int, checked_read: int) -> None:
    """A coarse run with CTRL.payload_checked reads the payload once; ``checking_read`` (the bytes a run
    without it read) holds it twice (the CRC pass, then the layers)."""
    payload = len(env.images["coarse"]) - HEADER_BYTES
    assert checking_read - checked_read >= payload - 16, (checking_read, checked_read)


async def check_irq_follows_enable(env: Env) -> None:
    """After a run: irq high with done and irq_enable, low once CTRL clears irq_enable."""
    assert env.dut.irq.value == 1, "irq low after a run with irq_enable"
    await env.write(regs.CTRL, 0)
    await ClockCycles(env.dut.clk, 2)
    assert env.dut.irq.value == 0, "irq high with irq_enable cleared"


@cocotb.test(timeout_time=2000, timeout_unit="ms")
async def coarse_then_fine(dut: Any) -> None:
    """The coarse network on a streamed patch, then the fine network on the same patch kept on chip, then
    the coarse one again with CTRL.payload_checked (its image passed the payload CRC in the first run): the
    same logits, without the second read of every weight."""
    env = await setup(dut, cocotb.RANDOM_SEED)
    config = await env.read(regs.CONFIG)
    assert config & 0xFF == LANES
    read = env.ram.bytes_read
    out = await env.run("coarse", reuse=False)
    env.check_good(out, "coarse", "coarse pass")
    checking_read = env.ram.bytes_read - read
    out = await env.run("fine", reuse=True)
    env.check_good(out, "fine", "fine pass (reuse_input)")
    read = env.ram.bytes_read
    out = await env.run("coarse", reuse=True, checked=True)
    env.check_good(out, "coarse", "coarse pass (reuse_input, payload_checked)")
    check_payload_read_once(env, checking_read, env.ram.bytes_read - read)
    await check_irq_follows_enable(env)
    env.save()


@cocotb.test(timeout_time=4000, timeout_unit="ms")
async def errors_then_good_runs(dut: Any) -> None:
    """Each fault ends the run with its error code, never a hang, and the next run is correct."""
    env = await setup(dut, cocotb.RANDOM_SEED + 1)
    coarse = env.images["coarse"]
    bad = env.addr["bad"]

    # Stream length: TLAST one beat early; the patch is then streamed properly.
    out = await env.run("coarse", reuse=False, patch=env.patch[:-LANES])
    await env.check_error(out, ERR.STREAM_LENGTH, "early TLAST")
    env.check_good(await env.run("coarse", reuse=False), "coarse", "after early TLAST")

    program_faults = not os.environ.get(PORT_FAULTS_ONLY_ENV)
    cases: list[tuple[str, bytes, int]] = []
    img = bytearray(coarse)
    img[0] ^= 0x01
    cases.append(("bad magic", fix_crcs(img, payload=False), ERR.BAD_MAGIC))
    img = bytearray(coarse)
    img[4] = FORMAT_VERSION + 1
    cases.append(("the next format version", fix_crcs(img, payload=False), ERR.BAD_VERSION))
    img = bytearray(coarse)
    img[9] ^= 0x40
    cases.append(("header CRC", bytes(img), ERR.HEADER_CRC))
    img = bytearray(coarse)
    start, length = weight_range(coarse, 5)
    img[start + length // 2] ^= 0x10
    cases.append(("payload CRC", bytes(img), ERR.PAYLOAD_CRC))
    img = bytearray(coarse)
    img[11] = LANES * 2 % 256
    cases.append(("lanes", fix_crcs(img, payload=False), ERR.NO_FIT))
    img = bytearray(coarse)
    img[22] = min(SLOTS + 1, 255)  # slot_count: the program needs one slot more than the core has
    cases.append(("slots", fix_crcs(img, payload=False), ERR.NO_FIT))
    img = bytearray(coarse)
    img[layer_offset(coarse) + 3 * LAYER_BYTES] = 9  # layer 3: op 9
    cases.append(("op 9", fix_crcs(img), ERR.BAD_LAYER))
    img = bytearray(coarse)
    img[layer_offset(coarse) + 4 * LAYER_BYTES + 3] = 0  # layer 4 writes the input slot
    cases.append(("dst slot 0", fix_crcs(img), ERR.BAD_LAYER))
    bad_layers = {"op 9": 3, "dst slot 0": 4}
    for label, image, code in cases if program_faults else []:
        env.ram.write(bad, image)
        out = await env.run("coarse", reuse=True, addr=bad)
        await env.check_error(out, code, label)
        if code == ERR.BAD_LAYER:  # found at a layer record, after the layers before it ran
            # A record read and decoded beside the last pass of the layer before (the prefetch) is
            # reported only once that layer has drained: STATUS.layer names the bad record's layer.
            assert out["layer"] == bad_layers[label], f"{label}: {out}"
            env.check_good(await env.run("coarse", reuse=True), "coarse", f"after {label}")
    if program_faults:  # the header errors end a run before any layer; one good run after all of them
        env.check_good(await env.run("coarse", reuse=True), "coarse", "after the header errors")

    # SLVERR on the weights of layer 9 (after the payload CRC pass read them fine? no: the CRC pass reads
    # them too, so the fault is switched on once the run has reached layer 2).
    await env.start(env.addr["coarse"], True, None)
    await wait_layer(env, 2)
    start, length = weight_range(coarse, 9)
    env.ram.fault = range(env.addr["coarse"] + start, env.addr["coarse"] + start + length)
    out = await env.wait_done()
    env.ram.fault = None
    await env.check_error(out, ERR.AXI_READ, "SLVERR")
    env.check_good(await env.run("coarse", reuse=True), "coarse", "after SLVERR")

    # Start while busy.
    await env.start(env.addr["coarse"], True, None)
    await wait_layer(env, 3)
    await env.write(regs.CTRL, CTRL_IRQ | CTRL_REUSE | CTRL_START)
    out = await env.wait_done()
    await env.check_error(out, ERR.START_BUSY, "start while busy")
    env.check_good(await env.run("fine", reuse=True), "fine", "after start while busy")

    # Soft reset in the middle of a layer: idle, STATUS cleared, no irq; then a correct run.
    await env.start(env.addr["fine"], True, None)
    await wait_layer(env, 4)
    await ClockCycles(dut.clk, env.rng.randint(1, 200))
    await env.write(regs.CTRL, CTRL_IRQ | CTRL_SOFT_RESET)
    await ClockCycles(dut.clk, 5)
    status = await env.read(regs.STATUS)
    assert status & 0xFFFF == 0 and dut.irq.value == 0, f"after soft reset: STATUS 0x{status:08x}"
    env.check_good(await env.run("coarse", reuse=True), "coarse", "after soft reset")

    # Missing TLAST (a frame one beat too long) last: its extra beat stays on the stream.
    out = await env.run("coarse", reuse=False, patch=env.patch + bytes(LANES), stream_ends=False)
    await env.check_error(out, ERR.STREAM_LENGTH, "missing TLAST")
    env.save()


async def wait_layer(env: Env, layer: int) -> None:
    """Poll STATUS until the run reaches ``layer`` (bounded: a stuck core fails here)."""
    for _ in range(100000):
        status = await env.read(regs.STATUS)
        assert ST["busy"].get(status), f"run ended before layer {layer}: 0x{status:08x}"
        if ST["layer"].get(status) >= layer:
            return
        await ClockCycles(env.dut.clk, 50)
    raise AssertionError(f"layer {layer} never reached")


@cocotb.test(timeout_time=4000, timeout_unit="ms")
async def input_from_memory(dut: Any) -> None:
    """The patch read from DDR (CTRL.input_from_memory) gives the stream's logits bit for bit, coarse then
    fine; a misaligned INPUT_ADDR and SLVERR on the patch end the run with their codes and leave nothing
    behind; the stream and the memory path alternate freely. A run with CTRL.payload_checked reads the
    weights once, a checking run twice (CRC, then layers); irq follows done and irq_enable."""
    env = await setup(dut, cocotb.RANDOM_SEED + 2)
    assert await env.read(regs.CONFIG) & 0xFF == LANES
    where = env.addr["input"]
    read = env.ram.bytes_read
    out = await env.run("coarse", reuse=False, input_addr=where)
    checking_read = env.ram.bytes_read - read
    env.check_good(out, "coarse", "coarse pass (input from memory)")
    env.check_good(await env.run("fine", reuse=True), "fine", "fine pass (reuse after memory input)")

    # A patch that is not 16-byte aligned: INPUT_ALIGN before any read of it.
    read = env.ram.bytes_read
    out = await env.run("coarse", reuse=False, input_addr=where + 8, checked=True)
    await env.check_error(out, ERR.INPUT_ALIGN, "misaligned INPUT_ADDR")
    assert env.ram.bytes_read - read < len(env.patch), "the misaligned patch was read"

    # SLVERR in the middle of the patch: AXI_READ; the half-read patch must not leak into the next run.
    env.ram.fault = range(where + len(env.patch) // 2, where + len(env.patch))
    out = await env.run("coarse", reuse=False, input_addr=where, checked=True)
    env.ram.fault = None
    await env.check_error(out, ERR.AXI_READ, "SLVERR on the input patch")
    env.check_good(await env.run("coarse", reuse=False, input_addr=where, checked=True), "coarse",
                   "after SLVERR on the input patch")

    # A different patch in DDR changes the result; the stream path right after still gives the golden one.
    env.ram.write(where, bytes(len(env.patch)))
    read = env.ram.bytes_read
    zero = await env.run("coarse", reuse=False, input_addr=where, checked=True)
    check_payload_read_once(env, checking_read, env.ram.bytes_read - read)
    assert (zero["error"], zero["done"]) == (0, 1) and zero["logits"] != env.case["expected"]["coarse"]["logits"]
    env.check_good(await env.run("coarse", reuse=False, checked=True), "coarse", "stream after memory input")
    env.ram.write(where, env.patch)
    env.check_good(await env.run("coarse", reuse=False, input_addr=where, checked=True), "coarse",
                   "memory input after stream")
    await check_irq_follows_enable(env)
    env.save()


# ---- the image job: one start, four runs -------------------------------------------------------------

def run_layer_cycles(marks: list[tuple[int, int, int]], end_ns: int) -> dict[str, list[int]]:
    """Cycles per layer of each run (10 ns clock; a single run is run 0, an image job's runs are named as
    JOB_STATUS.run), from the (run, layer, time) marks: each span between two marks counts to the run and
    layer of the first. A batch's prefix layers run once per map and count both; a run's first layer
    includes its header, payload CRC and input reads, and its last the argmax and the launch of the next
    run, so the runs' cycles add up to the job's."""
    cycles: dict[str, list[int]] = {}
    for (run, layer, t), (_, _, t_next) in itertools.pairwise([*marks, (0, 0, end_ns)]):
        per_layer = cycles.setdefault(str(run), [])
        per_layer.extend([0] * (layer + 1 - len(per_layer)))
        per_layer[layer] += (t_next - t) // 10
    return cycles


JOB_START = regs.FIELDS["CTRL"]["image_job"].mask
JS = regs.FIELDS["JOB_STATUS"]
AR = regs.FIELDS["AXIS_RESULT"]


async def count_rises(dut: Any, seen: list[int]) -> None:
    while True:
        await RisingEdge(dut.irq)
        seen.append(int(get_sim_time("ns")))


async def job(env: Env, coarse: int, table: list[int], width_map: int, height_map: int, checked: int = 0) -> dict:
    """One image job from one start (``checked``: JOB_CHECKED, the programs vouched for); its status, both
    axes' results and the 32 job logits."""
    await start_job(env, coarse, table, width_map, height_map, checked)
    return await job_results(env)


async def start_job(env: Env, coarse: int, table: list[int], width_map: int, height_map: int,
                    checked: int = 0) -> None:
    await env.write(regs.STATUS, ST["done"].mask)
    await env.write(regs.PROGRAM_ADDR_LO, coarse & 0xFFFFFFFF)
    await env.write(regs.PROGRAM_ADDR_HI, coarse >> 32)
    for i, addr in enumerate(table):
        await env.write(regs.FINE_ADDR_LO0 + 4 * i, addr & 0xFFFFFFFF)
    await env.write(regs.FINE_ADDR_HI, table[0] >> 32)
    await env.write(regs.INPUT_ADDR_LO, width_map & 0xFFFFFFFF)
    await env.write(regs.INPUT_ADDR_HI, width_map >> 32)
    await env.write(regs.INPUT_H_ADDR_LO, height_map & 0xFFFFFFFF)
    await env.write(regs.INPUT_H_ADDR_HI, height_map >> 32)
    await env.write(regs.JOB_CHECKED, checked)
    await env.write(regs.CTRL, CTRL_IRQ | JOB_START)
    await env.write(regs.CTRL, CTRL_IRQ | JOB_START | CTRL_START)


async def job_results(env: Env) -> dict:
    """Wait for the job's interrupt; its status, both axes' results and the 32 job logits."""
    out = await env.wait_done()
    status = await env.read(regs.JOB_STATUS)
    out["runs_done"], out["run"], out["job"] = JS["runs_done"].get(status), JS["run"].get(status), JS["job"].get(status)
    out["axes"] = []
    for a in range(2):
        word = await env.read(regs.AXIS_RESULT0 + 4 * a)
        out["axes"].append({name: AR[name].get(word) for name in ("range", "fine", "coarse_frac", "fine_frac")})
    codes = [await env.read(regs.JOB_LOGIT0 + 4 * i) for i in range(32)]
    out["job_logits"] = [v - (1 << 32) if v >> 31 else v for v in codes]
    return out


def check_layer_spans(out: dict, runs: set[int], label: str) -> None:
    """The job's cycles per run and layer cover the runs it made and add up to its CYCLES (less the few
    cycles between the start's register write and the testbench's first mark)."""
    spans = out["run_layer_cycles"]
    assert {int(r) for r in spans} == runs, f"{label}: runs {sorted(spans)}, want {sorted(runs)}"
    total = sum(sum(cycles) for cycles in spans.values())
    assert 0 <= out["cycles"] - total <= 16, f"{label}: layer spans add up to {total}, CYCLES {out['cycles']}"


def check_axes(out: dict, expected: list[dict], done: int, label: str) -> None:
    """The results of the job's runs in ``done`` (bit r: run r, as JOB_STATUS.runs_done) equal golden's;
    the other runs' logits are zero."""
    assert out["runs_done"] == done, f"{label}: runs_done {out['runs_done']:04b}, want {done:04b}"
    for r in range(4):
        axis, fine = expected[r // 2], r % 2
        got = out["job_logits"][8 * r: 8 * r + 8]
        want = (axis["fine_logits"] if fine else axis["coarse_logits"]) if done >> r & 1 else [0] * 8
        assert got == want, f"{label}: run {r} logits {got} != {want}"
        if done >> r & 1:
            res = out["axes"][r // 2]
            if fine:
                assert (res["fine"], res["fine_frac"]) == (axis["fine_argmax"], axis["fine_frac"]), (label, r, res)
            else:
                assert (res["range"], res["coarse_frac"]) == (axis["range"], axis["coarse_frac"]), (label, r, res)


@cocotb.test(timeout_time=12000, timeout_unit="ms")
async def image_job(dut: Any) -> None:
    """CTRL.image_job: both axes' coarse and fine runs from one start and one interrupt, the fine programs
    picked by the core from the FINE_ADDR table, bit for bit the golden job. The coarse program runs on both
    maps as a batch; then one batched fine run where both axes chose the same range, or the width's fine
    run and then the height's. A damaged fine program (alone and batched), SLVERR in the height axis's fine
    run and a range with no fine program end the job with their error and the finished runs' results
    readable; the next job is correct."""
    env = await setup(dut, cocotb.RANDOM_SEED + 3)
    spec = env.case["job"]
    images = env.job_images
    where = {**env.job_addr, "coarse": env.job_addr["coarse_job"]}
    width_map, height_map = env.addr["input"], env.addr["input"] + 0x1_0000
    env.ram.write(height_map, bytes(v & 0xFF for v in spec["map_h"]))
    table = [where[f"fine{k}"] for k in range(5)]
    expected, same = spec["axes"], spec["axes_same"]
    assert expected[0]["range"] != expected[1]["range"] and same[0]["range"] == same[1]["range"]
    read = env.ram.bytes_read
    rises: list[int] = []
    watcher = cocotb.start_soon(count_rises(dut, rises))

    # The axes in two ranges: coarse as a batch, then the two fine programs one after the other.
    out = await job(env, where["coarse"], table, width_map, height_map)
    assert (out["error"], out["job"]) == (0, 1), f"good job: {out}"
    check_axes(out, expected, 0b1111, "good job")
    check_layer_spans(out, {0, 1, 3}, "good job")
    assert len(rises) == 1, f"{len(rises)} interrupts for one image job"
    dut._log.info("image job: %d cycles (%d stalled), ranges %s", out["cycles"], out["stall_cycles"],
                  [a["range"] for a in out["axes"]])
    env.results["image job"] = {"cycles": out["cycles"], "stall_cycles": out["stall_cycles"],
                                "run_layer_cycles": out["run_layer_cycles"],
                                "bytes_read": env.ram.bytes_read - read, "starts": 1,
                                "ranges": [a["range"] for a in out["axes"]]}
    if os.environ.get(FIRST_JOB_ONLY_ENV):
        watcher.cancel()
        env.save()
        return
    async def vouched_job(label: str) -> None:
        """The two-range job with JOB_CHECKED vouching for all six programs: no payload CRC reads, the same
        results (a board's steady state)."""
        read = env.ram.bytes_read
        out = await job(env, where["coarse"], table, width_map, height_map, checked=0x3F)
        assert out["error"] == 0, f"{label}: {out}"
        check_axes(out, expected, 0b1111, label)
        vouched_read = env.ram.bytes_read - read
        checked_read = env.results["image job"]["bytes_read"]
        payload = len(env.images["coarse"]) - HEADER_BYTES
        assert checked_read - vouched_read >= 2 * payload - 64, (label, checked_read, vouched_read)
        env.results["image job, programs vouched for"] = {
            "cycles": out["cycles"], "stall_cycles": out["stall_cycles"], "run_layer_cycles": out["run_layer_cycles"],
            "bytes_read": vouched_read, "starts": 1, "ranges": [a["range"] for a in out["axes"]]}

    # The benchmark wants the good jobs only, in the order checked, vouched, one range; the test runs the
    # vouched job once, as the correct job after the faults.
    bench_only = bool(os.environ.get(JOB_ONLY_ENV))
    if bench_only:
        await vouched_job("vouched job")
    # The axes in one range (the width's map as the height's): one batched fine run for both.
    read = env.ram.bytes_read
    out = await job(env, where["coarse"], table, width_map, width_map, checked=0x3F)
    assert out["error"] == 0, f"one-range job: {out}"
    check_axes(out, same, 0b1111, "one-range job")
    check_layer_spans(out, {0, 1}, "one-range job")
    env.results["image job, programs vouched for, both axes in one range"] = {
        "cycles": out["cycles"], "stall_cycles": out["stall_cycles"], "run_layer_cycles": out["run_layer_cycles"],
        "bytes_read": env.ram.bytes_read - read, "starts": 1, "ranges": [a["range"] for a in out["axes"]]}
    assert len(rises) == 2 + bench_only, f"{len(rises)} interrupts for {2 + bench_only} image jobs"
    if bench_only:
        watcher.cancel()
        env.save()
        return

    # The width axis's fine program damaged (header CRC): the job ends in run 1 with both coarse results,
    # whether that fine run is the width's alone or the batch of both axes.
    for label, hmap, axes in (("alone", height_map, expected), ("batched", width_map, same)):
        chosen = table[axes[0]["range"]]
        good = images[f"fine{axes[0]['range']}"]
        bad = bytearray(good)
        bad[9] ^= 0x40
        env.ram.write(chosen, bytes(bad))
        out = await job(env, where["coarse"], table, width_map, hmap)
        env.ram.write(chosen, good)
        assert (out["error"], out["error_code"], out["run"]) == (1, ERR.HEADER_CRC, 1), (label, out)
        check_axes(out, axes, 0b0101, f"damaged fine program, {label}")

    # SLVERR on the weights of the height axis's fine program, switched on once the job reaches run 3.
    fine_h = table[expected[1]["range"]]
    fine_h_image = images[f"fine{expected[1]['range']}"]
    await start_job(env, where["coarse"], table, width_map, height_map)
    for _ in range(200000):  # as a driver would see it: JOB_STATUS.run over the register bus
        if JS["run"].get(await env.read(regs.JOB_STATUS)) == 3:
            break
        await ClockCycles(dut.clk, 100)
    env.ram.fault = range(fine_h + HEADER_BYTES, fine_h + len(fine_h_image))  # records, weights, CRC reads
    out = await job_results(env)
    env.ram.fault = None
    assert (out["error"], out["error_code"], out["run"]) == (1, ERR.AXI_READ, 3), out
    check_axes(out, expected, 0b0111, "SLVERR in the height axis's fine run")

    # A coarse program whose argmax is 7: no fine program for that range (both axes' coarse results kept).
    out = await job(env, where["coarse_wide"], table, width_map, height_map)
    assert (out["error"], out["error_code"], out["runs_done"], out["run"]) == (1, ERR.JOB_RANGE, 0b0101, 0), out

    # And the next image is correct (its programs vouched for), with one interrupt per job throughout.
    await vouched_job("after the faults")
    assert len(rises) == 7, f"{len(rises)} interrupts for seven jobs"
    watcher.cancel()
    env.save()
