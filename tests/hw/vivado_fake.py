"""A fake of the Vivado Tcl commands the board scripts use (hw/boards/*.tcl), for tests without Vivado.

The board scripts run unchanged in a real Tcl interpreter (Python's tkinter), with each Vivado command
replaced by a Python function that:

* accepts only the options UG835 documents for that command (a misspelt or invented option fails, as it
  does in Vivado), and only the commands listed in ``DOCUMENTED``;
* models what the scripts rely on: a module reference needs its module in an added Verilog or VHDL file,
  not SystemVerilog (UG994, module reference limitations); a module reference's CONFIG names must be
  the module's parameters; pins, interfaces and address segments of the wrapper are read from its
  X_INTERFACE_INFO attributes; the PS, SmartConnect and proc_sys_reset pins are the ones their product
  guides name (PG082, PG201, PG247, PG164); an implementation run leaves ``<top>.bit`` in the run's
  folder and the block design's hardware handoff in ``<project>.gen/sources_1/bd/<bd>/hw_handoff/``;
* records the design (cells, CONFIG values, connections, address assignments) for the tests to check.

What it cannot show: that Vivado accepts the PS CONFIG values, that the design validates, meets timing
and works on a board. docs/board.md says so.

Used by tests/hw/test_boards.py, in-process, and as a ``vivado`` executable (``python vivado_fake.py
-mode batch ... -source <tcl> -tclargs <config>``) to run hw/bitstream.py end to end.
"""

from __future__ import annotations

import re
import sys
import tkinter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Options of each command as UG835 lists them; True: the option takes a value.
_QV = {"-quiet": False, "-verbose": False}
_GET = {**_QV, "-filter": True, "-regexp": False, "-nocase": False, "-of_objects": True, "-hierarchical": False}
DOCUMENTED: dict[str, dict[str, bool]] = {
    "create_project": {**_QV, "-part": True, "-force": False, "-in_memory": False, "-ip": False},
    "current_project": {**_QV},
    "set_property": {**_QV, "-dict": True},
    "get_property": {**_QV, "-min": False, "-max": False},
    "get_board_parts": {**_GET, "-latest_file_version": False, "-latest_hw_revision": False},
    "add_files": {**_QV, "-norecurse": False, "-fileset": True, "-scan_for_includes": False},
    "update_compile_order": {**_QV, "-fileset": True},
    "create_bd_design": {**_QV, "-dir": True, "-cell": True},
    "create_bd_cell": {**_QV, "-vlnv": True, "-type": True, "-reference": True, "-revision": True},
    "get_ipdefs": {**_GET, "-all": False, "-name": False},
    "apply_bd_automation": {**_QV, "-rule": True, "-config": True, "-dict": True, "-opts": True},
    "get_bd_cells": {**_GET},
    "get_bd_pins": {**_GET},
    "get_bd_intf_pins": {**_GET},
    "get_bd_addr_segs": {**_GET, "-addressables": False, "-excluded": False},
    "get_bd_addr_spaces": {**_GET},
    "connect_bd_net": {**_QV, "-net": True},
    "connect_bd_intf_net": {**_QV, "-intf_net": True, "-boundary_type": True},
    "assign_bd_address": {**_QV, "-target_address_space": True, "-boundary": False, "-master_boundary": False,
                          "-external": False, "-dict": True, "-import_from_file": True, "-export_to_file": True,
                          "-export_gui_to_file": True, "-offset": True, "-range": True, "-base_high": True,
                          "-force": False},
    "validate_bd_design": {**_QV, "-force": False, "-design": True},
    "save_bd_design": {**_QV},
    "get_files": {**_GET, "-compile_order": True, "-used_in": True, "-all": False},
    "make_wrapper": {**_QV, "-top": False, "-testbench": False, "-inst_template": False, "-fileset": True,
                     "-import": False, "-force": False},
    "current_fileset": {**_QV, "-constrset": False, "-simset": False},
    "launch_runs": {**_QV, "-jobs": True, "-scripts_only": False, "-dir": True, "-to_step": True,
                    "-next_step": False, "-force": False},
    "wait_on_runs": {**_QV, "-timeout": True, "-exit_condition": True},
    "get_runs": {**_GET},
    "open_run": {**_QV, "-name": True},
    "report_utilization": {**_QV, "-file": True, "-append": False, "-hierarchical": False},
    "report_timing_summary": {**_QV, "-file": True, "-append": False, "-max_paths": True, "-delay_type": True},
    "write_bd_tcl": {**_QV, "-force": False, "-include_layout": False, "-bd_name": True, "-bd_folder": True},
    "get_timing_paths": {**_QV, "-setup": False, "-hold": False, "-max_paths": True, "-nworst": True,
                         "-delay_type": True},
}

