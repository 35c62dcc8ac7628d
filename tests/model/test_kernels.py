"""Blur kernels: non-negative, normalised, and with exactly the requested support."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model.data import kernels

SEEDS = [0, 1, 2]
# Both ends of the class range and a spread between; the other axis also takes 1 and 2 px.
EXTENTS = [3, 4, 5, 6, 9, 16, 23, 37, 50, 64, 71, 88, 94, 95]
THIN = [1, 2]
SIZES = (
    [(w, h) for w in EXTENTS for h in EXTENTS + THIN]
    + [(w, h) for w in THIN for h in EXTENTS]
)


def bounding_box(kernel: np.ndarray) -> tuple[int, int]:
    """(width, height) of the non-zero support, computed independently of the module."""
    rows, cols = np.nonzero(kernel)
    assert rows.size > 0
    return int(cols.max() - cols.min() + 1), int(rows.max() - rows.min() + 1)


def check_kernel(kernel: np.ndarray, width: int, height: int, what: str) -> None:
    assert kernel.ndim == 2, what
    assert np.all(np.isfinite(kernel)), what
    assert kernel.min() >= 0.0, what
    assert abs(kernel.sum() - 1.0) <= 1e-9, what
    assert bounding_box(kernel) == (width, height), what


@pytest.mark.parametrize("exposure", [True, False])
@pytest.mark.parametrize("seed", SEEDS)
def test_shake_kernel_support_is_exact(seed, exposure):
    for width, height in SIZES:
        rng = np.random.default_rng([seed, width, height])
        kernel = kernels.shake_kernel(width, height, rng, exposure=exposure)
        check_kernel(kernel, width, height, f"shake {width}x{height} seed {seed} exposure {exposure}")


@pytest.mark.parametrize("seed", SEEDS)
def test_line_kernel_support_is_exact(seed):
    for width, height in SIZES:
        rng = np.random.default_rng([seed, width, height])
        kernel = kernels.line_kernel(width, height, rng)
        check_kernel(kernel, width, height, f"line {width}x{height} seed {seed}")


@pytest.mark.parametrize("seed", SEEDS)
def test_random_kernel_support_is_exact(seed):
    rng = np.random.default_rng(seed)
    kinds = set()
    for width, height in SIZES:
        kernel, kind = kernels.random_kernel(width, height, rng, line_fraction=0.5)
        kinds.add(kind)
        check_kernel(kernel, width, height, f"{kind} {width}x{height} seed {seed}")
    assert kinds == {"shake", "line"}


@pytest.mark.parametrize("seed", SEEDS)
def test_curve_kernel_support_is_exact(seed):
    for width, height in SIZES:
        rng = np.random.default_rng([seed, width, height])
        kernel = kernels.curve_kernel(width, height, rng)
        check_kernel(kernel, width, height, f"curve {width}x{height} seed {seed}")


def test_curves_bend_smoothly_at_constant_speed():
    """A curve's heading changes a little from step to step (no sudden turns, unlike the shake walk's),
    and its steps are of one length but in a dwell."""
    for seed in range(20):
        path = kernels.curve_trajectory(np.random.default_rng(seed))
        step = np.diff(path, axis=0)
        length = np.hypot(step[:, 0], step[:, 1])
        assert np.all(np.isclose(length, 1.0) | (length < 0.41)), "a step is of unit length, or slow in a dwell"
        assert np.mean(np.isclose(length, 1.0)) >= 0.7  # a dwell takes at most 30 % of the steps
        turn = np.angle(np.exp(1j * np.diff(np.arctan2(step[:, 1], step[:, 0]))))
        assert np.abs(turn).max() < 0.5, f"seed {seed}: a turn of {np.abs(turn).max():.2f} rad in one step"


def test_random_kernel_draws_curves_only_when_asked():
    """With no curve share the generator draws exactly as the two-family one did (data sets reproduce)."""
    first = [kernels.random_kernel(20, 30, np.random.default_rng(s)) for s in range(30)]
    again = [kernels.random_kernel(20, 30, np.random.default_rng(s), curve_fraction=0.0) for s in range(30)]
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(first, again, strict=True))
    assert {kind for _, kind in first} == {"shake", "line"}
    mixed = {kernels.random_kernel(20, 30, np.random.default_rng(s), curve_fraction=0.5)[1] for s in range(60)}
    assert mixed == {"shake", "line", "curve"}


@pytest.mark.parametrize(("width", "height", "curves"), [(20, 30, False), (35, 3, False), (36, 3, True), (9, 60, True)])
def test_curves_go_to_walks_below_the_minimum_extent(width, height, curves):
    """``curve_min_extent`` looks at the box's larger side: below it every curve draw becomes a shake walk."""
    kinds = {kernels.random_kernel(width, height, np.random.default_rng(s), curve_fraction=0.5,
                                   curve_min_extent=36)[1] for s in range(60)}
    assert kinds == ({"shake", "line", "curve"} if curves else {"shake", "line"})


