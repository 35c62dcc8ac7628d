"""Loading user images: any common format or a .npy array, to a gray float image in [0, 1].

Images are float64 arrays in [0, 1], gray, shape (rows, columns).

The rule per pixel type (``to_gray``), one each, nothing guessed from the values:

* ``uint8``: divided by 255; ``uint16``: divided by 65535 (16-bit PNG and TIFF files read so too);
  a ``uint16`` image whose values all lie in 0..255 is refused as ambiguous (8-bit data in a 16-bit
  type, or a 16-bit image 256 times too dark: either way its sizes would be wrong);
* ``bool``: 0 and 1;
* float: taken as is, and must lie in [0, 1] (half a gray level of rounding either side is clipped);
  anything else (e.g. 0..255 values in a float TIFF) is refused, naming the range found;
* any other integer type (signed, ``uint32``, ``uint64``) is refused: convert it to one of the above.

Files are read with their EXIF orientation applied (``ImageOps.exif_transpose``): what a viewer
shows is what is measured, so width and height are those of the upright picture. A file whose header
claims more than ``max_pixels()`` pixels (50 Mpx by default, ``BLURGAUGE_MAX_PIXELS`` to change it)
is refused before its pixels are decoded.
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import numpy as np

#: File suffixes read as images (by Pillow) or as raw arrays (numpy).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".pgm", ".ppm", ".webp")
ARRAY_SUFFIXES = (".npy",)
#: The default pixel limit (rows x columns): a 50-Mpx image takes about 0.8 GB at its peak in the host's
#: preprocessing (about 13 bytes per pixel, docs/host.md); larger ones are refused before decoding.
DEFAULT_MAX_PIXELS = 50_000_000
MAX_PIXELS_ENV = "BLURGAUGE_MAX_PIXELS"
#: How far a float pixel may lie outside [0, 1] and still be clipped: half an 8-bit gray level of
#: rounding (resampling and colour conversions overshoot by that much); more is another range.
FLOAT_TOLERANCE = 0.5 / 255


class ImageError(ValueError):
    """An input image that cannot be used; the message names the file."""


def max_pixels() -> int:
    """The pixel limit: ``$BLURGAUGE_MAX_PIXELS`` if set (a positive integer), else 50 Mpx."""
    raw = os.environ.get(MAX_PIXELS_ENV)
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(raw)
    except ValueError:
        raise ImageError(f"{MAX_PIXELS_ENV}={raw!r}: expected a positive number of pixels") from None
    if value < 1:
        raise ImageError(f"{MAX_PIXELS_ENV}={raw!r}: expected a positive number of pixels")
    return value


def check_pixels(shape: tuple[int, ...], source: str, limit: int | None = None) -> None:
    """Refuse an image of more than ``limit`` pixels (default ``max_pixels()``), from its header's size."""
    limit = max_pixels() if limit is None else limit
    rows, cols = (int(shape[0]), int(shape[1])) if len(shape) >= 2 else (int(np.prod(shape)), 1)
    if rows * cols > limit:
        raise ImageError(f"{source}: {cols}x{rows} px ({rows * cols / 1e6:.1f} Mpx) is above the limit of "
                         f"{limit / 1e6:g} Mpx (set {MAX_PIXELS_ENV} or --max-pixels to raise it)")


_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as Pillow's "L" conversion


def _luma(rgb: np.ndarray) -> np.ndarray:
    """Gray from float64 RGB: three products and two sums, one numpy operation each, in this order. A
    matrix product (``rgb @ luma``) would leave the rounding to the BLAS build, which differs between
    machines in the last bit (an x86 OpenBLAS and a board's numpy disagree on about one pixel in ten); the
    noise top-up is seeded by the gray image's bytes, so a board would draw other noise than this machine.
    Separate elementwise operations are IEEE-rounded the same everywhere."""
    out = rgb[..., 0] * _LUMA[0]
    out += rgb[..., 1] * _LUMA[1]
    out += rgb[..., 2] * _LUMA[2]
    return out

