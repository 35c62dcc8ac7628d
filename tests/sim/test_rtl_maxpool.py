"""bg_maxpool (hw/rtl/bg_maxpool.sv) in Verilator through cocotb: windows in both code modes and rows of
overlapping windows that carry their shared columns' maximum, against Python's max over every tap, with
random stalls on both handshakes (testbench: sim/tb_maxpool.py)."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

PARAMS = {"LANES": 4, "CODE_W": 8, "TAG_W": 4}


def test_maxpool() -> None:
    verilator.run_cocotb("bg_maxpool", rtl_files.rtl_sources("bg_maxpool"), "blurgauge.sim.tb_maxpool", PARAMS,
                         seed=1)


@pytest.mark.parametrize(
    ("old", "new", "tag"),
    [
        # a resuming window that starts from the window before's whole maximum instead of the carry
        ("assign base = (first0 && resume0) ? c : m;", "assign base = m;", "mutant-resume"),
        # the carry never restarted: it keeps the maxima of every window before
        ("(kfirst0 || x_wins_carry) ? x : c;", "x_wins_carry ? x : c;", "mutant-carry"),
    ],
    ids=["resume-from-window", "carry-not-restarted"],
)
def test_maxpool_catches_a_planted_bug(old: str, new: str, tag: str) -> None:
    """The same testbench fails on a max-pool with a planted bug in the carry: the testbench can fail."""
    bad = verilator.mutant("bg_maxpool", old, new, tag)
    with pytest.raises(SystemExit):
        verilator.run_cocotb("bg_maxpool", [bad], "blurgauge.sim.tb_maxpool", PARAMS, seed=1,
                             testcase="random_windows_with_stalls", build_tag=tag)
