"""Where the RTL lives and the one ordered list of the core's source files.

The list is what every tool reads the core from: the Verilator builds (the testbenches and the rtl
backend), Yosys synthesis, the lint and the FuseSoC core file (``blurgauge_core.core``, generated from
it by hw/fusesoc.py). Order matters to tools that resolve packages by order: the packages first (the generated
register package, then the generated program-format package), then the register block, then the modules
leaves first.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RTL_DIR = REPO / "hw" / "rtl"
REGS_DIR = REPO / "hw" / "regs"

#: The generated register block (hw/regs/generate.py): its package, then the block.
REGS_SOURCES = ("bg_core_regs_pkg.sv", "bg_core_regs.sv")

#: The packages every module may import, in dependency order: the register package (error codes,
#: hw/regs/bg_core.rdl) and the core-program format (hw/rtl/bg_program_pkg.sv, generated from
#: hw/compiler/program.py by hw/compiler/program_sv.py).
PACKAGES = (REGS_DIR / "bg_core_regs_pkg.sv", RTL_DIR / "bg_program_pkg.sv")

#: The core's modules under hw/rtl/, one per file, leaves first; bg_core is the top.
CORE_MODULES = ("bg_sdp_ram", "bg_fifo", "bg_axi_reader", "bg_axi_read_interleave", "bg_read_arbiter", "bg_crc32",
                "bg_payload_crc", "bg_program_header", "bg_layer_decode", "bg_weight_fetch", "bg_input_words",
                "bg_mac_array", "bg_requant", "bg_maxpool", "bg_conv_addr_gen", "bg_stem_window", "bg_core_engine",
                "bg_core")

#: Verilator lint waivers of the generated register block.
REGS_WAIVERS = REGS_DIR / "bg_core_regs.vlt"


def module_sources(*names: str) -> list[Path]:
    """Paths of hw/rtl files by module name (``bg_requant`` -> hw/rtl/bg_requant.sv), no packages."""
    return [RTL_DIR / f"{name}.sv" for name in names]


def rtl_sources(*names: str) -> list[Path]:
    """What a build of some modules compiles: the packages, then the modules' files (by module name)."""
    return [*PACKAGES, *module_sources(*names)]


def core_sources() -> list[Path]:
    """Every file of the core in order: the packages, the register block, then the modules."""
    return [*PACKAGES, REGS_DIR / "bg_core_regs.sv", *module_sources(*CORE_MODULES)]


#: The board wrapper: the Verilog-2001 top of bg_core that Vivado's module reference takes (hw/boards/,
#: docs/board.md), and its test adapter (bg_core's port names around it, for sim/tb_core.py).
BOARDS_DIR = REPO / "hw" / "boards"
WRAPPER = BOARDS_DIR / "blurgauge_core.v"
WRAPPER_TOP = "blurgauge_core"
WRAPPER_TB = BOARDS_DIR / "sim" / "blurgauge_core_tb.sv"


def board_sources() -> list[Path]:
    """What a board build compiles: every file of the core, then the wrapper (hw/bitstream.py, the board
    scripts' file list)."""
    return [*core_sources(), WRAPPER]
