"""How evenly a blur kernel spreads its light over its extent, and the sweep's error by it.

The ground truth of every protocol is the kernel's bounding box. A camera-shake path that dwells in
one place and then moves quickly leaves most of its light in a small blob and a faint trail out to
the box's edge: the box is wide, but the image looks as if blurred by the blob. ``light_spread``
measures this along one axis as the participation ratio of the kernel's marginal divided by its
extent, ``1 / (extent * sum(p_i ** 2))`` for the marginal ``p`` (summing to 1):

* 1 when every column of the box holds the same light (a straight line along the axis);
* 1 / extent when one column holds all of it;
* about 1/3 when a third of the columns hold all the light, evenly.

``per_spread`` splits the sweep by it, so the evaluation studies show how much of the sweep's error
comes from kernels whose box the image hardly shows (``bench/studies/eval_studies.py``).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np

from blurgauge.model import classes

AXES = ("width", "height")
#: Upper edges of the report's spread bins; the last bin is open above.
SPREAD_EDGES = (0.4, 0.55, 0.7)


def light_spread(kernel: np.ndarray, axis: str) -> float:
    """Participation ratio of the kernel's marginal along ``axis`` ("width": over its columns,
    "height": over its rows) divided by its extent on that axis, in (0, 1]."""
    if axis not in AXES:
        raise ValueError(f"axis must be one of {', '.join(AXES)}, got {axis!r}")
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2:
        raise ValueError(f"a kernel is a 2-D array, got shape {kernel.shape}")
    if np.any(kernel < 0):
        raise ValueError("a blur kernel has no negative entries")
    marginal = kernel.sum(axis=0 if axis == "width" else 1)
    support = np.flatnonzero(marginal)
    if support.size == 0:
        raise ValueError("kernel has no non-zero entry")
    extent = support[-1] - support[0] + 1
    p = marginal / marginal.sum()
    return float(1.0 / (extent * np.sum(p * p)))


def bin_labels() -> list[str]:
    edges = (0.0, *SPREAD_EDGES)
    return [f"{lo:.2f}-{hi:.2f}" for lo, hi in pairwise(edges)] + [f">= {SPREAD_EDGES[-1]:.2f}"]


def spread_bins(spread: np.ndarray) -> np.ndarray:
    """The report's bin (0 .. len(SPREAD_EDGES)) of each spread."""
    return np.searchsorted(np.asarray(SPREAD_EDGES), np.asarray(spread, dtype=float), side="right")


def per_spread(spread: np.ndarray, truth: np.ndarray, sizes: np.ndarray, coarse: np.ndarray,
               true_range_sizes: np.ndarray) -> list[dict]:
    """One row per spread bin: the cascade's relative error, the fine stage's alone (true range
    given), its coarse accuracy, the share read two or more ranges too low and the median ratio of
    estimate to truth. Arrays hold one entry per estimate; ``coarse`` is the chosen range."""
    spread, truth = np.asarray(spread, dtype=float), np.asarray(truth, dtype=float)
    if np.isnan(spread).any():
        raise ValueError("a kernel's light spread is unknown (the blurred set did not record it)")
    true_range = classes.coarse_class(truth.astype(int))
    rel = np.abs(sizes - truth) / truth
    rel_alone = np.abs(true_range_sizes - truth) / truth
    which = spread_bins(spread)
    rows = []
    for b, label in enumerate(bin_labels()):
        m = which == b
        n = int(m.sum())

        def mean(values: np.ndarray, mask: np.ndarray = m) -> float | None:  # None (JSON null) for no sample
            return float(values[mask].mean()) if mask.any() else None

        rows.append({
            "light spread": label, "n": n, "share": n / len(truth),
            "rel. error": mean(rel),
            "rel. error, true range": mean(rel_alone),
            "coarse acc.": mean(coarse == true_range),
            "read 2+ ranges low": mean(coarse <= true_range - 2),
            "median estimate / truth": float(np.median(sizes[m] / truth[m])) if n else None,
            "rel. error R1..R5": [mean(rel, m & (true_range == k)) for k in range(classes.NUM_COARSE)],
        })
    return rows


def format_cell(value: object) -> str:
    """A report cell: per-range errors as whole percentages, other floats to two places, "-" for none."""
    if isinstance(value, list):
        return "/".join("-" if v is None else f"{100 * v:.0f}" for v in value) + " %"
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def plot_spread(spread: np.ndarray, truth: np.ndarray, sizes: np.ndarray, path: Path, title: str) -> None:
    """Estimate / truth against light spread, one colour per true coarse range."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    truth = np.asarray(truth, dtype=float)
    ranges = classes.coarse_class(truth.astype(int))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k in range(classes.NUM_COARSE):
        m = ranges == k
        lo, hi = classes.range_bounds(k)
        ax.scatter(np.asarray(spread)[m], sizes[m] / truth[m], s=10, label=f"R{k + 1} ({lo}..{hi} px)")
    for edge in SPREAD_EDGES:
        ax.axvline(edge, color="0.8", lw=0.8)
    ax.axhline(1.0, color="0.3", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("light spread of the kernel along the axis (1: even over its extent)")
    ax.set_ylabel("estimate / truth")
    ax.set_title(title, fontsize=9)  # the label names a weight folder, which can be long
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