# Pins and interfaces of the AMD IP the scripts use, by IP name (their product guides).
IP_PINS: dict[str, dict[str, set[str]]] = {
    "processing_system7": {
        "pins": {"FCLK_CLK0", "FCLK_RESET0_N", "M_AXI_GP0_ACLK", "S_AXI_HP0_ACLK", "S_AXI_HP1_ACLK", "IRQ_F2P"},
        "intf": {"M_AXI_GP0", "S_AXI_HP0", "S_AXI_HP1", "DDR", "FIXED_IO"},
        "segs": {"S_AXI_HP0/HP0_DDR_LOWOCM", "S_AXI_HP1/HP1_DDR_LOWOCM"}, "spaces": {"Data"},
    },
    "zynq_ultra_ps_e": {
        "pins": {"pl_clk0", "pl_resetn0", "maxihpm0_fpd_aclk", "saxihp0_fpd_aclk", "saxihp1_fpd_aclk", "pl_ps_irq0"},
        "intf": {"M_AXI_HPM0_FPD", "S_AXI_HP0_FPD", "S_AXI_HP1_FPD"},
        "segs": {"SAXIGP2/HP0_DDR_LOW", "SAXIGP2/HP0_DDR_HIGH", "SAXIGP3/HP1_DDR_LOW", "SAXIGP3/HP1_DDR_HIGH"},
        "spaces": {"Data"},
    },
    "smartconnect": {"pins": {"aclk", "aresetn"}, "intf": {"S00_AXI", "M00_AXI"}, "segs": set(), "spaces": set()},
    "proc_sys_reset": {
        "pins": {"slowest_sync_clk", "ext_reset_in", "aux_reset_in", "mb_debug_sys_rst", "dcm_locked",
                 "mb_reset", "bus_struct_reset", "peripheral_reset", "interconnect_aresetn", "peripheral_aresetn"},
        "intf": set(), "segs": set(), "spaces": set(),
    },
}


# The PS's optional ports: a pin, interface or segment whose name starts with a key exists only while the
# CONFIG value it names is 1 (PG082's PCW_USE_S_AXI_HP<n>, PG201's PSU__USE__S_AXI_GP<n>). Ports the
# scripts always enable are left out.
ENABLED_BY: dict[str, dict[str, str]] = {
    "processing_system7": {"S_AXI_HP1": "PCW_USE_S_AXI_HP1"},
    "zynq_ultra_ps_e": {"S_AXI_HP1_FPD": "PSU__USE__S_AXI_GP3", "saxihp1_fpd_aclk": "PSU__USE__S_AXI_GP3",
                        "SAXIGP3/": "PSU__USE__S_AXI_GP3"},
}


class VivadoError(Exception):
    pass


@dataclass
class Module:
    """A Verilog module as IP Integrator's module reference sees it."""

    name: str
    path: Path
    parameters: dict[str, str]
    ports: set[str]
    signals: set[str]           # ports outside every bus interface (clock, reset, interrupt)
    interfaces: dict[str, str]  # interface name -> VLNV
    modes: dict[str, str]       # interface name -> "master" or "slave" (from the port directions)

    @classmethod
    def parse(cls, path: Path) -> list[Module]:
        text = re.sub(r"//[^\n]*", "", path.read_text())
        out = []
        for m in re.finditer(r"\bmodule\s+(\w+)\s*#\s*\((.*?)\)\s*\((.*?)\);", text, re.S):
            params = dict(re.findall(r"parameter\s+(?:integer\s+)?(\w+)\s*=\s*([^,\s)]+)", m[2]))
            ports, signals, interfaces, modes = set(), set(), {}, {}
            for attrs, direction, name in re.findall(
                    r"((?:\(\*[^*]*\*\)\s*)*)(input|output|inout)\s+wire\s*(?:\[[^\]]*\]\s*)?(\w+)", m[3]):
                ports.add(name)
                info = re.search(r'X_INTERFACE_INFO\s*=\s*"(\S+)\s+(\S+)\s+(\S+)"', attrs)
                if not info or ":interface:" not in info[1]:
                    signals.add(name)
                else:
                    interfaces[info[2]] = info[1]
                    # A master drives its address; a slave receives it.
                    if info[3] in ("AWADDR", "ARADDR", "TDATA"):
                        drives = direction == "output"
                        modes[info[2]] = "master" if drives else "slave"
            out.append(cls(m[1], path, params, ports, signals, interfaces, modes))
        return out


