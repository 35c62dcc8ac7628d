"""The ``pynq`` transport: CoreDriver's words and bytes on a Zynq board running PYNQ.

The block design this expects (docs/host.md, "On a board"): bg_core's AXI4-Lite slave on an M_AXI_GP
port, its AXI4 read master on an S_AXI_HP port (DDR), and an AXI DMA (simple mode, read channel
only, stream width LANES bytes) whose MM2S stream feeds bg_core's s_axis. The driver is the one the
RTL simulation tests; only these calls differ, and they use PYNQ's documented API:

* ``pynq.Overlay(bitfile)`` loads the bitstream (its ``.hwh`` beside it) and names the IP;
* registers: the core IP's ``read(offset)`` / ``write(offset, value)`` (PYNQ's DefaultIP over MMIO);
* device memory: ``pynq.allocate(shape, dtype)`` gives physically contiguous buffers whose
  ``device_address`` the core reads; ``flush()`` makes the CPU's writes visible to the PL;
* the stream: ``dma.sendchannel.transfer(buffer)`` starts the DMA (non-blocking); ``idle`` says when it is done.

Nothing here runs on the development machine (no pynq package, no PL): it is untested until it
runs on a board. pynq is imported only when a PynqTransport is made.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

#: A board run takes milliseconds; this bound only catches a hung core or DMA.
DEFAULT_TIMEOUT_S = 2.0
#: Sleep between two STATUS reads while a run is in progress (the driver reads STATUS in between).
POLL_S = 1e-4


def _pynq() -> Any:
    try:
        import pynq
    except ImportError as exc:
        raise RuntimeError(
            "the pynq backend needs the pynq package, which exists only on a Zynq board with a PYNQ image "
            "(http://www.pynq.io); run it there, or use --backend rtl to simulate the core here") from exc
    return pynq


class PynqTransport:
    """bg_core and its input DMA in a PYNQ overlay."""

    default_timeout_s = DEFAULT_TIMEOUT_S

    def __init__(self, overlay: str | Path = "blurgauge.bit", core: str = "bg_core_0", dma: str = "axi_dma_0",
                 download: bool = True) -> None:
        """``overlay``: the .bit file (PYNQ reads the .hwh of the same name); ``core`` and ``dma``: the
        instance names of bg_core and of the AXI DMA in the block design."""
        pynq = _pynq()
        path = Path(overlay)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such bitstream (build it as docs/host.md describes)")
        self._pynq = pynq
        self.overlay = pynq.Overlay(str(path), download=download)
        missing = [name for name in (core, dma) if name not in self.overlay.ip_dict]
        if missing:
            raise RuntimeError(f"{path}: the overlay has no IP named {', '.join(missing)}; it has "
                               f"{', '.join(sorted(self.overlay.ip_dict))}")
        self.core = getattr(self.overlay, core)
        self.dma = getattr(self.overlay, dma)
        self._buffers: dict[int, Any] = {}  # device address -> PynqBuffer (kept alive: the core reads them)
        self._patch: Any = None

    # ---------------------------------------------------------------- Transport

    def read32(self, offset: int) -> int:
        return int(self.core.read(offset)) & 0xFFFFFFFF

    def write32(self, offset: int, value: int) -> None:
        self.core.write(offset, value & 0xFFFFFFFF)

    def alloc(self, nbytes: int) -> int:
        buffer = self._pynq.allocate(shape=(nbytes,), dtype=np.uint8)
        address = int(buffer.device_address)
        self._buffers[address] = buffer
        return address

    def write_memory(self, address: int, data: bytes) -> None:
        buffer = self._buffers[address]
        buffer[: len(data)] = np.frombuffer(data, np.uint8)
        buffer.flush()  # out of the CPU's caches, so the core's AXI reads see it

    def send_stream(self, data: bytes) -> None:
        channel = self.dma.sendchannel
        deadline = time.monotonic() + self.default_timeout_s
        while not channel.idle:  # the previous patch is still leaving; its buffer is about to be reused
            if time.monotonic() > deadline:
                raise TimeoutError(f"the AXI DMA send channel stayed busy for {self.default_timeout_s:g} s")
            time.sleep(POLL_S)
        if self._patch is None or self._patch.nbytes != len(data):
            self._patch = self._pynq.allocate(shape=(len(data),), dtype=np.uint8)
        self._patch[:] = np.frombuffer(data, np.uint8)
        self._patch.flush()
        channel.transfer(self._patch)  # returns at once; TLAST comes with the last byte

    def reset_stream(self) -> None:
        # After a failed run the DMA may hold the rest of a patch the core will never take.
        channel = self.dma.sendchannel
        if not channel.idle:
            channel.stop()
            channel.start()

    def wait(self, seconds: float) -> None:
        time.sleep(min(seconds, POLL_S))

    def close(self) -> None:
        for buffer in [*self._buffers.values(), *([self._patch] if self._patch is not None else [])]:
            buffer.freebuffer()
        self._buffers.clear()
        self._patch = None
