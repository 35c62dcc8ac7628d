"""bg_program_header (hw/rtl/bg_program_header.sv) in Verilator through cocotb: real core programs from
blurgauge.hw.compiler.cost.structure_program, good and corrupted in every way the block checks, with random gaps on
the input handshake (testbench: sim/tb_program_header.py).

structure_program imports TensorFlow and exports through hls4ml (5-15 s), so the images are made once here
and handed to the simulator in a file; the simulator process imports only blurgauge.hw.compiler.program.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blurgauge.hw import rtl_files, verilator
from blurgauge.hw.compiler import program

TB = "blurgauge.sim.tb_program_header"
SOURCES = rtl_files.rtl_sources("bg_crc32", "bg_program_header")
# sim/tb_program_header.py IMAGES_ENV (not imported: that would import cocotb into the pytest process).
IMAGES_ENV = "BG_HEADER_IMAGES"


def write_images(path: Path, lanes: int) -> tuple[Path, program.CoreProgram]:
    """The width-2 network's program for a P = lanes array (untrained: all weights zero, which the header
    parser does not look at)."""
    from blurgauge.hw.compiler import cost

    prog = cost.structure_program(width=2, lanes=lanes)
    blob = program.pack(prog)
    program.unpack(blob)  # the reader accepts it
    path.write_text(json.dumps({f"width2-lanes{lanes}": blob.hex()}))
    return path, prog


def test_program_header(tmp_path: Path) -> None:
    """The parameters are exactly what the width-2 program needs (lanes 4, 4 slots of 16384 bytes), so the
    real image sits on the fit limits and one more slot or slot byte does not fit."""
    images, prog = write_images(tmp_path / "images.json", lanes=4)
    params = {"LANES": 4, "SLOTS": 4, "SLOT_BYTES": 16384}
    assert (prog.lanes, prog.slot_count, prog.slot_bytes) == (4, 4, 16384), "the width-2 network changed"
    verilator.run_cocotb("bg_program_header", SOURCES, TB, params, seed=1, extra_env={IMAGES_ENV: str(images)})


@pytest.mark.slow
def test_program_header_widest(tmp_path: Path) -> None:
    """The largest legal SLOTS and SLOT_BYTES (every slot count fits; slot_bytes up to 2**31 - 1) and the
    default P = 16."""
    images, _ = write_images(tmp_path / "images.json", lanes=16)
    params = {"LANES": 16, "SLOTS": 255, "SLOT_BYTES": 2**31 - 1}
    verilator.run_cocotb("bg_program_header", SOURCES, TB, params, seed=2, extra_env={IMAGES_ENV: str(images)})
