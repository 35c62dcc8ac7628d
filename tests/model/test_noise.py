"""The noise level of a blurry image: Immerkaer's estimate, the top-up to a floor, its path to the samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from blurgauge.model.data.blur import quantize_8bit
from blurgauge.model.data.dead_leaves import dead_leaves
from blurgauge.model.data.synthesis import SynthesisConfig, make_sample
from blurgauge.model.inputs.noise import noise_sigma, seeded_by, top_up_noise


def _blurry(seed: int, noise: float) -> np.ndarray:
    """An 8-bit image of soft structure (dead leaves under a Gaussian blur) with white noise."""
    rng = np.random.default_rng(seed)
    soft = ndimage.gaussian_filter(dead_leaves(rng, (200, 220)), 3.0)
    return quantize_8bit(soft + rng.normal(0.0, noise, soft.shape))


@pytest.mark.parametrize("noise", [0.005, 0.01, 0.02])
def test_the_estimate_reads_the_noise_of_a_soft_image(noise: float) -> None:
    estimates = [noise_sigma(_blurry(seed, noise)) for seed in range(4)]
    # 8-bit rounding adds 1/sqrt(12) of a level (0.11 % of full range) to the white noise.
    expected = np.hypot(noise, 1.0 / 255.0 / np.sqrt(12.0))
    assert all(abs(e / expected - 1.0) < 0.1 for e in estimates), estimates


def test_the_estimate_ignores_linear_structure() -> None:
    rows, cols = np.mgrid[0:100, 0:120]
    ramp = (20.0 + 0.7 * rows + 1.3 * cols) / 255.0  # a plane, no rounding
    assert noise_sigma(ramp) == pytest.approx(0.0, abs=1e-12)
    noisy = _blurry(5, 0.01)
    assert noise_sigma(noisy / 255.0) == pytest.approx(noise_sigma(noisy))  # float [0, 1] or uint8 alike


def test_the_estimate_of_8_bit_levels_is_exact_at_full_swing() -> None:
    """A 0/255 checkerboard gives the largest response there is, +-2,040 levels at every pixel: the uint8
    path's integer arithmetic must hold it (int8 would wrap) and give the closed form exactly."""
    board = (np.indices((64, 80)).sum(axis=0) % 2 * 255).astype(np.uint8)
    assert noise_sigma(board) == 2040 / 255 * np.sqrt(np.pi / 2) / 6
    assert noise_sigma(board) == pytest.approx(noise_sigma(board / 255.0), rel=1e-12)


def test_top_up_reaches_the_floor_and_leaves_noisier_images_alone() -> None:
    rng = np.random.default_rng(1)
    for noise in (0.0, 0.004, 0.008):
        topped = top_up_noise(_blurry(2, noise), 0.012, rng)
        assert topped.dtype == np.uint8
        assert noise_sigma(topped) == pytest.approx(0.012, rel=0.06)
    noisy = _blurry(3, 0.02)
    np.testing.assert_array_equal(top_up_noise(noisy, 0.012, rng), noisy)
    np.testing.assert_array_equal(top_up_noise(noisy / 255.0, 0.012, rng), noisy)  # float in, 8 bits out


def test_the_host_seed_follows_the_pixels() -> None:
    a, b = _blurry(0, 0.0), _blurry(1, 0.0)
    assert seeded_by(a).random() == seeded_by(a.copy()).random() != seeded_by(b).random()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="noise level"):
        top_up_noise(_blurry(0, 0.0), -0.01, np.random.default_rng(0))
    with pytest.raises(ValueError, match="2-D image"):
        noise_sigma(np.zeros((2, 50)))
    with pytest.raises(ValueError, match="noise_floor"):
        SynthesisConfig(noise_floor=0.7)


