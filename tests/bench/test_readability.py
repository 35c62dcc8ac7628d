"""The kernel-readability measures and the floor estimator, on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from bench.studies import readability

#: One row of column masses: a peak of 0.4 with tails down to 0.01.
PROFILE = np.array([[0.01, 0.09, 0.2, 0.4, 0.2, 0.09, 0.01]])


def test_visible_widths_of_a_hand_made_profile():
    assert readability.width_above_peak(PROFILE, 0.01) == 7  # 0.01 >= 1 % of 0.4
    assert readability.width_above_peak(PROFILE, 0.05) == 5  # 0.02 cuts the two outer columns
    assert readability.width_above_peak(PROFILE, 0.6) == 1
    # cumulative mass 0.01 0.10 0.30 0.70 0.90 0.99 1.00: the 5 % and 95 % points lie in columns 1 and 5
    assert readability.width_of_mass(PROFILE, 0.9) == 5
    assert readability.width_of_mass(PROFILE, 0.3) == 1  # 35 % and 65 %: both in the peak column
    # a kernel's rows do not matter, only its column sums
    assert readability.width_of_mass(np.vstack([PROFILE, PROFILE]) / 2, 0.9) == 5
    with pytest.raises(ValueError, match="share"):
        readability.width_of_mass(PROFILE, 0.0)


def test_floor_takes_the_best_estimate_per_visible_width():
    visible = np.array([1, 1, 1, 2])
    label = np.array([3, 4, 10, 7])
    # absolute: the median 4 for visible 1, exact for visible 2
    np.testing.assert_allclose(readability.floor_errors(visible, label, relative=False), [1, 0, 6, 0])
    # relative: the 1/label-weighted median is 4 (weights 1/3, 1/4, 1/10)
    np.testing.assert_allclose(readability.floor_errors(visible, label, relative=True), [1 / 3, 0, 0.6, 0])


def test_table_on_a_few_generator_kernels():
    rows = readability.readability_table(count=200, seed=3, progress=False)
    assert list(rows) == list(readability.MEASURES)
    for row in rows.values():
        assert 0 < row["visible / label, median"] <= 1  # the visible part never exceeds the label
        assert 0 <= row["floor rel. error"] < 0.5
    width, _, kernels = readability.sample_kernels(50, 4, progress=False)
    for w, k in zip(width, kernels, strict=True):
        assert readability.width_above_peak(k, 1e-15) == w  # the label: every column of the box carries light
