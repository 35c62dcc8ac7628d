"""From a selected gradient patch to the network input: one definition for training and inference.

Two input transforms, chosen per set of networks and recorded in their weight files:

* ``gradient`` (the paper's): the patch itself.
* ``autocorrelation``: the patch's autocorrelation over the lags (dy, dx), dx = 0..127 along the
  measured axis and dy = -64..63 across it, each lag averaged over the pixel pairs it overlaps
  (row ``dy + 64``, column ``dx`` of a 128x128 map). The forward difference of an image blurred
  along x over L px repeats the scene's edges L px apart, so the autocorrelation has its marked
  structure at |dx| near L, where a convolutional network finds it by position; in the patch
  itself the same cue is a correlation between pixels up to 95 px apart, which small stacked
  kernels learn slowly. The map costs the host two FFTs per patch and the core nothing.

Either map is then divided by its own standard deviation (so the network sees the shape of the
blur, not the scene's contrast) and rounded to the 8-bit ``input`` format. The integer codes are
what the host streams to the core; ``network_input`` is the same value as a float for Keras,
already on the quantizer's grid so its input quantizer is an identity.

``Preprocessing`` bundles everything the host must do to an image before the core sees it: the
transform and the noise floor (``noise.top_up_noise``) of the training data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .noise import MAX_LEVEL
from .quantizers import FORMATS

GRADIENT = "gradient"
AUTOCORRELATION = "autocorrelation"
TRANSFORMS = (GRADIENT, AUTOCORRELATION)


def check_transform(transform: str, source: str = "input transform") -> str:
    if transform not in TRANSFORMS:
        raise ValueError(f"{source}: unknown input transform {transform!r}; expected one of {', '.join(TRANSFORMS)}")
    return transform


def autocorrelation(gradient: np.ndarray) -> np.ndarray:
    """Autocorrelation map(s) of one (n, n) patch or a batch (m, n, n), as the module docstring says."""
    grad = np.asarray(gradient, dtype=np.float64)
    n = grad.shape[-1]
    if grad.shape[-2] != n or n % 2:
        raise ValueError(f"patches must be square with an even side, got shape {grad.shape}")
    centred = grad - grad.mean(axis=(-2, -1), keepdims=True)
    # Zero padding to twice the side makes the circular correlation the linear one.
    power = np.abs(np.fft.rfft2(centred, s=(2 * n, 2 * n))) ** 2
    full = np.fft.irfft2(power, s=(2 * n, 2 * n))
    lags = np.roll(full, n // 2, axis=-2)[..., :n, :n]  # rows: dy = -n/2 .. n/2-1; columns: dx = 0 .. n-1
    overlap = (n - np.abs(np.arange(n) - n // 2))[:, None] * (n - np.arange(n))[None, :]
    return lags / overlap


def _transformed(gradient: np.ndarray, transform: str) -> np.ndarray:
    check_transform(transform)
    grad = np.asarray(gradient, dtype=np.float64)
    return autocorrelation(grad) if transform == AUTOCORRELATION else grad


def input_codes(gradient: np.ndarray, transform: str = GRADIENT) -> np.ndarray:
    """int8 codes of one (128, 128) patch or a batch (n, 128, 128) of gradient patches."""
    mapped = _transformed(gradient, transform)
    std = mapped.std(axis=(-2, -1), keepdims=True)
    scaled = mapped / np.maximum(std, 1e-6)
    fmt = FORMATS["input"]
    lo, hi = fmt.code_range
    return np.clip(np.rint(scaled / fmt.step), lo, hi).astype(np.int8)


def codes_to_input(codes: np.ndarray) -> np.ndarray:
    """Float network input (..., 128, 128, 1) from int8 codes."""
    return (np.asarray(codes, dtype=np.float32) * np.float32(FORMATS["input"].step))[..., None]


def network_input(gradient: np.ndarray, transform: str = GRADIENT) -> np.ndarray:
    return codes_to_input(input_codes(gradient, transform))


@dataclass(frozen=True)
class Preprocessing:
    """What the host does to an image for a set of networks, as their training data was made.

    ``noise_floor``: top every image's noise up to this level first (0: never). ``transform``:
    the input transform of each selected patch. Weight files and ``preprocess.json`` store both
    under the keys of ``as_meta``; a key that is absent means its default, so files written before
    the key existed keep their meaning.
    """

    noise_floor: float = 0.0
    transform: str = GRADIENT

    def __post_init__(self) -> None:
        check_transform(self.transform)
        if not 0.0 <= self.noise_floor <= MAX_LEVEL:
            raise ValueError(f"noise floor must lie in [0, {MAX_LEVEL}], got {self.noise_floor}")

    def codes(self, gradient: np.ndarray) -> np.ndarray:
        return input_codes(gradient, self.transform)

    def as_meta(self) -> dict[str, float | str]:
        return {"noise_floor": float(self.noise_floor), "input_transform": self.transform}

    @classmethod
    def from_meta(cls, meta: dict, source: str) -> Preprocessing:
        """From a weight file's metadata or a ``preprocess.json``; ``source`` names it in errors."""
        try:
            floor = float(meta.get("noise_floor", 0.0))
            transform = str(meta.get("input_transform", GRADIENT))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: unreadable preprocessing settings ({exc})") from exc
        check_transform(transform, source)
        return cls(floor, transform)


#: The paper's preprocessing: the gradient patch as it is, no noise top-up.
PLAIN = Preprocessing()