def test_the_floor_is_recorded_only_when_on_and_reaches_the_samples() -> None:
    assert "noise_floor" not in SynthesisConfig().as_dict()
    assert SynthesisConfig(noise_floor=0.01).as_dict()["noise_floor"] == 0.01
    plain = SynthesisConfig(image_size=140, noise_min=0.0, noise_max=0.0)
    floored = SynthesisConfig(image_size=140, noise_min=0.0, noise_max=0.0, noise_floor=0.02)
    for i in range(3):
        a, b = make_sample(7, i, plain), make_sample(7, i, floored)
        # The labels are drawn before the blur, so the floor changes the patch and nothing else.
        assert (a["extent"], a["other_extent"], a["axis"], a["line"]) == (b["extent"], b["other_extent"],
                                                                          b["axis"], b["line"])
        # A second difference along the gradient is near zero on a clean blur, large on white noise.
        assert np.abs(np.diff(b["patch"], 2, axis=1)).mean() > 2 * np.abs(np.diff(a["patch"], 2, axis=1)).mean()


def test_the_networks_carry_their_preprocessing_and_must_agree_on_it(six_networks, tmp_path) -> None:
    import shutil

    from blurgauge.host.backends import input_preprocessing
    from blurgauge.model.inputs.preprocess import PLAIN, Preprocessing
    from blurgauge.model.nets import weights
    from blurgauge.model.nets.inference import preprocessing, weight_path
    from blurgauge.model.nets.roles import CASCADE

    assert preprocessing(six_networks) == PLAIN  # files without the keys: no top-up, the gradient
    folder = Path(shutil.copytree(six_networks, tmp_path / "w"))

    def resave(name: str, prep: Preprocessing) -> None:
        loaded = weights.load(weight_path(folder, name))
        weights.save(weight_path(folder, name), loaded.build_model(), name, loaded.width, {}, prep)

    floored = Preprocessing(0.01, "autocorrelation")
    resave("fine3", floored)
    with pytest.raises(weights.WeightFileError, match=r"different preprocessing.*fine3 .*0\.01"):
        preprocessing(folder)
    for name in CASCADE:
        resave(name, floored)
    assert preprocessing(folder) == input_preprocessing(folder) == floored
    assert weights.load(weight_path(folder, "coarse")).preprocessing == floored


def test_a_program_folder_carries_its_preprocessing_beside_the_programs(six_programs, tmp_path) -> None:
    from blurgauge.host.backends import input_preprocessing
    from blurgauge.hw.compiler import program as prog
    from blurgauge.model.inputs.preprocess import Preprocessing

    for name, p in six_programs().items():
        (tmp_path / f"{name}.bgcp").write_bytes(prog.pack(p))
    with pytest.raises(ValueError, match=r"preprocess\.json: missing"):  # which preprocessing: refused, not guessed
        input_preprocessing(tmp_path)
    (tmp_path / "preprocess.json").write_text('{"noise_floor": 0.015}')  # before the transform existed
    assert input_preprocessing(tmp_path) == Preprocessing(0.015)
    (tmp_path / "preprocess.json").write_text('{"noise_floor": 0.01, "input_transform": "autocorrelation"}')
    assert input_preprocessing(tmp_path) == Preprocessing(0.01, "autocorrelation")
    for bad in ('{"noise_floor": "high"}', '{"input_transform": "fourier"}', "[1]", "{"):
        (tmp_path / "preprocess.json").write_text(bad)
        with pytest.raises(ValueError, match=r"preprocess\.json"):
            input_preprocessing(tmp_path)


def test_the_host_tops_each_image_up_reproducibly(tmp_path) -> None:
    from PIL import Image

    from blurgauge.host.accelerator import prepare
    from blurgauge.model.inputs.preprocess import Preprocessing

    path = tmp_path / "soft.png"
    Image.fromarray(_blurry(4, 0.0)).save(path)
    prep = Preprocessing(0.02)
    plain, floored = prepare(path), prepare(path, preprocessing=prep)
    assert not np.array_equal(plain.codes, floored.codes)
    np.testing.assert_array_equal(floored.codes, prepare(path, preprocessing=prep).codes)
    # the same image as an array takes the same path
    np.testing.assert_array_equal(floored.codes, prepare(_blurry(4, 0.0), preprocessing=prep).codes)
