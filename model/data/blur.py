"""Blur formation: blurry = sharp (x) kernel + noise, quantized to 8 bits like a camera.

The convolution keeps only the 'valid' region, where the kernel lies wholly inside the sharp
image, so no padding edge (an artificial step) can enter a gradient patch. Callers that want a
blurry image of a given size generate the sharp image larger by the kernel size minus one.
"""

from __future__ import annotations

import numpy as np


def convolve_valid(sharp: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Sharp image convolved with the kernel, valid region only (shrinks by kernel size - 1)."""
    if sharp.shape[0] < kernel.shape[0] or sharp.shape[1] < kernel.shape[1]:
        raise ValueError(f"image {sharp.shape} is smaller than the kernel {kernel.shape}")
    # Imported here: the host imports quantize_8bit on a board, where scipy (blurgauge[train]) is absent.
    from scipy.signal import fftconvolve

    return fftconvolve(sharp, kernel, mode="valid")


def quantize_8bit(image: np.ndarray) -> np.ndarray:
    """Round a [0, 1] image to 8-bit levels (uint8), saturating like a sensor."""
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


def blur_image(
    sharp: np.ndarray,
    kernel: np.ndarray,
    rng: np.random.Generator,
    noise_sigma: float = 0.0,
) -> np.ndarray:
    """The 8-bit blurry image of a [0, 1] sharp image: valid convolution, Gaussian noise, rounding.

    ``noise_sigma`` is the standard deviation of the additive noise as a fraction of full range
    (0.01 is the '1 % noise' of the deblurring literature, 2.55 gray levels).
    """
    if noise_sigma < 0:
        raise ValueError(f"noise sigma must be >= 0, got {noise_sigma}")
    blurry = convolve_valid(sharp, kernel)
    if noise_sigma > 0:
        blurry = blurry + rng.normal(0.0, noise_sigma, blurry.shape)
    return quantize_8bit(blurry)


def sharp_size_for(blurry_shape: tuple[int, int], kernel: np.ndarray) -> tuple[int, int]:
    """Sharp image size that yields a blurry image of ``blurry_shape`` after a valid convolution."""
    return blurry_shape[0] + kernel.shape[0] - 1, blurry_shape[1] + kernel.shape[1] - 1
