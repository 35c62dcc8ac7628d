"""Scores and the report's tables, on hand-made estimates."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model import classes
from blurgauge.model.cascade import AxisEstimate
from blurgauge.model.evaluation.scoring import (
    PAPER_TABLE2,
    Scores,
    best_estimate,
    levin_tables,
    per_range,
    score,
)
from blurgauge.model.evaluation.sets import Blurred


def _estimate(size: float) -> AxisEstimate:
    """An estimate whose midpoint is ``size`` and whose expectation is 1 px above it."""
    fine = int(classes.fine_class(np.array([int(size)]))[0])
    coarse = int(classes.coarse_class(np.array([int(size)]))[0])
    return AxisEstimate(coarse, 1.0, fine, np.ones(1), size, size + 1.0)


def test_the_figures_of_hand_made_estimates():
    scores = Scores(np.array([10.0, 20.0, 40.0, 80.0]), [_estimate(s) for s in (12.0, 20.0, 30.0, 80.0)])
    assert scores.abe("midpoint") == pytest.approx((2 + 0 + 10 + 0) / 4)
    assert scores.abe("expectation") == pytest.approx((3 + 1 + 9 + 1) / 4)
    assert best_estimate(scores) == "midpoint"
    rows = per_range(scores, "midpoint")
    assert [row.n for row in rows] == [int(np.sum(classes.coarse_class(np.array([10, 20, 40, 80])) == k))
                                       for k in range(classes.NUM_COARSE)]
    assert sum(row.n * row.abe for row in rows if row.n) / 4 == pytest.approx(scores.abe("midpoint"))


def test_levin_tables_put_the_paper_beside_ours_only_where_asked():
    codes = np.zeros((1, 128, 128), np.int8)
    blurred = [Blurred("a.png", f"kernel{k}", w, h, codes, codes) for k, w, h in ((1, 9, 17), (2, 13, 15))]
    # two images: widths first, then heights
    scores = Scores(np.array([9.0, 13.0, 17.0, 15.0]), [_estimate(s) for s in (10.0, 13.0, 18.0, 15.0)])
    rows = levin_tables(blurred, scores, "midpoint")
    assert [(r.kernel, r.gt_width, r.ours_width, r.gt_height, r.ours_height) for r in rows] == [
        (1, 9, 10.0, 17, 18.0), (2, 13, 13.0, 15, 15.0)]
    assert rows[0].paper_width == PAPER_TABLE2[1][1]
    control = levin_tables(blurred, scores, "midpoint", paper=False)
    assert "paper_width" not in control[0].to_json() and "paper_width" in rows[0].to_json()


def test_score_names_its_arrangements():
    with pytest.raises(ValueError, match="arrangement"):
        score([], lambda name, codes: codes, "ensemble")
