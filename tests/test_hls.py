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
def test_c_simulation_equals_golden_bit_for_bit(tmp_path) -> None:
    from blurgauge.model import weights
    from blurgauge.model.network import NetworkSpec, build_resnet18
    from blurgauge.model.preprocess import codes_to_input, input_codes
    from blurgauge.model.tf_env import keras

    rng = np.random.default_rng(3)
    trained = build_resnet18(NetworkSpec(2), name="coarse")
    trained.compile(optimizer=keras.optimizers.Adam(1e-2),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    codes = input_codes(rng.normal(size=(16, 128, 128)) * rng.uniform(0.2, 3.0, (16, 1, 1)))
    trained.fit(codes_to_input(codes), rng.integers(0, 5, 16), epochs=2, batch_size=8, verbose=0)
    loaded = weights.load(weights.save(tmp_path / "c.bgw.npz", trained, "coarse", 2, {}))
    model = loaded.build_model()
    hls_model = hls.convert(model, tmp_path / "prj")
    logits = hls.predict(hls_model, codes[:4])
    reference = golden.run_network(model, loaded.layers, codes[:4])
    np.testing.assert_array_equal(logits, reference.codes * 2.0**-reference.frac)
