"""bg_maxpool (hw/rtl/bg_maxpool.sv) in Verilator through cocotb: windows in both code modes against
Python's max, with random stalls on both handshakes (testbench: sim/tb_maxpool.py)."""

from __future__ import annotations

from blurgauge.hw import rtl_files, verilator


def test_maxpool() -> None:
    verilator.run_cocotb("bg_maxpool", rtl_files.rtl_sources("bg_maxpool"), "blurgauge.sim.tb_maxpool",
                       {"LANES": 4, "CODE_W": 8, "TAG_W": 4}, seed=1)
