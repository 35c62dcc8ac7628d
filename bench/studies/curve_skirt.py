"""What the networks' input shows of a long curve: a small and a large kernel of each family, told apart by
one statistic of the whole-image autocorrelation map.

A straight blur of length L spreads its autocorrelation along one direction (a ridge of about 1/L per
lag out to L), but a curved one spreads it over a 2-D region of chords (about 1/L^2 per lag), so a
long curve's map could look like a short blur's: a peak at lag 0 and a faint skirt. This study measures
that on the input codes themselves: BSD68 photos blurred by the evaluation's families
(``model/evaluation/families.py``) with the larger side 15 or 75 px, 1 % noise, the host's
preprocessing (noise floor, ``axis_maps``, int8 codes). The statistic per image is the skirt, the mean
over lags dx 30..60 of the largest |code| over dy, over the background, the same at lags 100..127 (the
larger of the two axes' values); then, for each family, the chance that a 75-px kernel's image scores
above a 15-px kernel's (AUC; 0.5: not told apart by this statistic). The same on the map summed over dy
(the autocorrelation of the kernel's projection on the axis, which has the axis's extent whatever the
curve) shows whether that sum helps.

    .venv/bin/python -m bench.studies.curve_skirt [--data ../shared/data] [--photos 24]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from blurgauge.model.data.blur import blur_image
from blurgauge.model.data.reference import natural_images, resolve_data_root
from blurgauge.model.evaluation.families import family_kernel
from blurgauge.model.inputs.images import load_gray
from blurgauge.model.inputs.noise import seeded_by, top_up_noise
from blurgauge.model.inputs.preprocess import _scaled_codes, axis_maps

FAMILIES = ("line", "arc", "hand")
SMALL, LARGE = 15, 75
SKIRT, BACKGROUND = slice(30, 61), slice(100, 128)


def skirt_of_codes(width_map: np.ndarray, height_map: np.ndarray) -> float:
    """The skirt over the background of the int8 codes, the larger of the two axes."""
    ratios = []
    for m in (width_map, height_map):
        profile = np.abs(_scaled_codes(m).astype(np.float64)).max(axis=0)
        ratios.append(profile[SKIRT].mean() / profile[BACKGROUND].mean())
    return max(ratios)


def skirt_of_projection(width_map: np.ndarray, height_map: np.ndarray) -> float:
    """The same on each map summed over dy."""
    ratios = []
    for m in (width_map, height_map):
        profile = np.abs(m.sum(axis=0))
        ratios.append(profile[SKIRT].mean() / profile[BACKGROUND].mean())
    return max(ratios)


def scores(photos: list[np.ndarray], family: str, extent: int, rng: np.random.Generator,
           statistics: dict[str, Callable[[np.ndarray, np.ndarray], float]]) -> dict[str, np.ndarray]:
    out: dict[str, list[float]] = {name: [] for name in statistics}
    for sharp in photos:
        kernel = family_kernel(family, extent, rng).kernel
        blurred = blur_image(sharp, kernel, rng, 0.01)
        maps = axis_maps(top_up_noise(blurred, 0.01, seeded_by(blurred)))
        for name, statistic in statistics.items():
            out[name].append(statistic(*maps))
    return {name: np.array(values) for name, values in out.items()}


def auc(large: np.ndarray, small: np.ndarray) -> float:
    """P(a large kernel's statistic exceeds a small one's), ties counted half."""
    return float(np.mean(large[:, None] > small[None, :]) + 0.5 * np.mean(large[:, None] == small[None, :]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="reference data folder (default ../shared/data)")
    parser.add_argument("--photos", type=int, default=24, help="BSD68 photos used (default 24)")
    args = parser.parse_args(argv)
    root = resolve_data_root(args.data)
    photos = [load_gray(p) for p in natural_images(root, ("natural_BSD68",))[: args.photos]]
    statistics = {"codes": skirt_of_codes, "summed over dy": skirt_of_projection}
    rng = np.random.default_rng(2)
    print(f"skirt (lags {SKIRT.start}..{SKIRT.stop - 1}) over background "
          f"(lags {BACKGROUND.start}..{BACKGROUND.stop - 1}), {len(photos)} BSD68 photos, 1 % noise; "
          f"median (IQR) and AUC of {LARGE} px against {SMALL} px")
    print("| family | statistic | median at 15 px | median at 75 px | AUC |")
    print("| --- | --- | ---: | ---: | ---: |")
    for family in FAMILIES:
        small = scores(photos, family, SMALL, rng, statistics)
        large = scores(photos, family, LARGE, rng, statistics)
        for name in statistics:
            s, g = small[name], large[name]
            print(f"| {family} | {name} | {np.median(s):.2f} ({np.percentile(s, 25):.2f}-{np.percentile(s, 75):.2f}) "
                  f"| {np.median(g):.2f} ({np.percentile(g, 25):.2f}-{np.percentile(g, 75):.2f}) | {auc(g, s):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
