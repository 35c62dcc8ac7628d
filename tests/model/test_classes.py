"""The class table against the paper's specification, written out independently here."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model import classes

# The specification: upper edges of the fine intervals, per coarse range. Every interval is
# (previous edge, edge], except the first one, [3, 5].
SPEC_UPPER_EDGES = [
    [5, 7, 9, 11, 13, 15, 17, 19],  # R1 = [3,5], (5,7] .. (17,19]
    [21, 23, 25, 27, 29, 31, 33, 35],  # R2 = (19,21] .. (33,35]
    [37, 39, 41, 43, 45, 47, 49],  # R3 = (35,37] .. (47,49]
    [51, 53, 55, 57, 59, 61, 63],  # R4 = (49,51] .. (61,63]
    [67, 71, 75, 79, 83, 87, 91, 95],  # R5 = (63,67], (67,71] .. (91,95]
]


def _spec_intervals() -> list[dict]:
    """(fine, coarse, local, lo, hi, label) of every interval, from the spec alone."""
    out = []
    previous = None
    for coarse, edges in enumerate(SPEC_UPPER_EDGES):
        for local, hi in enumerate(edges):
            if previous is None:
                lo, label = 3, f"[3,{hi}]"
            else:
                lo, label = previous + 1, f"({previous},{hi}]"
            out.append(
                {"fine": len(out), "coarse": coarse, "local": local, "lo": lo, "hi": hi, "label": label}
            )
            previous = hi
    return out


SPEC = _spec_intervals()


def _spec_fine_of(extent: int) -> int:
    hits = [iv["fine"] for iv in SPEC if iv["lo"] <= extent <= iv["hi"]]
    assert len(hits) == 1, f"spec itself is broken at {extent}"
    return hits[0]


def test_table_size_and_counts_per_range():
    assert classes.NUM_FINE == 38
    assert classes.NUM_COARSE == 5
    assert len(classes.intervals()) == 38
    counts = [len(classes.range_intervals(c)) for c in range(classes.NUM_COARSE)]
    assert counts == [8, 8, 7, 7, 8]


def test_no_range_exceeds_head_outputs():
    assert classes.HEAD_OUTPUTS == 8
    for coarse in range(classes.NUM_COARSE):
        assert len(classes.range_intervals(coarse)) <= classes.HEAD_OUTPUTS


def test_intervals_match_spec_edges():
    got = [
        {"fine": iv.index, "coarse": iv.coarse, "local": iv.local, "lo": iv.lo, "hi": iv.hi,
         "label": iv.label}
        for iv in classes.intervals()
    ]
    assert got == SPEC


def test_range_bounds_match_spec():
    expected = [(3, 19), (20, 35), (36, 49), (50, 63), (64, 95)]
    assert [classes.range_bounds(c) for c in range(5)] == expected
    assert (classes.MIN_EXTENT, classes.MAX_EXTENT) == (3, 95)


def test_every_extent_in_exactly_one_interval():
    for extent in range(3, 96):
        containing = [iv for iv in classes.intervals() if extent in iv.members]
        assert len(containing) == 1, extent
        assert classes.fine_class(extent) == containing[0].index == _spec_fine_of(extent)
    # The intervals tile 3..95 without gaps or overlaps.
    members = [e for iv in classes.intervals() for e in iv.members]
    assert members == list(range(3, 96))


def test_coarse_class_consistent_with_fine_interval():
    for extent in range(3, 96):
        fine = classes.fine_class(extent)
        spec_coarse = SPEC[_spec_fine_of(extent)]["coarse"]
        assert classes.coarse_class(extent) == spec_coarse, extent
        assert classes.coarse_of_fine(fine) == spec_coarse
        assert classes.intervals()[fine].coarse == spec_coarse
        lo, hi = classes.range_bounds(spec_coarse)
        assert lo <= extent <= hi


@pytest.mark.parametrize("bad", [2, 96, 3.5, 0, -4, 94.5, np.array([3, 50, 96]), np.array([2.0, 5.0])])
def test_out_of_range_or_fractional_extent_raises(bad):
    with pytest.raises(ValueError):
        classes.fine_class(bad)
    with pytest.raises(ValueError):
        classes.coarse_class(bad)


def test_vectorised_equals_scalar_calls():
    extents = np.arange(3, 96)
    rng = np.random.default_rng(7)
    shuffled = rng.permutation(extents).reshape(3, 31)
    fine = classes.fine_class(shuffled)
    coarse = classes.coarse_class(shuffled)
    assert fine.shape == shuffled.shape and coarse.shape == shuffled.shape
    for idx in np.ndindex(shuffled.shape):
        e = int(shuffled[idx])
        assert fine[idx] == classes.fine_class(e) == _spec_fine_of(e)
        assert coarse[idx] == classes.coarse_class(e)
    # Whole-number floats are accepted and give the same classes.
    np.testing.assert_array_equal(classes.fine_class(shuffled.astype(float)), fine)
    # Scalars come back as plain ints.
    assert type(classes.fine_class(40)) is int
    assert type(classes.coarse_class(np.int64(40))) is int


def test_local_round_trip():
    for fine in range(38):
        coarse, local = classes.coarse_of_fine(fine), classes.local_of_fine(fine)
        assert (coarse, local) == (SPEC[fine]["coarse"], SPEC[fine]["local"])
        assert classes.fine_from_local(coarse, local) == fine
    for coarse, edges in enumerate(SPEC_UPPER_EDGES):
        for local in range(len(edges)):
            fine = classes.fine_from_local(coarse, local)
            assert classes.local_of_fine(fine) == local
            assert classes.coarse_of_fine(fine) == coarse


@pytest.mark.parametrize(("coarse", "local"), [(2, 7), (3, 7), (0, 8), (0, -1), (5, 0), (-1, 0)])
def test_fine_from_local_rejects_bad_outputs(coarse, local):
    with pytest.raises(ValueError):
        classes.fine_from_local(coarse, local)


def test_midpoints():
    mids = classes.midpoints()
    assert mids.shape == (38,)
    np.testing.assert_allclose(mids, [(iv["lo"] + iv["hi"]) / 2 for iv in SPEC])
    assert mids[0] == 4.0 and mids[-1] == 93.5


def test_generated_docs_are_current():
    from blurgauge.hw.docgen import DOCS, GENERATED

    for name, make in GENERATED.items():
        assert (DOCS / name).read_text() == make(), f"docs/{name} is stale: run `make docs`"
