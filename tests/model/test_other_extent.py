"""The other axis's extent: independent and class-balanced by default, or tied to the labelled one."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model import classes
from blurgauge.model.data.synthesis import SynthesisConfig, make_sample, other_extent


def test_tied_extents_keep_within_the_aspect_range() -> None:
    rng = np.random.default_rng(0)
    for extent in (3, 10, 20, 50, 95):
        others = np.array([other_extent(rng, extent, 2.0) for _ in range(400)])
        assert others.min() >= classes.MIN_EXTENT and others.max() <= classes.MAX_EXTENT
        inside = (others >= np.floor(extent / 2.0) - 0.5) & (others <= np.ceil(extent * 2.0) + 0.5)
        assert inside.all()
    ratios = np.log([other_extent(rng, 40, 2.0) / 40 for _ in range(2000)])
    assert abs(float(np.median(ratios))) < 0.05  # log-uniform: as often taller as wider
    assert ratios.min() < -0.6 and ratios.max() > 0.6  # reaches near 1/2 and 2


def test_off_is_the_whole_range() -> None:
    rng = np.random.default_rng(1)
    others = [other_extent(rng, 10, 0.0) for _ in range(2000)]
    assert min(others) <= 5 and max(others) >= 90


def test_configuration_is_checked_and_recorded_only_when_on() -> None:
    for bad in (0.5, -1.0, 40.0):
        with pytest.raises(ValueError, match="other_aspect_max"):
            SynthesisConfig(other_aspect_max=bad)
    assert "other_aspect_max" not in SynthesisConfig().as_dict()
    assert SynthesisConfig(other_aspect_max=2.5).as_dict()["other_aspect_max"] == 2.5


def test_samples_follow_the_prior_and_keep_their_labels() -> None:
    cfg = SynthesisConfig(image_size=140, noise_max=0.0, other_aspect_max=1.5, thin_fraction=0.0)
    plain = SynthesisConfig(image_size=140, noise_max=0.0, thin_fraction=0.0)
    for i in range(6):
        tied, free = make_sample(7, i, cfg), make_sample(7, i, plain)
        assert tied["extent"] == free["extent"]  # drawn before the other extent, unchanged
        ratio = tied["other_extent"] / tied["extent"]
        assert 1 / 1.5 - 0.2 <= ratio <= 1.5 + 0.2 or tied["other_extent"] in (classes.MIN_EXTENT, classes.MAX_EXTENT)
