"""A fake of the parts of PYNQ's API that host/transports/pynq.py uses, backed by the simulated core.

Written from PYNQ's documentation and source (pynq/overlay.py, mmio.py, buffer.py, interrupt.py, uio.py
and pl_server/hwh_parser.py of Xilinx/PYNQ), so that the real ``PynqTransport`` drives the real RTL
core (``RtlTransport``: bg_core in Verilator, its DDR a cocotbext-axi AxiRamRead) the way it would
drive a board. What it models, as PYNQ does it:

* ``Overlay(bitfile, download=True)``: the ``.bit`` must exist and a ``.hwh`` of the same name sit
  beside it (PYNQ: ValueError "Cannot find HWH or TCL file"); ``ip_dict`` entries with PYNQ's keys
  (``fullpath``, ``type``, ``bdtype``, ``state``, ``addr_range``, ``phys_addr``, ``mem_id``, ``gpio``,
  ``interrupts``, ``parameters``, ``registers``), the PS listed too but without an address;
  ``interrupt_pins`` as the HWH parser builds them for a pin wired straight to the PS's first fabric
  interrupt line (every pin on that net, the PS's own included: controller "", index 0, raw_irq 61
  on a Zynq-7000, 121 on a Zynq UltraScale+); attribute access only while this overlay is the one
  loaded (else RuntimeError "Overlay not currently loaded"), an unknown name an AttributeError; a key
  ``a/b`` reached through a hierarchy ``a``;
* ``DefaultIP``: an ``MMIO`` over the IP's range, plus an ``Interrupt`` attribute per interrupt pin of
  the IP, made when the driver is made (as PYNQ's DefaultIP does);
* ``MMIO`` (PYNQ 3): 32-bit words; a negative offset is a ValueError, an unaligned one a MemoryError,
  one beyond the range an IndexError (numpy's, on PYNQ's mapped array); ``write`` takes a Python
  ``int`` or ``bytes`` only (ValueError "Data type must be int or bytes."), an int outside 32 bits an
  OverflowError (numpy 2's ``np.uint32``);
* ``allocate(shape, dtype)``: a ``PynqBuffer`` (an ndarray subclass) at a device address of the
  simulated DDR, cacheable: what the CPU writes stays in its cache until ``flush()`` (of the buffer or
  a slice of it) copies those bytes to DDR, so a core reading an unflushed buffer sees the old bytes;
  ``invalidate()`` has nothing to fetch (the core never writes DDR); ``freebuffer()`` frees it,
  ``close()`` too with PYNQ 3's DeprecationWarning; a flush after the free is an error here;
* ``Interrupt(pin)``: ValueError "No Pin of name ... found" for a pin the loaded overlay does not list;
  like PYNQ's UIO reader it is bound to the event loop current when it is made, and ``wait()`` only
  completes in that loop (in any other it never does); it completes once the core's level interrupt
  (STATUS.done with CTRL.irq_enable) is high.

Time: the programmable logic runs while the CPU is elsewhere. Here the simulator runs when the fake
is touched: before each register access (for the wall time since the last one, bounded, and only
while the core is busy) and while an interrupt is awaited, in chunks of the server's (20,000 cycles).
Not modelled: the HWH parser itself (the ``Design`` below is what it would produce), bitstream
download and clocks, PYNQ's hierarchy drivers, a real cache's own evictions (the fake never writes
back on its own: the worst case, which is what catches a missing flush), and an AXI error on the
register bus (a board takes SIGBUS; here ``BusError``).
"""

from __future__ import annotations

import asyncio
import threading
import time
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from blurgauge.hw.regs import core_regs as regs

#: Where the PS's first general-purpose master maps the PL, and the range the block design gives the core.
PL_BASE = {"zynq": 0x43C0_0000, "zynq_us": 0xA000_0000}  # hw/boards/ (docs/board.md)
CORE_RANGE = 0x1_0000
#: PYNQ's GIC number of the first fabric interrupt line (pynq/pl_server/hwh_parser.py).
RAW_IRQ = {"zynq": 61, "zynq_us": 121}
PS = {"zynq": ("ps7", "xilinx.com:ip:processing_system7:5.5", "IRQ_F2P"),  # instance names of hw/boards/
      "zynq_us": ("zynq_ultra_ps_e_0", "xilinx.com:ip:zynq_ultra_ps_e:3.5", "pl_ps_irq0")}
#: Longest stretch of simulation one register access catches up on (the PL only gets slower).
MAX_CATCH_UP_S = 0.25


class BusError(RuntimeError):
    """An AXI error on the register bus (on a board the process would take SIGBUS)."""


