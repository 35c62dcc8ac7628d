"""Motion-blur kernels with an exactly controlled width and height.

Three families:

* camera-shake kernels from a random particle trajectory in the manner of Boracchi and Foi (2012):
  a point moves with inertia, is pushed by Gaussian jitter, pulled back towards its start, and now
  and then turns suddenly; the path is sampled onto the pixel grid with bilinear (sub-pixel)
  weights, optionally weighted by a random exposure (the time the camera dwells on each part);
* straight-line motion kernels at any angle;
* smooth curves: a point at constant speed whose heading turns with a smooth random curvature
  (circular arcs when the curvature is constant, S-curves and hooks when it changes sign, loops when it
  turns far), slowing to a dwell at one end for some, the shapes of recorded hand shake.

The extent of a kernel along an axis is the number of columns (width) or rows (height) of the
bounding box of its non-zero entries. The generator hits the requested extent exactly: the path
is scaled so that its extreme points land on the integer coordinates ``0`` and ``extent - 1``, and
bilinear splatting never writes outside the convex hull of its samples.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Largest spacing (px) between two splatted samples of a path, so a kernel is a continuous stroke.
_SAMPLE_SPACING = 0.25


def kernel_extent(kernel: np.ndarray) -> tuple[int, int]:
    """(width, height) of the bounding box of the non-zero entries of a 2-D kernel."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"a kernel is a 2-D array, got shape {kernel.shape}")
    rows = np.flatnonzero(np.any(kernel != 0, axis=1))
    cols = np.flatnonzero(np.any(kernel != 0, axis=0))
    if rows.size == 0:
        raise ValueError("kernel has no non-zero entry")
    return int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def crop_to_support(kernel: np.ndarray) -> np.ndarray:
    """The kernel cropped to the bounding box of its non-zero entries."""
    rows = np.flatnonzero(np.any(kernel != 0, axis=1))
    cols = np.flatnonzero(np.any(kernel != 0, axis=0))
    return kernel[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _check_extent(name: str, value: int) -> int:
    if int(value) != value or value < 1:
        raise ValueError(f"kernel {name} must be a positive whole number of px, got {value!r}")
    return int(value)


def shake_trajectory(rng: np.random.Generator, steps: int = 96, exposure: bool = True) -> np.ndarray:
    """A random camera-shake path: (steps, 2) points as (x, y), one per equal time step.

    The particle keeps a constant nominal speed; each step its velocity is nudged by Gaussian
    jitter and by a centripetal pull towards the start, and with a small probability it makes a
    sudden turn of roughly half a revolution. The shake parameters themselves are drawn per path,
    so the family ranges from nearly straight strokes to tangled, turning ones.
    """
    anxiety = rng.uniform(0.05, 1.0)  # how restless the hand is
    jitter = rng.uniform(0.0, 0.3) * anxiety
    centripetal = rng.uniform(0.0, 0.08) * anxiety
    turn_probability = rng.uniform(0.0, 0.05) * anxiety
    direction = rng.uniform(0.0, 2.0 * np.pi)
    velocity = np.array([np.cos(direction), np.sin(direction)])
    position = np.zeros(2)
    points = np.empty((steps, 2))
    for t in range(steps):
        points[t] = position
        nudge = jitter * rng.standard_normal(2) - centripetal * position
        if rng.random() < turn_probability:
            angle = np.pi + rng.uniform(-0.5, 0.5)
            c, s = np.cos(angle), np.sin(angle)
            velocity = np.array([c * velocity[0] - s * velocity[1], s * velocity[0] + c * velocity[1]])
        velocity = velocity + nudge
        velocity /= max(np.hypot(*velocity), 1e-12)  # constant nominal speed
        position = position + velocity
    if exposure:
        # A smooth random speed profile: where the hand is slow, the sensor collects more light.
        log_speed = np.cumsum(rng.normal(0.0, 0.15, steps - 1))
        speed = np.exp(log_speed - log_speed.mean())
        deltas = np.diff(points, axis=0) * speed[:, None]
        points = np.vstack([np.zeros((1, 2)), np.cumsum(deltas, axis=0)])
    return points


def curve_trajectory(rng: np.random.Generator, steps: int = 128) -> np.ndarray:
    """A smooth constant-speed path: (steps, 2) points as (x, y), one per equal time step.

    The heading integrates a curvature made of a constant part (an arc) and a slowly varying random
    part (Gaussian-smoothed noise), so the path bends smoothly; its total turn ranges from nearly
    straight to more than a full loop. With probability 1/2 the first or last 10-30 % of the exposure
    moves at 10-40 % of the speed: a dwell, where the sensor collects more light.
    """
    bias = rng.uniform(-1.0, 1.0) * rng.uniform(0.0, 2.0 * np.pi) / steps  # a constant turn of up to 1 loop
    wiggle = ndimage.gaussian_filter1d(rng.standard_normal(steps), rng.uniform(4.0, 24.0), mode="nearest")
    wiggle *= rng.uniform(0.0, 3.0 * np.pi) / steps / max(float(np.abs(wiggle).mean()), 1e-9) / 2
    heading = rng.uniform(0.0, 2.0 * np.pi) + np.cumsum(bias + wiggle)
    speed = np.ones(steps)
    if rng.random() < 0.5:
        slow = int(steps * rng.uniform(0.1, 0.3))
        speed[:slow] = rng.uniform(0.1, 0.4)
        if rng.random() < 0.5:
            speed = speed[::-1]
    steps_xy = speed[:, None] * np.stack([np.cos(heading), np.sin(heading)], axis=1)
    return np.vstack([np.zeros((1, 2)), np.cumsum(steps_xy, axis=0)])


def _fit_to_box(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale each axis so that the path spans exactly [0, width-1] x [0, height-1]."""
    out = np.empty_like(points)
    for axis, extent in enumerate((width, height)):
        coord = points[:, axis]
        low, span = coord.min(), np.ptp(coord)
        if extent == 1 or span < 1e-9:
            out[:, axis] = 0.0 if extent == 1 else np.linspace(0.0, extent - 1, len(coord))
        else:
            out[:, axis] = (coord - low) / span * (extent - 1)
        # Land the extremes on exact integers whatever the rounding of the division above.
        out[np.argmin(coord), axis] = 0.0
        out[np.argmax(coord), axis] = float(extent - 1)
    return out


def _densify(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Resample a polyline so consecutive samples are at most _SAMPLE_SPACING px apart.

    Each segment is one equal time step of exposure, split evenly over its sub-samples: a fast
    (long) segment spreads its light thinly, a slow one concentrates it. Returns (points, weights).
    """
    if len(points) == 1:
        return points, np.ones(1)
    seg = np.diff(points, axis=0)
    pieces = np.maximum(1, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / _SAMPLE_SPACING)).astype(int)
    starts = np.repeat(points[:-1], pieces, axis=0)
    steps = np.repeat(seg / pieces[:, None], pieces, axis=0)
    offsets = np.concatenate([np.arange(n) for n in pieces])[:, None]
    dense = np.vstack([starts + offsets * steps, points[-1:]])
    weight = np.concatenate([np.repeat(1.0 / pieces, pieces), [1.0 / pieces[-1]]])
    return dense, weight


def splat(points: np.ndarray, weights: np.ndarray, width: int, height: int) -> np.ndarray:
    """Accumulate weighted sub-pixel points onto a (height, width) grid, bilinearly, normalised."""
    grid = np.zeros((height + 1, width + 1))
    x, y = points[:, 0], points[:, 1]
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            np.add.at(grid, (y0 + dy, x0 + dx), weights * wy * wx)
    # A point exactly on the last row/column puts zero weight beyond it; nothing else lands there.
    if np.any(grid[height, :]) or np.any(grid[:, width]):
        raise AssertionError("splatting wrote outside the kernel box")
    kernel = grid[:height, :width]
    return kernel / kernel.sum()


def shake_kernel(
    width: int, height: int, rng: np.random.Generator, exposure: bool = True
) -> np.ndarray:
    """A camera-shake kernel whose non-zero support is exactly ``width`` x ``height`` px."""
    width, height = _check_extent("width", width), _check_extent("height", height)
    points = _fit_to_box(shake_trajectory(rng, exposure=exposure), width, height)
    dense, weight = _densify(points)
    return splat(dense, weight, width, height)


def curve_kernel(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth-curve kernel (``curve_trajectory``) whose non-zero support is exactly ``width`` x ``height`` px."""
    width, height = _check_extent("width", width), _check_extent("height", height)
    points = _fit_to_box(curve_trajectory(rng), width, height)
    dense, weight = _densify(points)
    return splat(dense, weight, width, height)


def line_kernel(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Straight-line motion across the box diagonal: angle atan((height-1)/(width-1)), random sign."""
    width, height = _check_extent("width", width), _check_extent("height", height)
    ends = np.array([[0.0, 0.0], [width - 1.0, height - 1.0]])
    if rng.random() < 0.5:
        ends[:, 1] = ends[::-1, 1]  # the other diagonal
    dense, weight = _densify(ends)
    return splat(dense, weight, width, height)


#: Probabilities of a faint rim of 0, 1 or 2 px around the stroke (see ``add_rim``).
RIM_PROBABILITIES = (0.15, 0.6, 0.25)


def add_rim(kernel: np.ndarray, rim_x: int, rim_y: int, rng: np.random.Generator) -> np.ndarray:
    """Surround the stroke with a faint rim: ``rim_x`` px left and right, ``rim_y`` px above and below.

    Measured camera-shake kernels are not clean strokes: Levin's 8 kernels, whose non-zero bounding
    box is the ground truth of the paper's protocol, carry a halo of tiny values one or two pixels
    wide (their outer columns hold under 1 % of the mass, so the box is 2-3 px wider than the
    part above 1 % of the peak). Training kernels with the same rim teach the networks that
    convention. The support grows by exactly 2 x rim on each axis.
    """
    if rim_x == 0 and rim_y == 0:
        return kernel
    padded = np.pad(kernel, ((rim_y, rim_y), (rim_x, rim_x)))
    reach = ndimage.maximum_filter(padded, size=(2 * rim_y + 1, 2 * rim_x + 1), mode="constant")
    level = rng.uniform(0.002, 0.01)  # relative to the stroke's local peak
    out = np.where(padded > 0, padded, level * reach)
    return out / out.sum()


def random_kernel(
    width: int, height: int, rng: np.random.Generator, line_fraction: float = 0.15, curve_fraction: float = 0.0,
    curve_min_extent: int = 0,
) -> tuple[np.ndarray, str]:
    """A kernel of the requested extent from one of the families, with a random faint rim:
    (kernel, "shake" | "line" | "curve"). With ``curve_fraction`` 0 the draws are those of the
    two-family generator, so its data sets are reproduced. A curve drawn for a box whose larger side
    is under ``curve_min_extent`` px becomes a shake walk: small kernels keep the two-family mix."""
    width, height = _check_extent("width", width), _check_extent("height", height)
    rim = int(rng.choice(len(RIM_PROBABILITIES), p=RIM_PROBABILITIES))
    rim_x, rim_y = min(rim, (width - 1) // 2), min(rim, (height - 1) // 2)
    inner_w, inner_h = width - 2 * rim_x, height - 2 * rim_y
    family = rng.random()
    if family < line_fraction:
        kernel, kind = line_kernel(inner_w, inner_h, rng), "line"
    elif family < line_fraction + curve_fraction and max(width, height) >= curve_min_extent:
        kernel, kind = curve_kernel(inner_w, inner_h, rng), "curve"
    else:
        kernel, kind = shake_kernel(inner_w, inner_h, rng, exposure=bool(rng.random() < 0.7)), "shake"
    return add_rim(kernel, rim_x, rim_y, rng), kind
