"""Dead-leaves sharp images: an unlimited procedural source of training scenes.

Images are float64 arrays in [0, 1], gray, shape (rows, columns). The dead-leaves model (occluding
shapes with a power-law size distribution) reproduces the scale invariance and the edge statistics
of natural images, which is what a blur-size classifier learns from; it keeps the natural test images
(BSD68, Set12, Kodak24) strictly out of training.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _power_law_radius(rng: np.random.Generator, rmin: float, rmax: float, n: int) -> np.ndarray:
    """Radii with density proportional to r**-3 (scale invariance), by inverse transform."""
    u = rng.random(n)
    return (rmin**-2 - u * (rmin**-2 - rmax**-2)) ** -0.5


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Unit-variance noise with a random correlation length: a texture to modulate leaves with."""
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), rng.uniform(0.5, 3.0))
    return noise / max(noise.std(), 1e-9)


def dead_leaves(
    rng: np.random.Generator,
    shape: tuple[int, int] = (256, 256),
    leaves: int | None = None,
    rmin: float = 3.0,
    rmax: float | None = None,
    coverage: float = 4.0,
) -> np.ndarray:
    """A dead-leaves image in [0, 1]: shapes painted back to front with anti-aliased edges.

    Shapes are disks, ellipses and rotated rectangles (straight edges at every orientation),
    each with its own gray level, a linear shading and, for some, a texture. Edges are
    anti-aliased analytically from a signed distance, so no staircase artefacts enter the
    gradients. A slight random optical blur and contrast complete the camera model.
    """
    rows, cols = shape
    rmax = rmax if rmax is not None else 0.4 * max(rows, cols)
    if leaves is None:
        # Mean leaf area for r ~ r**-3 on [rmin, rmax] is about 2 pi rmin^2 ln(rmax / rmin); paint
        # enough leaves to cover the image ``coverage`` times so little background shows through.
        mean_area = 2 * np.pi * rmin**2 * np.log(rmax / rmin)
        leaves = int(coverage * rows * cols / mean_area) + 1
    image = np.full(shape, rng.random())
    texture = _smooth_noise(rng, shape)
    radii = _power_law_radius(rng, rmin, rmax, leaves)
    centres = rng.random((leaves, 2)) * [rows, cols]
    kinds = rng.choice(3, size=leaves, p=[0.5, 0.25, 0.25])
    values = rng.random(leaves)
    # Every per-leaf draw up front: one generator call per quantity, not per leaf.
    aspects = np.where(kinds == 0, 1.0, rng.uniform(0.25, 1.0, leaves))
    thetas = rng.uniform(0, np.pi, leaves)
    cosines, sines = np.cos(thetas), np.sin(thetas)
    shades = rng.normal(0, 1.0, (leaves, 2)) * (0.15 / np.maximum(radii, 1.0))[:, None]
    textured = rng.random(leaves) < 0.3
    texture_gain = rng.uniform(0.02, 0.12, leaves)
    for i in range(leaves):
        r, (cy, cx) = radii[i], centres[i]
        y0, y1 = max(int(cy - r) - 1, 0), min(int(cy + r) + 2, rows)
        x0, x1 = max(int(cx - r) - 1, 0), min(int(cx + r) + 2, cols)
        if y0 >= y1 or x0 >= x1:
            continue
        dy = np.arange(y0, y1)[:, None] - cy
        dx = np.arange(x0, x1)[None, :] - cx
        u = dx * cosines[i] + dy * sines[i]
        v = dy * cosines[i] - dx * sines[i]
        if kinds[i] == 2:  # rotated rectangle
            distance = np.maximum(np.abs(u) - r, np.abs(v) - aspects[i] * r)
        else:  # disk or ellipse (distance approximated in the stretched frame)
            distance = (np.sqrt(u * u + (v / aspects[i]) ** 2) - r) * aspects[i]
        alpha = np.clip(0.5 - distance, 0.0, 1.0)
        fill = values[i] + shades[i, 0] * dy + shades[i, 1] * dx
        if textured[i]:
            fill = fill + texture_gain[i] * texture[y0:y1, x0:x1]
        patch = image[y0:y1, x0:x1]
        patch += alpha * (fill - patch)
    image = ndimage.gaussian_filter(image, rng.uniform(0.0, 0.8))
    low, high = np.percentile(image, [1, 99])
    contrast = rng.uniform(0.3, 1.0)
    image = (image - low) / max(high - low, 1e-6) * contrast + rng.uniform(0.0, 1.0 - contrast)
    return np.clip(image, 0.0, 1.0)
