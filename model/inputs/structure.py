"""How much measurable structure an image holds: the host's refusal of what cannot be measured.

The networks read a kernel's size from how the image's content is smeared. A constant, all-black or
all-white image has no content to smear, and pure noise has nothing but the noise: the networks
still answer (73-80 px, with low confidence) and that answer means nothing. ``structure`` measures
the content that stands above the noise the networks will see:

    structure = sqrt(max(0, var(B x B block means) - sigma^2 / B^2)) / max(sigma, floor, QUANTUM)

``sigma`` is the image's white noise (Immerkaer's estimator, ``noise.noise_sigma``), ``floor`` the
level the host tops the image up to (the networks' noise floor): the block means keep the content
at scales of B px and up, which a blur of up to 95 px leaves largely intact, and cancel white noise
(its block means vary by sigma / B, which is subtracted). A blurred photo scores 1.7 to 44 (median 14);
a constant image 0; white noise at most 0.03 (what is left of sigma / B after the subtraction).
Below ``THRESHOLD`` the image is refused; below ``WARN_BELOW`` it gets a warning (its contrast is
near the noise floor, the estimate is less reliable). Calibration: ``bench/studies/structure_threshold.py``
on Levin's 8 kernels over BSD68, Set12 and Kodak24 with 1 % noise (docs/host.md).
"""

from __future__ import annotations

import math

import numpy as np

from blurgauge.model.inputs.noise import noise_sigma

#: Block side (px) of the content's scale: large enough to average white noise by 8x, small
#: enough that a 128-px-wide image still has 16 blocks per row.
BLOCK = 8
#: The smallest noise that counts: half an 8-bit gray level (an 8-bit image is at least this noisy
#: from its rounding), so that a clean image's score stays finite.
QUANTUM = 0.5 / 255
#: Refused below: content at half the noise floor or less. Of 1664 blurred reference photos (Levin's
#: kernels, and the same stretched to 95 px, 1 % noise) the lowest scores 1.67, 3.3 times this; constant
#: images score 0, white noise at most 0.03 (bench/studies/structure_threshold.py, docs/host.md).
THRESHOLD = 0.5
#: Warned below this multiple of the threshold: the content is near the noise floor (no blurred
#: reference photo scores that low).
WARN_BELOW = 2.0


def structure(gray: np.ndarray, floor: float = 0.0, sigma: float | None = None) -> float:
    """The content of a gray float image in [0, 1] above its noise and the noise floor ``floor``
    (a fraction of full range), in units of that noise (see the module docstring). ``sigma``: the
    image's ``noise_sigma`` where the caller has it already (the host measures it once)."""
    img = np.asarray(gray, dtype=np.float64)
    if sigma is None:
        sigma = noise_sigma(img) if min(img.shape) >= 3 else 0.0
    rows, cols = (img.shape[0] // BLOCK) * BLOCK, (img.shape[1] // BLOCK) * BLOCK
    if rows == 0 or cols == 0:
        return 0.0
    # Block means a band of blocks at a time (each band's are the same numbers), so the trimmed
    # image is never copied whole.
    band = BLOCK * 32
    means = np.concatenate([img[top : min(top + band, rows), :cols].reshape(-1, BLOCK, cols // BLOCK, BLOCK)
                            .mean(axis=(1, 3)) for top in range(0, rows, band)])
    content = math.sqrt(max(0.0, float(means.var()) - sigma * sigma / BLOCK**2))
    return content / max(sigma, floor, QUANTUM)


def unmeasurable_reason(gray: np.ndarray, score: float) -> str:
    """Why an image that scores below the threshold cannot be measured, in words a user can act on."""
    img = np.asarray(gray)
    lo, hi = float(img.min()), float(img.max())
    if hi - lo == 0.0:
        kind = "all black" if hi == 0.0 else "all white" if hi == 1.0 else f"constant (gray level {hi:.3f})"
        return f"the image is {kind}: no structure for a blur to smear"
    if hi - lo < 0.05:
        return (f"its contrast ({lo:.4f}..{hi:.4f} of full range) is below the noise the networks need; "
                "stretch its levels (or, for a uint16 image, check that it uses the 16-bit range)")
    return "it holds no structure above its noise (pure noise, or content far weaker than the noise)"
