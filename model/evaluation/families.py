"""Blur-kernel families for the family-held-out evaluation, drawn by code that shares nothing with the
training generator (model/data/kernels.py) except the last family, which is that generator.

An estimator that learned blur, not its generator, reads every family equally well. Four families:

* ``line``: straight motion at a uniformly random angle, at constant speed.
* ``arc``: a circular arc swept at constant speed, 45-300 degrees of turn.
* ``hand``: smooth recorded-like hand shake. Gavant et al. ("A physiological camera shake model for image
  stabilization systems", IEEE Sensors 2011) measured the angular motion of hand-held cameras as a slow
  voluntary drift (most power below 2 Hz) plus a physiological tremor of 8-12 Hz a few times weaker;
  Köhler et al. ("Recording and playback of camera shake", ECCV 2012) recorded such shake during exposures
  of 1/3 s and show long, smooth, curved paths. The family draws the drift as a few sinusoids of 0.3-2 Hz
  per axis (amplitude falling as 1/f), adds a 8-12 Hz tremor of 5-40 % of the drift's amplitude, over an
  exposure of 1/30-1/3 s; half of the paths slow to a short dwell at one end (the shutter press and
  release). Depending on the exposure they come out as sweeps, S-curves, hooks or loops.
* ``shake``: this project's training generator (``kernels.random_kernel``: random camera-shake walks and
  lines fitted to a box, with a faint rim), for comparison.

Paths are rendered by their own rasteriser: the path sampled densely in time (light proportional to the
time spent, so slow parts are brighter), binned onto a grid 4 times finer than the pixels and summed per
pixel. A path is scaled isotropically so that its larger side spans the requested extent exactly; the
other side follows the shape. The ground truth is the bounding box of the kernel's non-zero entries, as
for Levin's kernels; an axis whose extent lies outside 3..95 px is not scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blurgauge.model import classes
from blurgauge.model.data import kernels as training_kernels

FAMILIES = ("line", "arc", "hand", "shake")
#: Samples per pixel of path length (light proportional to time) and the rasteriser's supersampling.
_SAMPLES_PER_PX = 40
_SUPERSAMPLE = 4


@dataclass(frozen=True)
class FamilyKernel:
    family: str
    kernel: np.ndarray
    width: int  # bounding box of the non-zero entries, px
    height: int


def support(kernel: np.ndarray) -> tuple[int, int]:
    """(width, height) of the bounding box of a kernel's non-zero entries."""
    cols = np.flatnonzero(kernel.any(axis=0))
    rows = np.flatnonzero(kernel.any(axis=1))
    return int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def render(path: np.ndarray) -> np.ndarray:
    """A kernel from a path sampled at equal time steps, (n, 2) as (x, y) inside [0, W-1] x [0, H-1].

    Each sample carries equal light; samples are binned onto a grid ``_SUPERSAMPLE`` times finer than the
    pixels, the bins summed per pixel, the kernel normalised to sum 1. Pixel i covers [i - 1/2, i + 1/2):
    a path from x = 0 to x = W - 1 covers exactly W columns, its end columns half as long as the others."""
    x, y = path[:, 0] + 0.5, path[:, 1] + 0.5
    width, height = int(np.floor(x.max())) + 1, int(np.floor(y.max())) + 1
    s = _SUPERSAMPLE
    fine, _, _ = np.histogram2d(y * s, x * s, bins=(height * s, width * s), range=((0, height * s), (0, width * s)))
    kernel = fine.reshape(height, s, width, s).sum(axis=(1, 3))
    return kernel / kernel.sum()


def _dense(curve: np.ndarray) -> np.ndarray:
    """Resample a finely tabulated curve (equal time steps) so neighbouring samples are under 1/40 px
    apart, keeping equal time per sample (linear interpolation in time)."""
    length = float(np.hypot(*np.diff(curve, axis=0).T).sum())
    count = max(int(length * _SAMPLES_PER_PX), 2 * len(curve))
    t = np.linspace(0.0, len(curve) - 1.0, count)
    return np.stack([np.interp(t, np.arange(len(curve)), curve[:, i]) for i in (0, 1)], axis=1)


def _fit(curve: np.ndarray, extent: int) -> np.ndarray:
    """Scale a curve isotropically and shift it so its larger side spans [0, extent - 1] exactly."""
    low = curve.min(axis=0)
    span = float(np.ptp(curve, axis=0).max())
    scale = (extent - 1) / span if span > 0 else 0.0
    out = (curve - low) * scale
    return np.clip(out, 0.0, extent - 1)


