"""The counting transport: it passes every call through unchanged and counts what an image job asks of the bus."""

from __future__ import annotations

import numpy as np

from blurgauge.host.driver import PATCH_BYTES, CoreDriver, StreamTransport
from blurgauge.host.transports.counting import CountingStreamTransport, CountingTransport, counting
from blurgauge.hw.compiler import program as prog
from blurgauge.hw.regs import core_regs as regs
from tests.host.core_model import ModelTransport

LANES, SLOTS, LOG2_SLOT = 4, 4, 14


class RecordingModel(ModelTransport):
    """The core model with its own log of every bus call: the oracle for the counts."""

    def __init__(self) -> None:
        super().__init__(LANES, SLOTS, LOG2_SLOT)
        self.log: list[tuple[str, int]] = []

    def read32(self, offset: int) -> int:
        self.log.append(("read", offset))
        return super().read32(offset)

    def write32(self, offset: int, value: int) -> None:
        self.log.append(("write", offset))
        super().write32(offset, value)

    def write_memory(self, address: int, data: bytes) -> None:
        self.log.append(("copy", len(data)))
        super().write_memory(address, data)


def _codes(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, (128, 128)).astype(np.int8)


def test_an_image_job_through_the_counter_equals_one_without_it_and_its_counts_equal_the_log(six_programs):
    images = {name: prog.pack(p) for name, p in six_programs(LANES).items()}
    maps = (_codes(1), _codes(2))
    plain = CoreDriver(ModelTransport(LANES, SLOTS, LOG2_SLOT), timeout_s=2.0)
    plain.load_programs(images)
    expected = plain.run_image(*maps)

    model = RecordingModel()
    bus = counting(model)
    driver = CoreDriver(bus, timeout_s=2.0)
    driver.load_programs(images)
    model.log.clear()
    before = bus.counts.snapshot()
    job = driver.run_image(*maps)
    counts = bus.counts.minus(before)

    for got, want in zip((job.width, job.height), (expected.width, expected.height), strict=True):
        assert got.fine.network == want.fine.network
        assert got.fine.logits.tolist() == want.fine.logits.tolist()
    assert counts.reads == sum(1 for kind, _ in model.log if kind == "read")
    assert counts.writes == sum(1 for kind, _ in model.log if kind == "write")
    assert counts.copies == 2 and counts.copied_bytes == 2 * PATCH_BYTES  # the two axes' maps
    # one image job: one start (CTRL written with start set) and the eight logits of each of the four runs read
    assert sum(1 for kind, offset in model.log if kind == "write" and offset == regs.CTRL) == 2
    assert sum(1 for kind, offset in model.log
               if kind == "read" and regs.JOB_LOGIT0 <= offset < regs.JOB_LOGIT0 + 4 * 32) == 32
    assert counts.waits >= 1 and counts.inside_s >= counts.seconds["wait"] >= 0.0


def test_the_counter_is_a_stream_transport_only_where_the_inner_one_is():
    class NoStream:
        def read32(self, offset: int) -> int:
            return 0

        def write32(self, offset: int, value: int) -> None:
            pass

        def alloc(self, nbytes: int) -> int:
            return 0

        def write_memory(self, address: int, data: bytes) -> None:
            pass

        def wait(self, seconds: float) -> None:
            pass

        def close(self) -> None:
            pass

    plain = counting(NoStream())
    assert type(plain) is CountingTransport and not isinstance(plain, StreamTransport)
    streaming = counting(ModelTransport(LANES, SLOTS, LOG2_SLOT))
    assert type(streaming) is CountingStreamTransport and isinstance(streaming, StreamTransport)
    streaming.send_stream(b"\x00" * 10)
    assert streaming.counts.streamed_bytes == 10
    # attributes the counter does not define reach the inner transport
    assert streaming.regs is streaming.inner.regs
