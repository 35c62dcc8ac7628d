"""Evaluation: the paper's protocol on Levin's kernels, a synthetic sweep over 3..95 px, reports.

Levin protocol (the paper's Table 1 and 2, with the images at hand): Levin's 8 float kernels blur
the 80 natural images of BSD68 + Set12 (valid convolution, Gaussian noise of sigma 1 % of full
range, 8-bit rounding): 640 blurry images, two axes each. The ground truth is the bounding box of
each kernel's non-zero entries.

Synthetic sweep: every extent 3..95 px as the kernel width, with a random height, random
camera-shake or line kernels from our generator, on the 8 Kodak24 images held out from training
(``splits.KODAK_HELD_OUT``; training may crop the other 16). Only the width axis is scored, so every
size counts equally.

Control: Levin's kernels on the 8 held-out Kodak24 images, both axes. It tells the photos' share
of the Levin protocol's error from the kernels' share.

Patches per axis: every set keeps up to ``patches`` distinct patches per axis (``patches.distinct_windows``);
the headline uses the first ``patches`` of them, pooled by the cascade, and the report compares the
pooled cascade over ``PATCH_COUNTS``. One patch is the paper's method. For networks that read the
autocorrelation every set also keeps one map over each axis's whole gradient (the ``image`` region,
``model.preprocess``), their default headline.

The blurred test images are a pure function of the seed, so the figures are reproducible.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from blurgauge.model import classes
from blurgauge.model.cascade import ESTIMATES, AxisEstimate, LogitsFn, run_cascade, run_native
from blurgauge.model.data import splits
from blurgauge.model.data.blur import blur_image
from blurgauge.model.data.kernels import kernel_extent, random_kernel
from blurgauge.model.evaluation.light_spread import AXES, format_cell, light_spread, per_spread, plot_spread
from blurgauge.model.inputs.images import load_gray
from blurgauge.model.inputs.noise import top_up_noise
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, IMAGE, PATCH, PLAIN, Preprocessing, resolve_region
from blurgauge.model.training.recipe import Recipe

#: The paper's Table 2, column "Ours": mean estimated (height, width) per Levin kernel.
PAPER_TABLE2 = {
    1: (14.13, 8.55), 2: (16.15, 11.00), 3: (12.15, 12.35), 4: (15.38, 17.30),
    5: (7.45, 7.05), 6: (12.25, 11.95), 7: (11.65, 11.00), 8: (21.70, 16.25),
}
PAPER_ABE = {"native ResNet18": 5.59, "cascaded ResNet18": 4.49, "native ResNet101": 4.04}
CONSTANT_GUESS = 16  # px: the trivial baseline the Levin protocol must beat
#: Patches per axis compared in the report: the cascade pools their probabilities.
PATCH_COUNTS = (1, 2, 4, 6)
#: The pooling table's row for one map over each axis's whole gradient (networks that read the autocorrelation).
WHOLE_IMAGE = "whole image"
#: Photos listed in the report's table of largest Levin-protocol errors.
WORST_PHOTOS = 5
TRUE_RANGE = "true range"
ARRANGEMENTS = ("cascade", "native", TRUE_RANGE)


def default_data_root() -> Path | None:
    """``../shared/data`` beside the repository, when it exists."""
    candidate = Path(__file__).resolve().parents[3] / "shared" / "data"
    return candidate if candidate.is_dir() else None


def resolve_data_root(path: str | Path | None) -> Path:
    root = Path(path) if path else default_data_root()
    if root is None or not root.is_dir():
        raise FileNotFoundError(
            f"{root or '../shared/data'}: evaluation data not found; pass --data PATH to a folder with "
            "levin09_kair/, natural_BSD68/, natural_Set12/ and natural_Kodak24/"
        )
    return root


def levin_kernels(root: Path) -> dict[int, np.ndarray]:
    path = root / "levin09_kair" / "levin09_kernels_float64.npz"
    with np.load(path) as data:
        return {int(name.removeprefix("kernel")): data[name] for name in sorted(data.files)}


def natural_images(root: Path, folders: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for folder in folders:
        found = sorted((root / folder).glob("*.png"))
        if not found:
            raise FileNotFoundError(f"{root / folder}: no PNG images")
        out.extend(found)
    return out


@dataclass
class Blurred:
    image: str
    kernel: str
    width: int
    height: int
    width_codes: np.ndarray  # (k, 128, 128) int8: the k most distinct width patches, the paper's first
    height_codes: np.ndarray  # the same for the height
    # (1, 128, 128) int8: one map over each axis's whole gradient (the image region), for networks
    # that read the autocorrelation; None for the others
    width_image: np.ndarray | None = None
    height_image: np.ndarray | None = None
    collection: str = ""  # the folder of the sharp photo (natural_BSD68, natural_Set12, ...)
    # How evenly the kernel spreads its light over its width and height (``light_spread``)
    width_spread: float = float("nan")
    height_spread: float = float("nan")


def protocol_rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=keys))


def _blurred(image_name: str, kernel_name: str, sharp: np.ndarray, kernel: np.ndarray,
             rng: np.random.Generator, noise: float, patches: int, prep: Preprocessing = PLAIN) -> Blurred:
    blurry = blur_image(sharp, kernel, rng, noise)
    if prep.noise_floor > 0.0:  # the host's step for networks trained on topped-up images
        blurry = top_up_noise(blurry, prep.noise_floor, rng)
    w, h = kernel_extent(kernel)
    images = prep.axis_codes(blurry, region=IMAGE) if prep.transform == AUTOCORRELATION else (None, None)
    return Blurred(image_name, kernel_name, w, h, *prep.axis_codes(blurry, patches), *images,
                   width_spread=light_spread(kernel, "width"), height_spread=light_spread(kernel, "height"))


def _levin_kernels_on(images: list[Path], root: Path, noise: float, seed: int, progress: bool,
                      desc: str, patches: int, prep: Preprocessing = PLAIN) -> list[Blurred]:
    """Every one of Levin's kernels on every image; image i and kernel k draw from rng (seed, i, k)."""
    kernels = levin_kernels(root)
    out = []
    for i, path in enumerate(tqdm(images, desc=desc, disable=not progress)):
        sharp = load_gray(path)
        for k, kernel in kernels.items():
            blurred = _blurred(path.name, f"kernel{k}", sharp, kernel, protocol_rng(seed, i, k), noise, patches, prep)
            blurred.collection = path.parent.name
            out.append(blurred)
    return out


