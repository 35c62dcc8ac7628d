"""Sharp images: a procedural dead-leaves source for training, and loading of user images.

Images are float64 arrays in [0, 1], gray, shape (rows, columns).

The dead-leaves model (occluding shapes with a power-law size distribution) reproduces the
scale invariance and the edge statistics of natural images, which is what a blur-size classifier
learns from; it gives an unlimited supply of training images and keeps the natural test images
(BSD68, Set12, Kodak24) strictly out of training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage

#: File suffixes read as images (by Pillow) or as raw arrays (numpy).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".pgm", ".ppm", ".webp")
ARRAY_SUFFIXES = (".npy",)


class ImageError(ValueError):
    """An input image that cannot be used; the message names the file."""


# --------------------------------------------------------------------------------------------
# Dead leaves
# --------------------------------------------------------------------------------------------


def _power_law_radius(rng: np.random.Generator, rmin: float, rmax: float, n: int) -> np.ndarray:
    """Radii with density proportional to r**-3 (scale invariance), by inverse transform."""
    u = rng.random(n)
    return (rmin**-2 - u * (rmin**-2 - rmax**-2)) ** -0.5


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Unit-variance noise with a random correlation length: a texture to modulate leaves with."""
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), rng.uniform(0.5, 3.0))
    return noise / max(noise.std(), 1e-9)


