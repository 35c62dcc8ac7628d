"""bg_axi_reader (hw/rtl/bg_axi_reader.sv) alone in Verilator through cocotb: requests against a
cocotbext-axi AxiRamRead with random pauses on AR, R and the output, the MAX_BURST / 4 KB split, bursts in
flight, SLVERR and cancel (testbench: sim/tb_axi_reader.py); a planted bug (a stale burst length) that the
testbench must catch."""

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
    bad = verilator.mutant("bg_axi_reader", "active && blen_ok && !ar_pending", "active && !ar_pending",
                           "mutant-stale-blen")
    with pytest.raises(SystemExit):
        verilator.run_cocotb("bg_axi_reader", [*rtl_files.PACKAGES, bad], TB,
                             {"ADDR_W": 32, "MAX_BURST": 16, "OUTSTANDING": 4}, seed=21,
                             testcase="cancel_drops_the_request", build_tag="mutant-stale-blen")
