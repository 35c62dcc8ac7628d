"""Distinct-patch selection, as in the paper (section 2.2).

For the kernel width: take the horizontal gradient map of the image, scan it with 128x128 windows
at a stride of 10 px, and keep the window whose gradients have the largest standard deviation.
For the kernel height: do the same on the transposed image. One network then serves both axes.

Window statistics come from summed-area tables, so selection costs O(pixels), not O(windows x
patch). For images with integer gray levels (8-bit input) every sum is an exact integer in
float64, so the chosen window is exactly the brute-force one, ties broken by the first window in
row-major order.

Beyond the paper, ``distinct_windows`` returns several windows per axis: the largest spread first
(the paper's patch), then greedily the next largest that overlaps each earlier window by at most
``MAX_OVERLAP`` of its area. The cascade pools their probabilities (``model.cascade``), which lowers
the error on every test set (docs/results.md has the measurements).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PATCH_SIZE = 128
STRIDE = 10
#: An image needs one more column than the patch for a horizontal gradient, on both axes.
MIN_IMAGE_SIZE = PATCH_SIZE + 1
#: Two windows of one axis may share at most this fraction of their area; more would show the
#: networks nearly the same gradients twice.
MAX_OVERLAP = 0.5


@dataclass(frozen=True)
class Patch:
    """A selected gradient patch and where it came from."""

    gradient: np.ndarray  # (PATCH_SIZE, PATCH_SIZE) float64, in gray levels of 0..255
    row: int  # top-left corner in the gradient map
    col: int
    std: float  # standard deviation of the gradients in the window


def gray_levels(image: np.ndarray) -> np.ndarray:
    """Pixels as float64 8-bit gray levels: ``image`` is uint8 (0..255) or float in [0, 1]; both give the
    same scale."""
    img = np.asarray(image)
    return img.astype(np.float64) if img.dtype == np.uint8 else img.astype(np.float64) * 255.0


def horizontal_gradient(image: np.ndarray) -> np.ndarray:
    """Forward difference along columns, in 8-bit gray levels (``gray_levels``): shape (rows, cols - 1)."""
    return np.diff(gray_levels(image), axis=1)


def window_positions(length: int, size: int = PATCH_SIZE, stride: int = STRIDE) -> np.ndarray:
    """Start offsets of the windows along one axis: 0, stride, ... while the window fits."""
    if length < size:
        raise ValueError(f"axis of {length} px is shorter than the {size} px window")
    return np.arange(0, length - size + 1, stride)


def window_spread(grad: np.ndarray, size: int = PATCH_SIZE, stride: int = STRIDE) -> np.ndarray:
    """N^2 x variance of every window on the stride grid: shape (len(rows), len(cols)).

    N^2 var = N sum(g^2) - (sum g)^2 is exact for integer gradients and ranks windows exactly
    as the standard deviation does.
    """
    rows, cols = window_positions(grad.shape[0], size, stride), window_positions(grad.shape[1], size, stride)
    n = size * size

    def box_sums(values: np.ndarray) -> np.ndarray:
        table = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
        table[1:, 1:] = values.cumsum(0).cumsum(1)
        r0, c0 = rows[:, None], cols[None, :]
        return table[r0 + size, c0 + size] - table[r0, c0 + size] - table[r0 + size, c0] + table[r0, c0]

    s1, s2 = box_sums(grad), box_sums(grad * grad)
    return np.maximum(n * s2 - s1 * s1, 0.0)


def window_overlap(rows: np.ndarray, cols: np.ndarray, row: int, col: int, size: int = PATCH_SIZE) -> np.ndarray:
    """Shared area, as a fraction of a window, of every window on the grid with the one at (row, col)."""
    along_rows = np.maximum(size - np.abs(rows - row), 0)
    along_cols = np.maximum(size - np.abs(cols - col), 0)
    return np.outer(along_rows, along_cols) / float(size * size)


def distinct_windows(grad: np.ndarray, count: int = 1, max_overlap: float = MAX_OVERLAP,
                     size: int = PATCH_SIZE, stride: int = STRIDE) -> list[Patch]:
    """Up to ``count`` windows in decreasing spread, each overlapping every earlier one by at most
    ``max_overlap``; the first is the window of largest spread. A small image may give fewer."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if not 0.0 <= max_overlap < 1.0:
        raise ValueError(f"max_overlap must lie in [0, 1), got {max_overlap}")
    spread = window_spread(grad, size, stride)
    rows, cols = window_positions(grad.shape[0], size, stride), window_positions(grad.shape[1], size, stride)
    out: list[Patch] = []
    while len(out) < count:
        i, j = np.unravel_index(int(np.argmax(spread)), spread.shape)
        if spread[i, j] < 0:  # every window left overlaps one already taken
            break
        row, col = int(rows[i]), int(cols[j])
        std = float(np.sqrt(spread[i, j]) / (size * size))
        out.append(Patch(grad[row : row + size, col : col + size].copy(), row, col, std))
        spread[window_overlap(rows, cols, row, col, size) > max_overlap] = -1.0
    return out


def select_patch(grad: np.ndarray, size: int = PATCH_SIZE, stride: int = STRIDE) -> Patch:
    """The window of the gradient map with the largest standard deviation."""
    return distinct_windows(grad, 1, size=size, stride=stride)[0]


def check_image_size(image: np.ndarray) -> None:
    if min(image.shape[:2]) < MIN_IMAGE_SIZE:
        raise ValueError(
            f"image is {image.shape[1]}x{image.shape[0]} px; patch selection needs at least "
            f"{MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE}"
        )


def width_patches(image: np.ndarray, count: int = 1) -> list[Patch]:
    """Up to ``count`` distinct patches that carry the kernel's width (horizontal extent)."""
    check_image_size(image)
    return distinct_windows(horizontal_gradient(image), count)


def height_patches(image: np.ndarray, count: int = 1) -> list[Patch]:
    """The same selection on the transpose, for the kernel's height."""
    check_image_size(image)
    return distinct_windows(horizontal_gradient(np.asarray(image).T), count)


def width_patch(image: np.ndarray) -> Patch:
    """The distinct patch that carries the kernel's width (horizontal extent)."""
    return width_patches(image)[0]


def height_patch(image: np.ndarray) -> Patch:
    """The distinct patch that carries the kernel's height: the same selection on the transpose."""
    return height_patches(image)[0]


def distinct_patches(image: np.ndarray) -> tuple[Patch, Patch]:
    """(width patch, height patch) of a gray image."""
    return width_patch(image), height_patch(image)
