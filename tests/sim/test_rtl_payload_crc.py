"""bg_payload_crc (hw/rtl/bg_payload_crc.sv) in Verilator through cocotb: regions read in chunks through a
modelled reader with random grant waits and beat gaps, checked against zlib.crc32, skip and cancel
(testbench: sim/tb_payload_crc.py), and a planted bug the testbench must catch."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

MODULE = "bg_payload_crc"
TB = "blurgauge.sim.tb_payload_crc"


@pytest.mark.parametrize(("params", "seed"), [({"ADDR_W": 32, "CHUNK": 4}, 1), ({"ADDR_W": 64, "CHUNK": 64}, 2)],
                         ids=["chunk4", "core"])
def test_payload_crc(params: dict[str, int], seed: int) -> None:
    verilator.run_cocotb(MODULE, rtl_files.rtl_sources("bg_crc32", MODULE), TB, params, seed=seed)


def test_payload_crc_catches_a_planted_bug() -> None:
    """The same testbench fails on a checker that steps its address by half a chunk (8 bytes a beat)."""
    bad = verilator.mutant(MODULE, "next_addr + (ADDR_W'(chunk) << 4)", "next_addr + (ADDR_W'(chunk) << 3)",
                           "mutant-step")
    with pytest.raises(SystemExit):
        verilator.run_cocotb(MODULE, [*rtl_files.rtl_sources("bg_crc32"), bad], TB, {"ADDR_W": 32, "CHUNK": 4},
                             seed=1, testcase="regions_with_stalls", build_tag="mutant-step")
