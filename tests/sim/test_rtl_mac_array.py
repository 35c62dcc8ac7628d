"""bg_mac_array (hw/rtl/bg_mac_array.sv) in Verilator through cocotb: random sums in both activation
modes against a numpy model, with random stalls on both handshakes (testbench: sim/tb_mac_array.py)."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

TB = "blurgauge.sim.tb_mac_array"


def test_mac_array_p4() -> None:
    """P=4 keeps the Verilator build small; every behaviour is the same as at P=16."""
    verilator.run_cocotb("bg_mac_array", rtl_files.rtl_sources("bg_mac_array"), TB, {"P": 4, "ACC_W": 32, "TAG_W": 4},
                       seed=1)


def test_mac_array_p3_narrow_accumulator() -> None:
    """A P that is not a power of two (a padded adder tree) and accumulators that wrap at 18 bits."""
    verilator.run_cocotb("bg_mac_array", rtl_files.rtl_sources("bg_mac_array"), TB, {"P": 3, "ACC_W": 18, "TAG_W": 1},
                       seed=2)


def test_mac_array_p4_lut_products() -> None:
    """Products 5..15 built in LUTs (DSP_PRODUCTS=5: a row split between DSP and LUT products), every
    activation code times every weight through them, and the random sums with stalls."""
    verilator.run_cocotb("bg_mac_array", rtl_files.rtl_sources("bg_mac_array"), TB,
                       {"P": 4, "ACC_W": 32, "TAG_W": 4, "DSP_PRODUCTS": 5}, seed=4)


@pytest.mark.slow
@pytest.mark.fullsize  # make verify; in make test the default core's 16 x 16 array runs end to end (test_host_rtl)
def test_mac_array_p16() -> None:
    """The configuration of the default core: 16 x 16 with 168 products in DSPs and 88 in LUTs."""
    verilator.run_cocotb("bg_mac_array", rtl_files.rtl_sources("bg_mac_array"), TB,
                       {"P": 16, "ACC_W": 32, "TAG_W": 8, "DSP_PRODUCTS": 168}, seed=3)
