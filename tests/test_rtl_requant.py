"""bg_requant (hw/rtl/bg_requant.sv) in Verilator through cocotb: random and edge-case vectors against
the golden rounding, with random stalls on both handshakes (testbench: sim/tb_requant.py)."""

from __future__ import annotations

import pytest

from blurgauge.sim import harness

# LANES=2 checks that lanes are independent while keeping the model small; ACC_W=32 and CODE_W=32 are the
# widths of the program format (32-bit accumulator, formats up to 32 bits).
MAIN = {"LANES": 2, "ACC_W": 32, "CODE_W": 32, "TAG_W": 8}


def test_requant() -> None:
    harness.run_cocotb("bg_requant", harness.rtl_sources("bg_requant"), "blurgauge.sim.tb_requant", MAIN, seed=1)


@pytest.mark.slow
def test_requant_narrow() -> None:
    """The configuration a small core would use: 24-bit accumulators and 8-bit codes, four lanes."""
    narrow = {"LANES": 4, "ACC_W": 24, "CODE_W": 8, "TAG_W": 1}
    harness.run_cocotb("bg_requant", harness.rtl_sources("bg_requant"), "blurgauge.sim.tb_requant", narrow, seed=2)