def levin_set(root: Path, noise: float = 0.01, seed: int = 0, progress: bool = True,
              patches: int = 1, prep: Preprocessing = PLAIN) -> list[Blurred]:
    images = natural_images(root, ("natural_BSD68", "natural_Set12"))
    return _levin_kernels_on(images, root, noise, seed, progress, "Levin protocol: blurring", patches, prep)


def held_out_kodak(root: Path) -> list[Path]:
    """The Kodak24 images kept out of training (``splits.KODAK_HELD_OUT``)."""
    held_out = [p for p in natural_images(root, (splits.KODAK_FOLDER,)) if p.name in splits.KODAK_HELD_OUT]
    if not held_out:
        raise FileNotFoundError(f"{root / splits.KODAK_FOLDER}: none of the held-out images {splits.KODAK_HELD_OUT}")
    return held_out


def levin_on_kodak_set(root: Path, noise: float = 0.01, seed: int = 2, progress: bool = True,
                       patches: int = 1, prep: Preprocessing = PLAIN) -> list[Blurred]:
    """The control: Levin's kernels on the held-out Kodak24 photos instead of BSD68 + Set12.

    The kernels are the test kernels, the photos are of the kind the networks were trained on; a
    gap between the two AbEs is the photos' doing, not the kernels'.
    """
    return _levin_kernels_on(held_out_kodak(root), root, noise, seed, progress, "Levin kernels on Kodak: blurring",
                             patches, prep)


def sweep_set(root: Path, per_extent: int = 4, noise: float = 0.01, seed: int = 1,
              progress: bool = True, patches: int = 1, prep: Preprocessing = PLAIN) -> list[Blurred]:
    held_out = held_out_kodak(root)
    images = [load_gray(p) for p in held_out]
    out = []
    extents = range(classes.MIN_EXTENT, classes.MAX_EXTENT + 1)
    for e in tqdm(extents, desc="synthetic sweep: blurring", disable=not progress):
        for j in range(per_extent):
            rng = protocol_rng(seed, e, j)
            height = int(rng.integers(classes.MIN_EXTENT, classes.MAX_EXTENT + 1))
            kernel, kind = random_kernel(e, height, rng)
            which = int(rng.integers(len(images)))
            out.append(_blurred(held_out[which].stem, f"{kind}{e}x{height}", images[which], kernel, rng, noise,
                                patches, prep))
    return out


@dataclass
class Scores:
    """Per-axis estimates of one network arrangement on a blurred set."""

    truth: np.ndarray  # (n,) px
    estimates: list[AxisEstimate]
    extra: dict = field(default_factory=dict)

    def sizes(self, estimate: str) -> np.ndarray:
        return np.array([e.size(estimate) for e in self.estimates])

    def abe(self, estimate: str) -> float:
        return float(np.mean(np.abs(self.sizes(estimate) - self.truth)))

    def relative_error(self, estimate: str) -> np.ndarray:
        return np.abs(self.sizes(estimate) - self.truth) / self.truth

    def coarse_accuracy(self) -> float:
        return float(np.mean([e.coarse for e in self.estimates] == classes.coarse_class(self.truth)))

    def fine_accuracy(self) -> float:
        return float(np.mean([e.fine for e in self.estimates] == classes.fine_class(self.truth)))


