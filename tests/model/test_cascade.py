"""The cascade's decision, pooled over several patches per estimate, against a plain restatement."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model import classes
from blurgauge.model.cascade import run_cascade, run_native

OUTPUTS = 8


def table_logits(seed: int, patches: int):
    """A LogitsFn whose answers are fixed random rows keyed by the patch's first code, plus a log."""
    rng = np.random.default_rng(seed)
    table = {name: rng.normal(0, 2, (patches, OUTPUTS if name != "native" else classes.NUM_FINE))
             for name in ("coarse", "fine1", "fine2", "fine3", "fine4", "fine5", "native")}
    calls: list[tuple[str, list[int]]] = []

    def logits(name: str, codes: np.ndarray) -> np.ndarray:
        ids = [int(c[0, 0]) for c in codes]
        calls.append((name, ids))
        return table[name][ids]

    return logits, table, calls


def codes_for(patches: int) -> np.ndarray:
    codes = np.zeros((patches, 128, 128), np.int8)
    codes[:, 0, 0] = np.arange(patches)
    return codes


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def test_pooling_averages_the_coarse_and_then_the_chosen_fine_softmax():
    owners = np.array([0, 0, 0, 1, 2, 2])
    logits, table, calls = table_logits(3, len(owners))
    out = run_cascade(logits, codes_for(len(owners)), owners)
    assert len(out) == 3
    for est, members in zip(out, ([0, 1, 2], [3], [4, 5]), strict=True):
        coarse_p = np.mean([softmax(table["coarse"][i][: classes.NUM_COARSE]) for i in members], axis=0)
        k = int(coarse_p.argmax())
        intervals = classes.range_intervals(k)
        fine_p = np.mean([softmax(table[f"fine{k + 1}"][i][: len(intervals)]) for i in members], axis=0)
        assert est.coarse == k
        assert est.coarse_confidence == pytest.approx(coarse_p[k])
        np.testing.assert_allclose(est.fine_probabilities, fine_p, rtol=1e-12)
        assert est.fine == intervals[int(fine_p.argmax())].index
        assert est.expectation == pytest.approx(fine_p @ [iv.midpoint for iv in intervals])
    # every patch goes through the coarse network once, and once through its estimate's fine network
    assert calls[0] == ("coarse", list(range(len(owners))))
    fine_rows = sorted(i for name, ids in calls[1:] for i in ids)
    assert fine_rows == list(range(len(owners)))


def test_one_patch_per_estimate_is_the_unpooled_cascade():
    logits, _, _ = table_logits(5, 9)
    plain = run_cascade(logits, codes_for(9))
    pooled = run_cascade(logits, codes_for(9), np.arange(9))
    for a, b in zip(plain, pooled, strict=True):
        assert (a.coarse, a.fine, a.midpoint) == (b.coarse, b.fine, b.midpoint)
        np.testing.assert_array_equal(a.fine_probabilities, b.fine_probabilities)


def test_a_repeated_patch_pools_to_itself():
    logits, _, _ = table_logits(7, 2)
    codes = codes_for(2)[[0, 0, 0, 1]]  # patch 0 three times for estimate 0
    once = run_cascade(logits, codes_for(2))
    thrice = run_cascade(logits, codes, np.array([0, 0, 0, 1]))
    for a, b in zip(once, thrice, strict=True):
        assert (a.coarse, a.fine) == (b.coarse, b.fine)
        np.testing.assert_allclose(a.fine_probabilities, b.fine_probabilities, rtol=1e-12)


def test_native_pools_its_softmax():
    owners = np.array([0, 1, 1])
    logits, table, _ = table_logits(11, 3)
    out = run_native(logits, codes_for(3), owners)
    p = np.mean([softmax(table["native"][i]) for i in (1, 2)], axis=0)
    np.testing.assert_allclose(out[1].fine_probabilities, p, rtol=1e-12)
    assert out[1].fine == int(p.argmax())


@pytest.mark.parametrize("owners", [[0, 2], [1, 1], [0, 0, 1], [-1, 0]])
def test_owners_must_number_every_estimate(owners):
    logits, _, _ = table_logits(0, 3)
    with pytest.raises(ValueError, match="owners"):
        run_cascade(logits, codes_for(2), np.array(owners))


def test_given_ranges_replace_the_coarse_choice_and_nothing_else():
    owners = np.array([0, 0, 1, 2])
    logits, table, _ = table_logits(13, len(owners))
    chosen = run_cascade(logits, codes_for(4), owners)
    same = run_cascade(logits, codes_for(4), owners, np.array([e.coarse for e in chosen]))
    for a, b in zip(chosen, same, strict=True):
        assert (a.coarse, a.fine, a.expectation) == (b.coarse, b.fine, b.expectation)
    forced = run_cascade(logits, codes_for(4), owners, np.array([4, 0, 2]))
    for est, k, members in zip(forced, (4, 0, 2), ([0, 1], [2], [3]), strict=True):
        intervals = classes.range_intervals(k)
        fine_p = np.mean([softmax(table[f"fine{k + 1}"][i][: len(intervals)]) for i in members], axis=0)
        assert est.coarse == k
        np.testing.assert_allclose(est.fine_probabilities, fine_p, rtol=1e-12)
    for bad in ([0, 1], [0, 1, 5], [-1, 0, 0]):
        with pytest.raises(ValueError, match="ranges must hold one coarse range"):
            run_cascade(logits, codes_for(4), owners, np.array(bad))
