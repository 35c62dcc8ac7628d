"""Regenerate everything that comes from the register map hw/regs/bg_core.rdl.

    python hw/regs/generate.py          # write the generated files
    python hw/regs/generate.py --check  # exit 1 and name the files that are stale

Outputs (all committed, so that a checkout builds without PeakRDL):

* hw/regs/bg_core_regs.sv, hw/regs/bg_core_regs_pkg.sv: the register block (peakrdl-regblock, AXI4-Lite
  slave with flattened ports). They live beside the .rdl rather than in hw/rtl/ because they are not
  lint-clean under ``verilator -Wall`` as generated; hw/regs/bg_core_regs.vlt waives the known warnings
  (docs/core-rtl.md says which and why).
* hw/regs/bg_core_regs.h: C header for a driver (peakrdl-cheader).
* hw/regs/core_regs.py: addresses, fields and error codes for the Python host driver.
* docs/core-registers.md: the register table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

from systemrdl import RDLCompiler
from systemrdl.node import AddrmapNode, FieldNode, RegNode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RDL = HERE / "bg_core.rdl"
MODULE = "bg_core_regs"
ORIGIN = "Generated from hw/regs/bg_core.rdl by hw/regs/generate.py; do not edit."


def compile_rdl() -> AddrmapNode:
    from peakrdl_regblock.udps import ALL_UDPS

    rdlc = RDLCompiler()
    for udp in ALL_UDPS:
        rdlc.register_udp(udp)
    rdlc.compile_file(str(RDL))
    return rdlc.elaborate().top


# ---- register walk shared by the Python and Markdown outputs ---------------------------------------


def registers(top: AddrmapNode) -> list[tuple[str, int, RegNode]]:
    """(name, byte address, node) for every register, arrays unrolled (LOGIT[3] -> LOGIT3)."""
    out = []
    for reg in top.registers(unroll=True):
        name = reg.inst_name + ("".join(str(i) for i in reg.current_idx) if reg.is_array else "")
        out.append((name, reg.absolute_address, reg))
    return out


def access(field: FieldNode) -> str:
    sw = field.get_property("sw").name
    text = {"r": "RO", "w": "WO", "rw": "RW"}[sw]
    if field.get_property("singlepulse"):
        text = "W1P"  # write 1: one-cycle pulse, reads 0
    onwrite = field.get_property("onwrite")
    if onwrite is not None and onwrite.name == "woclr":
        text = "RW1C"
    return text


def reset_of(field: FieldNode) -> int | None:
    value = field.get_property("reset")
    return value if isinstance(value, int) else None


def error_codes(top: AddrmapNode) -> list[tuple[str, int, str]]:
    enum = top.find_by_path("STATUS.error_code").get_property("encode")
    return [(m.name, m.value, m.rdl_desc or "") for m in enum]


# ---- outputs ---------------------------------------------------------------------------------------


def regblock_sv(top: AddrmapNode) -> dict[str, str]:
    from peakrdl_regblock import RegblockExporter
    from peakrdl_regblock.cpuif.axi4lite import AXI4Lite_Cpuif_flattened

    with tempfile.TemporaryDirectory() as tmp:
        RegblockExporter().export(
            top, tmp, cpuif_cls=AXI4Lite_Cpuif_flattened, module_name=MODULE, package_name=f"{MODULE}_pkg",
            # An AXI4-Lite access to an unmapped address, or a write to a read-only register, answers
            # SLVERR: a driver bug shows up at once instead of reading zeros.
            err_if_bad_addr=True, err_if_bad_rw=True,
        )
        return {name: (Path(tmp) / name).read_text() for name in (f"{MODULE}.sv", f"{MODULE}_pkg.sv")}


def c_header(top: AddrmapNode) -> str:
    from peakrdl_cheader.exporter import CHeaderExporter

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{MODULE}.h"
        CHeaderExporter().export(top, str(path), generate_bitfields=False)
        text = path.read_text()
    # peakrdl-cheader 1.1 does not export enums, so the error codes are added here.
    codes = ["// STATUS.error_code values (enum bg_error_e), added by hw/regs/generate.py"]
    codes += [f"#define BG_CORE_ERROR_{name} {value}" for name, value, _ in error_codes(top)]
    tail = text.rindex("#ifdef __cplusplus")
    return text[:tail] + "\n".join(codes) + "\n\n" + text[tail:]


def python_module(top: AddrmapNode) -> str:
    lines = [
        '"""Register map of the blurgauge core (AXI4-Lite, 32-bit words).',
        "",
        f'{ORIGIN}"""',
        "",
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass",
        "from enum import IntEnum",
        "",
        "",
        "@dataclass(frozen=True)",
        "class Field:",
        "    register: str",
        "    name: str",
        "    lsb: int",
        "    width: int",
        "    access: str  # RO, RW, W1P (write 1 for a pulse, reads 0), RW1C (write 1 to clear)",
        "    reset: int | None  # None: driven by the core",
        "",
        "    @property",
        "    def mask(self) -> int:",
        "        return ((1 << self.width) - 1) << self.lsb",
        "",
        "    def get(self, word: int) -> int:",
        "        return (word & self.mask) >> self.lsb",
        "",
        "    def put(self, word: int, value: int) -> int:",
        "        if not 0 <= value < (1 << self.width):",
        '            raise ValueError(f"{self.register}.{self.name}: {value} does not fit {self.width} bits")',
        "        return (word & ~self.mask) | (value << self.lsb)",
        "",
        "",
        "class ErrorCode(IntEnum):",
        '    """STATUS.error_code."""',
        "",
    ]
    for name, value, _ in error_codes(top):
        lines.append(f"    {name} = {value}")
    lines += ["", "", "ERROR_TEXT: dict[ErrorCode, str] = {"]
    for name, _, desc in error_codes(top):
        pieces = textwrap.wrap(desc, 70, drop_whitespace=False)
        lines.append(f"    ErrorCode.{name}: " + "\n        ".join(repr(p) for p in pieces) + ",")
    lines += ["}", "", ""]
    regs = registers(top)
    for name, addr, _ in regs:
        lines.append(f"{name} = 0x{addr:02X}")
    logit = [addr for name, addr, _ in regs if name.startswith("LOGIT")]
    lines += [
        f"LOGIT_COUNT = {len(logit)}",
        "",
        "ADDRESSES: dict[str, int] = {",
        *(f'    "{name}": {name},' for name, _, _ in regs),
        "}",
        "",
        "# Fields by register; an array register's fields are listed once under its base name (LOGIT).",
        "FIELDS: dict[str, dict[str, Field]] = {",
    ]
    seen: set[str] = set()
    for _, _, reg in regs:
        base = reg.inst_name
        if base in seen:
            continue
        seen.add(base)
        lines.append(f'    "{base}": {{')
        for f in reg.fields():
            lines.append(
                f'        "{f.inst_name}": Field("{base}", "{f.inst_name}", {f.lsb}, {f.width}, "{access(f)}", '
                f"{_hex(reset_of(f))}),"
            )
        lines.append("    },")
    lines += ["}", ""]
    ident = top.find_by_path("ID.id")
    lines.append(f"ID_VALUE = 0x{reset_of(ident):08X}  # ASCII \"BGCR\"")
    version = sum(reset_of(f) << f.lsb for f in top.find_by_path("VERSION").fields())
    lines.append(f"VERSION_VALUE = 0x{version:08X}")
    lines.append("")
    return "\n".join(lines)


