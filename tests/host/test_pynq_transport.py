"""The pynq transport (host/transports/pynq.py) end to end: CoreDriver -> PynqTransport -> a fake of
PYNQ's API (tests/host/fake_pynq.py) whose registers, device memory and interrupt are the simulated
RTL core's (RtlTransport: bg_core in Verilator). The transport code is the board's; only PYNQ is fake.

The core is the small configuration of tests/host/test_host_rtl.py (4 x 4 array, 4 slots of 16 KiB,
64 weight tiles) running width-2 programs with random weights; one run simulates about 0.13 M cycles
(5-10 s here). Each test names the defect it guards against; docs/host.md lists what only a board
can show.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from blurgauge.host.driver import CoreDriver, CoreTimeoutError
from blurgauge.host.transports.pynq import MISSED_IRQ_LIMIT, PynqTransport
from blurgauge.host.transports.rtl import RtlTransport, rtl_available
from blurgauge.hw.compiler import program as prog
from blurgauge.hw.compiler.golden import run_program
from blurgauge.hw.regs import core_regs as regs
from tests.host.fake_pynq import BusError, Design, FakePynq, SimulatedPL

SMALL = {"lanes": 4, "slots": 4, "slot_bytes": 16384, "wbuf_tiles": 64}
needs_rtl = pytest.mark.skipif(rtl_available() is not None, reason=str(rtl_available()))
#: A simulated run takes seconds; the bound only has to let one finish.
RUN_TIMEOUT_S = 300.0


def _random_weights(program: prog.CoreProgram, role: str, rng: np.random.Generator) -> prog.CoreProgram:
    """Small random weights, so the logits are not all zero (untrained structure programs are)."""
    layers = [dataclasses.replace(layer, weights=rng.integers(-8, 9, layer.weights.shape).astype(np.int8),
                                  bias=rng.integers(-100, 100, layer.bias.shape).astype(np.int16))
              if layer.weights is not None else layer for layer in program.layers]
    return dataclasses.replace(program, layers=layers, role=role)


@pytest.fixture(scope="module")
def programs() -> dict[str, prog.CoreProgram]:
    from blurgauge.hw.compiler import cost

    rng = np.random.default_rng(11)
    structure = cost.structure_program(2, lanes=SMALL["lanes"])
    return {name: _random_weights(structure, name, rng) for name in ("coarse", "fine2")}


@pytest.fixture(scope="module")
def pl():
    """The programmable logic: one simulated core for the whole file (each test loads its own overlay)."""
    transport = RtlTransport(**SMALL)
    yield SimulatedPL(transport)
    transport.close()


@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[FakePynq, Path]]:
    """``board(pl, design)``: a fake PYNQ installed as the ``pynq`` module, and the overlay's .bit path
    (with its .hwh beside it)."""

    def make(pl: SimulatedPL | None, design: Design | None = None, hwh: bool = True) -> tuple[FakePynq, Path]:
        bit = tmp_path / "blurgauge.bit"
        bit.write_bytes(b"bitstream")
        if hwh:
            bit.with_suffix(".hwh").write_text("<hwh/>")
        fake = FakePynq(pl, design)
        monkeypatch.setitem(sys.modules, "pynq", fake.module)
        return fake, bit

    return make


def _codes(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, (128, 128)).astype(np.int8)


def _golden(programs: dict[str, prog.CoreProgram], name: str, codes: np.ndarray) -> list[int]:
    return run_program(programs[name], codes[None])[0].tolist()


def _idle(pl: SimulatedPL) -> bool:
    status = pl.rtl.read32(regs.STATUS)
    return not regs.FIELDS["STATUS"]["busy"].get(status) and not regs.FIELDS["STATUS"]["done"].get(status)


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``, failing the test (instead of hanging it) when it does not return within ``seconds``."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the call did not return within {seconds:g} s: an unbounded wait")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# ---------------------------------------------------------------- end to end on the simulated core


@needs_rtl
def test_runs_through_pynq_on_the_rtl_core_equal_golden_and_close_frees_every_buffer(pl, board, programs):
    """The memory path with the interrupt wired: programs and patches reach the core only through
    flushed buffers (a missing flush: the core reads old bytes, BAD_MAGIC or the previous patch)."""
    fake, bit = board(pl)
    transport = PynqTransport(bit)
    assert transport.uses_interrupt
    driver = CoreDriver(transport, timeout_s=RUN_TIMEOUT_S)
    assert (driver.info.lanes, driver.info.slots, driver.info.slot_bytes) == (4, 4, 16384)
    driver.load_programs({name: prog.pack(p) for name, p in programs.items()})
    first, second = _codes(1), _codes(2)
    coarse = driver.run("coarse", first)
    fine = driver.run("fine2", first)  # the patch stays on chip: CTRL.reuse_input
    other = driver.run("coarse", second)  # a new patch through the same input buffer
    assert not coarse.reused_input and fine.reused_input and not other.reused_input
    for result, codes in ((coarse, first), (fine, first), (other, second)):
        assert result.logits.tolist() == _golden(programs, result.network, codes)
        assert result.cycles > 0
    assert coarse.values.any() and coarse.logits.tolist() != other.logits.tolist()
    assert transport._irq is not None and transport._irq.interrupt.waits > 0 and transport.missed_interrupts == 0
    addresses = sorted(int(b.device_address) for b in fake.buffers)
    assert len(addresses) == 3 and all(a % 4096 == 0 for a in addresses)  # two programs, one input buffer
    driver.close()
    assert fake.live_buffers == []


@needs_rtl
def test_a_failure_mid_run_aborts_it_and_the_next_runs_read_their_own_patch(pl, board, programs):
    """Without an interrupt (the driver polls). A failure in the middle of a run (here Ctrl-C during the
    wait) must not leave the core busy, nor let a later run reuse a patch the failed run overwrote."""
    fake, bit = board(pl, Design(irq_wired=False))
    transport = PynqTransport(bit)
    assert not transport.uses_interrupt
    driver = CoreDriver(transport, timeout_s=RUN_TIMEOUT_S)
    driver.load_programs({name: prog.pack(p) for name, p in programs.items()})
    first, second = _codes(3), _codes(4)
    assert driver.run("coarse", first).logits.tolist() == _golden(programs, "coarse", first)
    pl.fail_while_busy = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        driver.run("coarse", second)
    assert _idle(pl)  # soft-reset and done cleared: not left busy
    again = driver.run("coarse", first)  # slot 0 was being overwritten: read again, not reused
    assert not again.reused_input and again.logits.tolist() == _golden(programs, "coarse", first)
    driver.close()
    assert fake.live_buffers == []


@needs_rtl
def test_every_wait_is_bounded_even_when_the_interrupt_never_comes(pl, board, programs):
    """A run that cannot end (a stream run: a board has no stream) with the interrupt wired: the wait for
    it returns at the run's bound, and the core is left idle. The core is a module reference here,
    which PYNQ names by its slave interface; its interrupt comes from ``pynq.Interrupt(pin)``."""
    _, bit = board(pl, Design(core_key="bg_core_0/S_AXIL"))
    transport = PynqTransport(bit)
    assert transport.uses_interrupt
    driver = CoreDriver(transport, timeout_s=RUN_TIMEOUT_S)
    driver.load_programs({"coarse": prog.pack(programs["coarse"])})
    driver.start("coarse")  # input from the stream, which nothing feeds: the core waits forever
    began = time.monotonic()
    # The bound spans a few simulator chunks (each register access here may simulate one), so that the
    # driver waits on the interrupt in between.
    with pytest.raises(CoreTimeoutError, match=r"within 4 s; STATUS 0x[0-9a-f]{8}: busy 1"):
        _within(60, lambda: driver.wait_done(4.0))
    assert time.monotonic() - began < 20  # the bound plus at most a few simulator chunks
    assert transport._irq is not None and transport._irq.interrupt.waits > 0
    assert _idle(pl)
    driver.close()


# ---------------------------------------------------------------- set-up: no simulation needed


def test_an_overlay_without_the_core_is_refused_naming_what_it_has(board):
    _, bit = board(None, Design(core="other_core", other_ip={"axi_gpio_0": 0x1000}))
    with pytest.raises(RuntimeError, match=r"no IP named 'bg_core_0' \(addressable IP: axi_gpio_0, other_core\)"):
        PynqTransport(bit)
    transport = PynqTransport(bit, core="other_core")  # the instance name the block design gave it
    assert transport.core is not None
    transport.close()


def test_missing_files_and_a_required_interrupt_that_is_not_wired_are_refused(board, tmp_path):
    _, bit = board(None, hwh=False)
    with pytest.raises(FileNotFoundError, match=r"blurgauge.hwh: PYNQ reads the design"):
        PynqTransport(bit)
    with pytest.raises(FileNotFoundError, match="no such bitstream"):
        PynqTransport(tmp_path / "absent.bit")
    _, bit = board(None, Design(irq_wired=False))
    with pytest.raises(RuntimeError, match=r"does not wire bg_core_0/irq to the PS.*IRQ_F2P\[0\]"):
        PynqTransport(bit, interrupt=True)


def test_an_interrupt_pynq_cannot_attach_falls_back_to_polling_unless_required(board):
    _, bit = board(None, Design(uio=False))  # an image without a UIO device for the fabric interrupt
    with pytest.warns(RuntimeWarning, match="could not attach the interrupt bg_core_0/irq.*polling instead"):
        transport = PynqTransport(bit)
    assert not transport.uses_interrupt
    assert type(transport.core).__name__ == "MMIO"  # PYNQ cannot make the IP's driver either: plain MMIO
    transport.close()
    with pytest.raises(RuntimeError, match="PYNQ could not attach the interrupt bg_core_0/irq"):
        PynqTransport(bit, interrupt=True)


def test_an_interrupt_that_never_arrives_although_the_core_is_done_turns_into_polling(board):
    fake, bit = board(_RecordingPL(), Design(irq_reaches_ps=False))
    transport = PynqTransport(bit)
    assert transport.uses_interrupt
    fake.pl.words[regs.STATUS] = regs.FIELDS["STATUS"]["done"].put(0, 1)
    fake.pl.words[regs.CTRL] = regs.FIELDS["CTRL"]["irq_enable"].put(0, 1)
    transport.wait(0.01)
    transport.wait(0.01)
    assert transport.uses_interrupt and transport.missed_interrupts == 2
    with pytest.warns(RuntimeWarning, match="did not reach PYNQ 3 times although the core was done; polling"):
        transport.wait(0.01)
    assert not transport.uses_interrupt
    transport.close()


def test_the_module_imports_without_pynq_and_says_where_pynq_runs(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynq", None)  # import pynq fails as it does off a board
    with pytest.raises(RuntimeError, match="exists only on a Zynq board with a PYNQ image"):
        PynqTransport("blurgauge.bit")


# ---------------------------------------------------------------- the fake behaves as PYNQ does


def test_a_run_that_ends_between_the_bound_and_the_status_read_is_a_late_interrupt_not_a_missing_one(board):
    """The core finishes while the driver reads STATUS after a wait's bound: its interrupt is raised
    after that bound. Counted as missing, three such races in a row would turn a working interrupt
    into polling (a loaded host makes them common)."""
    fake, bit = board(_EndsAtStatusReadPL())
    transport = PynqTransport(bit)
    fake.pl.words[regs.CTRL] = regs.FIELDS["CTRL"]["irq_enable"].put(0, 1)
    for _ in range(MISSED_IRQ_LIMIT):
        fake.pl.end_at_next_status_read()
        transport.wait(0.01)
    assert transport.uses_interrupt
    assert (transport.late_interrupts, transport.missed_interrupts) == (MISSED_IRQ_LIMIT, 0)
    transport.close()


class _RecordingPL:
    """A stand-in PL for the fake's own checks: records what reaches DDR, answers registers from a dict."""

    def __init__(self) -> None:
        self.ddr: dict[int, bytes] = {}
        self.words: dict[int, int] = {}
        self.irq = False
        self._next = 0x1000

    def alloc(self, nbytes: int) -> int:
        address, self._next = self._next, self._next + -(-nbytes // 4096) * 4096
        return address

    def write_memory(self, address: int, data: bytes) -> None:
        self.ddr[address] = bytes(data)

    def read32(self, offset: int) -> int:
        return self.words.get(offset, 0)

    def write32(self, offset: int, value: int) -> None:
        self.words[offset] = value

    def run(self, seconds: float) -> bool:
        return self.irq


def test_the_fake_keeps_unflushed_writes_in_the_cache_and_checks_mmio_as_pynq_does(board):
    fake, bit = board(_RecordingPL())
    pynq = fake.module
    buffer = pynq.allocate(shape=(64,), dtype=np.uint8)
    buffer[:] = 7
    assert fake.pl.ddr == {}  # written by the CPU, not flushed: the PL sees nothing
    buffer[16:32].flush()  # a slice flushes its own bytes at its own device address
    assert fake.pl.ddr == {buffer.device_address + 16: bytes([7] * 16)}
    buffer.freebuffer()
    with pytest.raises(RuntimeError, match="freed buffer"):
        buffer.flush()
    with pytest.warns(DeprecationWarning):
        pynq.allocate(shape=(4,), dtype=np.uint8).close()

    overlay = pynq.Overlay(str(bit))
    core = overlay.bg_core_0
    core.write(0x10, 5)
    assert core.read(0x10) == 5 and fake.pl.words[0x10] == 5
    with pytest.raises(MemoryError, match="Unaligned"):
        core.read(0x12)
    with pytest.raises(ValueError, match="Data type must be int or bytes"):
        core.write(0x10, np.uint32(5))
    with pytest.raises(OverflowError):
        core.write(0x10, -1)
    with pytest.raises(IndexError):
        core.read(0x1_0000)
    with pytest.raises(AttributeError, match="Could not find IP or hierarchy nothing"):
        _ = overlay.nothing
    with pytest.raises(ValueError, match="No Pin of name bg_core_0/absent found"):
        pynq.Interrupt("bg_core_0/absent")
    with pytest.raises(BusError):
        pynq.MMIO(0x43C0_0000 + 0x2_0000, 4).read(0)
    stale = pynq.Overlay(str(bit), download=False)  # the bitstream in the PL already: usable
    assert stale.is_loaded()
    fake.loaded = "/elsewhere/base.bit"
    with pytest.raises(RuntimeError, match="Overlay not currently loaded"):
        _ = stale.bg_core_0


def test_the_fake_interrupt_wakes_only_the_loop_it_was_made_in(board):
    fake, bit = board(_RecordingPL())
    pynq = fake.module
    pynq.Overlay(str(bit))
    fake.pl.irq = True
    loop = asyncio.new_event_loop()
    try:
        async def make() -> Any:
            return pynq.Interrupt("bg_core_0/irq")

        interrupt = loop.run_until_complete(make())
        loop.run_until_complete(asyncio.wait_for(interrupt.wait(), 1.0))  # its own loop: wakes at once
        with pytest.raises(asyncio.TimeoutError):
            asyncio.run(asyncio.wait_for(interrupt.wait(), 0.2))  # another loop: never
    finally:
        loop.close()


@pytest.mark.slow
@needs_rtl
def test_pynq_estimates_equal_golden(pl, board, six_networks, tmp_path):
    """The whole host over the fake board: Accelerator -> DeviceNetworks -> CoreDriver -> PynqTransport."""
    from PIL import Image

    from blurgauge.host.accelerator import Accelerator
    from tests.conftest import structured

    path = tmp_path / "image.png"
    Image.fromarray(structured(150, 170, 3)).save(path)
    fake, bit = board(pl)
    with Accelerator("golden", six_networks) as golden, \
            Accelerator("pynq", six_networks, overlay=str(bit), timeout_s=RUN_TIMEOUT_S) as board_run:
        a, b = golden.estimate(path), board_run.estimate(path)
    assert (a.width.fine, a.height.fine, a.width_px, a.height_px) == (b.width.fine, b.height.fine, b.width_px,
                                                                      b.height_px)
    np.testing.assert_array_equal(a.width.fine_probabilities, b.width.fine_probabilities)
    np.testing.assert_array_equal(a.height.fine_probabilities, b.height.fine_probabilities)
    assert fake.live_buffers == []


class _EndsAtStatusReadPL(_RecordingPL):
    """A core that finishes (done, and the interrupt line up) when STATUS is read."""

    def end_at_next_status_read(self) -> None:
        self.irq = False
        self.words[regs.STATUS] = 0

    def read32(self, offset: int) -> int:
        if offset == regs.STATUS:
            self.words[regs.STATUS] = regs.FIELDS["STATUS"]["done"].put(0, 1)
            self.irq = True
        return super().read32(offset)