def _axis_codes(b: Blurred, axis: str, patches: int, region: str) -> np.ndarray:
    if region == IMAGE:
        found = b.width_image if axis == "width" else b.height_image
        if found is None:
            raise ValueError(f"{b.image} x {b.kernel}: no image-region map; the set was built for networks "
                             "that read the gradient")
        return found
    return (b.width_codes if axis == "width" else b.height_codes)[:patches]


def score(blurred: list[Blurred], logits: LogitsFn, arrangement: str, axes: str = "both",
          patches: int = 1, region: str = PATCH) -> Scores:
    """One estimate per image and axis, each pooled over the first ``patches`` patches it has, or
    read from its one whole-image map (``region`` image).

    ``arrangement``: ``cascade``, ``native``, or ``true range``: the cascade's fine networks given
    each estimate's true coarse range, which measures the fine stage alone.
    """
    if arrangement not in ARRANGEMENTS:
        raise ValueError(f"arrangement must be one of {ARRANGEMENTS}, got {arrangement!r}")
    stacks, truth = [], []
    if axes in ("both", "width"):
        stacks += [_axis_codes(b, "width", patches, region) for b in blurred]
        truth += [b.width for b in blurred]
    if axes in ("both", "height"):
        stacks += [_axis_codes(b, "height", patches, region) for b in blurred]
        truth += [b.height for b in blurred]
    owners = np.repeat(np.arange(len(stacks)), [len(c) for c in stacks])
    codes, truth = np.concatenate(stacks), np.asarray(truth, dtype=float)
    if arrangement == "native":
        return Scores(truth, run_native(logits, codes, owners))
    ranges = classes.coarse_class(truth.astype(int)) if arrangement == TRUE_RANGE else None
    return Scores(truth, run_cascade(logits, codes, owners, ranges))


def best_estimate(scores: Scores) -> str:
    return min(ESTIMATES, key=scores.abe)


def levin_tables(blurred: list[Blurred], cascade: Scores, estimate: str, paper: bool = True) -> list[dict]:
    """Per kernel: ground truth, our mean estimate and (``paper``) the paper's, for height and width."""
    n = len(blurred)
    sizes = cascade.sizes(estimate)
    width_est, height_est = sizes[:n], sizes[n:]
    rows = []
    for k in sorted({int(b.kernel.removeprefix("kernel")) for b in blurred}):
        mask = np.array([b.kernel == f"kernel{k}" for b in blurred])
        first = blurred[int(np.argmax(mask))]
        row = {
            "kernel": k,
            "gt_height": first.height, "ours_height": float(height_est[mask].mean()),
            "paper_height": PAPER_TABLE2[k][0],
            "gt_width": first.width, "ours_width": float(width_est[mask].mean()),
            "paper_width": PAPER_TABLE2[k][1],
        }
        if not paper:
            del row["paper_height"], row["paper_width"]
        rows.append(row)
    return rows


def per_photo(blurred: list[Blurred], scores: Scores, estimate: str) -> tuple[list[dict], list[dict]]:
    """Scores of a set with both axes, per photo collection and for the ``WORST_PHOTOS`` photos of
    largest error (every kernel, both axes): where content, not the kernel, drives the error."""
    if len(scores.truth) != 2 * len(blurred):
        raise ValueError(f"per_photo needs both axes' scores: {len(scores.truth)} for {len(blurred)} images")
    sizes = scores.sizes(estimate)
    err, ratio = np.abs(sizes - scores.truth), sizes / scores.truth
    coarse = np.array([e.coarse for e in scores.estimates]) == classes.coarse_class(scores.truth.astype(int))

    def row(mask: np.ndarray) -> dict:
        both = np.concatenate([mask, mask])  # the width's estimates, then the height's
        return {"AbE (px)": float(err[both].mean()), "estimate / truth": float(ratio[both].mean()),
                "coarse acc.": float(coarse[both].mean())}

    collections = np.array([b.collection for b in blurred])
    photos = np.array([f"{b.collection}/{b.image}" for b in blurred])
    by_collection = [{"collection": c, "photos": len(set(photos[collections == c])), **row(collections == c)}
                     for c in dict.fromkeys(collections)]
    by_photo = [{"photo": p, **row(photos == p)} for p in dict.fromkeys(photos)]
    return by_collection, sorted(by_photo, key=lambda r: -r["AbE (px)"])[:WORST_PHOTOS]


