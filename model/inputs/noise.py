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

from blurgauge.model.data.blur import quantize_8bit
from blurgauge.model.inputs.patches import gray_levels

#: The highest floor that means anything: half the full range.
MAX_LEVEL = 0.5
#: Rows per strip: the host works on large photos a strip at a time, so its float64 temporaries
#: stay a few MB whatever the image's size (a 512 MB board holds a 24 Mpx photo).
STRIP_ROWS = 256


def noise_sigma(image: np.ndarray) -> float:
    """Estimated standard deviation of the white noise of an image (uint8, or float in [0, 1]), as a
    fraction of full range."""
    img = np.asarray(image)
    if img.ndim != 2 or min(img.shape) < 3:
        raise ValueError(f"noise_sigma needs a 2-D image of at least 3 x 3 pixels, got shape {img.shape}")
    rows, cols = img.shape
    total = 0.0
    # The two Laplacians' difference [[1, -2, 1], [-2, 4, -2], [1, -2, 1]] is the outer product of
    # [1, -2, 1] with itself: a second difference along the rows of one along the columns, by slicing
    # (no general 2-D convolution), a strip of rows (and the 2 below it) at a time. Zero on any locally
    # linear image, variance 36 sigma^2 on white noise. On 8-bit levels every response is an exact
    # integer within +-2,040, so uint8 images are differenced in int16 (a quarter of float64's memory
    # traffic) and summed in int64: the same total, exactly.
    exact = img.dtype == np.uint8
    for top in range(0, rows - 2, STRIP_ROWS):
        strip = img[top : top + STRIP_ROWS + 2]
        levels = strip.astype(np.int16) if exact else gray_levels(strip)
        across = levels[:, :-2] - 2 * levels[:, 1:-1]
        across += levels[:, 2:]
        response = across[:-2] - 2 * across[1:-1]
        response += across[2:]
        np.abs(response, out=response)
        total += float(response.sum(dtype=np.int64) if exact else response.sum())
    mean_abs = total / ((rows - 2) * (cols - 2)) / 255.0
    # E|N(0, 36 s^2)| = 6 s sqrt(2 / pi)
    return mean_abs * math.sqrt(math.pi / 2.0) / 6.0


def top_up_noise(image: np.ndarray, level: float, rng: np.random.Generator, have: float | None = None) -> np.ndarray:
    """``image`` (uint8, or float in [0, 1]) as 8-bit gray levels, with Gaussian noise added so that
    its total noise is ``level`` (a fraction of full range); only rounded when it is already as
    noisy, since noise cannot be taken away. ``have``: the image's ``noise_sigma`` where the caller
    has it already (the host measures it once for the structure score)."""
    if not 0.0 <= level <= MAX_LEVEL:
        raise ValueError(f"noise level must be a fraction of full range in 0..{MAX_LEVEL:g}, got {level}")
    img = np.asarray(image)
    if have is None:
        have = noise_sigma(img)
    extra = math.sqrt(level * level - have * have) if have < level else 0.0
    out = np.empty(img.shape, dtype=np.uint8)
    # Strip by strip: the generator's normal draws continue across calls, so the noise (and every
    # rounded pixel) is the one a single draw over the whole image gives; only the memory differs.
    for top in range(0, img.shape[0], STRIP_ROWS):
        pixels = gray_levels(img[top : top + STRIP_ROWS])
        pixels /= 255.0
        if extra:
            # rng.normal(0, extra) is 0 + extra * standard_normal(), the same draws and values; the
            # standard draws fill an array faster.
            noise = rng.standard_normal(pixels.shape)
            noise *= extra
            pixels += noise
        out[top : top + STRIP_ROWS] = quantize_8bit(pixels)
    return out


def seeded_by(image: np.ndarray) -> np.random.Generator:
    """A generator seeded by the image's own pixels: the host's top-up is reproducible per image
    and differs between images."""
    # The CRC of the pixels' bytes, read in place (the buffer itself, no bytes copy of the image).
    return np.random.default_rng(zlib.crc32(np.ascontiguousarray(image)))
