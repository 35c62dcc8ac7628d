"""The gradient fields of the edge-weighting study, on hand-made images."""

from __future__ import annotations

import numpy as np
import pytest

from bench.studies import edge_weighting as ew
from blurgauge.model.data.blur import convolve_valid
from blurgauge.model.evaluation.families import family_kernel


def test_coherence_is_one_on_a_straight_edge_and_low_in_isotropic_noise():
    edge = np.zeros((64, 64))
    edge[:, 32:] = 200.0
    gx, gy = ew.gradients(edge)
    c = ew.coherence(gx, gy, 4.0)
    assert np.allclose(c[20:40, 28:36], 1.0)  # one orientation in every window near the edge
    noise = np.random.default_rng(0).normal(128, 20, (128, 128))
    c_noise = ew.coherence(*ew.gradients(noise), 4.0)
    assert np.median(c_noise[16:-16, 16:-16]) < 0.4  # about 0.26: a window of 4 px holds few samples


def test_contrast_normalisation_gives_a_faint_and_a_strong_texture_the_same_weight():
    rng = np.random.default_rng(1)
    texture = rng.normal(0, 1, (96, 192))
    image = np.hstack([128 + 5 * texture[:, :96], 128 + 50 * texture[:, 96:]])
    fx, _ = ew.contrast_normalised(16.0)(*ew.gradients(image))
    faint, strong = np.std(fx[20:-20, 10:70]), np.std(fx[20:-20, 120:180])
    raw_gx, _ = ew.gradients(image)
    assert np.std(raw_gx[20:-20, 120:180]) / np.std(raw_gx[20:-20, 10:70]) > 8
    assert 0.8 < strong / faint < 1.25


def test_features_are_per_lag_profiles_of_the_codes():
    codes = np.zeros((128, 128), dtype=np.int8)
    codes[64, 10] = -100
    f = ew.features(codes)
    assert f.shape == (4 * 128,)
    assert f[10] == 100 and f[128 + 10] == 100 / 128  # largest and mean |code| over dy at dx = 10
    assert f[256 + 64] == 100  # largest over dx at dy = 0 (row 64)


def test_second_differences_along_both_axes():
    image = np.random.default_rng(2).integers(0, 256, (40, 50)).astype(np.uint8)
    dx, dy = ew.second_difference(image)
    assert np.array_equal(dx, np.diff(image.astype(np.float64), n=2, axis=1))
    assert np.array_equal(dy, np.diff(image.astype(np.float64), n=2, axis=0))


@pytest.mark.parametrize("family", ["line", "arc", "hand"])
def test_the_second_difference_of_a_blurred_edge_correlates_most_at_the_kernels_width(family):
    """A smooth path's projection on x piles up at its two turning points; the second difference of a
    blurred step edge turns them into spikes one width apart, whatever the path's shape."""
    kernel = family_kernel(family, 45, np.random.default_rng(3))
    step = np.zeros((64, 200))
    step[:, 100:] = 255.0
    d2x, _ = ew.second_difference(convolve_valid(step, kernel.kernel))
    row = d2x[10] - d2x[10].mean()
    corr = np.array([row[: row.size - lag] @ row[lag:] for lag in range(100)])
    assert abs(int(np.argmax(np.abs(corr[3:]))) + 3 - (kernel.width - 1)) <= 1


@pytest.mark.parametrize(("family", "extent", "seed"), [("line", 45, 7), ("arc", 45, 3), ("arc", 75, 4)])
def test_edge_profiles_measure_a_blurred_edges_projected_extent(family, extent, seed):
    """Two long vertical edges blurred by one kernel, 1 % noise: the median support of the profiles
    across them is the kernel's width within 20 % (a long arc's fast middle falls near the noise; a path
    that dwells at one end reads far shorter, not tested)."""
    kernel = family_kernel(family, extent, np.random.default_rng(seed))
    scene = np.zeros((300, 400))
    scene[:, 150:] = 200.0
    scene[:, 300:] = 60.0
    blurred = convolve_valid(scene, kernel.kernel)
    blurred = blurred + np.random.default_rng(0).normal(0.0, 2.55, blurred.shape)
    f = ew.edge_profiles(blurred)
    support_median = f[2 * (len(ew.EDGE_SHARES) + 1) + len(ew.EDGE_SHARES)]
    assert f[-1] > 100  # edges found
    assert abs(support_median - kernel.width) <= max(3, 0.2 * kernel.width)
