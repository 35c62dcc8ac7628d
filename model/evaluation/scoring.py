"""Scoring: the cascade (or the native baseline) on a blurred set, and the figures of the report.

``score`` runs one network arrangement over a set's axes and keeps each estimate; ``Scores`` turns
them into errors and accuracies; the ``*_results`` functions make the typed results
(``results.py``) of each set, beside the paper's figures and the constant guesses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blurgauge.model import classes
from blurgauge.model.cascade import ESTIMATES, AxisEstimate, LogitsFn, run_cascade, run_native
from blurgauge.model.evaluation.families import scored as in_class_table
from blurgauge.model.evaluation.results import (
    ControlResults,
    FamilyResults,
    KernelRow,
    LevinResults,
    NativeResults,
    RangeRow,
    SweepResults,
)
from blurgauge.model.evaluation.sets import Blurred
from blurgauge.model.inputs.preprocess import IMAGE, PATCH

#: The paper's Table 2, column "Ours": mean estimated (height, width) per Levin kernel.
PAPER_TABLE2 = {
    1: (14.13, 8.55), 2: (16.15, 11.00), 3: (12.15, 12.35), 4: (15.38, 17.30),
    5: (7.45, 7.05), 6: (12.25, 11.95), 7: (11.65, 11.00), 8: (21.70, 16.25),
}
#: The paper's Table 1: AbE (px) of its arrangements on the Levin protocol.
PAPER_ABE = {"native ResNet18": 5.59, "cascaded ResNet18": 4.49, "native ResNet101": 4.04}
CONSTANT_GUESS = 16  # px: the trivial baseline the Levin protocol and the control must beat
SWEEP_CONSTANT_GUESS = 49  # px: the middle of 3..95, the sweep's trivial baseline
TRUE_RANGE = "true range"
#: ``cascade``, ``native``, or ``true range``: the cascade's fine networks given each estimate's
#: true coarse range, which measures the fine stage alone.
ARRANGEMENTS = ("cascade", "native", TRUE_RANGE)


@dataclass
class Scores:
    """Per-axis estimates of one network arrangement on a blurred set."""

    truth: np.ndarray  # (n,) px
    estimates: list[AxisEstimate]

    def sizes(self, estimate: str) -> np.ndarray:
        return np.array([e.size(estimate) for e in self.estimates])

    def abe(self, estimate: str) -> float:
        """Mean absolute error (px)."""
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
    """One estimate per image and axis (all widths, then all heights), each pooled over the first
    ``patches`` patches it has, or read from its one whole-image map (``region`` image).

    ``arrangement``: one of ``ARRANGEMENTS``.
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
    """The size estimate of lower AbE on these scores (the report's choice, on the Levin protocol)."""
    return min(ESTIMATES, key=scores.abe)


def levin_tables(blurred: list[Blurred], cascade: Scores, estimate: str, paper: bool = True) -> list[KernelRow]:
    """Per kernel: ground truth, our mean estimate and (``paper``) the paper's, for height and width."""
    n = len(blurred)
    sizes = cascade.sizes(estimate)
    width_est, height_est = sizes[:n], sizes[n:]
    rows = []
    for k in sorted({int(b.kernel.removeprefix("kernel")) for b in blurred}):
        mask = np.array([b.kernel == f"kernel{k}" for b in blurred])
        first = blurred[int(np.argmax(mask))]
        rows.append(KernelRow(
            kernel=k, gt_height=first.height, ours_height=float(height_est[mask].mean()),
            gt_width=first.width, ours_width=float(width_est[mask].mean()),
            paper_height=PAPER_TABLE2[k][0] if paper else None, paper_width=PAPER_TABLE2[k][1] if paper else None,
        ))
    return rows


def per_range(scores: Scores, estimate: str) -> list[RangeRow]:
    """The scores by true coarse range."""
    coarse = classes.coarse_class(scores.truth.astype(int))
    err = np.abs(scores.sizes(estimate) - scores.truth)
    rel = scores.relative_error(estimate)
    rows = []
    for k in range(classes.NUM_COARSE):
        m = coarse == k
        lo, hi = classes.range_bounds(k)
        rows.append(RangeRow(f"R{k + 1} ({lo}..{hi} px)", int(m.sum()), float(err[m].mean()), float(rel[m].mean()),
                             float(np.mean(np.array([e.coarse for e in scores.estimates])[m] == k))))
    return rows