@dataclass
class Cell:
    name: str
    kind: str            # an IP name (processing_system7, ...) or "module"
    module: Module | None = None
    config: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeVivado:
    """One Vivado session: the recorded design and the files it wrote."""

    installed_board_parts: tuple[str, ...] = ()
    slack_ns: float = 0.25
    project_dir: Path | None = None
    project_name: str = ""
    part: str = ""
    board_part: str = ""
    files: list[Path] = field(default_factory=list)
    cells: dict[str, Cell] = field(default_factory=dict)
    nets: list[tuple[str, ...]] = field(default_factory=list)       # connect_bd_net endpoints
    intf_nets: list[tuple[str, str]] = field(default_factory=list)  # connect_bd_intf_net ends
    automation: list[tuple[str, str, str]] = field(default_factory=list)  # rule, config, cell
    addresses: list[dict[str, str]] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    bd_name: str = ""
    top: str = ""
    validated: bool = False
    ran: bool = False
    launched: tuple = ()
    errors: list[str] = field(default_factory=list)  # what each failed command said

    # ---- plumbing -------------------------------------------------------------------------------

    def interpreter(self) -> tkinter.Tcl:
        tcl = self._tcl = tkinter.Tcl()
        for name in DOCUMENTED:
            tcl.createcommand(name, self._dispatch(name))
        return tcl

    def _dispatch(self, name: str) -> Callable[..., str]:
        def command(*args: str) -> str:
            try:
                opts, positional = self._parse(name, args)
            except VivadoError as exc:
                self.errors.append(str(exc))
                raise
            self.calls.append((name, *args))
            try:
                result = getattr(self, "cmd_" + name)(opts, positional)
            except VivadoError as exc:
                if "-quiet" in opts:
                    return ""
                self.errors.append(str(exc))
                raise
            return result if isinstance(result, str) else " ".join(result)
        return command

    @staticmethod
    def _parse(name: str, args: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
        spec = DOCUMENTED[name]
        opts: dict[str, str] = {}
        positional: list[str] = []
        i = 0
        while i < len(args):
            a = str(args[i])
            if a.startswith("-") and not re.fullmatch(r"-?[0-9.]+", a):
                if a not in spec:
                    raise VivadoError(f"{name}: option {a} is not one UG835 documents ({' '.join(sorted(spec))})")
                if spec[a]:
                    if i + 1 >= len(args):
                        raise VivadoError(f"{name}: option {a} needs a value")
                    opts[a] = str(args[i + 1])
                    i += 2
                    continue
                opts[a] = ""
            else:
                positional.append(a)
            i += 1
        return opts, positional

    def _words(self, text: str) -> list[str]:
        """A Tcl list's elements, as Vivado's commands read a list argument."""
        return [str(w) for w in self._tcl.splitlist(text)]

    def _module(self, name: str) -> Module:
        for path in self.files:
            if path.suffix in (".v", ".vhd", ".vhdl"):
                for module in Module.parse(path) if path.suffix == ".v" else []:
                    if module.name == name:
                        return module
            elif path.suffix == ".sv" and re.search(rf"\bmodule\s+{name}\b", path.read_text()):
                raise VivadoError(f"module reference {name}: SystemVerilog top ({path.name}) is not supported")
        raise VivadoError(f"module reference: no module {name} in the project's Verilog sources")

    def _cell_of(self, path: str) -> Cell:
        cell = path.split("/", 1)[0]
        if cell not in self.cells:
            raise VivadoError(f"no cell {cell}")
        return self.cells[cell]

    def _pins(self, cell: Cell, kind: str) -> set[str]:
        if cell.module is not None:
            if kind == "pins":
                return set(cell.module.signals)
            if kind == "intf":
                return set(cell.module.interfaces)
            if kind == "segs":
                return {f"{i}/reg0" for i, m in cell.module.modes.items() if m == "slave"
                        and "aximm" in cell.module.interfaces[i]}
            return {i for i, m in cell.module.modes.items() if m == "master" and "aximm" in cell.module.interfaces[i]}
        enabled = ENABLED_BY.get(cell.kind, {})
        return {n for n in IP_PINS[cell.kind][kind]
                if all(cell.config.get(key) == "1" for start, key in enabled.items() if n.startswith(start))}

    def _lookup(self, positional: list[str], kind: str) -> list[str]:
        found = []
        for pattern in positional:
            cell = self._cell_of(pattern)
            rest = pattern.split("/", 1)[1] if "/" in pattern else ""
            names = [n for n in sorted(self._pins(cell, kind)) if re.fullmatch(
                re.escape(rest).replace(r"\*", ".*"), n)]
            if not names:
                raise VivadoError(f"no {kind} {pattern}")
            found += [f"{cell.name}/{n}" for n in names]
        return found

    # ---- project ------------------------------------------------------------------------------------

    def cmd_create_project(self, opts: dict[str, str], pos: list[str]) -> str:
        name, folder = pos
        self.project_name = name
        self.part = opts["-part"]
        self.project_dir = Path(folder)
        self.project_dir.mkdir(parents=True, exist_ok=True)
        return name

    def cmd_current_project(self, opts: dict[str, str], pos: list[str]) -> str:
        return "project"

    def cmd_get_board_parts(self, opts: dict[str, str], pos: list[str]) -> list[str]:
        pattern = re.escape(pos[0]).replace(r"\*", ".*")
        return [p for p in self.installed_board_parts if re.fullmatch(pattern, p)]

    def cmd_add_files(self, opts: dict[str, str], pos: list[str]) -> str:
        for word in pos:
            for f in self._words(word):
                path = Path(f)
                if not path.is_file():
                    raise VivadoError(f"add_files: {f} does not exist")
                self.files.append(path)
        return ""

    def cmd_update_compile_order(self, opts: dict[str, str], pos: list[str]) -> str:
        return ""

    def cmd_set_property(self, opts: dict[str, str], pos: list[str]) -> str:
        if "-dict" in opts:
            words, objects = self._words(opts["-dict"]), pos
            pairs = dict(zip(words[::2], words[1::2], strict=True))
        else:
            pairs, objects = {pos[0]: pos[1]}, pos[2:]
        for obj in objects:
            if obj == "project" and "board_part" in pairs:
                self.board_part = pairs["board_part"]
            elif obj == "sources_1" and "top" in pairs:
                self.top = pairs["top"]
            elif obj in self.cells:
                cell = self.cells[obj]
                for key, value in pairs.items():
                    name = key.removeprefix("CONFIG.")
                    if cell.module is not None and name not in cell.module.parameters:
                        raise VivadoError(f"set_property: {cell.module.name} has no parameter {name}")
                    cell.config[name] = value
            else:
                raise VivadoError(f"set_property: unknown object {obj}")
        return ""

    def cmd_get_property(self, opts: dict[str, str], pos: list[str]) -> str:
        prop, obj = pos
        if obj == "impl_1" and prop == "STATUS":
            return "write_bitstream Complete!" if self.ran else "Not started"
        if obj == "impl_1" and prop == "PROGRESS":
            return "100%" if self.ran else "0%"
        if obj == "impl_1" and prop == "DIRECTORY":
            return str(self.project_dir / f"{self.project_name}.runs" / "impl_1")
        if obj == "project" and prop == "DIRECTORY":
            return str(self.project_dir)
        if obj.startswith("timing_path") and prop == "SLACK":
            return f"{self.slack_ns:.3f}"
        if obj in self.cells and prop.startswith("CONFIG.") and "ACT_" in prop:
            # The achieved frequency: here the requested one (PCW_ACT_FPGA0_... for PCW_FPGA0_...).
            requested = self.cells[obj].config.get(prop.removeprefix("CONFIG.").replace("ACT_", ""))
            if requested is None:
                raise VivadoError(f"get_property {prop}: no requested frequency to report")
            return f"{float(requested):.6f}"
        raise VivadoError(f"get_property {prop} {obj}: not modelled")

    # ---- block design ---------------------------------------------------------------------------------

    def cmd_create_bd_design(self, opts: dict[str, str], pos: list[str]) -> str:
        self.bd_name = pos[0]
        return self.bd_name

    def cmd_get_ipdefs(self, opts: dict[str, str], pos: list[str]) -> list[str]:
        name = pos[0].split(":")[2]
        return [f"xilinx.com:ip:{name}:1.0"] if name in IP_PINS else []

    def cmd_create_bd_cell(self, opts: dict[str, str], pos: list[str]) -> str:
        (name,) = pos
        if name in self.cells:
            raise VivadoError(f"create_bd_cell: {name} exists")
        if opts.get("-type") == "module":
            self.cells[name] = Cell(name, "module", self._module(opts["-reference"]))
        else:
            ip = opts["-vlnv"].split(":")[2]
            if ip not in IP_PINS:
                raise VivadoError(f"create_bd_cell: {opts['-vlnv']} is not modelled")
            self.cells[name] = Cell(name, ip)
        return name

    def cmd_get_bd_cells(self, opts: dict[str, str], pos: list[str]) -> list[str]:
        missing = [p for p in pos if p not in self.cells]
        if missing:
            raise VivadoError(f"no cell {missing}")
        return pos

    def cmd_apply_bd_automation(self, opts: dict[str, str], pos: list[str]) -> str:
        for obj in pos:
            self.automation.append((opts["-rule"], opts.get("-config", ""), obj))
        return ""

    def cmd_get_bd_pins(self, opts: dict[str, str], pos: list[str]) -> list[str]:
        return self._lookup(pos, "pins")

    def cmd_get_bd_intf_pins(self, opts: dict[str, str], pos: list[str]) -> list[str]:
        return self._lookup(pos, "intf")

    def cmd_get_bd_addr_segs(self, opts: dict[str, str], pos: list[str]) -> list[str]:
        return self._lookup(pos, "segs")

    def cmd_get_bd_addr_spaces(self, opts: dict[str, str], pos: list[str]) -> list[str]:
        return self._lookup(pos, "spaces")

    def cmd_connect_bd_net(self, opts: dict[str, str], pos: list[str]) -> str:
        ends = tuple(w for p in pos for w in self._words(p))
        if len(ends) < 2:
            raise VivadoError(f"connect_bd_net: needs two pins, got {ends}")
        self.nets.append(ends)
        return ""

    def cmd_connect_bd_intf_net(self, opts: dict[str, str], pos: list[str]) -> str:
        a, b = pos
        self.intf_nets.append((a, b))
        return ""

    def cmd_assign_bd_address(self, opts: dict[str, str], pos: list[str]) -> str:
        for seg in pos:
            self.addresses.append({"segment": seg, "space": opts.get("-target_address_space", ""),
                                   "offset": opts.get("-offset", ""), "range": opts.get("-range", "")})
        return ""

    def cmd_validate_bd_design(self, opts: dict[str, str], pos: list[str]) -> str:
        # What validation refuses and the scripts could get wrong: an enabled PS port's clock left
        # unconnected (BD 41-758), an enabled PS slave port or a master of the core left open.
        driven = {pin for net in self.nets for pin in net}
        ends = {end for net in self.intf_nets for end in net}
        for cell in self.cells.values():
            if cell.kind in ENABLED_BY:
                for pin in self._pins(cell, "pins"):
                    if pin.lower().endswith("aclk") and f"{cell.name}/{pin}" not in driven:
                        raise VivadoError(f"validate_bd_design: clock pin {cell.name}/{pin} is not connected")
                for intf in self._pins(cell, "intf"):
                    if intf.startswith("S_AXI_HP") and f"{cell.name}/{intf}" not in ends:
                        raise VivadoError(f"validate_bd_design: {cell.name}/{intf} is enabled but not connected")
        self.validated = True
        return ""

    def cmd_save_bd_design(self, opts: dict[str, str], pos: list[str]) -> str:
        return ""

    # ---- build ------------------------------------------------------------------------------------------

    def cmd_get_files(self, opts: dict[str, str], pos: list[str]) -> str:
        if pos == [f"{self.bd_name}.bd"]:
            bd = self.project_dir / f"{self.project_name}.srcs" / "sources_1" / "bd" / self.bd_name
            return str(bd / f"{self.bd_name}.bd")
        raise VivadoError(f"get_files {pos}: not modelled")

    def cmd_make_wrapper(self, opts: dict[str, str], pos: list[str]) -> str:
        return str(self.project_dir / f"{self.project_name}.gen" / "sources_1" / "bd" / self.bd_name / "hdl" /
                   f"{self.bd_name}_wrapper.v")

    def cmd_current_fileset(self, opts: dict[str, str], pos: list[str]) -> str:
        return "sources_1"

    def cmd_launch_runs(self, opts: dict[str, str], pos: list[str]) -> str:
        if not self.validated:
            raise VivadoError("launch_runs: the block design was never validated")
        self.launched = (pos, opts.get("-to_step"))
        return ""

    def cmd_wait_on_runs(self, opts: dict[str, str], pos: list[str]) -> str:
        # What an implementation run to write_bitstream leaves behind, where Vivado puts it.
        runs = self.project_dir / f"{self.project_name}.runs" / "impl_1"
        runs.mkdir(parents=True, exist_ok=True)
        (runs / f"{self.top}.bit").write_bytes(b"fake bitstream")
        hwh = self.project_dir / f"{self.project_name}.gen" / "sources_1" / "bd" / self.bd_name / "hw_handoff"
        hwh.mkdir(parents=True, exist_ok=True)
        (hwh / f"{self.bd_name}.hwh").write_text("<fake hardware handoff/>")
        self.ran = True
        return ""

    def cmd_get_runs(self, opts: dict[str, str], pos: list[str]) -> list[str]:
        return pos

    def cmd_open_run(self, opts: dict[str, str], pos: list[str]) -> str:
        if not self.ran:
            raise VivadoError("open_run: the run has not completed")
        return ""

    def _report(self, opts: dict[str, str], what: str) -> str:
        Path(opts["-file"]).write_text(f"fake {what}\n")
        return ""

    def cmd_report_utilization(self, opts: dict[str, str], pos: list[str]) -> str:
        return self._report(opts, "utilization")

    def cmd_report_timing_summary(self, opts: dict[str, str], pos: list[str]) -> str:
        return self._report(opts, "timing summary")

    def cmd_write_bd_tcl(self, opts: dict[str, str], pos: list[str]) -> str:
        Path(pos[0]).write_text("# fake block design script\n")
        return ""

    def cmd_get_timing_paths(self, opts: dict[str, str], pos: list[str]) -> str:
        return "timing_path_setup" if "-setup" in opts else "timing_path_hold"

    # ---- running a script ---------------------------------------------------------------------------------

    def source(self, script: Path, *tclargs: str) -> None:
        """``vivado -mode batch -source script -tclargs ...``: argv as Vivado sets it."""
        tcl = self.interpreter()
        tcl.eval(f"set argv [list {' '.join('{' + a + '}' for a in tclargs)}]; set argc {len(tclargs)}")
        try:
            tcl.eval(f"source {{{script}}}")
        except tkinter.TclError as exc:
            said = self.errors[-1] if self.errors else str(exc)
            raise VivadoError(f"{said}\n{tcl.eval('set errorInfo')}") from None


def main(argv: list[str]) -> int:
    """The ``vivado`` executable: ``-mode batch [-nojournal] [-log F] -source S -tclargs ...``."""
    args = list(argv)
    assert args[:2] == ["-mode", "batch"], f"fake vivado: batch mode only, got {args}"
    script = Path(args[args.index("-source") + 1])
    tclargs = args[args.index("-tclargs") + 1:] if "-tclargs" in args else []
    try:
        FakeVivado().source(script, *tclargs)
    except VivadoError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