def per_range(scores: Scores, estimate: str) -> list[dict]:
    coarse = classes.coarse_class(scores.truth.astype(int))
    err = np.abs(scores.sizes(estimate) - scores.truth)
    rel = scores.relative_error(estimate)
    rows = []
    for k in range(classes.NUM_COARSE):
        m = coarse == k
        lo, hi = classes.range_bounds(k)
        rows.append({"range": f"R{k + 1} ({lo}..{hi} px)", "n": int(m.sum()),
                     "abe": float(err[m].mean()), "relative": float(rel[m].mean()),
                     "coarse_accuracy": float(np.mean(np.array([e.coarse for e in scores.estimates])[m] == k))})
    return rows


#: Distances (px) at which coarse mistakes are counted: what widening a fine network's training
#: range by that much could at best recover.
MISS_DISTANCES = (2, 5, 10)


def coarse_misses(scores: Scores) -> dict:
    """How far outside the chosen coarse range the true size lies, over the coarse mistakes.

    A fine network trained on its range widened by ``w`` px can only rescue a mistake whose truth
    lies within ``w`` px of the range it was sent to (it then answers its edge interval), so the
    share of mistakes within ``w`` px bounds what widening can gain.
    """
    truth = scores.truth.astype(int)
    chosen = np.array([e.coarse for e in scores.estimates])
    wrong = chosen != classes.coarse_class(truth)
    bounds = np.array([classes.range_bounds(int(k)) for k in chosen[wrong]]).reshape(-1, 2)
    distance = np.maximum(bounds[:, 0] - truth[wrong], truth[wrong] - bounds[:, 1])
    n = int(wrong.sum())
    return {
        "mistakes": n,
        "share_of_patches": float(wrong.mean()),
        "within_px": {str(d): float(np.mean(distance <= d)) if n else 0.0 for d in MISS_DISTANCES},
        "median_px": float(np.median(distance)) if n else 0.0,
    }