def levin_results(blurred: list[Blurred], cascade: Scores, estimate: str) -> LevinResults:
    """The Levin protocol's figures from the cascade's scores of both axes."""
    n, truth, sizes = len(blurred), cascade.truth, cascade.sizes(estimate)
    return LevinResults(
        images=n,
        abe={e: cascade.abe(e) for e in ESTIMATES},
        abe_width=float(np.mean(np.abs(sizes[:n] - truth[:n]))),
        abe_height=float(np.mean(np.abs(sizes[n:] - truth[n:]))),
        constant_baseline_abe=float(np.mean(np.abs(CONSTANT_GUESS - truth))),
        coarse_accuracy=cascade.coarse_accuracy(),
        fine_accuracy=cascade.fine_accuracy(),
        per_kernel=levin_tables(blurred, cascade, estimate),
    )


def control_results(blurred: list[Blurred], cascade: Scores, estimate: str) -> ControlResults:
    """The control's figures from the cascade's scores of both axes."""
    return ControlResults(
        images=len(blurred),
        abe={e: cascade.abe(e) for e in ESTIMATES},
        constant_baseline_abe=float(np.mean(np.abs(CONSTANT_GUESS - cascade.truth))),
        coarse_accuracy=cascade.coarse_accuracy(),
        fine_accuracy=cascade.fine_accuracy(),
        per_kernel=levin_tables(blurred, cascade, estimate, paper=False),
    )


def sweep_results(blurred: list[Blurred], cascade: Scores, estimate: str) -> SweepResults:
    """The sweep's figures from the cascade's scores of the width axis."""
    return SweepResults(
        samples=len(blurred),
        abe={e: cascade.abe(e) for e in ESTIMATES},
        relative_error={e: float(cascade.relative_error(e).mean()) for e in ESTIMATES},
        constant_baseline_abe=float(np.mean(np.abs(SWEEP_CONSTANT_GUESS - cascade.truth))),
        per_range=per_range(cascade, estimate),
        coarse_accuracy=cascade.coarse_accuracy(),
    )


def native_results(levin: Scores, sweep: Scores) -> NativeResults:
    """The native baseline's figures from its scores of the Levin protocol and the sweep."""
    return NativeResults(
        levin_abe={e: levin.abe(e) for e in ESTIMATES},
        sweep_abe={e: sweep.abe(e) for e in ESTIMATES},
        sweep_relative_error={e: float(sweep.relative_error(e).mean()) for e in ESTIMATES},
    )


def score_in_range(blurred: list[Blurred], logits: LogitsFn, arrangement: str, patches: int = 1,
                   region: str = PATCH) -> Scores:
    """``score`` of every axis whose true extent lies in the class table (3..95 px): the widths, then the
    heights."""
    widths = [b for b in blurred if in_class_table(b.width)]
    heights = [b for b in blurred if in_class_table(b.height)]
    parts = [score(subset, logits, arrangement, axis, patches, region)
             for subset, axis in ((widths, "width"), (heights, "height")) if subset]
    return Scores(np.concatenate([p.truth for p in parts]), [e for p in parts for e in p.estimates])


def family_results(family: str, blurred: list[Blurred], cascade: Scores, estimate: str,
                   native: Scores | None = None) -> FamilyResults:
    """One kernel family's figures from the cascade's (and the native baseline's) scores of its axes."""
    truth = cascade.truth
    guess = float(np.median(truth))
    return FamilyResults(
        family=family, images=len(blurred), axes=len(truth),
        abe={e: cascade.abe(e) for e in ESTIMATES},
        relative_error={e: float(cascade.relative_error(e).mean()) for e in ESTIMATES},
        constant_guess=guess,
        constant_abe=float(np.mean(np.abs(guess - truth))),
        constant_relative_error=float(np.mean(np.abs(guess - truth) / truth)),
        coarse_accuracy=cascade.coarse_accuracy(),
        per_range=per_range(cascade, estimate),
        native_relative_error=None if native is None else
        {e: float(native.relative_error(e).mean()) for e in ESTIMATES},
    )
