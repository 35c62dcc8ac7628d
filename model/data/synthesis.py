"""One labelled training sample: sharp image, blur kernel, blurry image, distinct gradient patch.

A sample is a pure function of (seed, index): the same pair always gives the same patch, on any
machine and with any number of workers.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from blurgauge.model import classes
from blurgauge.model.data import splits
from blurgauge.model.data.blur import blur_image, sharp_size_for
from blurgauge.model.data.dead_leaves import dead_leaves
from blurgauge.model.data.kernels import random_kernel
from blurgauge.model.inputs.images import ImageError, list_images, load_gray
from blurgauge.model.inputs.noise import MAX_LEVEL as MAX_NOISE_FLOOR
from blurgauge.model.inputs.noise import top_up_noise
from blurgauge.model.inputs.patches import MIN_IMAGE_SIZE, Patch, height_patch, horizontal_gradient, width_patch
from blurgauge.model.inputs.preprocess import image_map_codes

#: Version of the sample generator; part of every dataset manifest, so a build never mixes samples
#: of two generators. 2: kernels carry a faint rim like measured ones (``kernels.add_rim``);
#: 3: sharp images may mix natural crops with dead leaves (``image_fraction``). The natural-crop
#: augmentation (``natural_scale_*``, ``natural_gamma_max``, ``natural_soften_max``) and the grain of
#: every sharp image (``grain_*``) draw nothing while they are off, so they did not need a new
#: version: their fields enter the manifest only when switched on.
GENERATOR_VERSION = 3


#: Each augmentation field with its neutral value and the interval it must lie in.
_AUGMENTATION = {"natural_scale_min": (1.0, 0.25, 1.0), "natural_scale_max": (1.0, 1.0, 8.0),
                 "natural_gamma_max": (1.0, 1.0, 8.0), "natural_soften_max": (0.0, 0.0, 4.0)}
#: Likewise for the options that apply to every sample, dead leaves included: the grain, the
#: aspect ratio of the kernel's box and the noise floor.
_EVERY_SAMPLE = {"curve_fraction": (0.0, 0.0, 1.0), "curve_min_extent": (0, 0, classes.MAX_EXTENT),
                 "grain_max": (0.0, 0.0, 32.0), "grain_size_max": (0.0, 0.0, 4.0),
                 "other_aspect_max": (0.0, 0.0, 32.0), "noise_floor": (0.0, 0.0, MAX_NOISE_FLOOR)}
#: Outputs stored only when asked for; they draw nothing, so a sample's patch and labels do not
#: depend on them, and they enter the manifest only when on.
_OPTIONAL_OUTPUTS = ("image_map",)


@dataclass(frozen=True)
class SynthesisConfig:
    """How samples are drawn. Stored in each dataset's manifest; a resumed build must match it."""

    #: The labelled extent is drawn class-balanced (uniform over fine intervals, then uniform
    #: inside the interval) from this range of px.
    min_extent: int = classes.MIN_EXTENT
    max_extent: int = classes.MAX_EXTENT
    #: Side of the blurry image the patch is selected from (the paper's images are ~500x375).
    image_size: int = 256
    #: Noise standard deviation, as a fraction of full range, drawn uniformly per sample.
    noise_min: float = 0.0
    noise_max: float = 0.01
    #: Fraction of straight-line kernels and of smooth-curve kernels (the rest are camera-shake
    #: trajectories); ``kernels.random_kernel``.
    line_fraction: float = 0.15
    curve_fraction: float = 0.0
    #: Curves only where the kernel's larger side is at least this many px (0: any size); below it
    #: the share goes to shake walks, so the small ranges keep the two-family mix. Levin's small
    #: kernels are read too large by coarse networks that saw small curves (docs/experiments.md,
    #: Experiments 21 and 23).
    curve_min_extent: int = 0
    #: Fraction of kernels whose other axis is 1-2 px (near-pure motion along the labelled axis).
    thin_fraction: float = 0.1
    #: A folder of sharp natural images to crop from, or several joined by ``os.pathsep`` as in
    #: PATH (None: dead leaves only). Kodak24 may be given: only its training split is used
    #: (``splits.KODAK_TRAIN``). Every image of every folder is drawn equally often.
    image_folder: str | None = None
    #: Share of samples whose sharp image is a crop from ``image_folder``; the rest are dead leaves.
    image_fraction: float = 1.0
    #: Natural crops are cut from a region ``f`` times the size needed and resampled to size, ``f``
    #: log-uniform in min..max: below 1 the photo is enlarged (softer, as a lower-resolution
    #: camera would see it), above 1 shrunk (sharper); then transposed with probability 1/2 (when
    #: the range is not 1..1). A handful of photos then shows its structures at many scales and
    #: orientations: a network that saw 16 photos at their own scale misreads the blur of other
    #: photos (docs/experiments.md, Experiment 6).
    natural_scale_min: float = 1.0
    natural_scale_max: float = 1.0
    #: Natural crops get a tone curve x ** g, g log-uniform in 1/max..max (1: off).
    natural_gamma_max: float = 1.0
    #: Natural crops are softened by a Gaussian of sigma uniform in 0..max px (0: off), as lenses,
    #: demosaicing and resampling soften real photos: BSD68's photos read to the networks as the
    #: Kodak24 photos softened by sigma 1.2 (docs/experiments.md, Experiment 6).
    natural_soften_max: float = 0.0
    #: Every sharp image (natural crop or dead leaves) gets Gaussian grain before it is blurred,
    #: its standard deviation uniform in 0..``grain_max`` gray levels of 255 (0: off) and its grain
    #: correlated over a Gaussian of sigma uniform in 0..``grain_size_max`` px (0: white). The test
    #: photos carry about 3 gray levels of grain and fine texture, which the blur smears into the
    #: kernel's own shape; photos without it cost 5-6 points of coarse accuracy on BSD68
    #: (docs/experiments.md, Experiment 11).
    grain_max: float = 0.0
    grain_size_max: float = 0.0
    #: The other axis's extent (unless thin) is the labelled extent times r, r log-uniform in
    #: 1/max..max, rounded and clipped to the class table's range (0: off, drawn class-balanced
    #: over the whole range independently of the labelled one). Levin's kernels are 1.0-1.9
    #: times as tall as wide, and the shipped coarse network reads small extents too large more
    #: often when the other axis is small too; training with tied extents (2.5) did not lower its
    #: Levin estimates, though (docs/experiments.md, Experiment 12).
    other_aspect_max: float = 0.0
    #: After the blur and its noise, every blurry image is topped up to this total noise level, a
    #: fraction of full range, as measured by ``noise.noise_sigma`` (0: off). Networks trained so
    #: must be run on images topped up the same way (``noise.top_up_noise``): the noise level is
    #: then no longer a size cue that differs between cameras (docs/experiments.md, Experiment 13).
    noise_floor: float = 0.0
    #: Also store ``image_map``: the input codes (int8, 128x128) of the autocorrelation over the
    #: labelled axis's whole gradient map, as the host computes them for the ``image`` region
    #: (``preprocess.Preprocessing.image_codes``). Networks that are run on whole-image maps can
    #: then be trained on them (``TrainConfig.input_region``) instead of on one patch's map.
    image_map: bool = False

    def __post_init__(self) -> None:
        if not classes.MIN_EXTENT <= self.min_extent <= self.max_extent <= classes.MAX_EXTENT:
            raise ValueError(
                f"extent range {self.min_extent}..{self.max_extent} must lie in "
                f"{classes.MIN_EXTENT}..{classes.MAX_EXTENT}"
            )
        if self.image_size < 129:
            raise ValueError(f"image_size must be at least 129 px, got {self.image_size}")
        if not 0 <= self.noise_min <= self.noise_max:
            raise ValueError(f"noise range {self.noise_min}..{self.noise_max} is not ordered")
        if not 0 <= self.image_fraction <= 1:
            raise ValueError(f"image_fraction must lie in 0..1, got {self.image_fraction}")
        if self.line_fraction + self.curve_fraction > 1.0:
            raise ValueError(f"line_fraction + curve_fraction must not exceed 1, got "
                             f"{self.line_fraction} + {self.curve_fraction}")
        if 0.0 < self.other_aspect_max < 1.0:
            raise ValueError(f"other_aspect_max must be 0 (off) or at least 1, got {self.other_aspect_max}")
        for name, (_, lo, hi) in (_AUGMENTATION | _EVERY_SAMPLE).items():
            if not lo <= getattr(self, name) <= hi:
                raise ValueError(f"{name} must lie in {lo:g}..{hi:g}, got {getattr(self, name)}")

    def as_dict(self) -> dict[str, float | int | str]:
        out = {"generator": GENERATOR_VERSION, **asdict(self)}
        for name, (neutral, _, _) in _AUGMENTATION.items():  # absent while off: earlier manifests match
            if self.image_folder is None or out[name] == neutral:
                del out[name]
        for name, (neutral, _, _) in _EVERY_SAMPLE.items():
            if out[name] == neutral:
                del out[name]
        for name in _OPTIONAL_OUTPUTS:
            if not out[name]:
                del out[name]
        if self.image_folder is None:
            del out["image_folder"], out["image_fraction"]
        return out


