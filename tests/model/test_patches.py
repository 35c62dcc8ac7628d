"""Distinct-patch selection against a brute-force reading of the paper's definition."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model.inputs import patches

SIZE, STRIDE = 128, 10


def brute_force(grad: np.ndarray) -> tuple[int, int, float]:
    """(row, col, std) of the stride-10 128x128 window with the largest np.std; first one wins."""
    best, where = -1.0, None
    for row in range(0, grad.shape[0] - SIZE + 1, STRIDE):
        for col in range(0, grad.shape[1] - SIZE + 1, STRIDE):
            std = float(np.std(grad[row : row + SIZE, col : col + SIZE]))
            if std > best:  # strictly greater: ties keep the first window in row-major order
                best, where = std, (row, col)
    assert where is not None
    return where[0], where[1], best


def random_image(seed: int, shape: tuple[int, int], planted: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if not planted:
        return rng.integers(0, 256, shape).astype(np.uint8)
    image = rng.integers(100, 110, shape)  # quiet background
    image[60:100, 150:200] = rng.integers(0, 256, (40, 50))  # one busy region
    return image.astype(np.uint8)


CASES = [
    (0, (129, 129), False),
    (1, (200, 300), False),
    (2, (321, 481), False),
    (3, (481, 321), False),
    (4, (157, 268), False),
    (5, (200, 300), True),
]


@pytest.mark.parametrize(("seed", "shape", "planted"), CASES)
def test_select_patch_equals_brute_force(seed, shape, planted):
    image = random_image(seed, shape, planted)
    grad = np.diff(image.astype(np.float64), axis=1)
    row, col, std = brute_force(grad)
    patch = patches.select_patch(grad)
    assert (patch.row, patch.col) == (row, col)
    assert patch.std == pytest.approx(std, rel=1e-9)
    assert patch.gradient.shape == (SIZE, SIZE)
    np.testing.assert_array_equal(patch.gradient, grad[row : row + SIZE, col : col + SIZE])


@pytest.mark.parametrize(("seed", "shape", "planted"), CASES)
def test_width_and_height_patch_equal_brute_force(seed, shape, planted):
    image = random_image(seed, shape, planted)
    for patch, oriented in ((patches.width_patch(image), image), (patches.height_patch(image), image.T)):
        grad = np.diff(oriented.astype(np.float64), axis=1)
        row, col, std = brute_force(grad)
        assert (patch.row, patch.col) == (row, col)
        assert patch.std == pytest.approx(std, rel=1e-9)


def test_planted_region_is_inside_the_chosen_window():
    image = random_image(5, (200, 300), planted=True)
    patch = patches.width_patch(image)
    assert patch.row <= 60 and patch.row + SIZE >= 100
    assert patch.col <= 150 and patch.col + SIZE >= 199  # gradient columns 150..198


def test_ties_keep_the_first_window():
    # A constant image: every window has std 0, so the first (top-left) one is chosen.
    image = np.full((250, 260), 77, dtype=np.uint8)
    patch = patches.width_patch(image)
    assert (patch.row, patch.col, patch.std) == (0, 0, 0.0)
    # A periodic image with period 10 px: all stride-10 windows are identical.
    rng = np.random.default_rng(3)
    tile = rng.integers(0, 256, (10, 10))
    periodic = np.tile(tile, (25, 26)).astype(np.uint8)
    patch = patches.width_patch(periodic)
    assert (patch.row, patch.col) == (0, 0)


@pytest.mark.parametrize("shape", [(129, 129), (200, 300), (231, 140)])
def test_width_patch_of_transpose_is_height_patch(shape):
    image = random_image(sum(shape), shape)
    a, b = patches.width_patch(image.T), patches.height_patch(image)
    assert (a.row, a.col, a.std) == (b.row, b.col, b.std)
    np.testing.assert_array_equal(a.gradient, b.gradient)


def test_horizontal_gradient_uint8_equals_float():
    image = random_image(9, (40, 57))
    from_uint8 = patches.horizontal_gradient(image)
    from_float = patches.horizontal_gradient(image.astype(np.float64) / 255.0)
    assert from_uint8.shape == (40, 56)
    np.testing.assert_allclose(from_float, from_uint8, rtol=0, atol=1e-9)
    # In gray levels, with the right sign: the forward difference along columns.
    np.testing.assert_array_equal(from_uint8, np.diff(image.astype(np.int64), axis=1))


@pytest.mark.parametrize("shape", [(128, 128), (100, 300), (300, 100), (129, 128)])
def test_too_small_images_are_rejected(shape):
    image = np.zeros(shape, dtype=np.uint8)
    rows, cols = shape
    for select in (patches.width_patch, patches.height_patch, patches.distinct_patches):
        with pytest.raises(ValueError) as info:
            select(image)
        message = str(info.value)
        assert f"{cols}x{rows}" in message or f"{rows}x{cols}" in message


def test_min_image_size():
    assert patches.MIN_IMAGE_SIZE == 129
    image = random_image(1, (129, 129))
    a, b = patches.distinct_patches(image)
    assert a.gradient.shape == b.gradient.shape == (128, 128)
    assert (a.row, a.col, b.row, b.col) == (0, 0, 0, 0)


def brute_force_distinct(grad: np.ndarray, count: int, max_overlap: float) -> list[tuple[int, int]]:
    """The greedy choice spelled out: windows by decreasing np.std (first in row-major order on ties),
    each kept if it shares at most ``max_overlap`` of its area with every window kept before it."""
    windows = [(float(np.std(grad[r : r + SIZE, c : c + SIZE])), r, c)
               for r in range(0, grad.shape[0] - SIZE + 1, STRIDE)
               for c in range(0, grad.shape[1] - SIZE + 1, STRIDE)]
    order = sorted(range(len(windows)), key=lambda i: (-windows[i][0], i))
    kept: list[tuple[int, int]] = []
    for i in order:
        _, r, c = windows[i]
        shared = [max(0, SIZE - abs(r - r2)) * max(0, SIZE - abs(c - c2)) / SIZE**2 for r2, c2 in kept]
        if all(s <= max_overlap for s in shared):
            kept.append((r, c))
            if len(kept) == count:
                break
    return kept


@pytest.mark.parametrize(("seed", "shape", "planted"), CASES[1:4])
@pytest.mark.parametrize("max_overlap", [0.0, 0.5])
def test_distinct_windows_equal_the_greedy_brute_force(seed, shape, planted, max_overlap):
    grad = np.diff(random_image(seed, shape, planted).astype(np.float64), axis=1)
    found = patches.distinct_windows(grad, 5, max_overlap)
    assert [(p.row, p.col) for p in found] == brute_force_distinct(grad, 5, max_overlap)
    first = patches.select_patch(grad)
    assert (found[0].row, found[0].col) == (first.row, first.col)  # the paper's patch leads
    for p in found:
        np.testing.assert_array_equal(p.gradient, grad[p.row : p.row + SIZE, p.col : p.col + SIZE])
        assert p.std == pytest.approx(float(np.std(p.gradient)), rel=1e-9)


def test_distinct_windows_stop_when_the_image_has_no_more():
    small = np.diff(random_image(0, (129, 129)).astype(np.float64), axis=1)  # one window only
    assert len(patches.distinct_windows(small, 4)) == 1
    image = random_image(1, (200, 300))
    # 200 rows, 300 columns: at most half a window's overlap leaves room for a few windows, not ten
    grad = np.diff(image.astype(np.float64), axis=1)
    assert 1 < len(patches.distinct_windows(grad, 10)) < 10
    assert [(p.row, p.col) for p in patches.width_patches(image, 3)] == \
        [(p.row, p.col) for p in patches.distinct_windows(grad, 3)]


def test_distinct_windows_refuse_bad_arguments():
    grad = np.zeros((140, 140))
    with pytest.raises(ValueError, match="count"):
        patches.distinct_windows(grad, 0)
    with pytest.raises(ValueError, match="max_overlap"):
        patches.distinct_windows(grad, 2, max_overlap=1.0)
