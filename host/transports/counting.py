"""A transport that counts what the driver asks of the bus: the host's per-run overhead, measured.

``CountingTransport`` wraps any transport (the simulated RTL, a PYNQ board) and passes every call
through, counting register reads and writes, copies into device memory and their bytes, and the
waits, with the time spent inside each kind of call. Around a driver call (``CoreDriver.run_image``)
the counts say what one image costs the bus whatever the transport, and the driver's own Python time
is the call's wall time less the time inside the transport (``BusCounts.outside_s``).

A board's cost per register access is its own (an MMIO read or write from Python on a 650 MHz
Cortex-A9 is tens of microseconds, bench/board_model.py), so these counts, not this machine's times,
are what a board projection multiplies.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any


@dataclass
class BusCounts:
    """What the driver asked of a transport: calls and bytes, and seconds inside each kind of call."""

    reads: int = 0
    writes: int = 0
    copies: int = 0
    copied_bytes: int = 0
    waits: int = 0
    streamed_bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def inside_s(self) -> float:
        """Seconds spent inside the transport's calls, waits included."""
        return sum(self.seconds.values())

    def minus(self, before: BusCounts) -> BusCounts:
        """The counts since ``before`` (a ``snapshot``)."""
        out = BusCounts(**{f.name: getattr(self, f.name) - getattr(before, f.name)
                           for f in fields(self) if f.name != "seconds"})
        out.seconds = {k: v - before.seconds.get(k, 0.0) for k, v in self.seconds.items()}
        return out

    def snapshot(self) -> BusCounts:
        return replace(self, seconds=dict(self.seconds))


class CountingTransport:
    """``inner`` with every Transport call counted (``counts``); other attributes pass through. Use
    ``counting`` to wrap: it keeps the AXI4-Stream calls only where ``inner`` has them, so the driver
    sees the same kind of transport."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.counts = BusCounts()

    @contextmanager
    def _call(self, kind: str) -> Iterator[None]:
        """Time one call of ``kind``, whether it returns or raises."""
        began = time.perf_counter()
        try:
            yield
        finally:
            self.counts.seconds[kind] = self.counts.seconds.get(kind, 0.0) + time.perf_counter() - began

    def read32(self, offset: int) -> int:
        self.counts.reads += 1
        with self._call("read32"):
            return self.inner.read32(offset)

    def write32(self, offset: int, value: int) -> None:
        self.counts.writes += 1
        with self._call("write32"):
            self.inner.write32(offset, value)

    def alloc(self, nbytes: int) -> int:
        with self._call("alloc"):
            return self.inner.alloc(nbytes)

    def write_memory(self, address: int, data: bytes) -> None:
        self.counts.copies += 1
        self.counts.copied_bytes += len(data)
        with self._call("write_memory"):
            self.inner.write_memory(address, data)

    def wait(self, seconds: float) -> None:
        self.counts.waits += 1
        with self._call("wait"):
            self.inner.wait(seconds)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # Only reached for what this class does not define: simulated_cycles, uses_interrupt, ...
        return getattr(self.inner, name)


class CountingStreamTransport(CountingTransport):
    """``CountingTransport`` of a transport with the AXI4-Stream input (``StreamTransport``)."""

    def send_stream(self, data: bytes) -> None:
        self.counts.streamed_bytes += len(data)
        with self._call("send_stream"):
            self.inner.send_stream(data)

    def reset_stream(self) -> None:
        self.inner.reset_stream()


def counting(inner: Any) -> CountingTransport:
    """``inner`` wrapped to count its calls, a stream transport where ``inner`` is one."""
    from blurgauge.host.driver import StreamTransport

    return CountingStreamTransport(inner) if isinstance(inner, StreamTransport) else CountingTransport(inner)