def dead_leaves(
    rng: np.random.Generator,
    shape: tuple[int, int] = (256, 256),
    leaves: int | None = None,
    rmin: float = 3.0,
    rmax: float | None = None,
    coverage: float = 4.0,
) -> np.ndarray:
    """A dead-leaves image in [0, 1]: shapes painted back to front with anti-aliased edges.

    Shapes are disks, ellipses and rotated rectangles (straight edges at every orientation),
    each with its own gray level, a linear shading and, for some, a texture. Edges are
    anti-aliased analytically from a signed distance, so no staircase artefacts enter the
    gradients. A slight random optical blur and contrast complete the camera model.
    """
    rows, cols = shape
    rmax = rmax if rmax is not None else 0.4 * max(rows, cols)
    if leaves is None:
        # Mean leaf area for r ~ r**-3 on [rmin, rmax] is about 2 pi rmin^2 ln(rmax / rmin); paint
        # enough leaves to cover the image ``coverage`` times so little background shows through.
        mean_area = 2 * np.pi * rmin**2 * np.log(rmax / rmin)
        leaves = int(coverage * rows * cols / mean_area) + 1
    image = np.full(shape, rng.random())
    texture = _smooth_noise(rng, shape)
    radii = _power_law_radius(rng, rmin, rmax, leaves)
    centres = rng.random((leaves, 2)) * [rows, cols]
    kinds = rng.choice(3, size=leaves, p=[0.5, 0.25, 0.25])
    values = rng.random(leaves)
    # Every per-leaf draw up front: one generator call per quantity, not per leaf.
    aspects = np.where(kinds == 0, 1.0, rng.uniform(0.25, 1.0, leaves))
    thetas = rng.uniform(0, np.pi, leaves)
    cosines, sines = np.cos(thetas), np.sin(thetas)
    shades = rng.normal(0, 1.0, (leaves, 2)) * (0.15 / np.maximum(radii, 1.0))[:, None]
    textured = rng.random(leaves) < 0.3
    texture_gain = rng.uniform(0.02, 0.12, leaves)
    for i in range(leaves):
        r, (cy, cx) = radii[i], centres[i]
        y0, y1 = max(int(cy - r) - 1, 0), min(int(cy + r) + 2, rows)
        x0, x1 = max(int(cx - r) - 1, 0), min(int(cx + r) + 2, cols)
        if y0 >= y1 or x0 >= x1:
            continue
        dy = np.arange(y0, y1)[:, None] - cy
        dx = np.arange(x0, x1)[None, :] - cx
        u = dx * cosines[i] + dy * sines[i]
        v = dy * cosines[i] - dx * sines[i]
        if kinds[i] == 2:  # rotated rectangle
            distance = np.maximum(np.abs(u) - r, np.abs(v) - aspects[i] * r)
        else:  # disk or ellipse (distance approximated in the stretched frame)
            distance = (np.sqrt(u * u + (v / aspects[i]) ** 2) - r) * aspects[i]
        alpha = np.clip(0.5 - distance, 0.0, 1.0)
        fill = values[i] + shades[i, 0] * dy + shades[i, 1] * dx
        if textured[i]:
            fill = fill + texture_gain[i] * texture[y0:y1, x0:x1]
        patch = image[y0:y1, x0:x1]
        patch += alpha * (fill - patch)
    image = ndimage.gaussian_filter(image, rng.uniform(0.0, 0.8))
    low, high = np.percentile(image, [1, 99])
    contrast = rng.uniform(0.3, 1.0)
    image = (image - low) / max(high - low, 1e-6) * contrast + rng.uniform(0.0, 1.0 - contrast)
    return np.clip(image, 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# Loading user images
# --------------------------------------------------------------------------------------------

_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as Pillow's "L" conversion


def to_gray(pixels: np.ndarray, source: str = "image") -> np.ndarray:
    """Gray float image in [0, 1] from a numpy array (gray, RGB or RGBA; integer or float).

    Integer data is scaled by the full range of its type (8-bit by 255, 16-bit by 65535); float
    data must be finite and is taken as already in [0, 1] (values outside are clipped).
    """
    arr = np.asarray(pixels)
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        arr = arr[..., 0] if arr.shape[2] == 1 else arr[..., :3]  # alpha does not carry blur
    elif arr.ndim != 2:
        raise ImageError(f"{source}: expected a 2-D gray or 3-D colour image, got shape {arr.shape}")
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    elif np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        if info.min < 0:
            raise ImageError(f"{source}: signed integer pixels ({arr.dtype}) are not an image format")
        arr = arr.astype(np.float64) / info.max
    elif np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            raise ImageError(f"{source}: {bad} pixel value(s) are NaN or infinite")
        arr = np.clip(arr, 0.0, 1.0)
    else:
        raise ImageError(f"{source}: unsupported pixel type {arr.dtype}")
    if arr.ndim == 3:
        arr = arr @ _LUMA
    return arr


def _read_with_pillow(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            if mode in ("I;16", "I;16B", "I;16L"):
                return np.asarray(img, dtype=np.uint16)
            if mode == "I":  # 32-bit integer, as Pillow opens some 16-bit PNGs
                return np.asarray(img, dtype=np.int64)
            if mode == "F":
                return np.asarray(img, dtype=np.float32)
            if mode in ("1", "L", "RGB", "RGBA"):
                return np.asarray(img)
            return np.asarray(img.convert("RGBA" if "A" in mode or "transparency" in img.info else "RGB"))
    except UnidentifiedImageError as exc:
        raise ImageError(f"{path}: not an image file Pillow can read") from exc
    except OSError as exc:
        raise ImageError(f"{path}: cannot read image ({exc})") from exc


def load_gray(path: str | Path, min_size: int | None = None) -> np.ndarray:
    """Read an image file (any Pillow format, or a .npy array) as gray float in [0, 1].

    ``min_size`` rejects images with fewer rows or columns than that, naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such file")
    if path.suffix.lower() in ARRAY_SUFFIXES:
        try:
            raw = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise ImageError(f"{path}: not a readable .npy array ({exc})") from exc
    else:
        raw = _read_with_pillow(path)
    if np.issubdtype(raw.dtype, np.signedinteger):
        if raw.size and raw.min() >= 0 and raw.max() <= 65535:
            # Pillow's 32-bit mode and numpy's default integer hold unsigned pixel data:
            # 8-bit if it fits, else 16-bit.
            raw = raw.astype(np.uint8 if raw.max() <= 255 else np.uint16)
        else:
            raise ImageError(f"{path}: integer pixels outside 0..65535 are not an image")
    gray = to_gray(raw, source=str(path))
    if min_size is not None and min(gray.shape) < min_size:
        raise ImageError(
            f"{path}: image is {gray.shape[1]}x{gray.shape[0]} px; at least {min_size}x{min_size} "
            "is needed for a 128x128 gradient patch on both axes"
        )
    return gray


def list_images(paths: list[str | Path]) -> list[Path]:
    """Expand files and folders (non-recursive, sorted) into image files; a folder with none fails."""
    out: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found = sorted(
                p for p in entry.iterdir()
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES + ARRAY_SUFFIXES
            )
            if not found:
                raise ImageError(f"{entry}: folder holds no image files")
            out.extend(found)
        else:
            out.append(entry)
    return out