@dataclass(frozen=True)
class Blurred:
    """A synthesized blurry image with everything known about how it was made."""

    blurry: np.ndarray  # uint8
    kernel: np.ndarray
    kind: str
    width: int
    height: int
    noise_sigma: float


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of sample ``index`` of a dataset with ``seed``: independent streams per sample."""
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(index,)))


def balanced_extent(rng: np.random.Generator, lo: int, hi: int) -> int:
    """An extent in lo..hi: a fine interval uniformly at random, then a member uniformly."""
    candidates = [iv for iv in classes.intervals() if iv.hi >= lo and iv.lo <= hi]
    iv = candidates[rng.integers(len(candidates))]
    return int(rng.integers(max(iv.lo, lo), min(iv.hi, hi) + 1))


def other_extent(rng: np.random.Generator, extent: int, aspect_max: float) -> int:
    """The other axis's extent: with ``aspect_max`` 0 class-balanced over the whole range, else
    ``extent`` times a ratio log-uniform in 1/aspect_max..aspect_max (see ``SynthesisConfig``)."""
    if aspect_max == 0.0:
        return balanced_extent(rng, classes.MIN_EXTENT, classes.MAX_EXTENT)
    ratio = np.exp(rng.uniform(-np.log(aspect_max), np.log(aspect_max)))
    return int(np.clip(round(extent * ratio), classes.MIN_EXTENT, classes.MAX_EXTENT))


@cache
def folder_images(folders: str) -> tuple[Path, ...]:
    """The usable sharp images of a folder, or of several joined by ``os.pathsep`` (those big
    enough for a 95 px kernel); test data is refused and Kodak24 is reduced to its training split."""
    need = MIN_IMAGE_SIZE + classes.MAX_EXTENT - 1
    usable = []
    for folder in folders.split(os.pathsep):
        path = Path(folder)
        allowed = splits.training_images(path)
        found = []
        for image in list_images([path]):
            if allowed is not None and image.name not in allowed:
                continue
            with Image.open(image) as img:
                if min(img.size) >= need:
                    found.append(image)
        if not found:
            raise ImageError(f"{folder}: no image of at least {need}x{need} px (needed for 95 px kernels)")
        usable += found
    return tuple(usable)


#: Enough for the Kodak24 training split and the Debian photos (``photos.py``) together, so a
#: worker decodes each photo once.
@lru_cache(maxsize=96)
def _gray(path: Path) -> np.ndarray:
    return load_gray(path)


def _resample(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``image`` resampled to ``shape`` (rows, cols) with a Lanczos filter (shrinking does not alias)."""
    if image.shape == shape:
        return image
    resized = Image.fromarray(image.astype(np.float32), mode="F").resize((shape[1], shape[0]), Image.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)


