"""The host driver over the simulated RTL core: CoreDriver -> RtlTransport -> host/transports/rtl_server.py ->
bg_core in Verilator, exactly the path ``blurgauge estimate --backend rtl`` takes.

The core is the small configuration of tests/sim/test_rtl_core.py (4 x 4 array, 4 slots of 16 KiB, 64
weight tiles) running width-2 programs; one run simulates about 0.3 M cycles in 10-15 s here. The
first start builds the model with Verilator (about a minute; reused while the RTL is unchanged).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from blurgauge.host.driver import CoreDriver, CoreTimeoutError
from blurgauge.host.transports.rtl import RtlTransport, rtl_available
from blurgauge.hw.compiler import program as prog
from blurgauge.hw.compiler.golden import run_program
from tests.conftest import structured

pytestmark = pytest.mark.skipif(rtl_available() is not None, reason=str(rtl_available()))

SMALL = {"lanes": 4, "slots": 4, "slot_bytes": 16384, "wbuf_tiles": 64}


def _random_weights(program: prog.CoreProgram, role: str, rng: np.random.Generator) -> prog.CoreProgram:
    """Small random weights, so the logits are not all zero (untrained structure programs are)."""
    layers = [dataclasses.replace(layer, weights=rng.integers(-8, 9, layer.weights.shape).astype(np.int8),
                                  bias=rng.integers(-100, 100, layer.bias.shape).astype(np.int16))
              if layer.weights is not None else layer for layer in program.layers]
    return dataclasses.replace(program, layers=layers, role=role)


@pytest.fixture(scope="module")
def core():
    transport = RtlTransport(**SMALL)
    yield CoreDriver(transport)
    transport.close()


def test_driver_on_the_rtl_core_coarse_then_fine_equals_golden(core):
    from blurgauge.hw.compiler import cost

    assert (core.info.lanes, core.info.slots, core.info.slot_bytes) == (4, 4, 16384)
    rng = np.random.default_rng(7)
    structure = cost.structure_program(2, lanes=4)
    programs = {"coarse": _random_weights(structure, "coarse", rng), "fine2": _random_weights(structure, "fine2", rng)}
    core.load_programs({name: prog.pack(p) for name, p in programs.items()})
    codes = rng.integers(-128, 128, (128, 128)).astype(np.int8)
    coarse = core.run("coarse", codes)
    fine = core.run("fine2", codes)  # the patch stays on chip: CTRL.reuse_input, nothing streamed
    assert not coarse.reused_input and fine.reused_input
    for result in (coarse, fine):
        assert result.logits.tolist() == run_program(programs[result.network], codes[None])[0].tolist()
        assert result.cycles > 0 and 0 <= result.stall_cycles < result.cycles
    assert coarse.values.any()

    # A run that cannot end (no patch on the stream) times out within its bound, with STATUS decoded ...
    core.start("coarse")
    began = time.monotonic()
    with pytest.raises(CoreTimeoutError, match=r"within 0.5 s; STATUS 0x[0-9a-f]{8}: busy 1.*error_code 0 NONE"):
        core.wait_done(0.5)
    assert time.monotonic() - began < 5
    # ... and the soft-reset core runs the next one correctly (the patch is streamed again).
    again = core.run("coarse", codes)
    assert not again.reused_input and again.logits.tolist() == coarse.logits.tolist()


@pytest.mark.slow
def test_rtl_backend_estimates_equal_golden(six_networks, tmp_path: Path):
    from blurgauge.host.accelerator import Accelerator

    path = tmp_path / "image.png"
    Image.fromarray(structured(150, 170, 3)).save(path)
    with Accelerator("golden", six_networks) as golden, Accelerator("rtl", six_networks, **SMALL) as rtl:
        a, b = golden.estimate(path), rtl.estimate(path)
    assert (a.width.fine, a.height.fine, a.width_px, a.height_px) == (b.width.fine, b.height.fine, b.width_px,
                                                                      b.height_px)
    np.testing.assert_array_equal(a.width.fine_probabilities, b.width.fine_probabilities)
    assert b.cycles is not None and b.cycles > 0
    # one start of the core's image job for both axes (coarse and fine each), one stage
    assert [(s.stage, s.axis) for s in b.stages] == [("image", "both")] and b.stages[0].cycles == b.cycles


def test_a_failed_serve_exits_non_zero_and_keeps_its_run_folder(core, tmp_path: Path):
    """Outside pytest cocotb's runner does not check the results, so the server must: a serve that
    fails (here: no host listens on its socket) exits 1 and leaves its results and output behind."""
    from blurgauge.host.transports import rtl_server

    build_dir = rtl_server.server_build_dir(rtl_server.core_parameters(**SMALL))
    options = [arg for key, value in SMALL.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # as a host starts it
    server = subprocess.Popen([sys.executable, "-m", "blurgauge.host.transports.rtl_server", "--socket",
                               str(tmp_path / "absent" / "socket"), "--key", "00", *options],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = server.communicate(timeout=600)[0].decode(errors="replace")
    run_dir = build_dir / f"run-{server.pid}"
    try:
        assert server.returncode == 1, output[-2000:]
        assert (run_dir / "results.xml").is_file()
        assert "failure" in (run_dir / "results.xml").read_text()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
