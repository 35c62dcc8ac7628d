"""From a selected gradient patch to the network input: one definition for training and inference.

Two input transforms, chosen per set of networks and recorded in their weight files:

* ``gradient`` (the paper's): the patch itself.
* ``autocorrelation``: the patch's autocorrelation over the lags (dy, dx), dx = 0..127 along the
  measured axis and dy = -64..63 across it, each lag averaged over the pixel pairs it overlaps
  (row ``dy + 64``, column ``dx`` of a 128x128 map). The forward difference of an image blurred
  along x over L px repeats the scene's edges L px apart, so the autocorrelation has its marked
  structure at |dx| near L, where a convolutional network finds it by position; in the patch
  itself the same cue is a correlation between pixels up to 95 px apart, which small stacked
  kernels learn slowly. The map costs the host two FFTs per patch and the core nothing.

Where the autocorrelation is taken, the ``region``, is the host's choice at inference. The networks
learn from the map of one 128x128 patch, but the lags' averages are the same statistic over any
region of the gradient map, only less noisy over a larger one: ``image`` takes them over the whole
gradient map of the axis, ``patch`` over the selected patch as in training. ``image`` is the
default for networks that read the autocorrelation, as it scored better on every test set
(docs/experiments.md, Experiment 15); for the gradient input only ``patch``
exists. ``Preprocessing.window`` narrows either region to the image's central window: fewer pixel
pairs per lag, a host cost that no longer grows with the photo (Experiment 48).

Either map is then divided by its own standard deviation (so the network sees the shape of the
blur, not the scene's contrast) and rounded to the 8-bit ``input`` format. The integer codes are
what the host streams to the core; ``network_input`` is the same value as a float for Keras,
already on the quantizer's grid so its input quantizer is an identity.

``Preprocessing`` bundles everything the host must do to an image before the core sees it: the
transform and the noise floor (``noise.top_up_noise``) of the training data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blurgauge.model.inputs import fft as sfft
from blurgauge.model.inputs.images import central_window
from blurgauge.model.inputs.noise import MAX_LEVEL
from blurgauge.model.inputs.patches import (
    MIN_IMAGE_SIZE,
    PATCH_SIZE,
    check_image_size,
    gray_levels,
    height_patches,
    width_patches,
)
from blurgauge.model.nets.quantizers import FORMATS

GRADIENT = "gradient"
AUTOCORRELATION = "autocorrelation"
TRANSFORMS = (GRADIENT, AUTOCORRELATION)
PATCH = "patch"
IMAGE = "image"
REGIONS = (PATCH, IMAGE)


def check_transform(transform: str, source: str = "input transform") -> str:
    if transform not in TRANSFORMS:
        raise ValueError(f"{source}: unknown input transform {transform!r}; expected one of {', '.join(TRANSFORMS)}")
    return transform


def default_region(transform: str, patches: int = 1) -> str:
    """``image`` for the autocorrelation read from one map per axis; ``patch`` otherwise (pooling
    several patches asks for patches)."""
    return IMAGE if check_transform(transform) == AUTOCORRELATION and patches == 1 else PATCH


def check_region(region: str, transform: str) -> str:
    """``region`` if the networks of ``transform`` can read it; the error says why not."""
    if region not in REGIONS:
        raise ValueError(f"unknown input region {region!r}; expected one of {', '.join(REGIONS)}")
    if region == IMAGE and check_transform(transform) != AUTOCORRELATION:
        raise ValueError(f"the image region needs networks that read the {AUTOCORRELATION}; these read the {transform}")
    return region


def resolve_region(region: str | None, transform: str, patches: int = 1) -> str:
    """The region a run reads: ``region``, or by default the networks' (``default_region``); refused
    where the networks cannot read it, and the image region with more than one patch per axis."""
    chosen = check_region(region or default_region(transform, patches), transform)
    if chosen == IMAGE and patches != 1:
        raise ValueError(f"patches={patches} pools distinct patches; the image region reads one map per axis "
                         "(region 'patch' for patches)")
    return chosen


def check_window(window: int) -> int:
    """``window`` if it is 0 (the whole image) or a side a 128-px map fits in (``MIN_IMAGE_SIZE`` or more)."""
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or (window and window < MIN_IMAGE_SIZE):
        raise ValueError(f"window must be 0 (the whole image) or a side of at least {MIN_IMAGE_SIZE} px, "
                         f"got {window!r}")
    return int(window)


#: Threads per transform (scipy.fft's ``workers``).
FFT_WORKERS = 1


def autocorrelation(gradient: np.ndarray, size: int | None = None) -> np.ndarray:
    """Autocorrelation map (size, size) of a gradient map (rows, cols), or maps (m, size, size) of a
    batch (m, rows, cols), over the lags the module docstring names. ``size`` defaults to the side of
    a square patch; a whole gradient map (the image region) takes ``PATCH_SIZE``."""
    grad = np.asarray(gradient, dtype=np.float64)
    rows, cols = grad.shape[-2:]
    if size is None:
        if rows != cols:
            raise ValueError(f"a {rows}x{cols} gradient map is not a square patch; name the map's size")
        size = cols
    if size % 2 or rows <= size // 2 or cols < size:
        raise ValueError(f"a {size}x{size} autocorrelation map needs an even size and a gradient map of more "
                         f"than {size // 2} rows and at least {size} columns, got shape {grad.shape}")
    centred = grad - grad.mean(axis=(-2, -1), keepdims=True)
    lags = _circular_lags(centred, size, rows_one_sided=False)
    return lags / _overlap(rows, cols, size)


def _overlap(rows: int, cols: int, size: int) -> np.ndarray:
    """Pixel pairs of a rows x cols map at each lag (dy = -size/2 .. size/2-1, dx = 0 .. size-1)."""
    return (rows - np.abs(np.arange(size) - size // 2))[:, None] * (cols - np.arange(size))[None, :]


#: Rows (or columns) per strip of the large-image passes: temporaries of a few MB whatever the image.
STRIP = 256


def _transform_sizes(rows: int, cols: int, size: int) -> tuple[int, int]:
    """The padded transform's (rows, columns) for a rows x cols map and lags up to ``size``.

    Zero padding to at least rows + size by cols + size makes the circular correlation the linear
    one at the kept lags; any larger size gives the same sums, so the transform takes the next size
    with small prime factors (a 321x481 image's 449 rows are prime: 450 is 2 x 3^2 x 5^2)."""
    return sfft.next_fast_len(rows + size), sfft.next_fast_len(cols + size, real=True)


def _circular_lags(centred: np.ndarray, size: int, rows_one_sided: bool) -> np.ndarray:
    """Sums of products of ``centred`` (..., rows, cols) with itself shifted, over lags dy (rows) and
    dx (columns): (..., size, size) with rows dy = -size/2 .. size/2-1 and columns dx = 0 .. size-1,
    or with ``rows_one_sided`` rows dy = 0 .. size-1 and columns dx = -size/2 .. size/2-1."""
    rows, cols = centred.shape[-2:]
    n_rows, n_cols = _transform_sizes(rows, cols, size)
    spectrum = np.zeros((*centred.shape[:-2], n_rows, n_cols // 2 + 1), dtype=np.complex128)
    # Only the map's own rows are transformed along the columns (the padding rows are zero).
    spectrum[..., :rows, :] = sfft.rfft(centred, n=n_cols, axis=-1, workers=FFT_WORKERS)
    return _lags_of_spectrum(spectrum, n_cols, size, rows_one_sided)


def _lags_of_spectrum(spectrum: np.ndarray, n_cols: int, size: int, rows_one_sided: bool) -> np.ndarray:
    """``_circular_lags`` from the map's transform along the columns (..., n_rows, n_cols // 2 + 1),
    zero-padded rows included; ``spectrum`` is overwritten. The power spectrum is written over its
    real parts, so the only large array is ``spectrum`` itself."""
    spectrum = sfft.fft(spectrum, axis=-2, overwrite_x=True, workers=FFT_WORKERS)
    power, imag = spectrum.real, spectrum.imag  # views: |X|^2 goes into the real parts, a strip at a time
    for top in range(0, spectrum.shape[-2], STRIP):
        band = power[..., top : top + STRIP, :]
        np.square(band, out=band)
        band += np.square(imag[..., top : top + STRIP, :])
    return _lags_of_power(power, n_cols, size, rows_one_sided)


def _lags_of_power(power: np.ndarray, n_cols: int, size: int, rows_one_sided: bool) -> np.ndarray:
    """The lags ``_circular_lags`` keeps, from a power spectrum (..., n_rows, n_cols // 2 + 1) (a view
    into a larger array is fine): the inverse is taken only where the kept lags lie."""
    half = size // 2
    n_rows = power.shape[-2]
    # The inverse along the rows of a real array: ifft(p)[r] = conj(rfft(p)[r]) / n for r <= n/2, and
    # ifft(p)[n - r] = rfft(p)[r] / n; only the outputs the kept lags need (r <= size/2 for two-sided rows,
    # r < size for one-sided), a strip of columns at a time.
    keep = size if rows_one_sided else half + 1
    back = np.empty((*power.shape[:-2], keep, power.shape[-1]), dtype=np.complex128)
    for left in range(0, power.shape[-1], STRIP):
        back[..., left : left + STRIP] = sfft.rfft(power[..., left : left + STRIP], axis=-2,
                                                   workers=FFT_WORKERS)[..., :keep, :]
    if rows_one_sided:
        kept = np.conj(back)
    else:
        kept = np.concatenate([back[..., half:0:-1, :], np.conj(back[..., :half, :])], axis=-2)
    full = sfft.irfft(kept, n=n_cols, axis=-1, workers=FFT_WORKERS)
    lags = np.concatenate([full[..., n_cols - half :], full[..., :half]], axis=-1) if rows_one_sided else \
        full[..., :size]
    return lags / n_rows


def _box_spectrum(length: int, n: int, real: bool = False) -> np.ndarray:
    """The transform of ones at 0 .. length-1 padded to ``n`` points (the real transform's half where
    ``real``)."""
    ones = np.ones(length)
    return sfft.rfft(ones, n=n, workers=FFT_WORKERS) if real else sfft.fft(ones, n=n, workers=FFT_WORKERS)


def _phases(freq: np.ndarray, at: int, n: int) -> np.ndarray:
    """The transform of a unit impulse at index ``at`` of ``n`` points, at the frequencies ``freq``."""
    return np.exp(-2j * np.pi * freq * at / n)


def _gradient_powers(image: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """The power spectra of both axes' centred gradient maps from one forward transform of the image.

    Returns (spectrum, n_cols): a complex array (n_rows, n_cols // 2 + 1) whose real parts hold the
    height's power spectrum and whose imaginary parts the width's, at one padded size for both, rows
    >= rows + size and columns >= cols + size (any size that large gives the same lags).

    The width's gradient map g[r, c] = p[r, c + 1] - p[r, c] (c < cols - 1) minus its mean m is, on the
    zero-padded image p, the circular difference minus what it adds outside the map (-p[r, cols - 1] in
    column cols - 1, p[r, 0] in the last column of the padding) minus m on the map's box. The transform is
    linear: G = P (e^(2 pi i l / n_cols) - 1) - (the two columns' and the box's transforms), each a
    column's transform times a row of phases, so the correction is a product of a (rows x 3) and a (3 x
    columns) matrix. The height's is the same along the other axis. One forward transform (the rows' real
    transforms, then every column's) serves both axes; the lags equal those of one transform per axis's
    gradient map to about 1e-14 relative, and the int8 codes bit for bit (tests/model/test_preprocess_exact.py).
    The image is read a strip of rows at a time and the powers are written over the transform they come
    from, so the largest array is one spectrum (16 bytes per padded pixel).
    """
    img = np.asarray(image)
    rows, cols = img.shape
    n_rows, n_cols = _transform_sizes(rows, cols, size)
    spectrum = np.zeros((n_rows, n_cols // 2 + 1), dtype=np.complex128)
    for top in range(0, rows, STRIP):
        levels = gray_levels(img[top : top + STRIP])
        spectrum[top : top + len(levels)] = sfft.rfft(levels, n=n_cols, axis=-1, workers=FFT_WORKERS)
    spectrum = sfft.fft(spectrum, axis=-2, overwrite_x=True, workers=FFT_WORKERS)

    row_freq, col_freq = np.arange(n_rows), np.arange(n_cols // 2 + 1)
    first_col, last_col = gray_levels(img[:, 0]), gray_levels(img[:, -1])
    first_row, last_row = gray_levels(img[0]), gray_levels(img[-1])
    # The gradients' means; for 8-bit images exact (a sum of integers over a count).
    mean_x = float((last_col - first_col).sum()) / (rows * (cols - 1))
    mean_y = float((last_row - first_row).sum()) / ((rows - 1) * cols)
    # Width: rows-side factors (n_rows x 3) times columns-side factors (3 x columns).
    left_x = np.stack([sfft.fft(-last_col, n=n_rows), sfft.fft(first_col, n=n_rows),
                       mean_x * _box_spectrum(rows, n_rows)], axis=1)
    right_x = np.stack([_phases(col_freq, cols - 1, n_cols), _phases(col_freq, n_cols - 1, n_cols),
                        _box_spectrum(cols - 1, n_cols, real=True)])
    shift_x = _phases(col_freq, -1, n_cols) - 1.0
    # Height: the same along the rows.
    left_y = np.stack([_phases(row_freq, rows - 1, n_rows), _phases(row_freq, n_rows - 1, n_rows),
                       mean_y * _box_spectrum(rows - 1, n_rows)], axis=1)
    right_y = np.stack([sfft.rfft(-last_row, n=n_cols), sfft.rfft(first_row, n=n_cols),
                        _box_spectrum(cols, n_cols, real=True)])
    shift_y = _phases(row_freq, -1, n_rows) - 1.0
    for top in range(0, n_rows, STRIP):
        band = slice(top, top + STRIP)
        both = spectrum[band]
        width = both * shift_x[None, :]
        width -= left_x[band] @ right_x
        height = both * shift_y[band, None]
        height -= left_y[band] @ right_y
        np.square(height.real, out=both.real)
        both.real += np.square(height.imag)
        np.square(width.real, out=both.imag)
        both.imag += np.square(width.imag)
    return spectrum, n_cols


def _transformed(gradient: np.ndarray, transform: str) -> np.ndarray:
    check_transform(transform)
    grad = np.asarray(gradient, dtype=np.float64)
    return autocorrelation(grad) if transform == AUTOCORRELATION else grad


def input_codes(gradient: np.ndarray, transform: str = GRADIENT) -> np.ndarray:
    """int8 codes of one (128, 128) patch or a batch (n, 128, 128) of gradient patches."""
    return _scaled_codes(_transformed(gradient, transform))


def _scaled_codes(mapped: np.ndarray) -> np.ndarray:
    std = mapped.std(axis=(-2, -1), keepdims=True)
    scaled = mapped / np.maximum(std, 1e-6)
    fmt = FORMATS["input"]
    lo, hi = fmt.code_range
    return np.clip(np.rint(scaled / fmt.step), lo, hi).astype(np.int8)


def image_map_codes(gradient_map: np.ndarray) -> np.ndarray:
    """Input codes (128, 128) of a whole gradient map (rows, cols): its autocorrelation over the
    lags of a patch, what the networks read in the ``image`` region."""
    return _scaled_codes(autocorrelation(gradient_map, PATCH_SIZE))


def axis_maps(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The autocorrelation maps (128, 128) of a gray image's two axes over the whole image (the
    ``image`` region): of its horizontal gradient map, and of its transpose's.

    The transpose's horizontal gradient is the image's vertical one, transposed: its map is taken
    in the image's own orientation (lags 0..127 along the rows, -64..63 along the columns) and
    transposed at the end, so the image is never copied transposed. Both axes come from one forward
    transform of the image (``_gradient_powers``); the largest array held is that padded spectrum.
    """
    img = np.asarray(image)
    rows, cols = img.shape
    size = PATCH_SIZE
    spectrum, n_cols = _gradient_powers(img, size)
    width_map = _lags_of_power(spectrum.imag, n_cols, size, rows_one_sided=False) / _overlap(rows, cols - 1, size)
    height_map = _lags_of_power(spectrum.real, n_cols, size, rows_one_sided=True).T / _overlap(cols, rows - 1, size)
    return width_map, height_map


def codes_to_input(codes: np.ndarray) -> np.ndarray:
    """Float network input (..., 128, 128, 1) from int8 codes."""
    return (np.asarray(codes, dtype=np.float32) * np.float32(FORMATS["input"].step))[..., None]


def network_input(gradient: np.ndarray, transform: str = GRADIENT) -> np.ndarray:
    return codes_to_input(input_codes(gradient, transform))


@dataclass(frozen=True)
class Preprocessing:
    """What the host does to an image for a set of networks, as their training data was made.

    ``noise_floor``: top every image's noise up to this level first (0: never). ``transform``:
    the input transform of each selected patch. Weight files and ``preprocess.json`` store both
    under the keys of ``as_meta``; a key that is absent means its default, so files written before
    the key existed keep their meaning. ``window``: read only the image's central ``window`` px per
    side (``crop``; 0: the whole image), an inference choice that bounds the host's work at a cost
    in accuracy (docs/host.md); no file records it.
    """

    noise_floor: float = 0.0
    transform: str = GRADIENT
    window: int = 0

    def __post_init__(self) -> None:
        check_transform(self.transform)
        if not 0.0 <= self.noise_floor <= MAX_LEVEL:
            raise ValueError(f"noise floor must lie in [0, {MAX_LEVEL}], got {self.noise_floor}")
        check_window(self.window)

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The part of ``image`` (rows, cols, ...) the host reads: its central window of at most ``window``
        px per side (a view), or the whole image where ``window`` is 0."""
        return central_window(image, self.window)

    def codes(self, gradient: np.ndarray) -> np.ndarray:
        """Input codes of one selected patch or a batch of them."""
        return input_codes(gradient, self.transform)

    def image_codes(self, gradient_map: np.ndarray) -> np.ndarray:
        """Input codes (128, 128) of a whole gradient map: its autocorrelation (the ``image`` region)."""
        check_region(IMAGE, self.transform)
        return image_map_codes(gradient_map)

    def axis_codes(self, image: np.ndarray, patches: int = 1, region: str = PATCH) -> tuple[np.ndarray, np.ndarray]:
        """int8 codes (k, 128, 128) of a gray image's width and of its height: the maps of its ``patches``
        most distinct patches per axis, or for the ``image`` region one map over each axis's whole
        gradient map (the height's is the transpose's)."""
        check_region(region, self.transform)
        if region == IMAGE:
            check_image_size(image)
            width_map, height_map = axis_maps(image)
            return _scaled_codes(width_map)[None], _scaled_codes(height_map)[None]
        return (np.stack([self.codes(p.gradient) for p in width_patches(image, patches)]),
                np.stack([self.codes(p.gradient) for p in height_patches(image, patches)]))

    def as_meta(self) -> dict[str, float | str]:
        return {"noise_floor": float(self.noise_floor), "input_transform": self.transform}

    @classmethod
    def from_meta(cls, meta: dict, source: str) -> Preprocessing:
        """From a weight file's metadata or a ``preprocess.json``; ``source`` names it in errors."""
        try:
            floor = float(meta.get("noise_floor", 0.0))
            transform = str(meta.get("input_transform", GRADIENT))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: unreadable preprocessing settings ({exc})") from exc
        check_transform(transform, source)
        return cls(floor, transform)


#: The paper's preprocessing: the gradient patch as it is, no noise top-up.
PLAIN = Preprocessing()
