"""Natural-crop augmentation: shrink, transpose, tone curve and softening of the sharp photos."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from blurgauge.model.data.synthesis import GENERATOR_VERSION, SynthesisConfig, make_sample, sharp_crop

SIDE = 400


@pytest.fixture()
def ramp_folder(tmp_path):
    """One photo that is a horizontal ramp: its slope tells the scale, its direction the transpose."""
    folder = tmp_path / "ramp"
    folder.mkdir()
    ramp = np.tile(np.linspace(0, 255, SIDE), (SIDE, 1))
    Image.fromarray(np.rint(ramp).astype(np.uint8)).save(folder / "ramp.png")
    return str(folder)


def _slopes(crop: np.ndarray) -> tuple[float, float]:
    """Mean absolute step along rows and along columns, in grey levels per px of the original ramp."""
    per_px = 1.0 / (SIDE - 1)
    return (float(np.abs(np.diff(crop, axis=1)).mean() / per_px),
            float(np.abs(np.diff(crop, axis=0)).mean() / per_px))


def test_off_cuts_the_photo_at_its_own_scale(ramp_folder) -> None:
    for seed in range(5):
        crop = sharp_crop(np.random.default_rng(seed), (150, 150), ramp_folder)
        along, across = _slopes(crop)
        assert crop.shape == (150, 150) and across == 0.0 and along == pytest.approx(1.0, abs=0.02)


def _scales(folder: str, scale: tuple[float, float]) -> tuple[list[float], int]:
    """The resampling factor of 40 crops, read off the ramp's slope, and how many were transposed."""
    scales, transposed = [], 0
    for seed in range(40):
        crop = sharp_crop(np.random.default_rng(seed), (150, 150), folder, scale)
        along, across = _slopes(crop)
        assert crop.shape == (150, 150) and crop.min() >= 0.0 and crop.max() <= 1.0
        if across > along:
            transposed += 1
            along, across = across, along
        assert across < 0.05  # one direction only, whatever the resampling
        scales.append(along)
    return scales, transposed


def test_shrinks_within_the_range_and_transposes_about_half(ramp_folder) -> None:
    scales, transposed = _scales(ramp_folder, (1.0, 2.5))
    # A 400 px photo holds a 150 px crop shrunk at most 400/150 = 2.67 times; we asked for 2.5.
    assert min(scales) >= 0.97 and max(scales) <= 2.55 and max(scales) > 2.0
    assert 10 <= transposed <= 30


def test_enlarges_within_the_range(ramp_folder) -> None:
    scales, transposed = _scales(ramp_folder, (0.4, 1.0))
    assert min(scales) >= 0.39 and min(scales) < 0.5 and max(scales) <= 1.03
    assert 10 <= transposed <= 30


def test_tone_curve_moves_the_mid_grey(ramp_folder) -> None:
    mids = [float(np.median(sharp_crop(np.random.default_rng(s), (SIDE, SIDE), ramp_folder, gamma_max=1.5)))
            for s in range(20)]
    assert min(mids) < 0.45 and max(mids) > 0.55  # a gamma of 1.5 takes 0.5 to 0.35, its inverse to 0.63
    assert all(0.3 < m < 0.7 for m in mids)


def test_softening_widens_an_edge_by_at_most_the_sigma_drawn(tmp_path) -> None:
    folder = tmp_path / "step"
    folder.mkdir()
    step = np.zeros((SIDE, SIDE), np.uint8)
    step[:, SIDE // 2:] = 255
    Image.fromarray(step).save(folder / "step.png")

    def widest_step(crop: np.ndarray) -> float:
        return float(np.abs(np.diff(crop, axis=1)).max())

    sharp = [widest_step(sharp_crop(np.random.default_rng(s), (SIDE, SIDE), str(folder))) for s in range(10)]
    soft = [widest_step(sharp_crop(np.random.default_rng(s), (SIDE, SIDE), str(folder), soften_max=2.0))
            for s in range(10)]
    assert sharp == [1.0] * 10  # off: the edge is one px
    # A Gaussian of sigma s turns a unit step into steps of at most 1 / (s sqrt(2 pi)) (for s >~ 0.5).
    assert all(v <= 1.0 for v in soft) and min(soft) < 1 / (1.0 * np.sqrt(2 * np.pi)) and max(soft) > 0.5


def test_configuration_is_checked_and_recorded_only_when_on(ramp_folder) -> None:
    with pytest.raises(ValueError, match="natural_scale_max"):
        SynthesisConfig(natural_scale_max=0.5)
    with pytest.raises(ValueError, match="natural_scale_min"):
        SynthesisConfig(natural_scale_min=1.5)
    with pytest.raises(ValueError, match="natural_gamma_max"):
        SynthesisConfig(natural_gamma_max=20.0)
    with pytest.raises(ValueError, match="natural_soften_max"):
        SynthesisConfig(natural_soften_max=-1.0)
    off = SynthesisConfig(image_folder=ramp_folder).as_dict()
    on = SynthesisConfig(image_folder=ramp_folder, natural_scale_min=0.5, natural_gamma_max=1.2).as_dict()
    assert not {"natural_scale_min", "natural_scale_max", "natural_gamma_max", "natural_soften_max"} & set(off)
    assert on["natural_scale_min"] == 0.5 and on["natural_gamma_max"] == 1.2 and "natural_scale_max" not in on


def test_the_configuration_reaches_the_samples(ramp_folder) -> None:
    """The config's augmentation fields get through make_sample to the crop (off: the pinned stream below)."""
    plain = SynthesisConfig(image_size=140, image_folder=ramp_folder, noise_max=0.0)
    patches = [make_sample(4, 0, cfg)["patch"] for cfg in
               (plain, SynthesisConfig(image_size=140, image_folder=ramp_folder, noise_max=0.0, natural_scale_max=2.5),
                SynthesisConfig(image_size=140, image_folder=ramp_folder, noise_max=0.0, natural_gamma_max=1.5),
                SynthesisConfig(image_size=140, image_folder=ramp_folder, noise_max=0.0, natural_soften_max=3.0))]
    assert all(not np.array_equal(patches[0], other) for other in patches[1:])


def test_generator_stream_is_pinned(ramp_folder) -> None:
    """Samples of generator version 3, natural crops and dead leaves, as recorded before the
    augmentation existed. If this fails, the samples changed: bump ``GENERATOR_VERSION``."""
    cfg = SynthesisConfig(image_size=140, image_folder=ramp_folder, image_fraction=0.5)
    digest = hashlib.sha256()
    for i in range(6):
        sample = make_sample(9, i, cfg)
        digest.update(sample["patch"].tobytes())
        digest.update(str(sample["extent"]).encode())
    assert (GENERATOR_VERSION, digest.hexdigest()[:16]) == (3, "4d76b983656a11a3")
