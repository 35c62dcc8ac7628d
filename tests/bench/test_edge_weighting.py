"""The gradient fields of the edge-weighting study, on hand-made images."""

from __future__ import annotations

import numpy as np

from bench.studies import edge_weighting as ew


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
