"""Blur formation: valid convolution, 8-bit quantization, noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import convolve2d

from blurgauge.model.data.blur import blur_image, convolve_valid


def test_convolve_valid_matches_scipy():
    rng = np.random.default_rng(0)
    sharp = rng.random((23, 31))
    kernel = rng.random((5, 8))
    out = convolve_valid(sharp, kernel)
    assert out.shape == (23 - 5 + 1, 31 - 8 + 1)
    np.testing.assert_allclose(out, convolve2d(sharp, kernel, mode="valid"), rtol=0, atol=1e-9)


@pytest.mark.parametrize(("kshape"), [(1, 1), (1, 9), (9, 1), (17, 4)])
def test_convolve_valid_shape(kshape):
    sharp = np.random.default_rng(1).random((40, 33))
    kernel = np.full(kshape, 1.0 / np.prod(kshape))
    assert convolve_valid(sharp, kernel).shape == (40 - kshape[0] + 1, 33 - kshape[1] + 1)


def test_delta_kernel_leaves_image_unchanged():
    sharp = np.random.default_rng(2).random((20, 27))
    np.testing.assert_allclose(convolve_valid(sharp, np.ones((1, 1))), sharp, rtol=0, atol=1e-12)
    centred = np.zeros((3, 3))
    centred[1, 1] = 1.0
    np.testing.assert_allclose(convolve_valid(sharp, centred), sharp[1:-1, 1:-1], rtol=0, atol=1e-12)


def test_convolution_not_correlation():
    # A delta in the kernel's top-left corner picks the bottom-right neighbour: true convolution
    # flips the kernel.
    sharp = np.random.default_rng(3).random((12, 15))
    corner = np.zeros((3, 3))
    corner[0, 0] = 1.0
    np.testing.assert_allclose(convolve_valid(sharp, corner), sharp[2:, 2:], rtol=0, atol=1e-12)


def test_kernel_larger_than_image_raises():
    with pytest.raises(ValueError):
        convolve_valid(np.zeros((5, 50)), np.ones((6, 3)))


def test_blur_image_is_uint8_and_exact_without_noise():
    levels = np.random.default_rng(4).integers(0, 256, (30, 40))
    out = blur_image(levels / 255.0, np.ones((1, 1)), np.random.default_rng(0), noise_sigma=0.0)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, levels)
    box = np.full((3, 5), 1 / 15)
    out = blur_image(levels / 255.0, box, np.random.default_rng(0))
    assert out.dtype == np.uint8 and out.shape == (28, 36)
    np.testing.assert_array_equal(out, np.rint(convolve2d(levels, box, mode="valid")).astype(np.uint8))


def test_blur_image_noise_level_and_saturation():
    rng = np.random.default_rng(5)
    gray = blur_image(np.full((200, 200), 0.5), np.ones((1, 1)), rng, noise_sigma=0.01)
    assert 2.55 * 0.8 < gray.astype(float).std() < 2.55 * 1.2  # 1 % of full range in gray levels
    white = blur_image(np.ones((100, 100)), np.ones((1, 1)), rng, noise_sigma=0.05)
    assert white.min() > 200 and white.max() == 255  # saturates, never wraps around


@pytest.mark.parametrize("sigma", [-0.01, -1.0])
def test_negative_noise_raises(sigma):
    with pytest.raises(ValueError):
        blur_image(np.zeros((10, 10)), np.ones((1, 1)), np.random.default_rng(0), noise_sigma=sigma)