_RULE = "uint8 (0..255), uint16 (0..65535) or float in [0, 1]"


def _value_range(arr: np.ndarray) -> str:
    return f"{arr.min():g}..{arr.max():g}" if arr.size else "no values"


def to_gray(pixels: np.ndarray, source: str = "image") -> np.ndarray:
    """Gray float image in [0, 1] from a numpy array (gray, RGB or RGBA), by the rule of its pixel
    type (the module docstring): anything outside the rule is refused with the range found."""
    arr = np.asarray(pixels)
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        arr = arr[..., 0] if arr.shape[2] == 1 else arr[..., :3]  # alpha does not carry blur
    elif arr.ndim != 2:
        raise ImageError(f"{source}: expected a 2-D gray or 3-D colour image, got shape {arr.shape}")
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    elif arr.dtype == np.uint8:
        return _scaled_gray(arr, 255.0)
    elif arr.dtype == np.uint16:
        if arr.size and int(arr.max()) <= 255:
            raise ImageError(
                f"{source}: uint16 pixels whose values all lie in {_value_range(arr)}: 8-bit data in a 16-bit "
                "type, or a 16-bit image 256 times too dark; convert 8-bit data to uint8 (or scale a 16-bit "
                "image to 0..65535)")
        return _scaled_gray(arr, 65535.0)
    elif np.issubdtype(arr.dtype, np.integer):
        raise ImageError(f"{source}: {arr.dtype} pixels (values {_value_range(arr)}) have no defined range; "
                         f"expected {_RULE}: convert with astype(np.uint8) or astype(np.uint16)")
    elif np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            raise ImageError(f"{source}: {bad} pixel value(s) are NaN or infinite")
        if arr.size and (arr.min() < -FLOAT_TOLERANCE or arr.max() > 1.0 + FLOAT_TOLERANCE):
            hint = " (8-bit values? divide by 255)" if arr.max() <= 255.0 + FLOAT_TOLERANCE else ""
            raise ImageError(f"{source}: float pixels span {_value_range(arr)}; float images must lie in "
                             f"[0, 1]{hint}")
        arr = np.clip(arr, 0.0, 1.0)
    else:
        raise ImageError(f"{source}: unsupported pixel type {arr.dtype}; expected {_RULE}")
    if arr.ndim == 3:
        arr = _luma(arr)
    return arr


#: Rows converted at a time: a colour photo's float64 copy (24 bytes per pixel) is never whole.
GRAY_STRIP_ROWS = 256


def _scaled_gray(arr: np.ndarray, full: float) -> np.ndarray:
    """``arr`` (integer, gray or colour) / ``full``, to gray: the values of
    ``_luma(arr.astype(float64) / full)``, computed a strip of rows at a time into the one float64
    result, so the peak memory is that result (8 bytes per pixel), not three float64 colour copies."""
    out = np.empty(arr.shape[:2], dtype=np.float64)
    for top in range(0, arr.shape[0], GRAY_STRIP_ROWS):
        strip = arr[top : top + GRAY_STRIP_ROWS].astype(np.float64)
        strip /= full
        out[top : top + GRAY_STRIP_ROWS] = _luma(strip) if strip.ndim == 3 else strip
    return out


# Pillow's own guard against decompression bombs at the same limit: it refuses at twice the limit in
# open(), and warns between 1x and 2x, where check_pixels refuses first (so the warning is noise).
warnings.filterwarnings("ignore", message="Image size .* exceeds limit", module="PIL")


def central_window(image: np.ndarray, window: int) -> np.ndarray:
    """The central ``window`` x ``window`` px of ``image`` (rows, cols, ...), each side at most the image's
    own (a view); the whole image where ``window`` is 0. The host reads only this part of an image
    (``Preprocessing.window``): its gray conversion, noise, structure and maps."""
    if not window:
        return image
    rows, cols = image.shape[:2]
    keep_rows, keep_cols = min(rows, window), min(cols, window)
    top, left = (rows - keep_rows) // 2, (cols - keep_cols) // 2
    return image[top : top + keep_rows, left : left + keep_cols]


