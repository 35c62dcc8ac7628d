"""hw/rtl/bg_program_pkg.sv is the core-program format of hw/compiler/program.py as SystemVerilog: the
committed package equals a fresh one (`make regs` rewrites it), and its figures are the format's."""

from __future__ import annotations

import re

from blurgauge.hw.compiler import program, program_sv


def test_committed_package_is_fresh() -> None:
    assert program_sv.PATH.read_text() == program_sv.render(), "stale: run make regs"
    assert program_sv.main(["--check"]) == 0


def test_package_figures_are_the_formats() -> None:
    params = dict(re.findall(r"localparam [^=]*?(\w+) = (?:\d+'[hd])?(\w+);", program_sv.render()))
    assert int(params["HEADER_BYTES"]) == program.HEADER_BYTES == 64
    assert int(params["LAYER_BYTES"]) == program.LAYER_BYTES == 48
    assert int(params["OP_DENSE"]) == program.OP_DENSE
    assert int(params["FLAG_SATURATE_BIT"]) == 3
    assert int(params["MAGIC"], 16).to_bytes(4, "little") == program.MAGIC
    # every field of both records, offsets following one another
    for prefix, table, size in (("HDR", program.HEADER, program.HEADER_BYTES),
                                ("LAYER", program.LAYER, program.LAYER_BYTES)):
        offset = 0
        for name, _, _ in table:
            assert int(params[f"{prefix}_{name.upper()}_OFFSET"]) == offset, name
            offset += int(params[f"{prefix}_{name.upper()}_BYTES"])
        assert offset == size
