"""The coarse-to-fine decision, shared by every backend.

A backend only turns int8 input codes into the raw logits of a named network; everything else
(softmax, which outputs a network uses, the choice of fine network, the class table, the size
estimate) happens here, once, so every backend estimates the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import classes

#: logits(network name, int8 codes (n, 128, 128)) -> (n, outputs) float logits
LogitsFn = Callable[[str, np.ndarray], np.ndarray]

ESTIMATES = ("midpoint", "expectation")


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

    def size(self, estimate: str = "midpoint") -> float:
        if estimate not in ESTIMATES:
            raise ValueError(f"estimate must be one of {ESTIMATES}, got {estimate!r}")
        return self.midpoint if estimate == "midpoint" else self.expectation

    @property
    def confidence(self) -> float:
        """Probability of the whole path: coarse range times fine interval."""
        return float(self.coarse_confidence * self.fine_probabilities.max())


def run_cascade(logits: LogitsFn, codes: np.ndarray) -> list[AxisEstimate]:
    """Coarse network on every patch, then each patch's fine network; one estimate per patch."""
    codes = np.asarray(codes)
    coarse_p = softmax(logits("coarse", codes)[:, : classes.NUM_COARSE])
    coarse = coarse_p.argmax(axis=1)
    out: list[AxisEstimate | None] = [None] * len(codes)
    for k in np.unique(coarse):
        members = classes.range_intervals(int(k))
        idx = np.flatnonzero(coarse == k)
        fine_p = softmax(logits(f"fine{k + 1}", codes[idx])[:, : len(members)])
        mids = np.array([iv.midpoint for iv in members])
        for row, i in enumerate(idx):
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


def run_native(logits: LogitsFn, codes: np.ndarray) -> list[AxisEstimate]:
    """The non-cascaded baseline: one 38-class network."""
    p = softmax(logits("native", np.asarray(codes))[:, : classes.NUM_FINE])
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