def sharp_crop(rng: np.random.Generator, shape: tuple[int, int], folder: str,
               scale: tuple[float, float] = (1.0, 1.0), gamma_max: float = 1.0,
               soften_max: float = 0.0) -> np.ndarray:
    """A random crop (up to ``shape``, randomly flipped) of a random image of the folder; with a
    ``scale`` range other than (1, 1) cut from a region of another size, resampled and maybe
    transposed, with ``gamma_max`` > 1 given a random tone curve, with ``soften_max`` > 0 softened
    (see ``SynthesisConfig``)."""
    images = folder_images(folder)
    image = _gray(images[rng.integers(len(images))])
    augment = scale != (1.0, 1.0)
    transpose = augment and rng.random() < 0.5
    if transpose:
        image = image.T
    rows, cols = min(shape[0], image.shape[0]), min(shape[1], image.shape[1])
    factor = 1.0
    if augment:
        fits = min(image.shape[0] / rows, image.shape[1] / cols)
        factor = min(float(np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1])))), fits)
    src_rows = max(1, min(image.shape[0], round(rows * factor)))
    src_cols = max(1, min(image.shape[1], round(cols * factor)))
    r0 = int(rng.integers(image.shape[0] - src_rows + 1))
    c0 = int(rng.integers(image.shape[1] - src_cols + 1))
    crop = _resample(image[r0 : r0 + src_rows, c0 : c0 + src_cols], (rows, cols))
    if gamma_max > 1.0:
        crop = crop ** float(np.exp(rng.uniform(-np.log(gamma_max), np.log(gamma_max))))
    if soften_max > 0.0:
        crop = ndimage.gaussian_filter(crop, float(rng.uniform(0.0, soften_max)), mode="reflect")
    return crop[:, ::-1] if rng.random() < 0.5 else crop


