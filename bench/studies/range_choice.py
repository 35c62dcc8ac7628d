"""How the cascade should choose its range: the coarse argmax against rules that ask the fine networks too.

The fine networks read every kernel family within 10 % once they are given the true range (Experiment 31);
the families' large errors come from the coarse network's choice. This study runs all five fine networks
on every map (the six networks unchanged) and scores rules that pick the range from the coarse softmax
p(r) and each range's fine softmax q_r:

* ``argmax``: the shipped rule, r = argmax p(r), the size the expectation of q_r.
* ``joint``: r = argmax p(r) max q_r, the whole path's probability.
* ``joint top-2``: the same among the coarse network's two likeliest ranges (at most two fine runs).
* ``mixture``: the sizes of all five ranges weighted by p(r).
* ``top-2 oracle``: of the two likeliest ranges, the one whose size is nearer the truth: the bound of any
  rule that runs two fine networks.

Sets: the family-held-out sets of `make eval` (relative error per family) and the Levin protocol (AbE), so a
rule that gains on the families is seen to keep the protocol or not.

    .venv/bin/python -m bench.studies.range_choice [--weights model/trained] [--data ../shared/data]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench.studies.family_bias import cascade_on_family_sets
from blurgauge.model import classes
from blurgauge.model.cascade import LogitsFn, softmax
from blurgauge.model.evaluation.families import scored as in_class_table
from blurgauge.model.evaluation.sets import Blurred, family_sets, protocol_sets

RULES = ("argmax", "joint", "joint top-2", "mixture", "top-2 oracle")


def range_readings(logits: LogitsFn, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For maps (n, 128, 128): the coarse softmax (n, 5), and per range the fine expectation (n, 5) in px
    and the fine softmax's largest probability (n, 5)."""
    coarse = softmax(logits("coarse", codes)[:, : classes.NUM_COARSE])
    sizes = np.zeros_like(coarse)
    peaks = np.zeros_like(coarse)
    for k in range(classes.NUM_COARSE):
        members = classes.range_intervals(k)
        q = softmax(logits(f"fine{k + 1}", codes)[:, : len(members)])
        sizes[:, k] = q @ np.array([iv.midpoint for iv in members])
        peaks[:, k] = q.max(axis=1)
    return coarse, sizes, peaks


def choose(rule: str, coarse: np.ndarray, sizes: np.ndarray, peaks: np.ndarray,
           truth: np.ndarray | None = None) -> np.ndarray:
    """Each map's size (n,) under ``rule`` (``top-2 oracle`` needs ``truth``)."""
    rows = np.arange(len(coarse))
    top2 = np.argsort(-coarse, axis=1, kind="stable")[:, :2]
    if rule == "argmax":
        return sizes[rows, coarse.argmax(axis=1)]
    if rule == "joint":
        return sizes[rows, (coarse * peaks).argmax(axis=1)]
    if rule == "joint top-2":
        joint = np.take_along_axis(coarse * peaks, top2, axis=1)
        return sizes[rows, top2[rows, joint.argmax(axis=1)]]
    if rule == "mixture":
        return (coarse * sizes).sum(axis=1) / coarse.sum(axis=1)
    if rule == "top-2 oracle":
        if truth is None:
            raise ValueError("the top-2 oracle needs the truth")
        pair = np.take_along_axis(sizes, top2, axis=1)
        return pair[rows, np.abs(pair - truth[:, None]).argmin(axis=1)]
    raise ValueError(f"rule must be one of {RULES}, got {rule!r}")


def axis_maps(blurred: list[Blurred]) -> tuple[np.ndarray, np.ndarray]:
    """The whole-image maps and true extents of every axis in the class table: widths, then heights."""
    maps, truth = [], []
    for axis in ("width", "height"):
        for b in blurred:
            extent = b.width if axis == "width" else b.height
            if in_class_table(extent):
                maps.append(b.width_image if axis == "width" else b.height_image)
                truth.append(extent)
    return np.concatenate(maps), np.asarray(truth, dtype=float)  # each map is (1, 128, 128)


def scores(logits: LogitsFn, blurred: list[Blurred], measure: Callable[[np.ndarray, np.ndarray], float]) -> dict:
    codes, truth = axis_maps(blurred)
    coarse, sizes, peaks = range_readings(logits, codes)
    top2 = np.argsort(-coarse, axis=1, kind="stable")[:, :2]
    in_top2 = float(np.mean((top2 == classes.coarse_class(truth.astype(int))[:, None]).any(axis=1)))
    return {"in top-2": in_top2, **{rule: measure(choose(rule, coarse, sizes, peaks, truth), truth) for rule in RULES}}


def relative_error(est: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(np.abs(est - truth) / truth))


def absolute_error(est: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(np.abs(est - truth)))


def main(argv: list[str] | None = None) -> int:
    args, logits, prep = cascade_on_family_sets(__doc__.splitlines()[0], argv)
    levin = protocol_sets(args.data, 0.01, 4, args.seed, True, 1, prep)[0]
    rows = [("Levin protocol, AbE px", scores(logits, levin, absolute_error))]
    for family, blurred in family_sets(args.data, args.per_range, 0.01, args.seed + 3, True, 1, prep).items():
        rows.append((f"{family}, relative error", scores(logits, blurred, relative_error)))
    print(f"Range choice, {args.weights} (expectation estimate; in top-2: the true range among the coarse "
          "network's two likeliest)\n")
    print("| set | in top-2 | " + " | ".join(RULES) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in RULES) + " |")
    for name, row in rows:
        fmt = (lambda v: f"{v:.2f}") if name.startswith("Levin") else (lambda v: f"{v:.1%}")
        print(f"| {name} | {row['in top-2']:.1%} | " + " | ".join(fmt(row[r]) for r in RULES) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
