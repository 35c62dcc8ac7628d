"""The family-bias study's per-range rows, against figures worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from bench.studies.family_bias import range_rows
from blurgauge.model.cascade import AxisEstimate
from blurgauge.model.evaluation.scoring import Scores


def _scores(truth: list[float], read: list[float]) -> Scores:
    estimates = [AxisEstimate(coarse=0, coarse_confidence=1.0, fine=0, fine_probabilities=np.ones(1),
                              midpoint=r, expectation=r) for r in read]
    return Scores(np.asarray(truth, dtype=float), estimates)


def test_rows_split_by_the_true_range_and_sign_the_error() -> None:
    # R1 (3..19): 10 read as 12, 4 read as 3; R3 (35..49): 40 read as 20. R2, R4, R5 empty: no rows.
    rows = range_rows(_scores([10, 4, 40], [12, 3, 20]))
    assert [r["range"] for r in rows] == ["R1 (3..19)", "R3 (35..49)"]
    r1, r3 = rows
    assert r1["axes"] == 2
    assert r1["relative"] == pytest.approx((0.2 + 0.25) / 2)
    assert r1["ratio"] == pytest.approx((1.2 + 0.75) / 2)  # the median of two
    assert r1["signed"] == pytest.approx((2 - 1) / 2)
    assert r1["middle"] == pytest.approx((abs(11 - 10) / 10 + abs(11 - 4) / 4) / 2)  # R1's middle: 11 px
    assert (r3["axes"], r3["relative"], r3["ratio"], r3["signed"]) == (1, pytest.approx(0.5), pytest.approx(0.5), -20.0)
