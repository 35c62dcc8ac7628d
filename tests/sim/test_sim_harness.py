"""The simulation harness's build lock: parallel workers building one model take turns."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from blurgauge.hw import verilator


def _hold(build_dir: Path, held: multiprocessing.synchronize.Event, seconds: float, log) -> None:
    with verilator.build_lock(build_dir):
        held.set()
        log.put(("first in", time.monotonic()))
        time.sleep(seconds)
        log.put(("first out", time.monotonic()))


def test_a_second_build_waits_for_the_first(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    held, log = ctx.Event(), ctx.Queue()
    build_dir = tmp_path / "sim" / "bg_core-P4"
    first = ctx.Process(target=_hold, args=(build_dir, held, 1.0, log))
    first.start()
    assert held.wait(60), "the first process never took the lock"
    start = time.monotonic()
    with verilator.build_lock(tmp_path / "sim" / "bg_requant"):  # another model builds at once
        assert time.monotonic() - start < 0.5
    with verilator.build_lock(build_dir):
        entered = time.monotonic()
    first.join(30)
    events = dict(log.get(timeout=5) for _ in range(2))
    assert entered >= events["first out"], "the second build ran while the first held the lock"
