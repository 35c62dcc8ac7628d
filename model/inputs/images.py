"""Loading user images: any common format or a .npy array, to a gray float image in [0, 1].

Images are float64 arrays in [0, 1], gray, shape (rows, columns).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: File suffixes read as images (by Pillow) or as raw arrays (numpy).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".pgm", ".ppm", ".webp")
ARRAY_SUFFIXES = (".npy",)


class ImageError(ValueError):
    """An input image that cannot be used; the message names the file."""


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
