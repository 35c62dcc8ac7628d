"""bg_crc32 (hw/rtl/bg_crc32.sv) in Verilator through cocotb against zlib.crc32: random messages of 1..300
bytes in beats of random sizes, and core-program images from blurgauge.hw.compiler.program.pack, with random stalls
on both handshakes (testbench: sim/tb_crc32.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from blurgauge.hw import rtl_files, verilator
from blurgauge.hw.compiler import program

TB = "blurgauge.sim.tb_crc32"
SOURCES = rtl_files.rtl_sources("bg_crc32")
# sim/tb_crc32.py IMAGES_ENV (not imported: that would import cocotb into the pytest process).
IMAGES_ENV = "BG_CRC_IMAGES"


def small_program(lanes: int, seed: int) -> program.CoreProgram:
    """A hand-built program (conv, global average pool, dense) with random weights: a real packed image in
    well under a second, without TensorFlow. Different lanes give different tile padding and sizes."""
    rng = np.random.default_rng(seed)

    def weights(k: int, cin: int, cout: int) -> tuple[np.ndarray, np.ndarray]:
        return (rng.integers(-128, 128, (k, k, cin, cout), dtype=np.int8),
                rng.integers(-3000, 3000, cout, dtype=np.int16))

    conv_w, conv_b = weights(3, 1, 5)
    dense_w, dense_b = weights(1, 5, 8)
    layers = [
        program.Layer("conv", program.OP_CONV, 0, 1, (12, 12, 1), (12, 12, 5), kernel=3, pad=(1, 1, 1, 1),
                      flags=program.FLAG_ROUND | program.FLAG_SATURATE | program.FLAG_TAPS_ON_LANES, out_shift=6,
                      weights=conv_w, bias=conv_b),
        program.Layer("gap", program.OP_GAP, 1, 2, (12, 12, 5), (1, 1, 5), out_shift=7),
        program.Layer("dense", program.OP_DENSE, 2, 1, (1, 1, 5), (1, 1, 8), out_shift=6,
                      out_format=program.Format(8, True), weights=dense_w, bias=dense_b),
    ]
    return program.CoreProgram("fine2", 2, lanes, layers, [(3, 9)] * 5 + [(0, 0)] * 3, input_shape=(12, 12, 1),
                               num_classes=5)


def write_images(path: Path) -> Path:
    images = {}
    for lanes, seed in ((3, 1), (4, 2), (16, 3)):
        blob = program.pack(small_program(lanes, seed))
        program.unpack(blob)  # the reader accepts it: header, sizes, both CRCs, structure id, shapes
        images[f"lanes{lanes}"] = blob.hex()
    path.write_text(json.dumps(images))
    return path


def test_crc32(tmp_path: Path) -> None:
    images = write_images(tmp_path / "images.json")
    verilator.run_cocotb("bg_crc32", SOURCES, TB, {"BYTES": 16}, seed=1, extra_env={IMAGES_ENV: str(images)})


@pytest.mark.slow
def test_crc32_narrow_beats(tmp_path: Path) -> None:
    """Beats of 3 bytes: a width that is no power of two, where a 2-bit count cannot say more than 3."""
    images = write_images(tmp_path / "images.json")
    verilator.run_cocotb("bg_crc32", SOURCES, TB, {"BYTES": 3}, seed=2, extra_env={IMAGES_ENV: str(images)})
