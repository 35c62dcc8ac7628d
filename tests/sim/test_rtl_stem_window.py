"""bg_stem_window (hw/rtl/bg_stem_window.sv) in Verilator through cocotb: the banked patch buffer and the
window loader of the stem against a Python model of the window (zero outside the patch), for kernels 1,
3, 7 and 8, two and four word banks, 4 to 64 lanes, the smallest patch and the ones that fill the buffer,
with random stalls on both handshakes (testbench: sim/tb_stem_window.py). The default core's stem runs
in `make test`; the other configurations (a Verilator build each) are full-size checks, for `make verify`."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

TB = "blurgauge.sim.tb_stem_window"
MODULE = "bg_stem_window"
SOURCES = rtl_files.rtl_sources("bg_sdp_ram", MODULE)
CORE = {"P": 16, "STEM_K": 7, "SLOT_BYTES": 4096, "TAG_W": 8}


@pytest.mark.parametrize(
    ("params", "seed"),
    [
        (CORE, 1),  # the default core's stem
        pytest.param(
            {"P": 4, "STEM_K": 8, "SLOT_BYTES": 1024, "TAG_W": 6},
            2,  # 4 word banks, 16 beats
            marks=(pytest.mark.slow, pytest.mark.fullsize),
        ),
        pytest.param(
            {"P": 8, "STEM_K": 3, "SLOT_BYTES": 512, "TAG_W": 1},
            3,  # 3x3, smallest buffer (64*P)
            marks=(pytest.mark.slow, pytest.mark.fullsize),
        ),
        pytest.param(
            {"P": 64, "STEM_K": 1, "SLOT_BYTES": 4096, "TAG_W": 12},
            4,  # 1x1 on the widest word
            marks=(pytest.mark.slow, pytest.mark.fullsize),
        ),
    ],
    ids=["p16-k7", "p4-k8", "p8-k3", "p64-k1"],
)
def test_stem_window(params: dict[str, int], seed: int) -> None:
    verilator.run_cocotb(MODULE, SOURCES, TB, params, seed=seed)


def test_stem_window_catches_a_planted_bug() -> None:
    """The same testbench fails on a window without its right-edge mask (columns past the patch read the
    next row's words), which the end-to-end core test does not catch (docs/core-rtl.md)."""
    bad = verilator.mutant(MODULE, "&& a_ix0 + k < $signed({16'd0, cfg_in_w})", "", "mutant-right-edge")
    with pytest.raises(SystemExit):
        verilator.run_cocotb(
            MODULE,
            [rtl_files.RTL_DIR / "bg_sdp_ram.sv", bad],
            TB,
            CORE,
            seed=1,
            testcase="windows_with_stalls",
            build_tag="mutant-right-edge",
        )
