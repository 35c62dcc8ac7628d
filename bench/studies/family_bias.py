"""Where the kernel families' error comes from: the coarse stage's routing or the fine networks' reading.

`make eval` reports each family's relative error; this study splits it. For every family of the
family-held-out evaluation (the same sets: BSD68 + Set12, 1 % noise, seed + 3) and every true coarse range
it prints, for the cascade and for the cascade's fine networks given the true range (the fine stage alone):
the relative error, the median ratio of estimate to truth (below 1: read too small) and the mean signed
error in px. A family whose true-range error is low but whose cascade error is high is lost in the coarse
stage; one whose true-range ratio is far from 1 is misread by the fine networks themselves. Beside them,
the error of the true range's middle as the estimate: what a fine network that read nothing would score.

    .venv/bin/python -m bench.studies.family_bias [--weights model/trained] [--data ../shared/data] [--per-range 16]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from blurgauge.model import classes
from blurgauge.model.cascade import LogitsFn
from blurgauge.model.evaluation.scoring import TRUE_RANGE, Scores, score_in_range
from blurgauge.model.evaluation.sets import family_sets
from blurgauge.model.inputs.preprocess import Preprocessing, resolve_region

#: The estimate `make eval` reports for the shipped networks (the better one on the Levin protocol).
ESTIMATE = "expectation"


def range_rows(scores: Scores, estimate: str = ESTIMATE) -> list[dict[str, float | int | str]]:
    """Per true coarse range: axes, relative error, median estimate / truth, mean signed error (px)."""
    sizes, truth = scores.sizes(estimate), scores.truth
    ranges = classes.coarse_class(truth.astype(int))
    rows = []
    for k, (lo, hi, _) in enumerate(classes.RANGES):
        inside = ranges == k
        if not inside.any():
            continue
        est, true = sizes[inside], truth[inside]
        middle = (lo + hi) / 2
        rows.append({"range": f"R{k + 1} ({lo}..{hi})", "axes": int(inside.sum()),
                     "relative": float(np.mean(np.abs(est - true) / true)),
                     "ratio": float(np.median(est / true)), "signed": float(np.mean(est - true)),
                     "middle": float(np.mean(np.abs(middle - true) / true))})
    return rows


def table(family: str, cascade: Scores, true_range: Scores) -> str:
    lines = [f"### {family}", "",
             "| true range | axes | cascade: relative | ratio | signed px | true range: relative | ratio | signed px "
             "| the range's middle: relative |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for c, t in zip(range_rows(cascade), range_rows(true_range), strict=True):
        lines.append(f"| {c['range']} | {c['axes']} | {c['relative']:.1%} | {c['ratio']:.2f} | {c['signed']:+.1f} "
                     f"| {t['relative']:.1%} | {t['ratio']:.2f} | {t['signed']:+.1f} | {t['middle']:.1%} |")
    return "\n".join(lines)


def cascade_on_family_sets(description: str,
                           argv: list[str] | None) -> tuple[argparse.Namespace, LogitsFn, Preprocessing]:
    """The studies' command line (weights, data, kernels per range, seed), and the keras cascade of those
    weights with the preprocessing recorded in them."""
    from blurgauge.host.backends import input_preprocessing, open_backend
    from blurgauge.model.nets.inference import TRAINED_DIR
    from blurgauge.model.nets.roles import CASCADE

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--weights", type=Path, default=TRAINED_DIR, help="weight folder (default: the shipped)")
    parser.add_argument("--data", type=Path, default=None, help="reference data (default: ../shared/data)")
    parser.add_argument("--per-range", type=int, default=16, help="kernels per family and coarse range (as make eval)")
    parser.add_argument("--seed", type=int, default=0, help="the evaluation's seed; the families draw from seed + 3")
    args = parser.parse_args(argv)
    return args, open_backend("keras", args.weights, CASCADE), input_preprocessing(args.weights, CASCADE)


def main(argv: list[str] | None = None) -> int:
    args, logits, prep = cascade_on_family_sets(__doc__.splitlines()[0], argv)
    region = resolve_region(None, prep.transform)
    sets = family_sets(args.data, args.per_range, 0.01, args.seed + 3, True, 1, prep)
    print(f"Kernel families, {args.weights}: the cascade against its fine networks given the true range "
          f"({ESTIMATE} estimate; ratio: median estimate / truth)\n")
    for family, blurred in sets.items():
        cascade = score_in_range(blurred, logits, "cascade", 1, region)
        true_range = score_in_range(blurred, logits, TRUE_RANGE, 1, region)
        print(table(family, cascade, true_range), "\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
