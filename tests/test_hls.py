"""hls4ml conversion: the patch step, and the C simulation bit for bit against the golden reference."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from blurgauge.hw import golden, hls

TEMPLATES = Path(__import__("hls4ml").__file__).parent / "templates" / "vitis" / "nnet_utils"


def _fake_project(tmp_path: Path) -> Path:
    folder = tmp_path / "prj" / "firmware" / "nnet_utils"
    folder.mkdir(parents=True)
    for header, _, _ in hls.PATCHES:
        shutil.copy(TEMPLATES / header, folder / header)
    return tmp_path / "prj"


def test_patch_step_changes_hls4ml_13_headers_once(tmp_path) -> None:
    project = _fake_project(tmp_path)
    assert sorted(hls.patch_project(project)) == sorted(h for h, _, _ in hls.PATCHES)
    pooling = (project / "firmware" / "nnet_utils" / "nnet_pooling_stream.h").read_text()
    assert "CONFIG_T::pool_height == CONFIG_T::stride_height &&" not in pooling
    conv = (project / "firmware" / "nnet_utils" / "nnet_conv2d_stream.h").read_text()
    assert "CONFIG_T::filt_height > 1 || CONFIG_T::stride_height > 1" in conv
    assert hls.patch_project(project) == []  # idempotent


def test_patch_step_refuses_unknown_code(tmp_path) -> None:
    project = _fake_project(tmp_path)
    (project / "firmware" / "nnet_utils" / "nnet_conv2d_stream.h").write_text("// another hls4ml\n")
    with pytest.raises(hls.PatchError, match=r"nnet_conv2d_stream\.h"):
        hls.patch_project(project)


@pytest.mark.slow
def test_c_simulation_equals_golden_bit_for_bit(briefly_trained, tmp_path) -> None:
    from blurgauge.model import weights

    loaded = weights.load(briefly_trained.path)
    model = loaded.build_model()
    codes = briefly_trained.codes[:4]
    hls_model = hls.convert(model, tmp_path / "prj")
    reference = golden.run_network(model, loaded.layers, codes)
    np.testing.assert_array_equal(hls.predict(hls_model, codes), reference.codes * 2.0**-reference.frac)