def _read_with_pillow(path: Path, limit: int) -> np.ndarray:
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = limit
    try:
        with Image.open(path) as img:
            check_pixels((img.size[1], img.size[0]), str(path), limit)  # from the header, before decoding
            img.load()
            # What a viewer shows is what is measured: a camera's rotated JPEG is turned upright.
            upright = ImageOps.exif_transpose(img) or img
            mode = upright.mode
            if mode in ("I;16", "I;16B", "I;16L"):
                return np.asarray(upright, dtype=np.uint16)
            if mode == "I":  # 32-bit integer, as Pillow opens 16-bit PNGs: 16-bit data, if it fits
                raw = np.asarray(upright, dtype=np.int64)
                if raw.size and (raw.min() < 0 or raw.max() > 65535):
                    raise ImageError(f"{path}: 32-bit integer pixels ({_value_range(raw)}) are outside 16 bits; "
                                     f"expected {_RULE}")
                return raw.astype(np.uint16)
            if mode == "F":
                return np.asarray(upright, dtype=np.float32)
            if mode in ("1", "L", "RGB", "RGBA"):
                return np.asarray(upright)
            return np.asarray(upright.convert("RGBA" if "A" in mode or "transparency" in upright.info else "RGB"))
    except UnidentifiedImageError as exc:
        raise ImageError(f"{path}: not an image file Pillow can read") from exc
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{path}: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # damaged files raise any of these
        if isinstance(exc, ImageError):
            raise
        raise ImageError(f"{path}: cannot read image ({' '.join(str(exc).split()) or type(exc).__name__})") from exc
    except MemoryError as exc:
        raise ImageError(f"{path}: too large to decode ({type(exc).__name__})") from exc


def _read_array(path: Path, limit: int) -> np.ndarray:
    try:
        head = np.load(path, mmap_mode="r", allow_pickle=False)  # the header alone: shape before data
        check_pixels(head.shape, str(path), limit)
        del head
        return np.load(path, allow_pickle=False)
    except ImageError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise ImageError(f"{path}: not a readable .npy array ({exc})") from exc


def not_a_file(path: Path) -> str | None:
    """Why ``path`` is not a regular file one can read, in words (None when it is one): a symbolic
    link loop, a broken link, a FIFO, a device or a folder each say so instead of "no such file"."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        try:
            path.lstat()
        except OSError:
            return "no such file"
        if exc.errno == 40:  # ELOOP
            return "a symbolic link loop"
        if path.is_symlink():
            return f"a broken symbolic link (to {path.readlink()})"
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return "a folder, not an image file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not an image file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not an image file"
    if stat.S_ISSOCK(mode):
        return "a socket, not an image file"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def load_gray(path: str | Path, min_size: int | None = None, limit: int | None = None,
              window: int = 0) -> np.ndarray:
    """Read an image file (any Pillow format, or a .npy array) as gray float in [0, 1].

    ``min_size`` rejects images with fewer rows or columns than that, naming the file; ``limit``:
    the pixel limit (default ``max_pixels()``), checked before decoding; ``window``: only the central
    ``window`` px per side are converted (``central_window``; 0: the whole image).
    """
    path = Path(path)
    why = not_a_file(path)
    if why is not None:
        raise ImageError(f"{path}: {why}")
    limit = max_pixels() if limit is None else limit
    raw = _read_array(path, limit) if path.suffix.lower() in ARRAY_SUFFIXES else _read_with_pillow(path, limit)
    gray = to_gray(central_window(raw, window), source=str(path))
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
            try:
                found = sorted(
                    p for p in entry.iterdir()
                    if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES + ARRAY_SUFFIXES
                )
            except OSError as exc:  # e.g. no read permission: this folder's error, not the batch's
                raise ImageError(f"{entry}: cannot list the folder ({exc.strerror})") from None
            if not found:
                raise ImageError(f"{entry}: folder holds no image files")
            out.extend(found)
        else:
            out.append(entry)
    return out