def plot_confusion(scores: Scores, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    truth = classes.fine_class(scores.truth.astype(int))
    pred = np.array([e.fine for e in scores.estimates])
    matrix = np.zeros((classes.NUM_FINE, classes.NUM_FINE))
    np.add.at(matrix, (truth, pred), 1)
    matrix /= np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(8, 7))
    im = ax.imshow(matrix, cmap="viridis", vmin=0, vmax=1)
    labels = [iv.label for iv in classes.intervals()]
    ax.set_xticks(range(classes.NUM_FINE), labels, rotation=90, fontsize=6)
    ax.set_yticks(range(classes.NUM_FINE), labels, fontsize=6)
    ax.set_xlabel("estimated interval")
    ax.set_ylabel("true interval")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="share of the true interval's patches")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_error_vs_size(series: dict[str, tuple[Scores, str]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_abs, ax_rel) = plt.subplots(1, 2, figsize=(11, 4))
    for label, (scores, estimate) in series.items():
        truth = scores.truth.astype(int)
        sizes = np.unique(truth)
        err = np.abs(scores.sizes(estimate) - scores.truth)
        ax_abs.plot(sizes, [err[truth == s].mean() for s in sizes], ".-", label=label)
        ax_rel.plot(sizes, [100 * (err[truth == s] / s).mean() for s in sizes], ".-", label=label)
    for k in range(classes.NUM_COARSE - 1):
        for ax in (ax_abs, ax_rel):
            ax.axvline(classes.range_bounds(k)[1] + 0.5, color="0.8", lw=0.8)
    ax_abs.set_xlabel("true kernel width (px)")
    ax_abs.set_ylabel("mean absolute error (px)")
    ax_rel.set_xlabel("true kernel width (px)")
    ax_rel.set_ylabel("mean relative error (%)")
    ax_abs.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def md_table(rows: list[dict], fmt: Callable[[object], str] | None = None) -> str:
    """A markdown table: the first row's keys as the header, one line per row, cells through ``fmt``."""
    fmt = fmt or (lambda v: f"{v:.2f}" if isinstance(v, float) else str(v))
    head = "| " + " | ".join(rows[0]) + " |\n| " + " | ".join("---" for _ in rows[0]) + " |\n"
    return head + "".join("| " + " | ".join(fmt(v) for v in r.values()) + " |\n" for r in rows)


class ProtocolSets(NamedTuple):
    """The blurred images of every protocol."""

    levin: list[Blurred]  # Levin's kernels on BSD68 + Set12 (the paper's protocol)
    sweep: list[Blurred]  # our kernels, 3..95 px, on the held-out Kodak24 images
    levin_on_kodak: list[Blurred]  # the control: Levin's kernels on the held-out Kodak24 images


def protocol_sets(data_root: str | Path | None, noise: float = 0.01, per_extent: int = 4, seed: int = 0,
                  progress: bool = True, patches: int = 1, prep: Preprocessing = PLAIN) -> ProtocolSets:
    """Every protocol's blurred images, with up to ``patches`` distinct patches per axis, each image
    preprocessed as the networks expect (``prep``: its noise topped up, its patches transformed)."""
    root = resolve_data_root(data_root)
    return ProtocolSets(levin_set(root, noise, seed, progress, patches, prep),
                        sweep_set(root, per_extent, noise, seed + 1, progress, patches, prep),
                        levin_on_kodak_set(root, noise, seed + 2, progress, patches, prep))


def patch_pooling(sets: ProtocolSets, logits: LogitsFn, counts: tuple[int, ...], estimate: str,
                  done: Callable[[], object] = lambda: None, whole_image: bool = False,
                  known: dict[tuple[str, int], dict[str, Scores]] | None = None) -> list[dict]:
    """The cascade with 1, 2, ... patches per axis pooled, on every set, with one size ``estimate``;
    ``whole_image`` adds a row for one map over each axis's whole gradient (the image region).

    ``known``: scores already computed, by (region, patches per axis) and then set name (``Levin``,
    ``control``, ``sweep``), used instead of running the networks again (the headline's row).
    ``done`` is called after each set and row (a progress bar's step).
    """
    rows = []
    known = known or {}
    for count in (*counts, *((WHOLE_IMAGE,) if whole_image else ())):
        row: dict = {"patches per axis": count}
        region = IMAGE if count == WHOLE_IMAGE else PATCH
        patches = 1 if region == IMAGE else int(count)
        for name, blurred, axes in (("Levin", sets.levin, "both"), ("control", sets.levin_on_kodak, "both"),
                                    ("sweep", sets.sweep, "width")):
            scores = known.get((region, patches), {}).get(name)
            if scores is None:
                scores = score(blurred, logits, "cascade", axes, patches, region)
            row[f"{name} AbE (px)"] = scores.abe(estimate)
            row[f"{name} coarse acc."] = scores.coarse_accuracy()
            if name == "sweep":
                row["sweep rel. error"] = float(scores.relative_error(estimate).mean())
            done()
        rows.append(row)
    return rows


def evaluate(logits: LogitsFn, data_root: str | Path | None, out_dir: str | Path, *,
             label: str, noise: float = 0.01, per_extent: int = 4, seed: int = 0,
             with_native: bool = True, progress: bool = True,
             sets: ProtocolSets | None = None, patches: int = 1,
             patch_counts: tuple[int, ...] = PATCH_COUNTS, prep: Preprocessing = PLAIN,
             region: str | None = None) -> dict:
    """Run every protocol, write report.md, results.json and the plots; return the results.

    ``patches``: distinct patches per axis that the cascade pools (1: the paper's method).
    ``region``: where each axis's input map is taken (``model.preprocess``; default: the networks'
    default, ``image`` for the autocorrelation, which reads one map per axis and needs ``patches`` 1).
    ``patch_counts``: the pooling comparison in the report (empty: none).
    ``sets``: the blurred sets when already built with the same data, noise and seed, and with at
    least as many patches per axis as asked for.
    """
    if patches < 1:
        raise ValueError(f"patches must be at least 1, got {patches}")
    region = resolve_region(region, prep.transform, patches)
    whole_image = prep.transform == AUTOCORRELATION
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sets = sets or protocol_sets(data_root, noise, per_extent, seed, progress, max((patches, *patch_counts)),
                                 prep)
    levin, sweep, control = sets
    # Scoring runs the networks for minutes with nothing else to show: one step per set and arrangement.
    bar = tqdm(total=5 + 3 * (len(patch_counts) + whole_image) + 2 * with_native, desc="evaluating", unit="set",
               disable=not progress)

    def scored(*args, **kwargs) -> Scores:
        result = score(*args, **kwargs)
        bar.update()
        return result

    cascade_levin = scored(levin, logits, "cascade", patches=patches, region=region)
    cascade_control = scored(control, logits, "cascade", patches=patches, region=region)
    cascade_sweep = scored(sweep, logits, "cascade", axes="width", patches=patches, region=region)
    alone_levin = scored(levin, logits, TRUE_RANGE, patches=patches, region=region)
    alone_sweep = scored(sweep, logits, TRUE_RANGE, axes="width", patches=patches, region=region)
    estimate = best_estimate(cascade_levin)
    truth = cascade_levin.truth
    n = len(levin)
    by_collection, worst_photos = per_photo(levin, cascade_levin, estimate)
    results: dict = {
        "label": label, "noise_sigma": noise, **prep.as_meta(), "seed": seed, "estimate": estimate,
        "patches": patches, "region": region,
        "levin": {
            "images": n,
            "abe": {e: cascade_levin.abe(e) for e in ESTIMATES},
            "abe_width": float(np.mean(np.abs(cascade_levin.sizes(estimate)[:n] - truth[:n]))),
            "abe_height": float(np.mean(np.abs(cascade_levin.sizes(estimate)[n:] - truth[n:]))),
            "constant_baseline_abe": float(np.mean(np.abs(CONSTANT_GUESS - truth))),
            "coarse_accuracy": cascade_levin.coarse_accuracy(),
            "fine_accuracy": cascade_levin.fine_accuracy(),
            "coarse_misses": coarse_misses(cascade_levin),
            "per_kernel": levin_tables(levin, cascade_levin, estimate),
            "per_collection": by_collection,
            "worst_photos": worst_photos,
        },
        "sweep": {
            "samples": len(sweep),
            "abe": {e: cascade_sweep.abe(e) for e in ESTIMATES},
            "relative_error": {e: float(cascade_sweep.relative_error(e).mean()) for e in ESTIMATES},
            "constant_baseline_abe": float(np.mean(np.abs(49 - cascade_sweep.truth))),
            "per_range": per_range(cascade_sweep, estimate),
            "coarse_accuracy": cascade_sweep.coarse_accuracy(),
            "coarse_misses": coarse_misses(cascade_sweep),
        },
        # The fine networks given the true range: what a perfect coarse stage would reach.
        "true_range": {
            "levin_abe": alone_levin.abe(estimate),
            "sweep_abe": alone_sweep.abe(estimate),
            "sweep_relative_error": float(alone_sweep.relative_error(estimate).mean()),
            "sweep_per_range": [{k: row[k] for k in ("range", "n", "abe", "relative")}
                                for row in per_range(alone_sweep, estimate)],
        },
        "levin_on_kodak": {
            "images": len(control),
            "abe": {e: cascade_control.abe(e) for e in ESTIMATES},
            "constant_baseline_abe": float(np.mean(np.abs(CONSTANT_GUESS - cascade_control.truth))),
            "coarse_accuracy": cascade_control.coarse_accuracy(),
            "fine_accuracy": cascade_control.fine_accuracy(),
            "per_kernel": levin_tables(control, cascade_control, estimate, paper=False),
        },
    }
    if patch_counts:
        headline = {"Levin": cascade_levin, "control": cascade_control, "sweep": cascade_sweep}
        results["patch_pooling"] = patch_pooling(sets, logits, patch_counts, estimate, bar.update, whole_image,
                                                 known={(region, patches): headline})
    series = {"cascade": (cascade_sweep, estimate)}
    if with_native:
        native_levin = scored(levin, logits, "native", patches=patches, region=region)
        native_sweep = scored(sweep, logits, "native", axes="width", patches=patches, region=region)
        results["native"] = {
            "levin_abe": {e: native_levin.abe(e) for e in ESTIMATES},
            "sweep_abe": {e: native_sweep.abe(e) for e in ESTIMATES},
            "sweep_relative_error": {e: float(native_sweep.relative_error(e).mean()) for e in ESTIMATES},
        }
        series["native"] = (native_sweep, estimate)
    bar.close()
    plot_confusion(cascade_levin, out / "confusion_levin.png", f"{label}: Levin protocol, fine intervals")
    plot_confusion(cascade_sweep, out / "confusion_sweep.png", f"{label}: synthetic sweep, fine intervals")
    plot_error_vs_size(series, out / "error_vs_size.png")
    sweep_spread = np.array([b.width_spread for b in sweep])
    if not np.isnan(sweep_spread).any():  # sets built before the spread was recorded have none
        sizes = cascade_sweep.sizes(estimate)
        levin_spread = {axis: [getattr(b, f"{axis}_spread") for b in levin] for axis in AXES}
        results["sweep_by_spread"] = {
            "rows": per_spread(sweep_spread, cascade_sweep.truth, sizes,
                               np.array([e.coarse for e in cascade_sweep.estimates]), alone_sweep.sizes(estimate)),
            "levin_spread": {axis: [float(min(v)), float(max(v))] for axis, v in levin_spread.items()},
        }
        plot_spread(sweep_spread, cascade_sweep.truth, sizes, out / "sweep_spread.png",
                    f"{label}: synthetic sweep, estimate / truth by light spread")
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "report.md").write_text(render_report(results))
    return results


