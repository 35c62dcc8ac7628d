"""Diagnostics of the cascade on the evaluation's sets: where its error comes from.

``blurgauge eval`` reports the shipped estimator on the Levin protocol, the control and the sweep.
This study scores the same sets (the same seeds, ``model.evaluation.sets``) to answer research
questions about that error:

* **Patch pooling**: the cascade with 1, 2, 4 and 6 distinct patches per axis pooled (their
  softmax averaged, first for the coarse range, then for the chosen fine network), and for
  networks that read the autocorrelation one map over each axis's whole gradient. The core runs
  once per patch, so the core time grows with the count.
* **The fine stage alone**: the fine networks given each estimate's true coarse range, what a
  perfect coarse stage would reach; the gap to the cascade is the coarse stage's.
* **Coarse mistakes**: how far outside the chosen range the truth lies, which bounds what
  widening the fine networks' training ranges can recover.
* **Per photo**: the Levin protocol per photo collection and its photos of largest error, where
  the content, not the kernel, drives the error.
* **Light spread**: the sweep by how evenly the kernel spreads its light over its width
  (``model.evaluation.light_spread``).

``python -m bench.studies.eval_studies --out build/eval-studies`` (``make bench-eval-studies``)
writes ``studies.md``, ``studies.json`` (its keys are those the evaluation's ``results.json`` had
for these figures) and ``sweep_spread.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from blurgauge.model import classes
from blurgauge.model.cascade import LogitsFn
from blurgauge.model.evaluation.light_spread import AXES, format_cell, per_spread, plot_spread
from blurgauge.model.evaluation.report import md_table
from blurgauge.model.evaluation.scoring import TRUE_RANGE, Scores, best_estimate, per_range, score
from blurgauge.model.evaluation.sets import Blurred, ProtocolSets, protocol_sets
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, IMAGE, PATCH, PLAIN, Preprocessing, resolve_region

#: Patches per axis compared: the cascade pools their probabilities.
PATCH_COUNTS = (1, 2, 4, 6)
#: The pooling table's row for one map over each axis's whole gradient (networks that read the autocorrelation).
WHOLE_IMAGE = "whole image"
#: Photos listed in the table of largest Levin-protocol errors.
WORST_PHOTOS = 5
#: Distances (px) at which coarse mistakes are counted: what widening a fine network's training
#: range by that much could at best recover.
MISS_DISTANCES = (2, 5, 10)


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


def true_range(alone_levin: Scores, alone_sweep: Scores, estimate: str) -> dict:
    """The fine networks given the true range: what a perfect coarse stage would reach."""
    return {
        "levin_abe": alone_levin.abe(estimate),
        "sweep_abe": alone_sweep.abe(estimate),
        "sweep_relative_error": float(alone_sweep.relative_error(estimate).mean()),
        "sweep_per_range": [{k: v for k, v in row.to_json().items() if k in ("range", "n", "abe", "relative")}
                            for row in per_range(alone_sweep, estimate)],
    }


def sweep_by_spread(sets: ProtocolSets, cascade_sweep: Scores, alone_sweep: Scores, estimate: str) -> dict:
    """The sweep's error by the light spread of its kernels along the width, and the Levin kernels' spreads."""
    spread = np.array([b.width_spread for b in sets.sweep])
    return {
        "rows": per_spread(spread, cascade_sweep.truth, cascade_sweep.sizes(estimate),
                           np.array([e.coarse for e in cascade_sweep.estimates]), alone_sweep.sizes(estimate)),
        "levin_spread": {axis: [float(min(v)), float(max(v))]
                         for axis, v in ((a, [getattr(b, f"{a}_spread") for b in sets.levin]) for a in AXES)},
    }


def run_studies(logits: LogitsFn, data_root: str | Path | None, out_dir: str | Path, *, label: str,
                noise: float = 0.01, per_extent: int = 4, seed: int = 0, progress: bool = True,
                sets: ProtocolSets | None = None, patches: int = 1, prep: Preprocessing = PLAIN,
                region: str | None = None, patch_counts: tuple[int, ...] = PATCH_COUNTS) -> dict:
    """Every study on the evaluation's sets; writes studies.md, studies.json and sweep_spread.png.

    ``patches``, ``region``: the headline arrangement, as in ``blurgauge eval`` (its estimate is the
    better one on its Levin scores). ``sets``: built with the same data, noise and seed and at least
    ``max(patch_counts)`` patches per axis.
    """
    region = resolve_region(region, prep.transform, patches)
    whole_image = prep.transform == AUTOCORRELATION
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sets = sets or protocol_sets(data_root, noise, per_extent, seed, progress, max((patches, *patch_counts)), prep)
    levin, sweep, control = sets
    bar = tqdm(total=5 + 3 * (len(patch_counts) + whole_image), desc="studies", unit="set", disable=not progress)

    def scored(blurred: list[Blurred], arrangement: str, axes: str = "both") -> Scores:
        result = score(blurred, logits, arrangement, axes, patches, region)
        bar.update()
        return result

    cascade = {"Levin": scored(levin, "cascade"), "control": scored(control, "cascade"),
               "sweep": scored(sweep, "cascade", "width")}
    alone_levin, alone_sweep = scored(levin, TRUE_RANGE), scored(sweep, TRUE_RANGE, "width")
    estimate = best_estimate(cascade["Levin"])
    by_collection, worst = per_photo(levin, cascade["Levin"], estimate)
    results: dict = {
        "label": label, "estimate": estimate, "patches": patches, "region": region,
        "levin": {"coarse_misses": coarse_misses(cascade["Levin"]), "per_collection": by_collection,
                  "worst_photos": worst},
        "sweep": {"coarse_misses": coarse_misses(cascade["sweep"])},
        "true_range": true_range(alone_levin, alone_sweep, estimate),
        "patch_pooling": patch_pooling(sets, logits, patch_counts, estimate, bar.update, whole_image,
                                       known={(region, patches): cascade}),
        "sweep_by_spread": sweep_by_spread(sets, cascade["sweep"], alone_sweep, estimate),
    }
    bar.close()
    headline = {"levin_abe": cascade["Levin"].abe(estimate), "sweep_relative_error":
                float(cascade["sweep"].relative_error(estimate).mean())}
    plot_spread(np.array([b.width_spread for b in sweep]), cascade["sweep"].truth, cascade["sweep"].sizes(estimate),
                out / "sweep_spread.png", f"{label}: synthetic sweep, estimate / truth by light spread")
    (out / "studies.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "studies.md").write_text(render_studies(results, headline))
    return results


def render_studies(r: dict, headline: dict) -> str:
    """The markdown report of ``run_studies``; ``headline``: the cascade's Levin AbE and sweep
    relative error with the same estimate, quoted beside the fine stage alone."""
    from blurgauge.model.training.recipe import Recipe

    est = r["estimate"]
    lines = [
        f"# Evaluation studies: {r['label']}\n",
        f"The sets of `blurgauge eval` (the same seeds); {est} estimate throughout.\n",
        "## Coarse mistakes: how far outside the chosen range the truth lies\n",
        "A fine network trained on its range widened by w px can rescue only the mistakes within w px "
        f"(it answers its edge interval); the training recipe widens by {Recipe().widen} px.\n",
        md_table([{"set": name, "mistakes": m["mistakes"], "share of patches": m["share_of_patches"],
                   **{f"within {d} px": m["within_px"][str(d)] for d in MISS_DISTANCES},
                   "median distance (px)": m["median_px"]}
                  for name, m in (("Levin", r["levin"]["coarse_misses"]), ("sweep", r["sweep"]["coarse_misses"]))]),
        "## The Levin protocol per photo\n",
        "Per photo collection, and the photos of largest error (every kernel, both axes; an estimate / "
        "truth far from 1 on one photo is its content read as blur):\n",
        md_table(r["levin"]["per_collection"]), md_table(r["levin"]["worst_photos"]),
    ]
    t = r["true_range"]
    lines += [
        "## The fine stage alone\n",
        "The fine networks with each estimate's true coarse range given instead of the coarse network's "
        "choice: what a perfect coarse stage would reach. The gap to the cascade is the coarse stage's.\n",
        f"Levin protocol: AbE {t['levin_abe']:.2f} px (cascade: {headline['levin_abe']:.2f}). Sweep: AbE "
        f"{t['sweep_abe']:.2f} px, mean relative error {100 * t['sweep_relative_error']:.1f} % (cascade: "
        f"{100 * headline['sweep_relative_error']:.1f} %).\n",
        md_table(t["sweep_per_range"]),
    ]
    s = r["sweep_by_spread"]
    levin = s["levin_spread"]
    lines += [
        "## The sweep by how the kernel spreads its light\n",
        "The ground truth is the kernel's bounding box; a camera-shake path that dwells in one place leaves "
        "most of its light in a small blob and a faint trail out to the box's edge, and the image looks "
        "blurred by the blob. The light spread along the width (`model/evaluation/light_spread.py`: the "
        "participation ratio of the kernel's column sums over its width) is 1 for light spread evenly over "
        "the box and about 1/3 when a third of the columns hold it all. \"True range\" as in the section "
        f"above. Levin's 8 kernels spread their light {levin['width'][0]:.2f}-{levin['width'][1]:.2f} along "
        f"the width and {levin['height'][0]:.2f}-{levin['height'][1]:.2f} along the height.\n",
        md_table(s["rows"], format_cell),
        "![estimate / truth by light spread](sweep_spread.png)\n",
        "## Several patches per axis\n",
        "The paper classifies the one patch of largest gradient spread. Here the cascade also pools the "
        "softmax of the next most distinct patches (each overlapping every earlier one by at most half "
        "its area), first for the coarse range, then for the chosen fine network. The core runs once per "
        "patch, so the core time grows with the count.\n",
        *(["For networks that read the autocorrelation, the last row takes one map over each axis's whole "
           "gradient instead of a patch's (the image region): one core run per axis.\n"]
          if any(row["patches per axis"] == WHOLE_IMAGE for row in r["patch_pooling"]) else []),
        md_table(r["patch_pooling"], lambda v: f"{v:.3f}" if isinstance(v, float) and v < 1 else
                 (f"{v:.2f}" if isinstance(v, float) else str(v))),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from blurgauge.host.backends import BACKENDS, input_preprocessing, open_backend
    from blurgauge.model.inputs.preprocess import REGIONS
    from blurgauge.model.nets.inference import TRAINED_DIR
    from blurgauge.model.nets.roles import CASCADE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="reference data (default: shared/data beside the "
                        "repository)")
    parser.add_argument("--weights", type=Path, default=TRAINED_DIR, help="weight folder (default: the shipped)")
    parser.add_argument("--backend", default="keras", choices=BACKENDS, help="backend that runs the networks (keras)")
    parser.add_argument("--out", type=Path, default=Path("build/eval-studies"), help="report folder")
    parser.add_argument("--noise", type=float, default=0.01, help="noise sigma, fraction of full range (0.01)")
    parser.add_argument("--per-extent", type=int, default=4, help="sweep images per kernel width (4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the test blur (0)")
    parser.add_argument("--patches", type=int, default=1, help="patches per axis of the headline arrangement (1)")
    parser.add_argument("--region", choices=REGIONS, default=None, help="input region of the headline arrangement")
    args = parser.parse_args(argv)
    logits = open_backend(args.backend, args.weights, CASCADE)
    prep = input_preprocessing(args.weights, CASCADE)
    run_studies(logits, args.data, args.out, label=f"{args.backend}, {args.weights}", noise=args.noise,
                per_extent=args.per_extent, seed=args.seed, patches=args.patches, prep=prep, region=args.region)
    print((args.out / "studies.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
