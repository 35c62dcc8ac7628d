"""The kernel families of the family-held-out evaluation: exact extents, equal light per time, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model import classes
from blurgauge.model.evaluation import families


def test_render_covers_exactly_the_path_box_and_keeps_the_light() -> None:
    path = np.stack([np.linspace(0.0, 9.0, 2000), np.full(2000, 2.0)], axis=1)
    kernel = families.render(path)
    assert kernel.shape == (3, 10) and np.isclose(kernel.sum(), 1.0)
    assert families.support(kernel) == (10, 1)
    # Constant speed: light spread evenly, the end pixels (half covered) holding half as much.
    assert np.allclose(kernel[2, 1:-1], 1 / 9, atol=2e-3) and np.allclose(kernel[2, [0, -1]], 1 / 18, atol=2e-3)


def test_slow_parts_are_brighter() -> None:
    """Light is proportional to the time spent: half the samples on the first fifth of the path."""
    path = np.concatenate([np.linspace(0.0, 2.0, 1000), np.linspace(2.0, 9.999, 1000)])
    kernel = families.render(np.stack([path, np.zeros_like(path)], axis=1))
    # pixels 0 and 1 cover x < 1.5: 750 of the 2000 samples, where constant speed would put 15 %
    assert kernel[0, :2].sum() == pytest.approx(0.375, abs=0.01)


@pytest.mark.parametrize("family", families.FAMILIES)
def test_the_larger_side_is_the_requested_extent(family: str) -> None:
    rng = np.random.default_rng(3)
    for extent in (3, 7, 19, 20, 49, 64, 95):
        k = families.family_kernel(family, extent, rng)
        assert max(k.width, k.height) == extent, (family, extent, k.width, k.height)
        assert families.support(k.kernel) == (k.width, k.height)
        assert np.isclose(k.kernel.sum(), 1.0) and k.kernel.min() >= 0


@pytest.mark.parametrize("family", families.FAMILIES)
def test_a_seed_gives_the_same_set_and_every_range_is_filled(family: str) -> None:
    a = families.family_kernels(family, 2, np.random.default_rng(5))
    b = families.family_kernels(family, 2, np.random.default_rng(5))
    assert all(np.array_equal(x.kernel, y.kernel) for x, y in zip(a, b, strict=True))
    larger = [max(k.width, k.height) for k in a]
    assert sorted(classes.coarse_class(np.array(larger)).tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_curved_families_are_not_lines() -> None:
    """Arcs and hand paths bend: their kernels fill far less of their box's diagonal than a line's."""
    rng = np.random.default_rng(8)
    for family in ("arc", "hand"):
        ks = families.family_kernels(family, 4, rng)
        minor = [min(k.width, k.height) / max(k.width, k.height) for k in ks]
        assert np.median(minor) > 0.2, family


def test_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kernel family 'spiral'"):
        families.family_kernel("spiral", 10, np.random.default_rng(0))
