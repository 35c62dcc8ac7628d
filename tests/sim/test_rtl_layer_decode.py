"""bg_layer_decode (hw/rtl/bg_layer_decode.sv) in Verilator through cocotb: random and edge-case layer records
against a reference written from the record's definition, out_valid exactly LATENCY cycles after in_valid,
a reset mid-decode (testbench: sim/tb_layer_decode.py); a planted bug (the sizes compared in 32 bits, where
2^32 words wrap to 0 and fit) that the testbench must catch."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

TB = "blurgauge.sim.tb_layer_decode"
MODULE = "bg_layer_decode"
SOURCES = rtl_files.rtl_sources(MODULE)
# the default target's block (P=16) and the end-to-end tests' small core (P=4)
CONFIGS = {
    "p16": {"P": 16, "SLOT_BYTES": 65536, "WBUF_TILES": 128, "STEM_K": 7},
    "p4": {"P": 4, "SLOT_BYTES": 16384, "WBUF_TILES": 64, "STEM_K": 7},
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_layer_decode(name: str) -> None:
    verilator.run_cocotb(MODULE, SOURCES, TB, CONFIGS[name], seed=31 + list(CONFIGS).index(name))


def test_layer_decode_catches_sizes_that_wrap() -> None:
    """The same testbench fails on a decoder that compares the output size in 32 bits."""
    bad = verilator.mutant(MODULE, "out_words2 > {16'd0, SWD32}", "out_words2[31:0] > SWD32", "mutant-wrap")
    sources = [s if s.stem != MODULE else bad for s in SOURCES]
    with pytest.raises(SystemExit):
        verilator.run_cocotb(MODULE, sources, TB, CONFIGS["p4"], seed=33,
                             testcase="the_limits_of_a_slot_and_the_weight_buffer", build_tag="mutant-wrap")