def add_grain(rng: np.random.Generator, sharp: np.ndarray, level_max: float, size_max: float) -> np.ndarray:
    """``sharp`` (values in 0..1) with Gaussian grain of standard deviation uniform in 0..``level_max``
    gray levels of 255, correlated over a Gaussian of sigma uniform in 0..``size_max`` px."""
    level = rng.uniform(0.0, level_max) / 255.0
    size = rng.uniform(0.0, size_max) if size_max > 0.0 else 0.0
    grain = rng.standard_normal(sharp.shape)
    if size > 0.0:
        grain = ndimage.gaussian_filter(grain, size, mode="wrap")
        grain /= grain.std()  # the level is the grain's own spread, whatever its size
    return np.clip(sharp + level * grain, 0.0, 1.0)


def synthesize_blurred(
    rng: np.random.Generator,
    width: int,
    height: int,
    image_size: int | tuple[int, int] = 256,
    noise_sigma: float = 0.0,
    line_fraction: float = 0.15,
    image_folder: str | None = None,
    image_fraction: float = 1.0,
    natural_scale: tuple[float, float] = (1.0, 1.0),
    natural_gamma_max: float = 1.0,
    natural_soften_max: float = 0.0,
    grain: tuple[float, float] = (0.0, 0.0),
    noise_floor: float = 0.0,
    curve_fraction: float = 0.0,
    curve_min_extent: int = 0,
) -> Blurred:
    """A sharp image (dead leaves, or a crop from ``image_folder``, augmented as ``sharp_crop``
    says; with ``grain`` = (level max, size max) other than zero grained as ``add_grain`` says)
    blurred by a random kernel of exactly ``width`` x ``height`` px, its noise topped up to
    ``noise_floor`` when that is not zero."""
    shape = (image_size, image_size) if isinstance(image_size, int) else image_size
    kernel, kind = random_kernel(width, height, rng, line_fraction=line_fraction, curve_fraction=curve_fraction,
                                 curve_min_extent=curve_min_extent)
    size = sharp_size_for(shape, kernel)
    natural = image_folder is not None and rng.random() < image_fraction
    sharp = (sharp_crop(rng, size, image_folder, natural_scale, natural_gamma_max, natural_soften_max) if natural
             else dead_leaves(rng, size))
    if grain[0] > 0.0:
        sharp = add_grain(rng, sharp, *grain)
    blurry = blur_image(sharp, kernel, rng, noise_sigma)
    if noise_floor > 0.0:
        blurry = top_up_noise(blurry, noise_floor, rng)
    return Blurred(blurry, kernel, kind, width, height, noise_sigma)


def sample_image(seed: int, index: int, cfg: SynthesisConfig) -> tuple[Blurred, int]:
    """The blurry image of sample ``index`` and the axis it labels (0: the width, 1: the height)."""
    rng = sample_rng(seed, index)
    extent = balanced_extent(rng, cfg.min_extent, cfg.max_extent)
    if rng.random() < cfg.thin_fraction:
        other = int(rng.integers(1, 3))
    else:
        other = other_extent(rng, extent, cfg.other_aspect_max)
    axis = int(rng.integers(2))
    width, height = (extent, other) if axis == 0 else (other, extent)
    noise = float(rng.uniform(cfg.noise_min, cfg.noise_max))
    made = synthesize_blurred(rng, width, height, cfg.image_size, noise, cfg.line_fraction, cfg.image_folder,
                              cfg.image_fraction, (cfg.natural_scale_min, cfg.natural_scale_max),
                              cfg.natural_gamma_max, cfg.natural_soften_max, (cfg.grain_max, cfg.grain_size_max),
                              cfg.noise_floor, cfg.curve_fraction, cfg.curve_min_extent)
    return made, axis


def make_sample(seed: int, index: int, cfg: SynthesisConfig) -> dict[str, np.ndarray | int | float]:
    """Sample ``index``: the distinct gradient patch of one axis (the height's is the transpose's)
    and its labels, and optionally that axis's whole-image map."""
    made, axis = sample_image(seed, index, cfg)
    extent, other = (made.width, made.height) if axis == 0 else (made.height, made.width)
    patch: Patch = width_patch(made.blurry) if axis == 0 else height_patch(made.blurry)
    fine = classes.fine_class(extent)
    optional = {}
    if cfg.image_map:
        along = made.blurry if axis == 0 else made.blurry.T
        optional["image_map"] = image_map_codes(horizontal_gradient(along))
    return {
        "patch": patch.gradient.astype(np.int16),  # exact: gradients of 8-bit images are integers
        "extent": extent,
        "fine": fine,
        "coarse": classes.coarse_of_fine(fine),
        "other_extent": other,
        "axis": axis,
        "line": int(made.kind == "line"),
        "noise": made.noise_sigma,
        "std": patch.std,
        **optional,
    }