def line_curve(rng: np.random.Generator) -> np.ndarray:
    angle = rng.uniform(0.0, np.pi)
    t = np.linspace(0.0, 1.0, 256)
    return np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)


def arc_curve(rng: np.random.Generator) -> np.ndarray:
    sweep = np.deg2rad(rng.uniform(45.0, 300.0))
    start = rng.uniform(0.0, 2.0 * np.pi)
    theta = start + np.linspace(0.0, sweep, 512)
    return np.stack([np.cos(theta), np.sin(theta)], axis=1)


def hand_curve(rng: np.random.Generator) -> np.ndarray:
    """A hand-shake path after Gavant et al. 2011: slow drift plus physiological tremor (module docstring)."""
    exposure = np.exp(rng.uniform(np.log(1 / 30), np.log(1 / 3)))  # seconds
    t = np.linspace(0.0, exposure, 2048)
    path = np.zeros((len(t), 2))
    drift_amplitude = 0.0
    for axis in (0, 1):
        for _ in range(3):
            f = rng.uniform(0.3, 2.0)
            a = rng.normal(0.0, 1.0) / f
            path[:, axis] += a * np.sin(2 * np.pi * f * t + rng.uniform(0.0, 2 * np.pi))
            drift_amplitude = max(drift_amplitude, abs(a))
    # The drift moves the camera by an amount that grows with the exposure; the tremor's amplitude is
    # set against the drift's travel over the exposure so that its share does not depend on the exposure.
    travel = float(np.ptp(path, axis=0).max()) or 1.0
    f_tremor = rng.uniform(8.0, 12.0)
    share = rng.uniform(0.05, 0.4)
    phase = rng.uniform(0.0, 2 * np.pi)
    ellipse = rng.uniform(0.2, 1.0)
    direction = rng.uniform(0.0, np.pi)
    wobble = np.stack([np.sin(2 * np.pi * f_tremor * t + phase), ellipse * np.cos(2 * np.pi * f_tremor * t + phase)],
                      axis=1) * share * travel / 2
    rotation = np.array([[np.cos(direction), -np.sin(direction)], [np.sin(direction), np.cos(direction)]])
    path += wobble @ rotation.T
    if rng.random() < 0.5:
        # A dwell at one end: the first or last 10-25 % of the exposure at a fifth of the speed.
        share_slow = rng.uniform(0.10, 0.25)
        n = len(path)
        slow = int(n * share_slow)
        times = np.concatenate([np.linspace(0.0, slow * 0.2, 5 * slow, endpoint=False),
                                slow * 0.2 + np.arange(n - slow)])
        positions = np.stack([np.interp(times, np.arange(n), path[:, i]) for i in (0, 1)], axis=1)
        path = positions if rng.random() < 0.5 else positions[::-1]
    return path


_CURVES = {"line": line_curve, "arc": arc_curve, "hand": hand_curve}


def family_kernel(family: str, extent: int, rng: np.random.Generator) -> FamilyKernel:
    """A kernel of ``family`` whose larger side is ``extent`` px."""
    if family == "shake":
        # The training generator fits width and height separately; draw the other side from the same
        # aspect ratios as the other families' shapes, so both sides vary.
        other = int(np.clip(round(extent * rng.uniform(0.2, 1.0)), 1, extent))
        w, h = (extent, other) if rng.random() < 0.5 else (other, extent)
        kernel, _ = training_kernels.random_kernel(w, h, rng)
    elif family in _CURVES:
        # Fitted twice: the dense resampling can miss the tabulated curve's extreme points by a hair.
        kernel = render(_fit(_dense(_fit(_CURVES[family](rng), extent)), extent))
    else:
        raise ValueError(f"unknown kernel family {family!r}; one of {', '.join(FAMILIES)}")
    width, height = support(kernel)
    return FamilyKernel(family, kernel, width, height)


def family_kernels(family: str, per_range: int, rng: np.random.Generator) -> list[FamilyKernel]:
    """``per_range`` kernels for each coarse range, the larger side uniform over the range's sizes."""
    out = []
    for coarse in range(classes.NUM_COARSE):
        low, high = classes.range_bounds(coarse)
        for _ in range(per_range):
            out.append(family_kernel(family, int(rng.integers(low, high + 1)), rng))
    return out


def scored(extent: int) -> bool:
    """Whether an axis of this extent lies in the class table (3..95 px) and is scored."""
    return classes.MIN_EXTENT <= extent <= classes.MAX_EXTENT
