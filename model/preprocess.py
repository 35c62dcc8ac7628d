"""From a selected gradient patch to the network input: one definition for training and inference.

The patch is divided by its own standard deviation (so the network sees the shape of the blur,
not the scene's contrast) and rounded to the 8-bit ``input`` format. The integer codes are what
the host streams to the core; ``network_input`` is the same value as a float for Keras, already on
the quantizer's grid so its input quantizer is an identity.
"""

from __future__ import annotations

import numpy as np

from .quantizers import FORMATS


def input_codes(gradient: np.ndarray) -> np.ndarray:
    """int8 codes of one (128, 128) patch or a batch (n, 128, 128) of gradient patches."""
    grad = np.asarray(gradient, dtype=np.float64)
    axes = (-2, -1)
    std = grad.std(axis=axes, keepdims=True)
    scaled = grad / np.maximum(std, 1e-6)
    fmt = FORMATS["input"]
    lo, hi = fmt.code_range
    return np.clip(np.rint(scaled / fmt.step), lo, hi).astype(np.int8)


def codes_to_input(codes: np.ndarray) -> np.ndarray:
    """Float network input (..., 128, 128, 1) from int8 codes."""
    return (np.asarray(codes, dtype=np.float32) * np.float32(FORMATS["input"].step))[..., None]


def network_input(gradient: np.ndarray) -> np.ndarray:
    return codes_to_input(input_codes(gradient))
