"""How much of a kernel's labelled extent shows in its blur: the error floor of the labels alone.

The label of a kernel is the bounding box of its non-zero entries (Levin's convention, ``kernels``).
The ends of a camera-shake path and the faint rim that ``kernels.add_rim`` adds carry little light,
so the part of a kernel that a blurred image can show is narrower than the label. If that visible
part told the label only loosely, no estimator could meet the accuracy targets, however well trained.

This module measures it on the generator's kernels, with no image involved: for each kernel it
takes a *visible* width (the columns above a fraction of the peak, or the central share of the
mass) and computes the error of the best estimator that knows that visible width exactly and
nothing else (per visible width, the label's median for the absolute error and its 1/label-weighted
median for the relative error). That error is a floor set by the labels; the networks' error above
it comes from reading the kernel out of the image.

``python -m bench.studies.readability`` (``make bench-readability``, under a minute) prints and
writes the table, and the same measures for Levin's 8 kernels when the reference data is at hand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from blurgauge.model import classes
from blurgauge.model.data.kernels import kernel_extent, random_kernel
from blurgauge.model.data.reference import default_data_root, levin_kernels
from blurgauge.model.evaluation.report import md_table

#: The visible width of a 2-D kernel along x.
VisibleFn = Callable[[np.ndarray], int]


def width_above_peak(kernel: np.ndarray, fraction: float) -> int:
    """Columns from the first to the last whose strongest entry is at least ``fraction`` of the peak."""
    k = np.asarray(kernel, dtype=np.float64)
    cols = np.flatnonzero(k.max(axis=0) >= fraction * k.max())
    return int(cols[-1] - cols[0] + 1)


def width_of_mass(kernel: np.ndarray, share: float) -> int:
    """Columns of the central interval that holds ``share`` of the mass (the rest split evenly
    between the two ends)."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must lie in (0, 1], got {share}")
    cumulative = np.cumsum(np.asarray(kernel, dtype=np.float64).sum(axis=0))
    cumulative /= cumulative[-1]
    tail = (1.0 - share) / 2.0
    # the columns that hold the two quantiles at ``tail`` and ``1 - tail``
    low, high = np.searchsorted(cumulative, [tail, 1.0 - tail])
    return int(high - low + 1)


#: name -> (description, visible width).
MEASURES: dict[str, tuple[str, VisibleFn]] = {
    "peak1": ("columns above 1 % of the peak", lambda k: width_above_peak(k, 0.01)),
    "peak5": ("columns above 5 % of the peak", lambda k: width_above_peak(k, 0.05)),
    "mass98": ("central 98 % of the mass", lambda k: width_of_mass(k, 0.98)),
    "mass95": ("central 95 % of the mass", lambda k: width_of_mass(k, 0.95)),
}


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def floor_errors(visible: np.ndarray, label: np.ndarray, relative: bool) -> np.ndarray:
    """Per kernel, the error of the best estimate of ``label`` from ``visible`` alone.

    The estimate for each visible width is the label's median over the kernels that share it (for
    ``relative``, the median weighted by 1/label, which minimises the mean of |estimate - label| / label).
    """
    visible, label = np.asarray(visible), np.asarray(label, dtype=np.float64)
    errors = np.empty_like(label)
    for value in np.unique(visible):
        group = visible == value
        weights = 1.0 / label[group] if relative else np.ones(int(group.sum()))
        estimate = _weighted_median(label[group], weights)
        errors[group] = np.abs(estimate - label[group]) / (label[group] if relative else 1.0)
    return errors


def sample_kernels(count: int, seed: int, progress: bool = True) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """``count`` kernels of the training generator, widths and heights uniform over 3..95 px (as
    in the synthetic sweep): (labelled widths, is-line flags, kernels)."""
    rng = np.random.default_rng(seed)
    widths, lines, kernels = [], [], []
    for _ in tqdm(range(count), desc="kernels", disable=not progress):
        width = int(rng.integers(classes.MIN_EXTENT, classes.MAX_EXTENT + 1))
        height = int(rng.integers(classes.MIN_EXTENT, classes.MAX_EXTENT + 1))
        kernel, kind = random_kernel(width, height, rng)
        widths.append(width)
        lines.append(kind == "line")
        kernels.append(kernel)
    return np.array(widths), np.array(lines), kernels


def readability_table(count: int = 6000, seed: int = 0, progress: bool = True) -> dict[str, dict]:
    """Per visible-width measure (``MEASURES``' names): how the visible width relates to the label, and
    the floors."""
    label, line, kernels = sample_kernels(count, seed, progress)
    small = label <= 27  # the sizes of Levin's kernels and below
    rows = {}
    for name, (text, measure) in MEASURES.items():
        visible = np.array([measure(k) for k in kernels])
        ratio = visible / label
        relative = floor_errors(visible, label, relative=True)
        rows[name] = {
            "visible width": text,
            "visible / label, median": float(np.median(ratio)),
            "10-90 %": f"{np.percentile(ratio, 10):.2f}-{np.percentile(ratio, 90):.2f}",
            "floor rel. error": float(relative.mean()),
            "shake": float(relative[~line].mean()),
            "line": float(relative[line].mean()),
            "floor AbE (px)": float(floor_errors(visible, label, relative=False).mean()),
            "floor AbE, <= 27 px": float(floor_errors(visible[small], label[small], relative=False).mean()),
        }
    return rows


def levin_rows(root: Path) -> list[dict]:
    """Levin's kernels: label and each measure's visible width, for width and height."""
    rows = []
    for number, kernel in levin_kernels(root).items():
        width, height = kernel_extent(kernel)
        row: dict = {"kernel": number, "label": f"{width} x {height}"}
        for name, (_, measure) in MEASURES.items():
            row[name] = f"{measure(kernel)} x {measure(kernel.T)}"
        rows.append(row)
    return rows


def _cell(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.studies.readability",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=6000, help="generator kernels (default 6000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kernels (default 0)")
    parser.add_argument("--data", type=Path, default=None,
                        help="reference data with levin09_kair/ (default ../shared/data when present)")
    parser.add_argument("--out", type=Path, default=Path("build/readability.md"), help="markdown report")
    args = parser.parse_args(argv)
    rows = list(readability_table(args.count, args.seed).values())
    text = (f"# How much of a kernel's extent its blur can show\n\n{args.count} kernels of the training generator "
            f"(seed {args.seed}), widths uniform over {classes.MIN_EXTENT}..{classes.MAX_EXTENT} px. Floors: the "
            "error of the best estimate of the labelled width from the visible width alone.\n\n"
            + md_table(rows, _cell))
    root = args.data or default_data_root()
    if root is not None and (Path(root) / "levin09_kair").is_dir():
        levin = md_table(levin_rows(Path(root)), _cell)
        text += "\nLevin's kernels, width x height, label and visible widths:\n\n" + levin
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
