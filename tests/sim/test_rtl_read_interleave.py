"""bg_axi_read_interleave (hw/rtl/bg_axi_read_interleave.sv) alone in Verilator through cocotb: bursts
spread over two memories and merged back in order, SLVERR in place, two 64-bit ports streaming at once,
pairs of bursts side by side and two 128-bit ports giving two beats a cycle (testbench:
sim/tb_axi_read_interleave.py); planted bugs the testbench must catch."""

from __future__ import annotations

import pytest

from blurgauge.hw import rtl_files, verilator

MODULE = "bg_axi_read_interleave"
TB = "blurgauge.sim.tb_axi_read_interleave"
SOURCES = rtl_files.rtl_sources("bg_fifo", MODULE)


@pytest.mark.parametrize("params", [{"ADDR_W": 32, "FIFO_BEATS": 32}, {"ADDR_W": 40, "FIFO_BEATS": 2}],
                         ids=["core", "fifo2"])
def test_read_interleave(params: dict[str, int]) -> None:
    # FIFOs shorter than a burst keep the order but not the rate: the rate test is for the core's depth
    testcase = None if params["FIFO_BEATS"] >= 16 else ["bursts_come_back_in_order", "slverr_rides_with_its_beat",
                                                          "pairs_come_out_side_by_side"]
    verilator.run_cocotb(MODULE, SOURCES, TB, params, seed=41, testcase=testcase)


@pytest.mark.parametrize(("name", "find", "replace", "testcase"), [
    # the head port turning on every beat instead of on the burst's last: beats out of order
    ("every-beat", "if (head_last && !pq_pair) r_port", "if (!pq_pair) r_port", "bursts_come_back_in_order"),
    # FIFOs of two beats: a port waits while the other is drained, and two 64-bit ports give one
    ("fifo2", ".DEPTH(FIFO_BEATS)) u_fifo1", ".DEPTH(2)) u_fifo1", "two_narrow_ports_stream_at_once"),
    # a pair handing the head to the other port, as a single burst does: the bursts after it out of order
    ("pair-turns", "if (head_last && !pq_pair) r_port", "if (head_last) r_port", "pairs_come_out_side_by_side"),
    # the paired beat from the head's own port: the second burst's bytes wrong
    ("pair-data", "q_data2 <= f_data[!r_port][RW-2:1]", "q_data2 <= f_data[r_port][RW-2:1]",
     "pairs_come_out_side_by_side"),
])
def test_read_interleave_catches(name: str, find: str, replace: str, testcase: str) -> None:
    bad = verilator.mutant(MODULE, find, replace, f"mutant-{name}")
    with pytest.raises(SystemExit):
        verilator.run_cocotb(MODULE, [*rtl_files.rtl_sources("bg_fifo"), bad], TB, {"ADDR_W": 32, "FIFO_BEATS": 32},
                             seed=41, testcase=testcase, build_tag=f"mutant-{name}")
