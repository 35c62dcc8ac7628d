"""The light spread of a kernel and the sweep's split by it, against hand-made kernels and sums."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model import classes
from blurgauge.model.data.kernels import line_kernel, random_kernel
from blurgauge.model.evaluation.light_spread import (
    SPREAD_EDGES,
    bin_labels,
    format_cell,
    light_spread,
    per_spread,
    spread_bins,
)


def test_even_light_spreads_fully_and_one_column_not_at_all():
    assert light_spread(np.ones((3, 10)), "width") == pytest.approx(1.0)
    one_column = np.zeros((5, 10))
    one_column[:, 4] = 1.0
    assert light_spread(one_column, "width") == pytest.approx(1.0)  # the box is that one column
    one_column[0, 0] = one_column[0, 9] = 1e-9  # a faint trace at both ends widens the box to 10
    assert light_spread(one_column, "width") == pytest.approx(0.1)
    # a third of the columns, evenly lit, and the rest dark but inside the box
    third = np.zeros((1, 30))
    third[0, :10], third[0, -1] = 1.0, 1e-9
    assert light_spread(third, "width") == pytest.approx(1 / 3, rel=1e-6)


def test_height_is_the_width_of_the_transpose():
    rng = np.random.default_rng(3)
    kernel, _ = random_kernel(21, 9, rng)
    assert light_spread(kernel, "height") == pytest.approx(light_spread(kernel.T, "width"))
    # blank columns outside the box do not count
    padded = np.pad(kernel, ((0, 0), (4, 7)))
    assert light_spread(padded, "width") == pytest.approx(light_spread(kernel, "width"))


def test_a_straight_line_spreads_its_light_evenly_and_a_dwelling_path_does_not():
    line = line_kernel(40, 3, np.random.default_rng(0))
    assert light_spread(line, "width") > 0.95
    dwell = np.zeros((1, 40))
    dwell[0, 5] = 0.9
    dwell[0, :] += 0.1 / 40  # a faint trail across the whole box
    assert light_spread(dwell, "width") < 0.05


@pytest.mark.parametrize("bad, message", [(np.ones(4), "2-D"), (np.zeros((3, 3)), "no non-zero"),
                                          (-np.ones((3, 3)), "negative")])
def test_bad_kernels_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        light_spread(bad, "width")
    with pytest.raises(ValueError, match="axis"):
        light_spread(np.ones((3, 3)), "diagonal")


def test_bins_cover_every_spread_once():
    spreads = np.array([0.01, *SPREAD_EDGES, 0.99, 1.0])
    assert spread_bins(spreads).tolist() == [0, 1, 2, 3, 3, 3]  # an edge opens the bin above it
    assert len(bin_labels()) == len(SPREAD_EDGES) + 1


def test_per_spread_rows_make_the_whole():
    rng = np.random.default_rng(1)
    truth = rng.integers(classes.MIN_EXTENT, classes.MAX_EXTENT + 1, 200).astype(float)
    sizes = truth * rng.uniform(0.3, 1.5, 200)
    alone = truth * rng.uniform(0.8, 1.2, 200)
    coarse = classes.coarse_class(sizes.round().clip(classes.MIN_EXTENT, classes.MAX_EXTENT).astype(int))
    spread = rng.uniform(0.05, 1.0, 200)
    rows = per_spread(spread, truth, sizes, coarse, alone)
    assert sum(r["n"] for r in rows) == 200 and sum(r["share"] for r in rows) == pytest.approx(1.0)
    rel = np.abs(sizes - truth) / truth
    assert sum(r["n"] * r["rel. error"] for r in rows) / 200 == pytest.approx(rel.mean())
    low = rows[0]
    m = spread < SPREAD_EDGES[0]
    expected_low = np.mean(coarse[m] <= classes.coarse_class(truth[m].astype(int)) - 2)
    assert low["read 2+ ranges low"] == pytest.approx(expected_low)
    assert low["median estimate / truth"] == pytest.approx(np.median(sizes[m] / truth[m]))
    # the per-range errors of a bin weigh up to its error
    ranges = classes.coarse_class(truth.astype(int))
    counts = [np.sum(m & (ranges == k)) for k in range(classes.NUM_COARSE)]
    by_range = low["rel. error R1..R5"]
    assert sum(c * e for c, e in zip(counts, by_range, strict=True) if c) / m.sum() == pytest.approx(low["rel. error"])
    assert format_cell([0.131, None]) == "13/- %" and format_cell(0.5) == "0.50" and format_cell(None) == "-"
    # a bin without samples has no figures, and JSON can hold that
    empty = per_spread(np.full(200, 0.99), truth, sizes, coarse, alone)[0]
    assert empty["n"] == 0 and empty["rel. error"] is None and empty["rel. error R1..R5"] == [None] * 5
    with pytest.raises(ValueError, match="unknown"):
        per_spread(np.full(200, np.nan), truth, sizes, coarse, alone)
