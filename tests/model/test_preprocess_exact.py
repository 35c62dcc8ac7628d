"""The lean preprocessing gives the int8 codes of the direct one it replaced, bit for bit.

The reference is the host's direct preprocessing, kept in bench/host_stages.py (the
benchmark's "before" column) and used here as the oracle: Immerkaer's estimate by a general 2-D
convolution, the top-up of the whole image at once, the transpose's gradient, numpy.fft at the exact
padded sizes (449 rows for a 321x481 image). The
product takes separable differences in strips, one forward transform of the image for both axes'
maps (corrected for the gradients' edges and means), scipy.fft at sizes with small prime factors and
a pruned inverse; the maps agree to about 1e-15 relative, far below half a code step, and these
tests pin that the codes, the only thing the core sees, are equal on blurred dead-leaves images of
odd, prime and board-like sizes, with and without the noise top-up.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from bench.host_stages import _ref_autocorrelation, _ref_codes, _ref_sigma
from blurgauge.host.accelerator import prepare
from blurgauge.model.data.blur import blur_image, quantize_8bit
from blurgauge.model.data.dead_leaves import dead_leaves
from blurgauge.model.data.kernels import random_kernel
from blurgauge.model.inputs.noise import noise_sigma, seeded_by, top_up_noise
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, IMAGE, Preprocessing, autocorrelation, input_codes


def _old_sigma(image: np.ndarray) -> float:
    img = np.asarray(image)
    return _ref_sigma(img.astype(np.float64) if img.dtype == np.uint8 else img.astype(np.float64) * 255.0)


def _old_top_up(image: np.ndarray, level: float) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(np.ascontiguousarray(image).tobytes()))
    levels = np.asarray(image, dtype=np.float64) * 255.0
    have = _old_sigma(image)
    if have >= level:
        return quantize_8bit(levels / 255.0)
    return quantize_8bit(levels / 255.0 + rng.normal(0.0, math.sqrt(level * level - have * have), levels.shape))


def _old_axis_codes(gray: np.ndarray, floor: float) -> np.ndarray:
    """(2, 128, 128): the width's and the height's codes of the image region, as the direct implementation
    computes them."""
    image = _old_top_up(gray, floor) if floor > 0 else gray
    img = np.asarray(image)
    levels = img.astype(np.float64) if img.dtype == np.uint8 else img.astype(np.float64) * 255.0
    levels_t = img.T.astype(np.float64) if img.dtype == np.uint8 else img.T.astype(np.float64) * 255.0
    return np.stack([_ref_codes(_ref_autocorrelation(np.diff(levels, axis=1), 128)),
                     _ref_codes(_ref_autocorrelation(np.diff(levels_t, axis=1), 128))])


def _blurred(rows: int, cols: int, seed: int) -> np.ndarray:
    """A gray float image in [0, 1]: dead leaves blurred by a random kernel, 8-bit, 0.5 % noise."""
    rng = np.random.default_rng(seed)
    width, height = (int(v) for v in rng.integers(3, 60, 2))
    kernel, _ = random_kernel(width, height, rng)
    sharp = dead_leaves(rng, (rows + kernel.shape[0] - 1, cols + kernel.shape[1] - 1))
    return blur_image(sharp, kernel, rng, 0.005).astype(np.float64) / 255.0


SIZES = [(321, 481), (481, 321), (449, 608), (331, 487), (129, 129), (257, 640), (600, 383)]


@pytest.mark.parametrize("floor", [0.01, 0.0])
@pytest.mark.parametrize(("rows", "cols"), SIZES)
def test_the_image_region_codes_equal_the_old_implementations(rows: int, cols: int, floor: float) -> None:
    gray = _blurred(rows, cols, seed=rows * 7 + cols)
    prepared = prepare(gray, preprocessing=Preprocessing(floor, AUTOCORRELATION), region=IMAGE, min_structure=0)
    assert prepared.codes.shape == (2, 128, 128)
    np.testing.assert_array_equal(prepared.codes, _old_axis_codes(gray, floor))


@pytest.mark.parametrize(("rows", "cols"), [(321, 481), (600, 383), (129, 200)])
def test_the_noise_estimate_and_the_top_up_in_strips_equal_the_old_ones(rows: int, cols: int) -> None:
    gray = _blurred(rows, cols, seed=rows + cols)
    assert noise_sigma(gray) == pytest.approx(_old_sigma(gray), rel=1e-12)
    as_uint8 = quantize_8bit(gray)
    assert noise_sigma(as_uint8) == pytest.approx(_old_sigma(as_uint8), rel=1e-12)
    np.testing.assert_array_equal(top_up_noise(gray, 0.01, seeded_by(gray)), _old_top_up(gray, 0.01))
    np.testing.assert_array_equal(top_up_noise(gray, 0.002, seeded_by(gray)), _old_top_up(gray, 0.002))


def test_the_patch_codes_of_a_batch_equal_the_old_ones() -> None:
    rng = np.random.default_rng(5)
    patches = np.diff(rng.integers(0, 256, (3, 128, 129)).astype(np.float64), axis=-1)
    np.testing.assert_array_equal(input_codes(patches, AUTOCORRELATION),
                                  _ref_codes(_ref_autocorrelation(patches, 128)))


def test_a_short_gradient_map_gives_the_old_map() -> None:
    # More than 64 rows is all a 128-lag map needs; the transform then has fewer than 128 rows of output.
    rng = np.random.default_rng(6)
    grad = np.diff(rng.integers(0, 256, (70, 201)).astype(np.float64), axis=-1)
    np.testing.assert_allclose(autocorrelation(grad, 128), _ref_autocorrelation(grad, 128), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(_ref_codes(autocorrelation(grad, 128)), _ref_codes(_ref_autocorrelation(grad, 128)))