@dataclass
class Design:
    """What PYNQ's HWH parser would give for an overlay: the core's instance, whether its interrupt is
    wired to the PS, and other addressable IP."""

    core: str = "bg_core_0"
    irq_wired: bool = True
    arch: str = "zynq"
    #: The ip_dict key of the core: its name, or for a module reference that PYNQ names by its slave
    #: interface, ``<core>/<interface>``.
    core_key: str | None = None
    other_ip: dict[str, int] = field(default_factory=dict)  # name -> range, placed after the core
    #: Whether the Linux image has a UIO device for the fabric interrupt line (PYNQ's ValueError if not).
    uio: bool = True
    #: Whether the core's interrupt, listed in the .hwh, ever reaches PYNQ (a routing PYNQ cannot use).
    irq_reaches_ps: bool = True

    def ip_dict(self) -> dict[str, dict[str, Any]]:
        ps_name, ps_type, _ = PS[self.arch]
        base = PL_BASE[self.arch]
        entries: dict[str, dict[str, Any]] = {ps_name: {"type": ps_type, "parameters": {}}}
        key = self.core_key or self.core
        entries[key] = self._entry(key, "xilinx.com:module_ref:blurgauge_core:1.0", base, CORE_RANGE, "S_AXIL")
        for i, (name, span) in enumerate(self.other_ip.items()):
            entries[name] = self._entry(name, "xilinx.com:ip:axi_gpio:2.0", base + (i + 1) * CORE_RANGE, span,
                                        "S_AXI")
        if self.irq_wired and key == self.core:
            entries[key]["interrupts"] = {"irq": self.interrupt_pins()[f"{self.core}/irq"]}
        return entries

    @staticmethod
    def _entry(name: str, vlnv: str, base: int, span: int, interface: str) -> dict[str, Any]:
        return {"fullpath": name, "type": vlnv, "bdtype": None, "state": None, "addr_range": span,
                "phys_addr": base, "mem_id": interface, "gpio": {}, "interrupts": {}, "parameters": {},
                "registers": {}}

    def interrupt_pins(self) -> dict[str, dict[str, Any]]:
        if not self.irq_wired:
            return {}
        ps_name, _, ps_pin = PS[self.arch]
        entry = {"controller": "", "index": 0, "raw_irq": RAW_IRQ[self.arch]}
        return {pin: {**entry, "fullpath": pin} for pin in (f"{ps_name}/{ps_pin}", f"{self.core}/irq")}


class SimulatedPL:
    """The programmable logic: the simulated core behind one lock (MMIO, flushes and interrupt waits
    may come from several threads, as they may on a board). ``transport`` is an RtlTransport."""

    def __init__(self, transport: Any) -> None:
        self.rtl = transport
        self.lock = threading.RLock()
        self.busy = False
        self.irq = False
        self._last = time.monotonic()
        # Raised from the next register read while the core is busy: a failure in the middle of a run.
        self.fail_while_busy: BaseException | None = None
        self.register_reads = 0

    def _observe(self) -> None:
        status, ctrl = self.rtl.read32(regs.STATUS), self.rtl.read32(regs.CTRL)
        self.busy = bool(regs.FIELDS["STATUS"]["busy"].get(status))
        self.irq = bool(regs.FIELDS["STATUS"]["done"].get(status) and regs.FIELDS["CTRL"]["irq_enable"].get(ctrl))

    def _catch_up(self) -> None:
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        if self.busy:
            self.rtl.wait(min(max(elapsed, 0.0), MAX_CATCH_UP_S))
            self._observe()

    def run(self, seconds: float) -> bool:
        """Let the core run for up to ``seconds`` (at least one simulator chunk, unless the interrupt
        is high already); returns the interrupt's level."""
        with self.lock:
            self.rtl.wait(seconds)
            self._observe()
            self._last = time.monotonic()
            return self.irq

    def read32(self, offset: int) -> int:
        with self.lock:
            if self.fail_while_busy is not None and self.busy:
                exc, self.fail_while_busy = self.fail_while_busy, None
                raise exc
            self._catch_up()
            self.register_reads += 1
            try:
                return self.rtl.read32(offset)
            except RuntimeError as exc:
                raise BusError(f"AXI4-Lite read of {offset:#x}: {exc}") from exc

    def write32(self, offset: int, value: int) -> None:
        with self.lock:
            self._catch_up()
            try:
                self.rtl.write32(offset, value)
            except RuntimeError as exc:
                raise BusError(f"AXI4-Lite write of {offset:#x}: {exc}") from exc
            self._observe()  # a write may have started or ended a run

    def write_memory(self, address: int, data: bytes) -> None:
        with self.lock:
            self.rtl.write_memory(address, data)

    def alloc(self, nbytes: int) -> int:
        with self.lock:
            return self.rtl.alloc(nbytes)


