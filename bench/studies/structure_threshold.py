"""Calibration of the host's refusal threshold (``model/inputs/structure.py``): the structure score of
every reference photo (BSD68, Set12, Kodak24) blurred with each of Levin's 8 kernels and, as the
hardest case the networks answer, the same kernels stretched to the largest extent (95 px), with 1 %
noise, as ``model/evaluation/sets.py`` blurs them; beside them the images that must be refused.

    .venv/bin/python bench/studies/structure_threshold.py [--data ../shared/data]

Prints the lowest scores of the blurred photos, the highest of the refused kinds and the margins to
``THRESHOLD`` (docs/host.md, "What the tool refuses and why").
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from scipy import ndimage

from blurgauge.model.data.blur import blur_image
from blurgauge.model.data.reference import levin_kernels, natural_images, resolve_data_root
from blurgauge.model.inputs.images import load_gray
from blurgauge.model.inputs.structure import THRESHOLD, WARN_BELOW, structure
from blurgauge.model.nets.inference import TRAINED_DIR, preprocessing

FOLDERS = ("natural_BSD68", "natural_Set12", "natural_Kodak24")
LARGEST = 95  # px: the largest extent the cascade reports


def stretched(kernel: np.ndarray, extent: int) -> np.ndarray:
    """``kernel`` zoomed so that its larger side spans ``extent`` px, renormalized."""
    big = ndimage.zoom(kernel, extent / max(kernel.shape), order=1)
    big = np.clip(big, 0.0, None)
    return big / big.sum()


def refused_kinds(rng: np.random.Generator, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """The images that must be refused, at a photo's size."""
    return {
        "black": np.zeros(shape), "white": np.ones(shape), "gray": np.full(shape, 0.5),
        "uniform noise": rng.random(shape),
        "gaussian noise 10 %": np.clip(0.5 + 0.1 * rng.normal(size=shape), 0, 1),
        "gaussian noise 1 %": np.clip(0.5 + 0.01 * rng.normal(size=shape), 0, 1),
        "8-bit noise": np.round(rng.random(shape) * 255) / 255,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="reference data folder (default ../shared/data)")
    parser.add_argument("--noise", type=float, default=0.01, help="noise sigma, fraction of full range (0.01)")
    args = parser.parse_args(argv)
    root = resolve_data_root(args.data)
    floor = preprocessing(TRAINED_DIR).noise_floor  # the shipped networks' floor: the host's denominator
    kernels = levin_kernels(root)
    rng = np.random.default_rng(0)
    scores: list[tuple[float, str]] = []
    for path in natural_images(root, FOLDERS):
        sharp = load_gray(path)
        for k, kernel in kernels.items():
            for label, kern in ((f"kernel{k}", kernel), (f"kernel{k}@{LARGEST}px", stretched(kernel, LARGEST))):
                blurry = blur_image(sharp, kern, rng, args.noise).astype(np.float64) / 255.0
                scores.append((structure(blurry, floor), f"{path.parent.name}/{path.name} {label}"))
    values = np.array([s for s, _ in scores])
    print(f"{len(values)} blurred photos ({len(kernels)} Levin kernels and the same at {LARGEST} px, "
          f"{args.noise:.0%} noise), networks' floor {floor}")
    print(f"structure: min {values.min():.2f}, 1st percentile {np.percentile(values, 1):.2f}, "
          f"median {np.median(values):.1f}, max {values.max():.1f}")
    print(f"refused (below {THRESHOLD}): {int((values < THRESHOLD).sum())}; "
          f"warned (below {WARN_BELOW * THRESHOLD}): {int((values < WARN_BELOW * THRESHOLD).sum())}")
    natural = np.array([v for v, name in scores if "@" not in name])
    print(f"Levin's kernels as they are: min {natural.min():.2f}, median {np.median(natural):.1f}; "
          f"stretched to {LARGEST} px: min {values[[('@' in n) for _, n in scores]].min():.2f}")
    print("lowest five:")
    for score, name in sorted(scores)[:5]:
        print(f"  {score:7.2f}  {name}")
    print(f"margin: the lowest blurred photo scores {values.min() / THRESHOLD:.1f}x the threshold")
    shape = load_gray(natural_images(root, FOLDERS[:1])[0]).shape
    worst = 0.0
    for name, image in refused_kinds(rng, shape).items():
        score = structure(image, floor)
        worst = max(worst, score)
        print(f"  {name:22s} {score:7.3f}  {'refused' if score < THRESHOLD else 'NOT REFUSED'}")
    print(f"margin: the highest image to refuse scores {THRESHOLD / max(worst, 1e-9):.1f}x below the threshold")
    return 0 if values.min() >= THRESHOLD > worst else 1


if __name__ == "__main__":
    sys.exit(main())
