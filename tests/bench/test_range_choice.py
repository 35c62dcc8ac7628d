"""The range-choice study's rules, on coarse and fine readings worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from bench.studies.range_choice import RULES, choose

# Two maps, five ranges. Map 0: the coarse network prefers R1 (0.5) over R3 (0.4), but R1's fine network is
# unsure (peak 0.2) where R3's is sure (0.9). Map 1: R5 clearly, every fine network equally sure.
COARSE = np.array([[0.5, 0.05, 0.4, 0.03, 0.02], [0.0, 0.0, 0.1, 0.2, 0.7]])
SIZES = np.array([[10.0, 25.0, 40.0, 55.0, 80.0], [11.0, 27.0, 42.0, 57.0, 90.0]])
PEAKS = np.array([[0.2, 0.5, 0.9, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5]])
TRUTH = np.array([44.0, 60.0])


@pytest.mark.parametrize(("rule", "expected"), [
    ("argmax", [10.0, 90.0]),
    ("joint", [40.0, 90.0]),            # 0.5 x 0.2 = 0.10 < 0.4 x 0.9 = 0.36
    ("joint top-2", [40.0, 90.0]),      # map 1's top two: R5, R4
    ("mixture", [0.5 * 10 + 0.05 * 25 + 0.4 * 40 + 0.03 * 55 + 0.02 * 80, 0.1 * 42 + 0.2 * 57 + 0.7 * 90]),
    ("top-2 oracle", [40.0, 57.0]),     # of R1 / R3: 40 is nearer 44; of R5 / R4: 57 nearer 60
])
def test_each_rule_picks_the_worked_size(rule, expected) -> None:
    assert choose(rule, COARSE, SIZES, PEAKS, TRUTH) == pytest.approx(expected)


def test_every_rule_is_tested_and_unknown_ones_are_refused() -> None:
    assert set(RULES) == {"argmax", "joint", "joint top-2", "mixture", "top-2 oracle"}
    with pytest.raises(ValueError, match="rule must be one of"):
        choose("vote", COARSE, SIZES, PEAKS)
    with pytest.raises(ValueError, match="needs the truth"):
        choose("top-2 oracle", COARSE, SIZES, PEAKS)
