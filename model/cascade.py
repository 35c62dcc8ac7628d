"""The coarse-to-fine decision, shared by every backend.

A backend only turns int8 input codes into the raw logits of a named network; everything else
(softmax, which outputs a network uses, the choice of fine network, the class table, the size
estimate) happens here, once, so every backend estimates the same way.

An estimate may rest on several patches of one axis (``owners`` maps each patch to its estimate):
the coarse softmax is averaged over them, and so is the chosen fine network's. With one patch per
estimate the mean is that patch's softmax itself, so the result is the paper's single-patch cascade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from blurgauge.model import classes

#: logits(network name, int8 codes (n, 128, 128)) -> (n, outputs) float logits
LogitsFn = Callable[[str, np.ndarray], np.ndarray]

ESTIMATES = ("midpoint", "expectation")
#: The size estimate `blurgauge estimate` and the Accelerator report by default: for the shipped
#: weights the better of the two on the Levin protocol and on the sweep alike (Levin 2.24 against
#: 2.42 px, the sweep 27.2 against 27.8 %; `make eval`). `blurgauge eval` picks its own on each run.
DEFAULT_ESTIMATE = "expectation"


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class AxisEstimate:
    """The cascade's answer for one axis of one image."""

    coarse: int  # coarse range 0..4
    coarse_confidence: float
    fine: int  # global fine class 0..37
    fine_probabilities: np.ndarray  # over the chosen range's intervals
    midpoint: float  # centre of the chosen interval, px
    expectation: float  # interval midpoints weighted by the fine softmax, px

    def size(self, estimate: str = DEFAULT_ESTIMATE) -> float:
        if estimate not in ESTIMATES:
            raise ValueError(f"estimate must be one of {ESTIMATES}, got {estimate!r}")
        return self.midpoint if estimate == "midpoint" else self.expectation

    @property
    def confidence(self) -> float:
        """Probability of the whole path: coarse range times fine interval."""
        return float(self.coarse_confidence * self.fine_probabilities.max())


def choose_range(coarse_scores: np.ndarray) -> int:
    """The coarse range an estimate's coarse scores choose: their argmax, the lowest index on a tie.

    ``run_cascade`` applies it to the (pooled) coarse softmax; softmax keeps the order of the logits, so
    for one patch it chooses as the argmax of the logits themselves, which is what the core's image job
    (CTRL.image_job) does in hardware and what its golden reference (``hw.compiler.golden.run_image_job``)
    computes with this function.
    """
    scores = np.asarray(coarse_scores)
    if scores.ndim != 1 or len(scores) == 0:
        raise ValueError(f"one estimate's coarse scores are a non-empty vector, got shape {scores.shape}")
    return int(np.argmax(scores))


def _owners(codes: np.ndarray, owners: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Each patch's estimate index, checked: every estimate 0..n-1 has at least one patch."""
    if owners is None:
        return np.arange(len(codes)), len(codes)
    owners = np.asarray(owners, dtype=np.int64)
    if owners.shape != (len(codes),):
        raise ValueError(f"owners has shape {owners.shape}; one entry per patch ({len(codes)}) is needed")
    n = int(owners.max()) + 1 if len(owners) else 0
    if len(owners) and (owners.min() < 0 or np.bincount(owners, minlength=n).min() == 0):
        raise ValueError("owners must number the estimates 0..n-1, each with at least one patch")
    return owners, n


def pool(probabilities: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """Mean of the rows of ``probabilities`` that belong to each of the ``n`` estimates."""
    sums = np.zeros((n, probabilities.shape[1]))
    np.add.at(sums, owners, probabilities)
    return sums / np.bincount(owners, minlength=n)[:, None]


def run_cascade(logits: LogitsFn, codes: np.ndarray, owners: np.ndarray | None = None,
                ranges: np.ndarray | None = None) -> list[AxisEstimate]:
    """Coarse network on every patch, then the fine network of each estimate's range on its patches.

    ``owners[i]`` is the estimate patch ``i`` belongs to (default: one estimate per patch).
    ``ranges``: each estimate's coarse range (0..4), given instead of the coarse network's choice
    (evaluation measures the fine stage alone with the true ranges).
    """
    codes = np.asarray(codes)
    owners, n = _owners(codes, owners)
    coarse_p = pool(softmax(logits("coarse", codes)[:, : classes.NUM_COARSE]), owners, n)
    coarse = (np.array([choose_range(row) for row in coarse_p], dtype=np.int64) if ranges is None
              else np.asarray(ranges, dtype=np.int64))
    if coarse.shape != (n,) or coarse.min(initial=0) < 0 or coarse.max(initial=0) >= classes.NUM_COARSE:
        raise ValueError(f"ranges must hold one coarse range 0..{classes.NUM_COARSE - 1} per estimate ({n})")
    out: list[AxisEstimate | None] = [None] * n
    for k in np.unique(coarse):
        members = classes.range_intervals(int(k))
        chosen = np.flatnonzero(coarse == k)  # estimates sent to range k
        rows = np.flatnonzero(np.isin(owners, chosen))  # their patches
        fine_p = pool(softmax(logits(f"fine{k + 1}", codes[rows])[:, : len(members)]),
                      np.searchsorted(chosen, owners[rows]), len(chosen))
        mids = np.array([iv.midpoint for iv in members])
        for row, i in enumerate(chosen):
            local = int(fine_p[row].argmax())
            out[i] = AxisEstimate(
                coarse=int(k),
                coarse_confidence=float(coarse_p[i, k]),
                fine=members[local].index,
                fine_probabilities=fine_p[row],
                midpoint=float(mids[local]),
                expectation=float(fine_p[row] @ mids),
            )
    return out  # type: ignore[return-value]


def run_native(logits: LogitsFn, codes: np.ndarray, owners: np.ndarray | None = None) -> list[AxisEstimate]:
    """The non-cascaded baseline: one 38-class network, its softmax pooled like the cascade's."""
    codes = np.asarray(codes)
    owners, n = _owners(codes, owners)
    p = pool(softmax(logits("native", codes)[:, : classes.NUM_FINE]), owners, n)
    mids = classes.midpoints()
    coarse_of = classes.coarse_of_fine(np.arange(classes.NUM_FINE))
    out = []
    for row in p:
        fine = int(row.argmax())
        coarse = int(coarse_of[fine])
        out.append(AxisEstimate(
            coarse=coarse,
            coarse_confidence=float(row[coarse_of == coarse].sum()),
            fine=fine,
            fine_probabilities=row,
            midpoint=float(mids[fine]),
            expectation=float(row @ mids),
        ))
    return out
