"""bg_conv_addr_gen (hw/rtl/bg_conv_addr_gen.sv) in Verilator through cocotb: passes of every mode (conv,
dense, stem window origins, max-pool, global average pool) with kernels 1, 3 and 7, strides 1 and 2,
padding on every border, the smallest and the largest shapes, against a Python model of the walk, with
random back-pressure that fills the output stage's skid entry, the start-to-first-beat latency, `busy`
and the full rate (testbench: sim/tb_conv_addr_gen.py)."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

TB = "blurgauge.sim.tb_conv_addr_gen"
MODULE = "bg_conv_addr_gen"


@pytest.mark.parametrize(
    ("params", "seed"),
    [
        ({"ADDR_W": 12, "TILE_W": 7, "TAG_W": 12}, 1),  # the default core's widths (P=16, 64 KiB slots)
        pytest.param(
            {"ADDR_W": 6, "TILE_W": 2, "TAG_W": 5},
            2,  # narrow ports: addresses, tiles and tags wrap
            marks=(pytest.mark.slow, pytest.mark.fullsize),
        ),
    ],
    ids=["core", "narrow"],
)
def test_conv_addr_gen(params: dict[str, int], seed: int) -> None:
    verilator.run_cocotb(MODULE, rtl_files.rtl_sources(MODULE), TB, params, seed=seed)


@pytest.mark.parametrize(
    ("old", "new", "tag"),
    [
        # the row below the input let through as data (`>` for `>=` in the bottom border check)
        ("$unsigned(iy) >= CW'(cfg_in_h)", "$unsigned(iy) > CW'(cfg_in_h)", "mutant-bottom"),
        # the walk advancing while the skid entry is full: a stalled beat is overwritten
        ("assign push = w_valid && !s_valid;", "assign push = w_valid;", "mutant-skid"),
        # a pool window that skips its shared columns starting at the window origin's address
        ("assign n_pix_skip = a_pix + k_sx_skip;", "assign n_pix_skip = a_pix + k_sx;", "mutant-skip"),
    ],
    ids=["bottom-border", "skid-overwrite", "pool-skip-address"],
)
def test_conv_addr_gen_catches_a_planted_bug(old: str, new: str, tag: str) -> None:
    """The same testbench fails on an address generator with a planted bug: the testbench can fail."""
    bad = verilator.mutant(MODULE, old, new, tag)
    with pytest.raises(SystemExit):
        verilator.run_cocotb(
            MODULE,
            [bad],
            TB,
            {"ADDR_W": 12, "TILE_W": 7, "TAG_W": 12},
            seed=1,
            testcase="edge_cases_with_stalls",
            build_tag=tag,
        )