def _hex(value: int | None) -> str:
    return "None" if value is None else f"0x{value:X}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown(top: AddrmapNode) -> str:
    regs = registers(top)
    out = [
        "# Core registers",
        "",
        f"<!-- {ORIGIN} -->",
        "",
        _cell(top.get_property("desc") or ""),
        "32-bit registers, byte addresses from the core's AXI4-Lite base; every access is a full word.",
        "Access: RO read-only, RW read-write, W1P write 1 for a one-cycle pulse (reads 0), RW1C write 1 to clear.",
        "An access to an unmapped address or a write to a read-only register answers SLVERR.",
        "The same map is generated as SystemVerilog (`hw/regs/bg_core_regs.sv`), a C header",
        "(`hw/regs/bg_core_regs.h`) and Python (`hw/regs/core_regs.py`).",
        "",
        "| address | register | description |",
        "| --- | --- | --- |",
    ]
    for name, addr, reg in regs:
        out.append(f"| 0x{addr:02X} | `{name}` | {_cell(reg.get_property('desc') or '')} |")
    seen: set[str] = set()
    for _, addr, reg in regs:
        base = reg.inst_name
        if base in seen:
            continue
        seen.add(base)
        title = f"{base}[{reg.array_dimensions[0]}]" if reg.is_array else base
        where = f"0x{addr:02X}" + (" + 4 x i" if reg.is_array else "")
        out += ["", f"## {title} ({where}): {_cell(reg.get_property('name'))}", "",
                _cell(reg.get_property("desc") or ""), "",
                "| bits | field | access | reset | description |", "| --- | --- | --- | --- | --- |"]
        for f in sorted(reg.fields(), key=lambda f: -f.lsb):
            bits = f"{f.msb}:{f.lsb}" if f.width > 1 else f"{f.lsb}"
            reset = reset_of(f)
            reset_text = "core" if reset is None else f"0x{reset:X}"
            desc = _cell(f.get_property("desc") or "")
            out.append(f"| {bits} | `{f.inst_name}` | {access(f)} | {reset_text} | {desc} |")
    out += ["", "## Error codes (STATUS.error_code)", "", "| code | name | meaning |", "| --- | --- | --- |"]
    for name, value, desc in error_codes(top):
        out.append(f"| {value} | `{name}` | {_cell(desc)} |")
    out.append("")
    return "\n".join(out)


def outputs() -> dict[Path, str]:
    top = compile_rdl()
    files = {HERE / name: text for name, text in regblock_sv(top).items()}
    files[HERE / f"{MODULE}.h"] = c_header(top)
    files[HERE / "core_regs.py"] = python_module(top)
    files[REPO / "docs" / "core-registers.md"] = markdown(top)
    return files


def stale() -> list[Path]:
    """Generated files whose committed text differs from what the .rdl gives now."""
    return [p for p, text in outputs().items() if not p.is_file() or p.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    args = ap.parse_args(argv)
    if args.check:
        bad = stale()
        for p in bad:
            print(f"stale: {p.relative_to(REPO)}")
        return 1 if bad else 0
    for path, text in outputs().items():
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
