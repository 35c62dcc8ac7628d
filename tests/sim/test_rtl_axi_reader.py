"""bg_axi_reader (hw/rtl/bg_axi_reader.sv) in Verilator through cocotb: alone, requests against a
cocotbext-axi AxiRamRead with random pauses on AR, R and the output, the MAX_BURST / 4 KB split, bursts in
flight, SLVERR and cancel (testbench: sim/tb_axi_reader.py); ahead of bg_axi_read_interleave, its pairs of
bursts through two memories, cancel and SLVERR inside a pair, two beats a cycle
(sim/tb_axi_reader_pairs.py); planted bugs the testbenches must catch."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

TB = "blurgauge.sim.tb_axi_reader"


@pytest.mark.parametrize(("params", "seed"), [
    ({"ADDR_W": 32, "MAX_BURST": 16, "OUTSTANDING": 4}, 21),    # the core's configuration
    ({"ADDR_W": 64, "MAX_BURST": 7, "OUTSTANDING": 15}, 22),    # bursts that do not divide a page, many in flight
    ({"ADDR_W": 40, "MAX_BURST": 256, "OUTSTANDING": 1}, 23),   # whole-page bursts (arlen 255), one at a time
], ids=["default", "burst7-out15", "burst256-out1"])
def test_axi_reader(params: dict[str, int], seed: int) -> None:
    verilator.run_cocotb("bg_axi_reader", rtl_files.rtl_sources("bg_axi_reader"), TB, params, seed=seed)


def test_axi_reader_catches_a_stale_burst_length() -> None:
    """The same testbench fails on a reader that asks for a burst before the registered length is that of
    the new request (after a cancel it would still be the dropped request's)."""
    bad = verilator.mutant("bg_axi_reader", "active && blen_ok && !ar_pending && !drop",
                           "active && !ar_pending && !drop", "mutant-stale-blen")
    with pytest.raises(SystemExit):
        verilator.run_cocotb("bg_axi_reader", [*rtl_files.PACKAGES, bad], TB,
                             {"ADDR_W": 32, "MAX_BURST": 16, "OUTSTANDING": 4}, seed=21,
                             testcase="cancel_drops_the_request", build_tag="mutant-stale-blen")


PAIRS_TOP = "bg_axi_reader_pairs_tb"
PAIRS_TB = "blurgauge.sim.tb_axi_reader_pairs"
PAIRS_SOURCES = [*rtl_files.rtl_sources("bg_fifo", "bg_axi_reader", "bg_axi_read_interleave"),
                 rtl_files.REPO / "sim" / "hdl" / f"{PAIRS_TOP}.sv"]


@pytest.mark.parametrize(("params", "seed"), [
    ({"MAX_BURST": 16, "OUTSTANDING": 4}, 31),   # the zcu104 target's
    ({"MAX_BURST": 2, "OUTSTANDING": 2}, 32),    # tests/sim/test_rtl_core.py's pairs; room for one pair only
    ({"MAX_BURST": 5, "OUTSTANDING": 15}, 33),   # pairs that do not divide a page, many in flight
], ids=["burst16", "burst2-out2", "burst5-out15"])
def test_axi_reader_pairs(params: dict[str, int], seed: int) -> None:
    # the rate test is for the target's bursts: 2-beat bursts, two in flight, wait on the memory's latency
    testcase = None if params["MAX_BURST"] >= 16 else ["paired_requests_with_stalls", "cancel_and_slverr_inside_pairs"]
    verilator.run_cocotb(PAIRS_TOP, PAIRS_SOURCES, PAIRS_TB, params, seed=seed, testcase=testcase)


@pytest.mark.parametrize(("name", "find", "replace", "testcase"), [
    # a pair's second burst not asked for once the request is dropped: the interleave waits for it forever
    ("second-dropped", "(active && blen_ok && !ar_pending && pair_second)",
     "(active && blen_ok && !ar_pending && pair_second && !drop && !cancel)", "cancel_and_slverr_inside_pairs"),
    # a pair's first asked for with room for one burst only: more than OUTSTANDING in flight
    ("pair-room", "(pair_ok ? bursts < MAXO_PAIR : bursts < MAXO)", "bursts < MAXO", "paired_requests_with_stalls"),
])
def test_axi_reader_pairs_catch(name: str, find: str, replace: str, testcase: str) -> None:
    bad = verilator.mutant("bg_axi_reader", find, replace, f"mutant-{name}")
    sources = [*rtl_files.rtl_sources("bg_fifo", "bg_axi_read_interleave"), bad,
               rtl_files.REPO / "sim" / "hdl" / f"{PAIRS_TOP}.sv"]
    with pytest.raises(SystemExit):
        verilator.run_cocotb(PAIRS_TOP, sources, PAIRS_TB, {"MAX_BURST": 2, "OUTSTANDING": 2}, seed=32,
                             testcase=testcase, build_tag=f"mutant-{name}")
