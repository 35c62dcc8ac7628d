"""Where the RTL lives and the one ordered list of the core's source files.

The list is what every tool reads the core from: the Verilator builds (the testbenches and the rtl
backend), Yosys synthesis, the lint and the FuseSoC core file (``blurgauge_core.core``, checked equal
by a test). Order matters to tools that resolve packages by order: the register package first, then
the modules leaves first.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RTL_DIR = REPO / "hw" / "rtl"
REGS_DIR = REPO / "hw" / "regs"

#: The generated register block (hw/regs/generate.py): its package, then the block.
REGS_SOURCES = ("bg_core_regs_pkg.sv", "bg_core_regs.sv")

#: The core's modules under hw/rtl/, one per file, leaves first; bg_core is the top.
CORE_MODULES = ("bg_sdp_ram", "bg_axi_reader", "bg_crc32", "bg_program_header", "bg_mac_array", "bg_requant",
                "bg_maxpool", "bg_conv_addr_gen", "bg_stem_window", "bg_core_engine", "bg_core")

#: Verilator lint waivers of the generated register block.
REGS_WAIVERS = REGS_DIR / "bg_core_regs.vlt"


def rtl_sources(*names: str) -> list[Path]:
    """Paths of hw/rtl files by module name (``bg_requant`` -> hw/rtl/bg_requant.sv)."""
    return [RTL_DIR / f"{name}.sv" for name in names]


def core_sources() -> list[Path]:
    """Every file of the core in order: the register package and block, then the modules."""
    return [*(REGS_DIR / name for name in REGS_SOURCES), *rtl_sources(*CORE_MODULES)]