def _distance_to_line(cols, rows, x0, y0, x1, y1):
    return np.abs((x1 - x0) * (rows - y0) - (y1 - y0) * (cols - x0)) / np.hypot(x1 - x0, y1 - y0)


@pytest.mark.parametrize(("width", "height"), [(5, 5), (30, 7), (4, 60), (95, 94)])
def test_line_kernel_lies_along_a_diagonal(width, height):
    # Straight motion across the box: every non-zero cell is within bilinear reach (sqrt 2 px) of
    # one of the two diagonals of the box, and both signs occur over seeds.
    seen = set()
    for seed in range(10):
        kernel = kernels.line_kernel(width, height, np.random.default_rng(seed))
        rows, cols = np.nonzero(kernel)
        main = _distance_to_line(cols, rows, 0, 0, width - 1, height - 1).max()
        anti = _distance_to_line(cols, rows, 0, height - 1, width - 1, 0).max()
        assert min(main, anti) <= np.sqrt(2) + 1e-9
        seen.add("main" if main <= anti else "anti")
    assert seen == {"main", "anti"}


def test_thin_line_kernel_is_a_continuous_stroke():
    kernel = kernels.line_kernel(40, 1, np.random.default_rng(0))
    assert kernel.shape == (1, 40)
    assert np.all(kernel > 0)


def test_kernel_extent_on_hand_made_arrays():
    k = np.zeros((7, 9))
    k[1, 2] = 0.5
    k[4, 7] = 0.25
    assert kernels.kernel_extent(k) == (6, 4)  # columns 2..7, rows 1..4
    single = np.zeros((5, 5))
    single[3, 1] = 1.0
    assert kernels.kernel_extent(single) == (1, 1)
    full = np.ones((3, 8))
    assert kernels.kernel_extent(full) == (8, 3)
    negative = np.zeros((6, 6))
    negative[0, 0], negative[5, 2] = -1.0, 1.0  # any non-zero value counts
    assert kernels.kernel_extent(negative) == (3, 6)


def test_kernel_extent_rejects_bad_arrays():
    with pytest.raises(ValueError):
        kernels.kernel_extent(np.zeros((4, 4)))
    with pytest.raises(ValueError):
        kernels.kernel_extent(np.ones(5))
    with pytest.raises(ValueError):
        kernels.kernel_extent(np.ones((2, 2, 2)))


def test_kernel_extent_agrees_with_generated_kernels():
    rng = np.random.default_rng(11)
    for width, height in [(3, 95), (95, 3), (40, 1), (2, 17)]:
        kernel = kernels.shake_kernel(width, height, rng)
        assert kernels.kernel_extent(kernel) == (width, height)


@pytest.mark.parametrize("bad", [0, -1, 2.5])
@pytest.mark.parametrize("family", ["shake", "line"])
def test_invalid_extents_raise(family, bad):
    make = kernels.shake_kernel if family == "shake" else kernels.line_kernel
    with pytest.raises(ValueError):
        make(bad, 10, np.random.default_rng(0))
    with pytest.raises(ValueError):
        make(10, bad, np.random.default_rng(0))


def test_same_seed_same_kernel():
    for width, height in [(17, 9), (95, 95), (3, 1)]:
        a = kernels.shake_kernel(width, height, np.random.default_rng(5))
        b = kernels.shake_kernel(width, height, np.random.default_rng(5))
        np.testing.assert_array_equal(a, b)
        a = kernels.line_kernel(width, height, np.random.default_rng(5))
        b = kernels.line_kernel(width, height, np.random.default_rng(5))
        np.testing.assert_array_equal(a, b)
    ka, kind_a = kernels.random_kernel(30, 20, np.random.default_rng(9))
    kb, kind_b = kernels.random_kernel(30, 20, np.random.default_rng(9))
    assert kind_a == kind_b
    np.testing.assert_array_equal(ka, kb)


def test_different_seeds_differ():
    a = kernels.shake_kernel(31, 31, np.random.default_rng(1))
    b = kernels.shake_kernel(31, 31, np.random.default_rng(2))
    assert not np.array_equal(a, b)


def test_random_kernels_have_a_faint_rim_like_measured_ones():
    """Levin's kernels: the part above 1 % of the peak is 70-88 % of the non-zero box. Ours too."""
    rng = np.random.default_rng(7)
    ratios = []
    for _ in range(60):
        kernel, _ = kernels.random_kernel(15, 15, rng)
        visible = np.where(kernel >= 0.01 * kernel.max(), kernel, 0)
        ratios.append(kernels.kernel_extent(visible)[0] / 15)
    assert 0.7 <= np.median(ratios) <= 0.95
    assert max(ratios) == 1.0  # some kernels have no rim
