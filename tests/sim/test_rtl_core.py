"""The whole core (hw/rtl/bg_core.sv) in Verilator through cocotb: real core programs with random weights,
random int8 patches, logits equal to golden bit for bit, and every fault the core reports (sim/core_run.py,
sim/tb_core.py).

The reduced configuration reads DDR through one AXI master (READ_PORTS 1: a board design that keeps its
second HP port for something else); the two-master core (both targets) runs the same testbench through the
board wrapper (tests/sim/test_rtl_wrapper.py; its image job with the weights in pairs of bursts, the
zcu104 target's read path) and its read interleave alone (tests/sim/test_rtl_read_interleave.py), so
`make test` covers both. One port is also the cheaper
simulation: each DDR port is a Python model that wakes every clock."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from blurgauge.hw import targets
from blurgauge.sim.core_run import CHECKED, print_bench, run, run_target, run_target_job

SMALL = {"LANES": 4, "SLOTS": 4, "SLOT_BYTES": 16384, "WBUF_TILES": 64, "READ_PORTS": 1}


# make verify: in make test the streamed runs, the reused input and payload_checked run in test_core_errors
# and test_core_input_from_memory (which also checks the bytes a checked run saves and the interrupt's enable).
@pytest.mark.fullsize
def test_core_coarse_then_fine(tmp_path: Path) -> None:
    """Width 2 on a 4 x 4 array: the coarse network on a streamed patch, the fine one reusing it."""
    results = run(tmp_path, SMALL, 2, "coarse_then_fine", 11, 200_000_000)
    assert {"coarse pass", "fine pass (reuse_input)"} <= set(results)
    print_bench("coarse pass, width 2, P=4", results["coarse pass"]["bench"])


def test_core_errors(tmp_path: Path) -> None:
    """Every error code the core reports, each followed by a correct run."""
    run(tmp_path, SMALL, 2, "errors_then_good_runs", 12, 200_000_000)


def test_core_image_job(tmp_path: Path) -> None:
    """One start per image (CTRL.image_job): coarse and fine on both axes' maps from DDR, the fine program
    chosen by the core, one interrupt; equal to the golden job (``golden.run_image_job``); faults in the
    middle of the cascade end the job with the coarse results kept, and the next job is correct. The DDR
    sits behind one 64-bit port (R beats at most every other cycle)."""
    results = run(tmp_path, SMALL, 2, "image_job", 15, 400_000_000, read_port_bits=64)
    job = results["image job"]
    # per layer: the coarse program on both maps, then each axis's fine program alone (two ranges)
    layers, total = job["bench"]["layers"], job["bench"]["total"]
    assert {x["name"].split("/")[0] for x in layers} == {"coarse W+H", "fine W", "fine H"}
    assert total["ideal_cycles"] == pytest.approx(job["ideal_cycles"])
    assert 0 <= job["cycles"] - total["cycles"] <= 16
    one_range = results["image job, programs vouched for, both axes in one range"]["bench"]["layers"]
    assert {x["name"].split("/")[0] for x in one_range} == {"coarse W+H", "fine W+H"}
    print_bench("one image job, width 2, P=4, both axes in one range",
                results["image job, programs vouched for, both axes in one range"]["bench"])


@pytest.mark.fullsize  # make verify; in make test the wrapper's image job pairs (tests/sim/test_rtl_wrapper.py)
def test_core_image_job_weight_pairs(tmp_path: Path) -> None:
    """Every image job of test_core_image_job through two 128-bit read masters with the weights two beats
    a cycle (WEIGHT_PAIRS, the zcu104 target's path) at a size that pairs, 8 lanes (4 weight-buffer banks)
    and bursts of 2 beats: bit for bit the golden jobs, the mid-cascade faults (SLVERR during a fine run
    lands inside a pair) each followed by a correct job."""
    params = {**SMALL, "LANES": 8, "SLOT_BYTES": 32768, "READ_PORTS": 2, "WEIGHT_PAIRS": 1, "MAX_BURST": 2}
    results = run(tmp_path, params, 2, "image_job", 16, 400_000_000)
    assert {"image job", "image job, programs vouched for, both axes in one range"} <= set(results)


@pytest.mark.parametrize("config", [
    pytest.param(SMALL, id="P4"),
    # At 32 lanes the stem's 64 x 64 output is one 32-byte word per pixel: 128 KiB per slot.
    pytest.param({**SMALL, "LANES": 32, "SLOT_BYTES": 131072}, id="P32",
                 marks=[pytest.mark.fullsize, pytest.mark.slow]),
])
def test_core_input_from_memory(tmp_path: Path, config: dict[str, int]) -> None:
    """The patch from DDR through the core's own AXI master (CTRL.input_from_memory): at P=4 a 16-byte beat
    is cut into four words, at P=32 two beats make one (bg_input_words); bit for bit the stream's logits;
    its faults; the CONFIG register, the weight reads a payload-checked run saves, the interrupt's enable."""
    results = run(tmp_path, config, 2, "input_from_memory", 13, 200_000_000)
    assert "coarse pass (input from memory)" in results


@pytest.mark.fullsize
@pytest.mark.slow
@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_core_target(tmp_path: Path, name: str) -> None:
    """A named configuration (hw/targets.py) on the network width it is sized for, coarse then fine, bit for
    bit against golden: the default pynq-z2 (16 x 16 array, 168 products in DSPs, 4 slots of 64 KiB) on
    width 16, zcu104 (32 x 32, 4 slots of 256 KiB) on the paper's width 64. Its cycle figures are
    ``make bench-rtl``'s (bench/rtl_core.py)."""
    results = run_target(tmp_path, name)
    assert {"coarse pass", "fine pass (reuse_input)", CHECKED} <= set(results)


@pytest.mark.fullsize
@pytest.mark.slow
@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_core_image_job_target(tmp_path: Path, name: str) -> None:
    """One image job at a named configuration on its width: one start, coarse and fine on both axes, equal to
    the golden job bit for bit (the testbench asserts it); ``make bench-rtl`` reports its figures."""
    job = run_target_job(tmp_path, name)
    for kind in ("first", "vouched", "one_range"):
        assert job[kind]["starts"] == 1 and job[kind]["cycles"] > job[kind]["ideal_cycles"] > 0
    assert job["vouched"]["bytes_read"] < job["first"]["bytes_read"]


def test_run_layer_cycles_counts_each_span_to_its_run_and_layer() -> None:
    """A batch's prefix runs layers 0..1 once per map (the layer index starts again at 0 for map B): both
    spans count to the layer; the next run's layers start when JOB_STATUS.run changes."""
    from blurgauge.sim.tb_core import run_layer_cycles

    marks = [(0, 0, 0), (0, 1, 100), (0, 0, 300), (0, 1, 400), (0, 2, 500), (1, 2, 700), (1, 0, 710), (1, 1, 800)]
    assert run_layer_cycles(marks, 1000) == {"0": [20, 30, 20], "1": [9, 20, 1]}


def test_read_pauses_model_the_port_width() -> None:
    """A 64-bit port lets a 128-bit beat through at most every other cycle; the core's own width only at
    the memory's random pauses."""
    from blurgauge.sim.tb_core import read_pauses

    half = read_pauses(random.Random(1), 0.2, 64)
    open_64 = [not next(half) for _ in range(10_000)]
    assert not any(a and b for a, b in itertools.pairwise(open_64))
    assert 0.35 < sum(open_64) / len(open_64) < 0.45
    full = read_pauses(random.Random(1), 0.2, 128)
    assert 0.75 < sum(not next(full) for _ in range(10_000)) / 10_000 < 0.85
    # a 64-bit port at 1.5 times the core's clock: 3 beats in every 4 cycles at most
    faster = read_pauses(random.Random(1), 0.2, 96)
    open_96 = [not next(faster) for _ in range(10_000)]
    assert all(sum(open_96[i : i + 4]) <= 3 for i in range(0, len(open_96), 4))
    assert 0.55 < sum(open_96) / len(open_96) < 0.65
    with pytest.raises(ValueError, match="4 bits"):
        next(read_pauses(random.Random(1), 0.2, 4))
    with pytest.raises(ValueError, match="256 bits"):
        next(read_pauses(random.Random(1), 0.2, 256))


def test_target_params_turn_the_weight_pairs_off_with_one_read_port() -> None:
    """WEIGHT_PAIRS needs two read masters (bg_core refuses it with one at elaboration), so a target run
    through one port (``make bench-rtl TARGET=zcu104 PORTS=1``) takes its weights a beat a cycle."""
    from blurgauge.sim.core_run import target_params

    zcu104 = targets.get("zcu104")
    assert target_params(zcu104)["WEIGHT_PAIRS"] == 1
    assert target_params(zcu104, read_ports=1) == {**zcu104.core, "READ_PORTS": 1, "WEIGHT_PAIRS": 0}
    assert target_params(zcu104, weight_pairs=0)["WEIGHT_PAIRS"] == 0
    assert "WEIGHT_PAIRS" not in target_params(targets.get("pynq-z2"), read_ports=1)
