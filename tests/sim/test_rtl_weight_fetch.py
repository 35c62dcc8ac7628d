"""bg_weight_fetch (hw/rtl/bg_weight_fetch.sv) in Verilator through cocotb: output blocks fetched through a
modelled reader with random grant waits and beat gaps, weight-buffer writes and biases checked against the
program's layout, a reset mid-fetch (testbench: sim/tb_weight_fetch.py), and a planted bug the testbench
must catch."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

MODULE = "bg_weight_fetch"
TB = "blurgauge.sim.tb_weight_fetch"


# p32-pairs: the zcu104 target's shape (WEIGHT_PAIRS): 64 beats a tile, pairs of 16-beat bursts
@pytest.mark.parametrize(("params", "seed"), [({"P": 4, "WBUF_TILES": 16}, 1), ({"P": 16, "WBUF_TILES": 128}, 2),
                                              ({"P": 8, "WBUF_TILES": 16, "PAIRS": 1, "MAX_BURST": 2}, 3),
                                              ({"P": 32, "WBUF_TILES": 16, "PAIRS": 1, "MAX_BURST": 16}, 4)],
                         ids=["p4", "p16", "p8-pairs", "p32-pairs"])
def test_weight_fetch(params: dict[str, int], seed: int) -> None:
    verilator.run_cocotb(MODULE, rtl_files.rtl_sources(MODULE), TB, params, seed=seed)


def test_weight_fetch_catches_a_planted_bug() -> None:
    """The same testbench fails on a fetch that picks the biases from the layer's first bias byte instead
    of the block's (the same beat offset only when 2P is a multiple of 16, so it shows at P=4)."""
    bad = verilator.mutant(MODULE, "bias_off   <= b_first;", "bias_off   <= b_off[3:0];", "mutant-bias-offset")
    with pytest.raises(SystemExit):
        verilator.run_cocotb(MODULE, [*rtl_files.PACKAGES, bad], TB, {"P": 4, "WBUF_TILES": 16}, seed=1,
                             testcase="blocks_with_stalls", build_tag="mutant-bias-offset")


def test_weight_fetch_catches_a_planted_pair_bug() -> None:
    """The same testbench fails on a fetch that steps one beat after a pair's last beats instead of past
    the pair's second burst."""
    bad = verilator.mutant(MODULE, "32'(MAX_BURST + 1) : 32'd1", "32'd1 : 32'd1", "mutant-pair-step")
    with pytest.raises(SystemExit):
        verilator.run_cocotb(MODULE, [*rtl_files.PACKAGES, bad], TB,
                             {"P": 8, "WBUF_TILES": 16, "PAIRS": 1, "MAX_BURST": 2}, seed=3,
                             testcase="blocks_with_stalls", build_tag="mutant-pair-step")