def render_report(r: dict) -> str:
    lv, sw, est = r["levin"], r["sweep"], r["estimate"]
    lines = [
        f"# Evaluation: {r['label']}\n",
        f"Noise sigma {r['noise_sigma']} of full range"
        + (f", each image then topped up to {r['noise_floor']}" if r.get("noise_floor") else "")
        + f"; network input: the {r.get('input_transform', 'gradient')} of "
        + ("each axis's whole gradient map (the image region)" if r.get("region") == IMAGE else "each patch")
        + f"; seed {r['seed']}; size estimate: {est} "
        "(the better of interval midpoint and softmax expectation on the Levin protocol)"
        + ("" if r.get("region") == IMAGE else
           f"; {r['patches']} patch(es) per axis pooled (1 is the paper's method)") + ".\n",
        "## Levin protocol (8 kernels x 80 images of BSD68 + Set12, both axes)\n",
        "| arrangement | AbE (px), midpoint | AbE (px), expectation |\n| --- | --- | --- |",
        f"| cascade (ours) | {lv['abe']['midpoint']:.2f} | {lv['abe']['expectation']:.2f} |",
    ]
    if "native" in r:
        nat = r["native"]["levin_abe"]
        lines.append(f"| native 38-class ResNet18 (ours) | {nat['midpoint']:.2f} | {nat['expectation']:.2f} |")
    lines += [
        f"| constant {CONSTANT_GUESS} px | {lv['constant_baseline_abe']:.2f} | |",
        *(f"| paper: {k} | {v:.2f} | |" for k, v in PAPER_ABE.items()),
        "",
        f"Width AbE {lv['abe_width']:.2f} px, height AbE {lv['abe_height']:.2f} px; coarse-stage accuracy "
        f"{100 * lv['coarse_accuracy']:.1f} %, fine-interval accuracy {100 * lv['fine_accuracy']:.1f} %.\n",
        "Per kernel, mean estimate beside the ground truth and the paper's Table 2:\n",
        md_table(lv["per_kernel"]),
        *_photo_section(lv),
        *_control_section(r),
        "## Synthetic sweep (widths 3..95 px, the 8 held-out Kodak24 images, our kernel generator)\n",
        f"{sw['samples']} blurry images. AbE {sw['abe'][est]:.2f} px, mean relative error "
        f"{100 * sw['relative_error'][est]:.1f} % ({est}); coarse-stage accuracy "
        f"{100 * sw['coarse_accuracy']:.1f} %; constant 49 px guess: AbE {sw['constant_baseline_abe']:.2f} px.\n",
        md_table(sw["per_range"]),
        "### Coarse mistakes: how far outside the chosen range the truth lies\n",
        "A fine network trained on its range widened by w px can rescue only the mistakes within w px "
        f"(it answers its edge interval); the training recipe widens by {Recipe().widen} px.\n",
        md_table([{"set": name, "mistakes": m["mistakes"], "share of patches": m["share_of_patches"],
                    **{f"within {d} px": m["within_px"][str(d)] for d in MISS_DISTANCES},
                    "median distance (px)": m["median_px"]}
                   for name, m in (("Levin", lv["coarse_misses"]), ("sweep", sw["coarse_misses"]))]),
    ]
    lines += _true_range_section(r)
    lines += _spread_section(r)
    lines += _pooling_section(r)
    if "native" in r:
        nat = r["native"]
        lines.append(f"Native baseline on the sweep: AbE {nat['sweep_abe'][est]:.2f} px, relative error "
                     f"{100 * nat['sweep_relative_error'][est]:.1f} %.\n")
    lines += ["![confusion, Levin](confusion_levin.png)\n", "![confusion, sweep](confusion_sweep.png)\n",
              "![error versus size](error_vs_size.png)\n"]
    return "\n".join(lines)


