"""Write the core-program format as a SystemVerilog package, hw/rtl/bg_program_pkg.sv.

    python -m blurgauge.hw.compiler.program_sv          # write the package (make regs runs this)
    python -m blurgauge.hw.compiler.program_sv --check  # exit 1 when the committed package is stale

The format's single source is hw/compiler/program.py (``HEADER``, ``LAYER``, the ``OP_*`` and ``FLAG_*``
constants, ``MAGIC``, ``FORMAT_VERSION``). The RTL decodes programs through the localparams written here
instead of its own byte offsets and literals, so a change to the format changes the circuit's decoder or
fails a test (tests/hw/test_program_pkg.py: the committed package equals a fresh one).
"""

from __future__ import annotations

import argparse
import struct
import sys

from blurgauge.hw import rtl_files
from blurgauge.hw.compiler import program

PACKAGE = "bg_program_pkg"
PATH = rtl_files.RTL_DIR / f"{PACKAGE}.sv"
ORIGIN = "Generated from hw/compiler/program.py by hw/compiler/program_sv.py (make regs); do not edit."


def _constants(prefix: str) -> list[tuple[str, int]]:
    """``program``'s integer constants named ``prefix...``, in value order (OP_*, FLAG_*)."""
    found = [(name, value) for name, value in vars(program).items()
             if name.startswith(prefix) and isinstance(value, int) and not isinstance(value, bool)]
    return sorted(found, key=lambda item: item[1])


def _fields(prefix: str, table: tuple[tuple[str, str, str], ...]) -> list[str]:
    """OFFSET and BYTES localparams of every field of a record, offsets from the packed struct itself."""
    lines = []
    for i, (name, code, meaning) in enumerate(table):
        offset = struct.calcsize("<" + "".join(c for _, c, _ in table[:i]))
        size = struct.calcsize("<" + code)
        # A field inside one 128-bit beat can be sliced from that beat; the RTL relies on it.
        assert offset // program.ALIGN == (offset + size - 1) // program.ALIGN, f"{name} straddles a beat"
        upper = f"{prefix}_{name.upper()}"
        lines.append(f"    localparam int {upper}_OFFSET = {offset};  // {meaning}")
        lines.append(f"    localparam int {upper}_BYTES = {size};")
    return lines


def render() -> str:
    magic = int.from_bytes(program.MAGIC, "little")
    flags = [(name, value) for name, value in _constants("FLAG_")]
    for name, value in flags:
        assert value & (value - 1) == 0, f"{name} is not a single bit"
    known = 0
    for _, value in flags:
        known |= value
    lines = [
        f"// {ORIGIN}",
        "//",
        "// The core-program format (docs/core-program.md): byte offsets and sizes of the header and layer",
        "// record fields, the operations, the flag bits, the format byte, magic and version. Byte o of the",
        "// image is bits [8*(o%16) +: 8] of 128-bit beat o/16 (little-endian AXI beats).",
        "",
        f"package {PACKAGE};",
        "",
        "    // A table of the whole format: each module uses a few of these constants.",
        "    /* verilator lint_off UNUSEDPARAM */",
        f"    localparam logic [31:0] MAGIC = 32'h{magic:08X};  // {program.MAGIC.decode()!r}, byte 0 lowest",
        f"    localparam logic [15:0] FORMAT_VERSION = 16'd{program.FORMAT_VERSION};",
        f"    localparam int BEAT_BYTES = {program.ALIGN};  // one 128-bit AXI beat; every section starts on one",
        f"    localparam int HEADER_BYTES = {program.HEADER_BYTES};",
        f"    localparam int HEADER_BEATS = {program.HEADER_BYTES // program.ALIGN};",
        f"    localparam int LAYER_BYTES = {program.LAYER_BYTES};",
        f"    localparam int LAYER_BEATS = {program.LAYER_BYTES // program.ALIGN};",
        f"    localparam int INPUT_SLOT = {program.INPUT_SLOT};  // the input patch, never written",
        f"    localparam logic [7:0] NO_SLOT = 8'd{program.NO_SLOT};",
        "",
        "    // Header fields (program.HEADER)",
        *_fields("HDR", program.HEADER),
        "",
        "    // Layer record fields (program.LAYER)",
        *_fields("LAYER", program.LAYER),
        "",
        "    // Operations (the op field)",
        *(f"    localparam logic [7:0] {name} = 8'd{value};" for name, value in _constants("OP_")),
        "",
        "    // Flag bits (the flags field): bit numbers, and the mask of every bit this format defines",
        *(f"    localparam int {name}_BIT = {value.bit_length() - 1};" for name, value in flags),
        f"    localparam logic [7:0] FLAGS_KNOWN = 8'h{known:02X};",
        "",
        "    // The format byte (out_format, post_format): code width in the low bits, the sign in one bit",
        f"    localparam logic [7:0] FORMAT_WIDTH_MASK = 8'h{program.FORMAT_WIDTH_MASK:02X};",
        f"    localparam int FORMAT_SIGNED_BIT = {program.FORMAT_SIGNED.bit_length() - 1};",
        "    /* verilator lint_on UNUSEDPARAM */",
        "",
        "endpackage",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed package is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not PATH.is_file() or PATH.read_text() != text:
            print(f"stale: {PATH.relative_to(rtl_files.REPO)} (run make regs)", file=sys.stderr)
            return 1
        return 0
    if not PATH.is_file() or PATH.read_text() != text:
        PATH.write_text(text)
        print(f"wrote {PATH.relative_to(rtl_files.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
