"""bg_input_words (hw/rtl/bg_input_words.sv) in Verilator through cocotb: the input patch read from DDR in
16-byte beats becomes the stream's P-byte words at every P the core allows, with random input gaps
(testbench: sim/tb_input_words.py)."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

TB = "blurgauge.sim.tb_input_words"
SOURCES = rtl_files.rtl_sources("bg_input_words")


@pytest.mark.parametrize("p", [4, 8, 16, 32, 64])
def test_input_words(p: int) -> None:
    verilator.run_cocotb("bg_input_words", SOURCES, TB, {"P": p}, seed=p)
