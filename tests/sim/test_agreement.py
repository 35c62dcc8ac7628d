"""make verify's backend agreement (sim/backend_agreement.py): what counts as the same answer."""

from __future__ import annotations

import numpy as np

from blurgauge.host.accelerator import Estimate
from blurgauge.model.cascade import AxisEstimate
from blurgauge.sim.backend_agreement import SIZE_TOLERANCE_PX, agrees, report


def _estimate(fine: int, expectation: float) -> Estimate:
    axis = AxisEstimate(0, 0.9, fine, np.array([0.5, 0.5]), 10.5, expectation)
    return Estimate("image", axis, axis, 0.0, [], 0.0)


def test_sizes_agree_up_to_float_rounding_and_classes_exactly() -> None:
    golden = _estimate(4, 11.075310696674405)
    assert agrees(_estimate(4, 11.075310745860406), golden)  # keras against golden, measured
    assert not agrees(_estimate(4, 11.0753 + 2 * SIZE_TOLERANCE_PX), golden)
    assert not agrees(_estimate(5, 11.075310696674405), golden)


def test_the_report_says_which_backend_differs() -> None:
    items = [("a.png * kernel1", None, (9, 17))]
    same = {"golden": [_estimate(4, 11.0)], "keras": [_estimate(4, 11.0 + 1e-8)]}
    text, agree = report(items, same, {"golden": 1.0, "keras": 1.0}, "cmd")
    assert agree and "**yes**" in text and "(differs)" not in text
    other = {"golden": [_estimate(4, 11.0)], "rtl": [_estimate(3, 11.0)]}
    text, agree = report(items, other, {"golden": 1.0, "rtl": 1.0}, "cmd")
    assert not agree and "**NO**" in text and "(differs)" in text
