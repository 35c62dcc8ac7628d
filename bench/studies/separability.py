"""How well a classic estimator separates the coarse ranges in the training data: a yardstick for
the networks that shares nothing with them.

The estimator is the autocorrelation map of the gradient patch (the "automap" of Liu et al. 2015,
which the paper cites): the kernel's extent along x bounds the horizontal reach of the gradient's
2-D autocorrelation. Each patch is summarised by four profiles over the horizontal lag, taken over
all vertical lags (so a diagonal or curved stroke counts as much as a horizontal one), and
gradient-boosted trees (scikit-learn) learn the coarse range and the extent from them, scored by
4-fold cross-validation on samples of one synthesis configuration.

If the networks score about what this estimator scores on the same kind of samples, the limit lies
in the samples the generator makes, not in training. The variants switch off one thing at a time
(noise, natural images, camera-shake paths) to show which part of the data makes it hard.

``python -m bench.studies.separability`` (``make bench-separability``) prints and writes the table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

from blurgauge.model.data import splits
from blurgauge.model.data.synthesis import SynthesisConfig, make_sample
from blurgauge.model.training.recipe import Recipe

#: Horizontal lags summarised (0 .. MAX_LAG - 1) and vertical lags searched (-MAX_VERTICAL ..
#: MAX_VERTICAL): they reach past the 95 px kernels.
MAX_LAG = 110
MAX_VERTICAL = 100
#: Sizes of Levin's kernels and below: the part of the sweep the Levin protocol tests.
LEVIN_SIZES = 27

#: name -> (what changes, SynthesisConfig fields changed from the training configuration).
VARIANTS: dict[str, tuple[str, dict]] = {
    "training": ("the training data (recipe): 70 % Kodak crops, noise 0-1 %", {}),
    "noise-free": ("no noise", {"noise_max": 0.0}),
    "natural-noise-free": ("no noise, Kodak crops only", {"noise_max": 0.0, "image_fraction": 1.0}),
    "dead-leaves-noise-free": ("no noise, dead leaves only", {"noise_max": 0.0, "image_folder": None}),
    "lines-dead-leaves-noise-free": ("no noise, dead leaves only, straight-line kernels only",
                                     {"noise_max": 0.0, "image_folder": None, "line_fraction": 1.0}),
}


def autocorrelation_map(patch: np.ndarray) -> np.ndarray:
    """2-D autocorrelation of the patch divided by its energy, zero lag at the centre: entry
    [MAX_VERTICAL + dy, dx] is sum g(y, x) g(y + dy, x + dx) / sum g^2 (zero outside the patch), for
    dy in -MAX_VERTICAL..MAX_VERTICAL and dx in 0..MAX_LAG - 1."""
    g = np.asarray(patch, dtype=np.float64)
    rows, cols = g.shape
    size = (2 * rows, 2 * cols)  # no wrap-around for any lag inside the patch
    spectrum = np.fft.rfft2(g, s=size)
    full = np.fft.irfft2(spectrum * np.conj(spectrum), s=size)
    energy = max(float(full[0, 0]), 1e-12)
    dy = np.arange(-MAX_VERTICAL, MAX_VERTICAL + 1) % size[0]
    return full[dy][:, :MAX_LAG] / energy


def autocorrelation_features(patch: np.ndarray) -> np.ndarray:
    """Per horizontal lag: the largest |value|, largest, smallest and mean |value| over the vertical
    lags (4 x MAX_LAG numbers)."""
    ac = autocorrelation_map(patch)
    return np.concatenate([np.abs(ac).max(0), ac.max(0), ac.min(0), np.abs(ac).mean(0)]).astype(np.float32)


def _sample(cfg: SynthesisConfig, seed: int, index: int) -> tuple[np.ndarray, int, int, int]:
    s = make_sample(seed, index, cfg)
    return autocorrelation_features(s["patch"]), int(s["coarse"]), int(s["extent"]), int(s["line"])


@dataclass(frozen=True)
class Samples:
    features: np.ndarray  # (n, 4 * MAX_LAG)
    coarse: np.ndarray  # coarse range index
    extent: np.ndarray  # px
    line: np.ndarray  # 1 for straight-line kernels


def draw(cfg: SynthesisConfig, count: int, seed: int = 7, workers: int | None = None,
         progress: bool = True) -> Samples:
    """Features and labels of samples 0..count-1 of (seed, cfg), computed on ``workers`` processes."""
    from multiprocessing import get_context

    from tqdm import tqdm

    job = partial(_sample, cfg, seed)
    workers = workers or os.cpu_count() or 1
    bar = partial(tqdm, total=count, disable=not progress, desc="samples", unit="patch")
    if workers == 1:  # in this process: no fork of a process that may hold TensorFlow's threads
        rows = [job(i) for i in bar(range(count))]
    else:
        with get_context("fork").Pool(workers) as pool:
            rows = list(bar(pool.imap(job, range(count), chunksize=16)))
    features, coarse, extent, line = zip(*rows, strict=True)
    return Samples(np.stack(features), np.array(coarse), np.array(extent), np.array(line))


@dataclass(frozen=True)
class Separability:
    count: int
    coarse_accuracy: float
    line_accuracy: float  # coarse accuracy on straight-line kernels (nan when there are none)
    shake_accuracy: float  # ... on camera-shake kernels
    abe: float  # px, extent regressed on log scale
    relative_error: float
    levin_sizes_abe: float  # AbE over extents up to LEVIN_SIZES px


def score(samples: Samples, folds: int = 4, seed: int = 0, trees: int = 200) -> Separability:
    """Cross-validated coarse accuracy and extent error of gradient-boosted trees on the features
    (``trees`` boosting rounds for the classifier, half as many again for the regressor)."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        from sklearn.model_selection import KFold, cross_val_predict
    except ImportError as exc:
        raise ImportError("the separability study needs scikit-learn: pip install -e '.[studies]'") from exc

    split = KFold(folds, shuffle=True, random_state=seed)
    predicted = cross_val_predict(HistGradientBoostingClassifier(max_iter=trees, random_state=seed),
                                  samples.features, samples.coarse, cv=split)
    log_extent = cross_val_predict(
        HistGradientBoostingRegressor(max_iter=trees * 3 // 2, loss="absolute_error", random_state=seed),
        samples.features, np.log(samples.extent), cv=split)
    extent = samples.extent.astype(np.float64)
    error = np.abs(np.exp(log_extent) - extent)
    right = predicted == samples.coarse

    def mean(values: np.ndarray, where: np.ndarray) -> float:
        return float(values[where].mean()) if where.any() else float("nan")

    return Separability(
        count=len(extent),
        coarse_accuracy=float(right.mean()),
        line_accuracy=mean(right, samples.line == 1),
        shake_accuracy=mean(right, samples.line == 0),
        abe=float(error.mean()),
        relative_error=float((error / extent).mean()),
        levin_sizes_abe=mean(error, extent <= LEVIN_SIZES),
    )


def training_config(data_root: Path) -> SynthesisConfig:
    """The synthesis of the training recipe: Kodak24's training split for 70 % of the samples."""
    kodak = data_root / splits.KODAK_FOLDER
    if not kodak.is_dir():
        raise FileNotFoundError(f"{kodak}: the training images (Kodak24) are not there; pass --data")
    return SynthesisConfig(image_folder=str(kodak), image_fraction=Recipe().image_fraction)


def report(rows: list[tuple[str, Separability]], command: str) -> str:
    lines = [
        "# Coarse-range separability of the training data, by a classic estimator",
        "",
        f"`{command}`",
        "",
        "Autocorrelation profiles of the gradient patch + gradient-boosted trees, 4-fold cross-validation "
        "(bench.studies.separability). Chance is 20 %.",
        "",
        "| data | samples | coarse acc. | lines | camera shake | AbE (px) | rel. error | "
        f"AbE, sizes <= {LEVIN_SIZES} px |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def pct(x: float) -> str:
        return "-" if np.isnan(x) else f"{100 * x:.1f} %"

    for name, s in rows:
        lines.append(f"| {VARIANTS[name][0]} | {s.count} | {pct(s.coarse_accuracy)} | {pct(s.line_accuracy)} | "
                     f"{pct(s.shake_accuracy)} | {s.abe:.2f} | {pct(s.relative_error)} | {s.levin_sizes_abe:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from blurgauge.model.data.reference import resolve_data_root

    parser = argparse.ArgumentParser(prog="python -m bench.studies.separability",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="reference data holding natural_Kodak24/ "
                        "(default ../shared/data)")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                        help="synthesis variants to measure (default: all)")
    parser.add_argument("--count", type=int, default=3000, help="samples per variant (default 3000)")
    parser.add_argument("--seed", type=int, default=7, help="dataset seed of the samples (default 7)")
    parser.add_argument("--trees", type=int, default=200, help="boosting rounds (default 200)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--out", type=Path, default=Path("build/separability.md"), help="markdown report")
    args = parser.parse_args(argv)
    if args.count < 40:
        parser.error("--count must be at least 40 (4 folds of every coarse range)")
    base = training_config(resolve_data_root(args.data))
    rows = []
    for name in args.variants:
        start = time.perf_counter()
        result = score(draw(replace(base, **VARIANTS[name][1]), args.count, args.seed, args.workers), trees=args.trees)
        rows.append((name, result))
        print(f"{name}: coarse accuracy {100 * result.coarse_accuracy:.1f} %, AbE {result.abe:.2f} px "
              f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    options = ["--count", args.count, "--seed", args.seed, "--trees", args.trees, "--variants", *args.variants]
    command = "python -m bench.studies.separability " + " ".join(map(str, options))
    text = report(rows, command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
