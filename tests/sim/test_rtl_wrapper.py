"""The board wrapper (hw/boards/blurgauge_core.v) in Verilator through cocotb: bg_core's own end-to-end
tests (sim/tb_core.py, the testbench tests/sim/test_rtl_core.py runs in `make test`) with the wrapper
in the loop, at tests/sim/test_rtl_core.py's reduced configuration with the board's two read masters (the
image job at 8 lanes, with the weights in pairs of bursts, the zcu104 target's read path). The
testbench drives bg_core's port names; hw/boards/sim/blurgauge_core_tb.sv renames them to the wrapper's
(active-low reset, the wrapper's reset register) and nothing else, so every register access, streamed beat
and DDR read crosses the wrapper's ports, with random stalls on all of them (sim/tb_core.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blurgauge.hw import rtl_files, verilator
from blurgauge.sim import core_run

# tests/sim/test_rtl_core.py's configuration (width 2 on a 4 x 4 array, minutes instead of hours) with the
# board's two read masters: here the whole core runs with both (bg_core's own tests run one).
SMALL = {"LANES": 4, "SLOTS": 4, "SLOT_BYTES": 16384, "WBUF_TILES": 64, "READ_PORTS": 2}
# The image job's: the weights two beats a cycle through both masters (WEIGHT_PAIRS, the zcu104 target's
# path) at the smallest size that pairs, 8 lanes (4 weight-buffer banks) and bursts of 2 beats.
PAIRS = {**SMALL, "LANES": 8, "SLOT_BYTES": 32768, "WEIGHT_PAIRS": 1, "MAX_BURST": 2}
WIDTH = 2
TIMEOUT_NS = 200_000_000
SOURCES = [*rtl_files.board_sources(), rtl_files.WRAPPER_TB]
# The wrapper's .v parsed as Verilog-2001 (as Vivado's module reference reads it), the rest as SystemVerilog.
BUILD_ARGS = [*core_run.BUILD_ARGS, "+1364-2001ext+v"]


def run_through_wrapper(tmp_path: Path, testcase: str, seed: int, extra_env: dict[str, str] | None = None,
                        params: dict[str, int] = SMALL) -> dict:
    case_file, results_file = tmp_path / "case.json", tmp_path / "results.json"
    core_run.make_case(case_file, WIDTH, params["LANES"], seed, TIMEOUT_NS, job=testcase == "image_job")
    verilator.run_cocotb("blurgauge_core_tb", SOURCES, core_run.TB, params, testcase=testcase, seed=seed,
                         build_args=BUILD_ARGS,
                         extra_env={core_run.CASE_ENV: str(case_file), core_run.RESULTS_ENV: str(results_file),
                                    **(extra_env or {})})
    return json.loads(results_file.read_text())


# make verify; in make test the wrapper's stream carries good runs (reused, and after each fault) in
# test_wrapper_errors, and its interrupt is counted in test_wrapper_image_job.
@pytest.mark.fullsize
def test_wrapper_coarse_then_fine(tmp_path: Path) -> None:
    """The coarse network on a streamed patch, the fine one reusing it, the coarse one payload-checked:
    logits equal golden bit for bit (the testbench asserts each), interrupt included."""
    results = run_through_wrapper(tmp_path, "coarse_then_fine", 21)
    assert {"coarse pass", "fine pass (reuse_input)", core_run.CHECKED} <= set(results)


def test_wrapper_errors(tmp_path: Path) -> None:
    """Every fault that reaches the core through one of the wrapper's ports, each followed by a correct run:
    the stream's TLAST early and missing (S_AXIS), SLVERR (M_AXI), start while busy and soft reset (S_AXIL).
    The program image's own faults (header, layers) are the core's logic behind a read that succeeded, the
    same through the wrapper; bg_core's test (test_core_errors) raises every one."""
    results = run_through_wrapper(tmp_path, "errors_then_good_runs", 22, {core_run.PORT_FAULTS_ONLY_ENV: "1"})
    assert {"after early TLAST", "after SLVERR", "after start while busy", "after soft reset"} <= set(results)
    assert "after the header errors" not in results


@pytest.mark.fullsize  # make verify; in make test the wrapper's AXI master reads both maps in test_wrapper_image_job
def test_wrapper_input_from_memory(tmp_path: Path) -> None:
    """The board's input path: the patch read from DDR through the wrapper's AXI master
    (CTRL.input_from_memory), bit for bit the stream's logits, with its faults."""
    results = run_through_wrapper(tmp_path, "input_from_memory", 23)
    assert "coarse pass (input from memory)" in results


def test_wrapper_image_job(tmp_path: Path) -> None:
    """One start per image through the wrapper: coarse and the chosen fine network on both axes' maps from
    DDR, payload-checked, one interrupt, equal to the golden job, the axes in two ranges, with the weights
    in pairs of bursts (PAIRS: every weight block as pairs and, near a 4 KB boundary, single bursts). The
    other jobs (vouched for, one range, the mid-cascade faults) differ only in the core's own logic behind
    the same ports; bg_core's tests run them all (test_core_image_job; with pairs,
    test_core_image_job_weight_pairs in make verify), and cancel and SLVERR inside a pair are the reader's
    unit test's (tests/sim/test_rtl_axi_reader.py)."""
    results = run_through_wrapper(tmp_path, "image_job", 24, {core_run.FIRST_JOB_ONLY_ENV: "1"}, params=PAIRS)
    assert core_run.JOB in results and core_run.JOB_VOUCHED not in results
