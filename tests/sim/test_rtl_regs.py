"""The register map: generated files current, the generated Python map as the spec says, and the
generated AXI4-Lite register block in Verilator (testbench: sim/tb_core_regs.py)."""

from __future__ import annotations

from blurgauge.hw import rtl_files, verilator
from blurgauge.hw.compiler.program import FORMAT_VERSION
from blurgauge.hw.regs import core_regs as regs
from blurgauge.hw.regs import generate


def test_generated_files_are_current() -> None:
    stale = generate.stale()
    assert not stale, f"run `python hw/regs/generate.py`: stale {[str(p) for p in stale]}"


def test_map_matches_the_spec() -> None:
    assert int.from_bytes(b"BGCR", "big") == regs.ID_VALUE
    assert regs.FIELDS["VERSION"]["program_format"].get(regs.VERSION_VALUE) == FORMAT_VERSION
    assert [(c.name, int(c)) for c in regs.ErrorCode] == [
        ("NONE", 0), ("BAD_MAGIC", 1), ("BAD_VERSION", 2), ("HEADER_CRC", 3), ("PAYLOAD_CRC", 4), ("NO_FIT", 5),
        ("BAD_LAYER", 6), ("AXI_READ", 7), ("START_BUSY", 8), ("STREAM_LENGTH", 9), ("INPUT_ALIGN", 10),
        ("JOB_RANGE", 11),
    ]
    status = regs.FIELDS["STATUS"]
    assert (status["error_code"].lsb, status["error_code"].width, status["layer"].lsb) == (8, 8, 16)
    config = regs.FIELDS["CONFIG"]
    assert [(f.lsb, f.width) for f in config.values()] == [(0, 8), (8, 8), (16, 8)]
    assert [regs.ADDRESSES[f"LOGIT{i}"] for i in range(8)] == [regs.LOGIT0 + 4 * i for i in range(8)]
    assert len(set(regs.ADDRESSES.values())) == len(regs.ADDRESSES)
    assert all(a % 4 == 0 for a in regs.ADDRESSES.values())


def test_register_block_over_axi4_lite() -> None:
    sources = [rtl_files.REGS_DIR / "bg_core_regs.vlt", rtl_files.REGS_DIR / "bg_core_regs_pkg.sv",
               rtl_files.REGS_DIR / "bg_core_regs.sv", rtl_files.REPO / "sim" / "hdl" / "bg_core_regs_tb.sv"]
    verilator.run_cocotb("bg_core_regs_tb", sources, "blurgauge.sim.tb_core_regs", seed=3)