class FakePynq:
    """One board: a design, the PL it runs on, and the ``pynq`` module a test installs
    (``monkeypatch.setitem(sys.modules, "pynq", fake.module)``)."""

    def __init__(self, pl: SimulatedPL | None, design: Design | None = None) -> None:
        self.pl = pl
        self.design = design or Design()
        self.loaded: str | None = None  # the bitstream in the PL
        self.buffers: list[Any] = []  # every buffer allocated, freed or not
        self.module = self._build_module()

    @property
    def live_buffers(self) -> list[Any]:
        return [b for b in self.buffers if not b.freed]

    def _build_module(self) -> types.ModuleType:  # one closure per PYNQ class, all sharing this board
        board = self
        module = types.ModuleType("pynq", "fake PYNQ (tests/host/fake_pynq.py)")

        class MMIO:
            def __init__(self, base_addr: int, length: int = 4, device: Any = None, **kwargs: Any) -> None:
                if base_addr < 0 or length < 0:
                    raise ValueError("Base address or length cannot be negative.")
                self.base_addr, self.length = base_addr, length

            def _word(self, offset: int, verb: str) -> int:
                if offset < 0:
                    raise ValueError("Offset cannot be negative.")
                if offset % 4:
                    raise MemoryError(f"Unaligned {verb}: offset must be multiple of 4.")
                if offset // 4 >= self.length // 4:
                    raise IndexError(f"index {offset // 4} is out of bounds for axis 0 with size {self.length // 4}")
                return board._core_offset(self.base_addr + offset)

            def read(self, offset: int = 0, length: int = 4, word_order: str = "little") -> int:
                if length != 4:
                    raise ValueError("the fake MMIO reads 4-byte words only")  # all the transport needs
                return int(board._pl().read32(self._word(offset, "read")))

            def write(self, offset: int, data: Any) -> None:
                address = self._word(offset, "write")
                if type(data) is int:
                    if not 0 <= data <= 0xFFFFFFFF:
                        raise OverflowError(f"Python integer {data} out of bounds for uint32")
                    board._pl().write32(address, data)
                elif type(data) is bytes:
                    if len(data) % 4:
                        raise MemoryError("Unaligned write: data length must be multiple of 4.")
                    for i in range(0, len(data), 4):
                        board._pl().write32(address + i, int.from_bytes(data[i:i + 4], "little"))
                else:
                    raise ValueError("Data type must be int or bytes.")

        class Interrupt:
            def __init__(self, pinname: str) -> None:
                pins = board._loaded_design().interrupt_pins()
                if pinname not in pins:
                    raise ValueError(f"No Pin of name {pinname} found")
                if not board.design.uio:
                    raise ValueError(f"Could not find UIO device for interrupt pin for IRQ number "
                                     f"{pins[pinname]['index']}")
                self.pinname = pinname
                # PYNQ's UIO reader is added to asyncio.get_event_loop() when the interrupt is made.
                try:
                    self._loop = asyncio.get_running_loop()
                except RuntimeError:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        self._loop = asyncio.get_event_loop_policy().get_event_loop()
                self.waits = 0

            async def wait(self) -> None:
                self.waits += 1
                if asyncio.get_running_loop() is not self._loop or not board.design.irq_reaches_ps:
                    await asyncio.Event().wait()  # the reader is on another loop, or no line: nothing wakes it
                while not board._pl().irq:
                    await asyncio.sleep(0)  # a cancellation point, as an event wait is
                    board._pl().run(MAX_CATCH_UP_S)

        class DefaultIP:
            def __init__(self, description: dict[str, Any]) -> None:
                self.mmio = MMIO(description["phys_addr"], description["addr_range"])
                self._interrupts = description.get("interrupts", {})
                for pin, details in self._interrupts.items():
                    setattr(self, pin, Interrupt(details["fullpath"]))

            def read(self, offset: int = 0) -> int:
                return self.mmio.read(offset)

            def write(self, offset: int, value: Any) -> None:
                self.mmio.write(offset, value)

        class Hierarchy:
            def __init__(self, ip_dict: dict[str, Any], prefix: str) -> None:
                self._ip_dict, self._prefix = ip_dict, prefix

            def __getattr__(self, key: str) -> Any:
                if key.startswith("_"):
                    raise AttributeError(key)
                return _ip_attribute(self._ip_dict, f"{self._prefix}/{key}", self)

        def _ip_attribute(ip_dict: dict[str, Any], full: str, owner: Any) -> Any:
            if full in ip_dict:
                driver: Any = DefaultIP(ip_dict[full])
            elif any(name.startswith(full + "/") for name in ip_dict):
                driver = Hierarchy(ip_dict, full)
            else:
                raise AttributeError(f"Could not find IP or hierarchy {full.rpartition('/')[2]} in overlay")
            object.__setattr__(owner, full.rpartition("/")[2], driver)
            return driver

        class Overlay:
            def __init__(self, bitfile_name: str, dtbo: str | None = None, download: bool = True,
                         ignore_version: bool = False, device: Any = None) -> None:
                path = Path(bitfile_name)
                if not path.is_file():
                    raise OSError(f"Bitstream file {bitfile_name} does not exist.")
                if not path.with_suffix(".hwh").is_file():
                    raise ValueError(f"Cannot find HWH or TCL file for {bitfile_name}.")
                self.bitfile_name = str(path.resolve())
                self.ip_dict = board.design.ip_dict()
                self.interrupt_pins = board.design.interrupt_pins()
                self.interrupt_controllers: dict[str, Any] = {}
                self.gpio_dict: dict[str, Any] = {}
                if download:
                    self.download()

            def download(self) -> None:
                board.loaded = self.bitfile_name

            def is_loaded(self) -> bool:
                return board.loaded == self.bitfile_name

            def __getattr__(self, key: str) -> Any:
                if key.startswith("_") or key in ("ip_dict", "interrupt_pins", "bitfile_name"):
                    raise AttributeError(key)
                if not self.is_loaded():
                    raise RuntimeError("Overlay not currently loaded")
                return _ip_attribute(self.ip_dict, key, self)

        class PynqBuffer(np.ndarray):
            def __array_finalize__(self, obj: Any) -> None:
                if isinstance(obj, PynqBuffer) and getattr(obj, "device_address", None) is not None:
                    offset = self.__array_interface__["data"][0] - obj.__array_interface__["data"][0]
                    self.device_address = obj.device_address + offset
                    self.root = obj.root
                else:
                    self.device_address = None
                    self.root = None

            coherent = False

            @property
            def cacheable(self) -> bool:
                return not self.coherent

            @property
            def physical_address(self) -> int:
                return self.device_address

            @property
            def freed(self) -> bool:
                return self.root._freed

            def flush(self) -> None:
                if self.root._freed:
                    raise RuntimeError(f"flush of the freed buffer at {self.root.device_address:#x}")
                if not self.flags.c_contiguous:
                    raise ValueError("the fake flushes contiguous views only")
                board._pl().write_memory(self.device_address, self.tobytes())

            def invalidate(self) -> None:
                if self.root._freed:
                    raise RuntimeError(f"invalidate of the freed buffer at {self.root.device_address:#x}")

            def freebuffer(self) -> None:
                self.root._freed = True

            def close(self) -> None:
                warnings.warn("close() is deprecated; use freebuffer()", DeprecationWarning, stacklevel=2)
                self.freebuffer()

            def __enter__(self) -> Any:
                return self

            def __exit__(self, *exc: object) -> None:
                self.freebuffer()

        def allocate(shape: Any, dtype: Any = "u4", target: Any = None, **kwargs: Any) -> Any:
            data = np.zeros(shape, dtype)
            address = board._pl().alloc(max(data.nbytes, 1))
            buffer = data.view(PynqBuffer)
            buffer.device_address = address
            buffer.root = buffer
            buffer._freed = False
            board.buffers.append(buffer)
            return buffer

        module.MMIO = MMIO
        module.Interrupt = Interrupt
        module.DefaultIP = DefaultIP
        module.Overlay = Overlay
        module.PynqBuffer = PynqBuffer
        module.allocate = allocate
        return module

    # ---------------------------------------------------------------- the board behind the module

    def _pl(self) -> SimulatedPL:
        if self.pl is None:
            raise RuntimeError("this fake board has no PL (a test of set-up only)")
        return self.pl

    def _loaded_design(self) -> Design:
        if self.loaded is None:
            raise RuntimeError("no overlay is loaded")
        return self.design

    def _core_offset(self, address: int) -> int:
        """The core's register offset of a PS address, or BusError: nothing else on this bus answers."""
        base = PL_BASE[self.design.arch]
        if not base <= address < base + CORE_RANGE:
            raise BusError(f"no slave answers at {address:#x} in the fake (only the core is simulated)")
        return address - base