def _photo_section(lv: dict) -> list[str]:
    if "per_collection" not in lv:  # results written before the table existed
        return []
    return ["Per photo collection, and the photos of largest error (every kernel, both axes; an estimate / "
            "truth far from 1 on one photo is its content read as blur):\n",
            md_table(lv["per_collection"]), md_table(lv["worst_photos"])]


def _true_range_section(r: dict) -> list[str]:
    if "true_range" not in r:  # results written before the figures existed
        return []
    t, est = r["true_range"], r["estimate"]
    return [
        "### The fine stage alone\n",
        "The fine networks with each estimate's true coarse range given instead of the coarse network's "
        f"choice ({est} estimate): what a perfect coarse stage would reach. The gap to the figures above "
        "is the coarse stage's.\n",
        f"Levin protocol: AbE {t['levin_abe']:.2f} px (cascade: {r['levin']['abe'][est]:.2f}). Sweep: AbE "
        f"{t['sweep_abe']:.2f} px, mean relative error {100 * t['sweep_relative_error']:.1f} % (cascade: "
        f"{100 * r['sweep']['relative_error'][est]:.1f} %).\n",
        md_table(t["sweep_per_range"]),
    ]


def _spread_section(r: dict) -> list[str]:
    if "sweep_by_spread" not in r:  # results written before the figures existed
        return []
    s, est = r["sweep_by_spread"], r["estimate"]
    levin = s["levin_spread"]
    return [
        "### The sweep by how the kernel spreads its light\n",
        "The ground truth is the kernel's bounding box; a camera-shake path that dwells in one place leaves "
        "most of its light in a small blob and a faint trail out to the box's edge, and the image looks "
        "blurred by the blob. The light spread along the width (`model/evaluation/light_spread.py`: the participation "
        "ratio of the kernel's column sums over its width) is 1 for light spread evenly over the box and "
        f"about 1/3 when a third of the columns hold it all. {est.capitalize()} estimate; \"true range\" as "
        "in the section above. Levin's 8 kernels spread their light "
        f"{levin['width'][0]:.2f}-{levin['width'][1]:.2f} along the width and "
        f"{levin['height'][0]:.2f}-{levin['height'][1]:.2f} along the height.\n",
        md_table(s["rows"], format_cell),
        "![estimate / truth by light spread](sweep_spread.png)\n",
    ]


