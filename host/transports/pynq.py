"""The ``pynq`` transport: CoreDriver's words and bytes on a Zynq board running PYNQ.

The board design it expects (hw/boards/, docs/host.md "On a board") has no DMA: the PS, SmartConnects
and bg_core, whose AXI4-Lite slave sits on a PS master port and whose AXI4 read master reaches DDR
through a PS slave port. The core reads its programs, weights and input patch from DDR itself, so
everything the driver moves goes through two calls of PYNQ's documented API:

* registers: ``pynq.Overlay(bitfile)`` (the ``.hwh`` of the same name beside it) names the core's
  instance; its driver (PYNQ's ``DefaultIP``) reads and writes 32-bit words at byte offsets;
* device memory: ``pynq.allocate(shape, dtype)`` gives physically contiguous buffers whose
  ``device_address`` the core reads; ``flush()`` writes the CPU's cached bytes out to DDR, without
  which the core would read whatever DDR held before.

Waiting: when the overlay wires the core's ``irq`` to the PS (PYNQ lists the pin in
``Overlay.interrupt_pins``), a wait is PYNQ's ``Interrupt.wait()`` bounded by ``asyncio.wait_for``;
otherwise the transport polls, sleeping ``poll_s`` (0.2 ms: a run takes milliseconds) between the
driver's STATUS reads. PYNQ binds an interrupt to the event loop current when it is made, and a
synchronous caller may itself be running inside an event loop (a Jupyter notebook), where neither
``asyncio.run`` nor ``run_until_complete`` may be called; so the interrupt lives in an event loop on a
thread of its own and every wait is a bounded call into it. An interrupt that does not come although
the core is done (a design or image whose interrupt routing PYNQ cannot use) is noticed, and after
a few in a row the transport polls instead, with a warning.

pynq is imported only when a PynqTransport is made, so the module imports anywhere; the syntax is
Python 3.10's (PYNQ images for the Z2 run 3.10). Verified here against tests/host/fake_pynq.py, a fake
of these PYNQ calls whose registers, memory and interrupt are the simulated RTL core's; what only a
board can show is listed in docs/host.md.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from blurgauge.hw.regs import core_regs as regs

#: A board run takes milliseconds; this bound only catches a hung core.
DEFAULT_TIMEOUT_S = 2.0
#: Sleep between two STATUS reads when the core's interrupt is not wired to the PS.
POLL_S = 2e-4
#: The core's interrupt output in the block design (hw/boards/blurgauge_core.v).
IRQ_PIN = "irq"
#: Beyond a wait's own bound: how long the interrupt thread may take to answer at all.
THREAD_MARGIN_S = 5.0
#: Interrupts in a row that did not come although the core was done, before the transport polls instead.
MISSED_IRQ_LIMIT = 3
#: A run that ends between a wait's bound and the STATUS read raises its interrupt after the bound: a
#: wait this long after such a read tells that late interrupt (a race, not a fault) from a missing one.
LATE_IRQ_S = 0.05
#: The registers the driver uses must lie inside the IP's address range.
REGISTER_SPAN = regs.LOGIT0 + 4 * regs.LOGIT_COUNT


def _pynq() -> Any:
    try:
        import pynq
    except ImportError as exc:
        raise RuntimeError(
            "the pynq backend needs the pynq package, which exists only on a Zynq board with a PYNQ image "
            "(http://www.pynq.io); run it there, or use --backend rtl to simulate the core here") from exc
    return pynq


def _addressable(ip_dict: dict[str, Any]) -> list[str]:
    """The IP a PS master can reach (PYNQ's ip_dict also lists the PS itself, without an address)."""
    return sorted(name for name, entry in ip_dict.items() if "phys_addr" in entry)


class _InterruptThread:
    """PYNQ's ``Interrupt`` for one pin, in an event loop on a thread of its own (see the module
    docstring); ``wait`` is synchronous and bounded."""

    def __init__(self, make: Any, name: str) -> None:
        """``make()``: returns ``(ip_driver, interrupt)``; it runs inside the loop, so whatever PYNQ
        binds to the current event loop is bound to this one."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"pynq interrupt {name}", daemon=True)
        self._thread.start()

        async def build() -> Any:
            return make()

        try:
            self.ip, self.interrupt = self._call(build(), THREAD_MARGIN_S)
        except BaseException:
            self.close()
            raise

    def _call(self, coroutine: Any, bound_s: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=bound_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"the interrupt thread did not answer within {bound_s:g} s") from None

    def wait(self, seconds: float) -> bool:
        """True once the interrupt is active, False after ``seconds`` without it."""

        async def bounded() -> bool:
            try:
                await asyncio.wait_for(self.interrupt.wait(), seconds)
            except asyncio.TimeoutError:
                return False
            return True

        try:
            return bool(self._call(bounded(), seconds + THREAD_MARGIN_S))
        except TimeoutError:
            return False

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=THREAD_MARGIN_S)
        if not self._thread.is_alive():
            self._loop.close()


class PynqTransport:
    """bg_core in a PYNQ overlay: registers through the core's IP driver, memory through pynq.allocate."""

    default_timeout_s = DEFAULT_TIMEOUT_S

    def __init__(self, overlay: str | Path = "blurgauge.bit", core: str = "bg_core_0", download: bool = True,
                 interrupt: bool | None = None, poll_s: float = POLL_S) -> None:
        """``overlay``: the .bit file (PYNQ reads the .hwh of the same name beside it); ``core``: the
        instance name of bg_core in the block design; ``download``: load the bitstream (False: it is
        loaded already). ``interrupt``: None waits on the core's interrupt when the overlay wires it
        and polls otherwise, True requires it, False always polls; ``poll_s``: sleep between polls."""
        pynq = _pynq()
        path = Path(overlay)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such bitstream (build it with make bitstream, docs/host.md)")
        hwh = path.with_suffix(".hwh")
        if not hwh.is_file():
            raise FileNotFoundError(f"{hwh}: PYNQ reads the design (IP names, addresses, interrupts) from the "
                                    f".hwh beside the bitstream, with the same base name; copy it next to {path.name}")
        if poll_s <= 0:
            raise ValueError(f"poll_s must be positive, got {poll_s!r}")
        self._pynq = pynq
        self.poll_s = poll_s
        self._buffers: dict[int, Any] = {}  # device address -> PynqBuffer, kept alive while the core reads it
        self._irq: _InterruptThread | None = None
        self.missed_interrupts = 0  # in a row; reset by an interrupt that comes
        self.late_interrupts = 0  # in all: runs that ended between a wait's bound and the STATUS read
        self.overlay = pynq.Overlay(str(path), download=download)
        key = self._core_key(path, core)
        span = int(self.overlay.ip_dict[key].get("addr_range", 0))
        if span < REGISTER_SPAN:
            raise RuntimeError(f"{path}: {key} has an address range of {span:#x} bytes, the core's registers need "
                               f"{REGISTER_SPAN:#x}; check the address map of the block design")
        pin = f"{core}/{IRQ_PIN}"
        wired = pin in getattr(self.overlay, "interrupt_pins", {})
        if interrupt and not wired:
            raise RuntimeError(f"{path}: the overlay does not wire {pin} to the PS (PYNQ lists no such interrupt "
                               "pin); connect it to IRQ_F2P[0] (Zynq-7000) or pl_ps_irq0[0] (Zynq UltraScale+), "
                               "or pass interrupt=False to poll")
        if wired and interrupt is not False:
            self._irq = self._attach_interrupt(key, pin, required=bool(interrupt))
        self.core = self._irq.ip if self._irq is not None else self._registers(key)

    # ---------------------------------------------------------------- set-up

    def _core_key(self, path: Path, core: str) -> str:
        """The core's ip_dict key: its instance name, or for a module reference that PYNQ names by
        its slave interface, the one key ``<core>/<interface>``."""
        ip_dict = self.overlay.ip_dict
        if core in ip_dict and "phys_addr" in ip_dict[core]:
            return core
        nested = [name for name in _addressable(ip_dict) if name.split("/")[0] == core]
        if len(nested) == 1:
            return nested[0]
        listed = ", ".join(_addressable(ip_dict)) or "none"
        raise RuntimeError(f"{path}: the overlay has no IP named {core!r} (addressable IP: {listed}); pass core= "
                           "the instance name of bg_core in the block design")

    def _driver(self, key: str) -> Any:
        """PYNQ's driver of the IP at ``key`` (attribute access, through hierarchies for a/b keys)."""
        ip: Any = self.overlay
        for part in key.split("/"):
            ip = getattr(ip, part)
        return ip

    def _registers(self, key: str) -> Any:
        """The core's register access without its interrupt: its IP driver, or where PYNQ cannot make
        that (its DefaultIP attaches every interrupt pin of the IP when made, and fails where the
        image has no UIO device for the line) a plain ``pynq.MMIO`` over the same range."""
        try:
            return self._driver(key)
        except Exception:
            entry = self.overlay.ip_dict[key]
            return self._pynq.MMIO(int(entry["phys_addr"]), int(entry["addr_range"]))

    def _attach_interrupt(self, key: str, pin: str, required: bool) -> _InterruptThread | None:
        def make() -> tuple[Any, Any]:
            # Inside the interrupt thread's loop: the IP driver (PYNQ's DefaultIP makes an Interrupt for
            # every pin of the IP on creation) and the core's interrupt, both bound to that loop.
            ip = self._driver(key)
            found = getattr(ip, IRQ_PIN, None)
            return ip, found if found is not None and hasattr(found, "wait") else self._pynq.Interrupt(pin)

        try:
            return _InterruptThread(make, pin)
        except Exception as exc:
            if required:
                raise RuntimeError(f"PYNQ could not attach the interrupt {pin}: {exc}") from exc
            warnings.warn(f"PYNQ could not attach the interrupt {pin} ({exc}); polling instead", RuntimeWarning,
                          stacklevel=3)
            return None

    @property
    def uses_interrupt(self) -> bool:
        return self._irq is not None

    # ---------------------------------------------------------------- Transport

    def read32(self, offset: int) -> int:
        return int(self.core.read(offset)) & 0xFFFFFFFF

    def write32(self, offset: int, value: int) -> None:
        self.core.write(offset, int(value) & 0xFFFFFFFF)  # PYNQ's MMIO takes a Python int, not a numpy one

    def alloc(self, nbytes: int) -> int:
        buffer = self._pynq.allocate(shape=(nbytes,), dtype=np.uint8)
        address = int(buffer.device_address)
        self._buffers[address] = buffer
        return address

    def write_memory(self, address: int, data: bytes) -> None:
        buffer = self._buffers.get(address)
        if buffer is None:
            raise ValueError(f"device memory at {address:#x} was not allocated by this transport")
        if len(data) > buffer.nbytes:
            raise ValueError(f"{len(data):,} bytes do not fit the {buffer.nbytes:,}-byte buffer at {address:#x}")
        buffer[: len(data)] = np.frombuffer(data, np.uint8)
        buffer.flush()  # out of the CPU's caches into DDR, where the core's AXI reads find it

    def wait(self, seconds: float) -> None:
        if self._irq is None:
            time.sleep(max(0.0, min(seconds, self.poll_s)))
            return
        if self._irq.wait(max(0.0, seconds)):
            self.missed_interrupts = 0
            return
        # No interrupt within the bound: a run still going, or an interrupt that does not reach PYNQ.
        done = regs.FIELDS["STATUS"]["done"].get(self.read32(regs.STATUS))
        enabled = regs.FIELDS["CTRL"]["irq_enable"].get(self.read32(regs.CTRL))
        if not (done and enabled):
            return
        if self._irq.wait(LATE_IRQ_S):
            self.late_interrupts += 1
            self.missed_interrupts = 0
        else:
            self.missed_interrupts += 1
            if self.missed_interrupts >= MISSED_IRQ_LIMIT:
                warnings.warn(f"the core's interrupt did not reach PYNQ {self.missed_interrupts} times although "
                              "the core was done; polling instead (check its routing to the PS)", RuntimeWarning,
                              stacklevel=2)
                self._irq.close()
                self._irq = None

    def close(self) -> None:
        if self._irq is not None:
            self._irq.close()
            self._irq = None
        buffers, self._buffers = list(self._buffers.values()), {}
        for buffer in buffers:
            buffer.freebuffer()
