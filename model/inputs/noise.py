"""The noise level of a blurry image, measured and topped up to a fixed level.

The networks read a kernel's size from a gradient patch divided by its own spread, so a large
blur (weak gradients) looks like noise and the noise level itself becomes a size cue:
networks trained with noise 0-1 % of full range read clean images' kernels differently from noisy
ones' (docs/experiments.md, Experiment 12). Topping every image up to one known level before the
gradient, in training as in inference, removes that cue: the networks then see one noise level
whatever the camera gave.

The level is measured with Immerkaer's estimator (J. Immerkaer, "Fast noise variance estimation",
CVIU 64(2), 1996): the mean absolute response to the difference of two discrete Laplacians, which
cancels smooth structure, and a blurred image is mostly smooth structure. On a sharp, finely
textured image it reads part of the texture as noise, so such an image is topped up less than it
should be; measured on blurred photos it is within 10 % (docs/experiments.md, Experiment 13).
"""

from __future__ import annotations

import math
import zlib

import numpy as np
from scipy.signal import convolve2d

from blurgauge.model.data.blur import quantize_8bit

# Two Laplacians' difference: zero on any locally linear image, variance 36 sigma^2 on white noise.
#: The highest floor that means anything: half the full range.
MAX_LEVEL = 0.5

_MASK = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)


def _gray_levels(image: np.ndarray) -> np.ndarray:
    """Pixels in gray levels of 255 (``image`` is uint8, or float in [0, 1], as everywhere here)."""
    img = np.asarray(image)
    return img.astype(np.float64) if img.dtype == np.uint8 else img.astype(np.float64) * 255.0


def _sigma(levels: np.ndarray) -> float:
    if levels.ndim != 2 or min(levels.shape) < 3:
        raise ValueError(f"noise_sigma needs a 2-D image of at least 3 x 3 pixels, got shape {levels.shape}")
    response = convolve2d(levels / 255.0, _MASK, mode="valid")
    # E|N(0, 36 s^2)| = 6 s sqrt(2 / pi)
    return float(np.abs(response).mean() * math.sqrt(math.pi / 2.0) / 6.0)


def noise_sigma(image: np.ndarray) -> float:
    """Estimated standard deviation of the white noise of an image (uint8, or float in [0, 1]), as a
    fraction of full range."""
    return _sigma(_gray_levels(image))


def top_up_noise(image: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    """``image`` (uint8, or float in [0, 1]) as 8-bit gray levels, with Gaussian noise added so that
    its total noise is ``level`` (a fraction of full range); only rounded when it is already as
    noisy, since noise cannot be taken away."""
    if not 0.0 <= level <= MAX_LEVEL:
        raise ValueError(f"noise level must be a fraction of full range in 0..{MAX_LEVEL:g}, got {level}")
    levels = _gray_levels(image)
    have = _sigma(levels)
    if have >= level:
        return quantize_8bit(levels / 255.0)
    extra = math.sqrt(level * level - have * have)
    return quantize_8bit(levels / 255.0 + rng.normal(0.0, extra, levels.shape))


def seeded_by(image: np.ndarray) -> np.random.Generator:
    """A generator seeded by the image's own pixels: the host's top-up is reproducible per image
    and differs between images."""
    return np.random.default_rng(zlib.crc32(np.ascontiguousarray(image).tobytes()))