def _pooling_section(r: dict) -> list[str]:
    if not r.get("patch_pooling"):
        return []
    return [
        "### Several patches per axis\n",
        "The paper classifies the one patch of largest gradient spread. Here the cascade also pools the "
        "softmax of the next most distinct patches (each overlapping every earlier one by at most half "
        "its area), first for the coarse range, then for the chosen fine network. Every cell uses the "
        f"{r['estimate']} estimate, as above; the core runs once per patch, so the core time grows with the count.\n",
        *(["For networks that read the autocorrelation, the last row takes one map over each axis's whole "
           "gradient instead of a patch's (the image region): one core run per axis.\n"]
          if any(row["patches per axis"] == WHOLE_IMAGE for row in r["patch_pooling"]) else []),
        md_table(r["patch_pooling"], lambda v: f"{v:.3f}" if isinstance(v, float) and v < 1 else
                  (f"{v:.2f}" if isinstance(v, float) else str(v))),
    ]


def _control_section(r: dict) -> list[str]:
    c, est = r["levin_on_kodak"], r["estimate"]
    return [
        "### Control: Levin's kernels on the held-out Kodak24 photos\n",
        "The same 8 kernels on the 8 Kodak24 images kept out of training, instead of BSD68 + Set12: "
        "test kernels on photos of the kind the networks learned from. Where this AbE is much lower "
        "than the protocol's, the photos, not the kernels, make the difference.\n",
        f"{c['images']} blurry images, both axes. AbE {c['abe'][est]:.2f} px ({est}); constant "
        f"{CONSTANT_GUESS} px: {c['constant_baseline_abe']:.2f} px; coarse-stage accuracy "
        f"{100 * c['coarse_accuracy']:.1f} %, fine-interval accuracy {100 * c['fine_accuracy']:.1f} %.\n",
        md_table(c["per_kernel"]),
    ]


def quantization_cost(runs: str | Path, data_root: str | Path | None, out_dir: str | Path, *,
                      noise: float = 0.01, per_extent: int = 4, seed: int = 0, progress: bool = True) -> dict:
    """What the 8-bit formats cost, on one set of trained weights: the cascade of the training runs
    in ``runs`` evaluated with its quantizers and again without them (``inference.RunNetworks``).

    Writes a full report for each under ``out_dir/quantized`` and ``out_dir/float`` and a summary
    ``out_dir/quantization_cost.md``; returns both results.
    """
    from blurgauge.model.nets.inference import RunNetworks

    out = Path(out_dir)
    prep = RunNetworks(runs).preprocessing()
    sets = protocol_sets(data_root, noise, per_extent, seed, progress, prep=prep)
    results = {}
    for form in ("quantized", "float"):
        nets = RunNetworks(runs, quantized=form == "quantized")
        results[form] = evaluate(nets.logits, None, out / form, label=f"{form}, training runs {runs}",
                                 noise=noise, per_extent=per_extent, seed=seed, with_native=False,
                                 progress=progress, sets=sets, patch_counts=(), prep=prep)
    est = results["quantized"]["estimate"]
    rows = [{
        "network form": form,
        "Levin AbE (px)": r["levin"]["abe"][est],
        "Levin coarse accuracy": r["levin"]["coarse_accuracy"],
        "sweep AbE (px)": r["sweep"]["abe"][est],
        "sweep relative error": r["sweep"]["relative_error"][est],
        "sweep coarse accuracy": r["sweep"]["coarse_accuracy"],
    } for form, r in results.items()]
    (out / "quantization_cost.md").write_text(
        f"# What 8 bits cost: one set of weights with and without quantizers\n\n"
        f"Training runs {runs} (each network's last epoch); noise sigma {noise}, seed {seed}, "
        f"estimate {est}. Full reports: [quantized](quantized/report.md), [float](float/report.md).\n\n"
        + md_table(rows, lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)))
    return results
