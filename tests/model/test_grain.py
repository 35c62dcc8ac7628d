"""Grain of the sharp images: its level and grain size as drawn, its recording, its path to the samples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blurgauge.host.cli import main
from blurgauge.model.data.synthesis import SynthesisConfig, add_grain, make_sample

GREY = np.full((256, 256), 0.5)


def _grain(seed: int, level_max: float, size_max: float) -> np.ndarray:
    """The grain alone, in grey levels of 255."""
    return (add_grain(np.random.default_rng(seed), GREY, level_max, size_max) - GREY) * 255.0


def _neighbour_correlation(grain: np.ndarray) -> float:
    return float(np.corrcoef(grain[:, 1:].ravel(), grain[:, :-1].ravel())[0, 1])


def test_levels_spread_over_the_range() -> None:
    levels = [float(_grain(seed, 6.0, 0.0).std()) for seed in range(40)]
    assert all(0.0 <= v <= 6.05 for v in levels)
    assert min(levels) < 1.5 and max(levels) > 4.5  # uniform in 0..6, not one fixed level
    assert 2.2 < float(np.mean(levels)) < 3.8


def test_white_grain_is_uncorrelated_and_sized_grain_is_not() -> None:
    assert all(abs(_neighbour_correlation(_grain(seed, 6.0, 0.0))) < 0.05 for seed in range(5))
    sized = [_neighbour_correlation(_grain(seed, 6.0, 2.0)) for seed in range(20)]
    assert max(sized) > 0.8  # sigma near 2 px: neighbours nearly alike
    # The level is the grain's own spread whatever its size: correlated grain is not fainter.
    assert np.mean([_grain(seed, 6.0, 2.0).std() for seed in range(40)]) > 2.2


def test_grain_stays_in_range() -> None:
    white = np.ones((64, 64))
    out = add_grain(np.random.default_rng(0), white, 30.0, 0.0)
    assert out.max() <= 1.0 and out.min() >= 0.0 and out.min() < 1.0


def test_configuration_is_checked_and_recorded_only_when_on() -> None:
    with pytest.raises(ValueError, match="grain_max"):
        SynthesisConfig(grain_max=-1.0)
    with pytest.raises(ValueError, match="grain_size_max"):
        SynthesisConfig(grain_size_max=9.0)
    assert not {"grain_max", "grain_size_max"} & set(SynthesisConfig().as_dict())
    # Dead leaves get grain too, so it is recorded without an image folder.
    on = SynthesisConfig(grain_max=4.0).as_dict()
    assert on["grain_max"] == 4.0 and "grain_size_max" not in on


def test_grain_reaches_the_dead_leaves_samples() -> None:
    plain = SynthesisConfig(image_size=140, noise_max=0.0)
    grained = SynthesisConfig(image_size=140, noise_max=0.0, grain_max=8.0)
    for i in range(4):
        a, b = make_sample(5, i, plain), make_sample(5, i, grained)
        assert not np.array_equal(a["patch"], b["patch"])
        # Everything drawn before the grain is unchanged: the same extents and axes.
        assert (a["extent"], a["axis"], a["other_extent"]) == (b["extent"], b["axis"], b["other_extent"])


def test_data_build_records_the_grain(tmp_path) -> None:
    out = tmp_path / "set"
    assert main(["data", "build", "--out", str(out), "--count", "2", "--shard-size", "2", "--image-size", "140",
                 "--workers", "1", "--grain-max", "3", "--grain-size-max", "0.5"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["synthesis"]["grain_max"] == 3.0 and manifest["synthesis"]["grain_size_max"] == 0.5
