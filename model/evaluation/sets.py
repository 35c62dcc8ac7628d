"""The blurred evaluation sets: the Levin protocol, the Kodak control and the synthetic sweep.

Levin protocol (the paper's Table 1 and 2, with the images at hand): Levin's 8 float kernels blur
the 80 natural images of BSD68 + Set12 (valid convolution, Gaussian noise of sigma 1 % of full
range, 8-bit rounding): 640 blurry images, two axes each. The ground truth is the bounding box of
each kernel's non-zero entries.

Control: Levin's kernels on the 8 held-out Kodak24 images, both axes. It tells the photos' share
of the Levin protocol's error from the kernels' share.

Synthetic sweep: every extent 3..95 px as the kernel width, with a random height, random
camera-shake or line kernels from our generator, on the 8 Kodak24 images held out from training
(``splits.KODAK_HELD_OUT``; training may crop the other 16). Only the width axis is scored, so every
size counts equally.

Kernel families (``families.py``): lines, arcs, hand shake after published measurements, and our own
generator's camera-shake paths, ``per_range`` kernels per coarse range each, on the photos of BSD68 +
Set12, both axes. Three of the four families share no code with the training generator: what the
networks read on them measures blur, not the generator.

Every blurred image keeps up to ``patches`` distinct patches per axis (``patches.distinct_windows``,
the first is the paper's one patch) and, for networks that read the autocorrelation, one map over
each axis's whole gradient (the ``image`` region, ``model.inputs.preprocess``). The images are a
pure function of the seed, so the figures are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from blurgauge.model import classes
from blurgauge.model.data.blur import blur_image
from blurgauge.model.data.kernels import kernel_extent, random_kernel
from blurgauge.model.data.reference import held_out_kodak, levin_kernels, levin_photos, resolve_data_root
from blurgauge.model.evaluation import families as kernel_families
from blurgauge.model.evaluation.light_spread import light_spread
from blurgauge.model.inputs.images import load_gray
from blurgauge.model.inputs.noise import top_up_noise
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, IMAGE, PLAIN, Preprocessing


@dataclass
class Blurred:
    """One blurry test image: its truth and the network inputs of both axes."""

    image: str
    kernel: str
    width: int
    height: int
    width_codes: np.ndarray  # (k, 128, 128) int8: the k most distinct width patches, the paper's first
    height_codes: np.ndarray  # the same for the height
    # (1, 128, 128) int8: one map over each axis's whole gradient (the image region), for networks
    # that read the autocorrelation; None for the others
    width_image: np.ndarray | None = None
    height_image: np.ndarray | None = None
    collection: str = ""  # the folder of the sharp photo (natural_BSD68, natural_Set12, ...)
    # How evenly the kernel spreads its light over its width and height (``light_spread``)
    width_spread: float = float("nan")
    height_spread: float = float("nan")


def protocol_rng(seed: int, *keys: int) -> np.random.Generator:
    """The generator of one blurred image: a pure function of the seed and the image's keys."""
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=keys))


def _blurred(image_name: str, kernel_name: str, sharp: np.ndarray, kernel: np.ndarray,
             rng: np.random.Generator, noise: float, patches: int, prep: Preprocessing = PLAIN) -> Blurred:
    blurry = prep.crop(blur_image(sharp, kernel, rng, noise))
    if prep.noise_floor > 0.0:  # the host's step for networks trained on topped-up images
        blurry = top_up_noise(blurry, prep.noise_floor, rng)
    w, h = kernel_extent(kernel)
    images = prep.axis_codes(blurry, region=IMAGE) if prep.transform == AUTOCORRELATION else (None, None)
    return Blurred(image_name, kernel_name, w, h, *prep.axis_codes(blurry, patches), *images,
                   width_spread=light_spread(kernel, "width"), height_spread=light_spread(kernel, "height"))


def _levin_kernels_on(images: list[Path], root: Path, noise: float, seed: int, progress: bool,
                      desc: str, patches: int, prep: Preprocessing = PLAIN) -> list[Blurred]:
    """Every one of Levin's kernels on every image; image i and kernel k draw from rng (seed, i, k)."""
    kernels = levin_kernels(root)
    out = []
    for i, path in enumerate(tqdm(images, desc=desc, disable=not progress)):
        sharp = load_gray(path)
        for k, kernel in kernels.items():
            blurred = _blurred(path.name, f"kernel{k}", sharp, kernel, protocol_rng(seed, i, k), noise, patches, prep)
            blurred.collection = path.parent.name
            out.append(blurred)
    return out


def levin_set(root: Path, noise: float = 0.01, seed: int = 0, progress: bool = True,
              patches: int = 1, prep: Preprocessing = PLAIN) -> list[Blurred]:
    """The Levin protocol: Levin's 8 kernels on the 80 photos of BSD68 + Set12."""
    return _levin_kernels_on(levin_photos(root), root, noise, seed, progress, "Levin protocol: blurring", patches,
                             prep)


def levin_on_kodak_set(root: Path, noise: float = 0.01, seed: int = 2, progress: bool = True,
                       patches: int = 1, prep: Preprocessing = PLAIN) -> list[Blurred]:
    """The control: Levin's kernels on the held-out Kodak24 photos instead of BSD68 + Set12.

    The kernels are the test kernels, the photos are of the kind the networks were trained on; a
    gap between the two AbEs is the photos' doing, not the kernels'.
    """
    return _levin_kernels_on(held_out_kodak(root), root, noise, seed, progress, "Levin kernels on Kodak: blurring",
                             patches, prep)


def sweep_set(root: Path, per_extent: int = 4, noise: float = 0.01, seed: int = 1,
              progress: bool = True, patches: int = 1, prep: Preprocessing = PLAIN) -> list[Blurred]:
    """The synthetic sweep: ``per_extent`` kernels of every width 3..95 px on the held-out Kodak24 photos."""
    held_out = held_out_kodak(root)
    images = [load_gray(p) for p in held_out]
    out = []
    extents = range(classes.MIN_EXTENT, classes.MAX_EXTENT + 1)
    for e in tqdm(extents, desc="synthetic sweep: blurring", disable=not progress):
        for j in range(per_extent):
            rng = protocol_rng(seed, e, j)
            height = int(rng.integers(classes.MIN_EXTENT, classes.MAX_EXTENT + 1))
            kernel, kind = random_kernel(e, height, rng)
            which = int(rng.integers(len(images)))
            out.append(_blurred(held_out[which].stem, f"{kind}{e}x{height}", images[which], kernel, rng, noise,
                                patches, prep))
    return out


class ProtocolSets(NamedTuple):
    """The blurred images of every protocol."""

    levin: list[Blurred]  # Levin's kernels on BSD68 + Set12 (the paper's protocol)
    sweep: list[Blurred]  # our kernels, 3..95 px, on the held-out Kodak24 images
    levin_on_kodak: list[Blurred]  # the control: Levin's kernels on the held-out Kodak24 images


def protocol_sets(data_root: str | Path | None, noise: float = 0.01, per_extent: int = 4, seed: int = 0,
                  progress: bool = True, patches: int = 1, prep: Preprocessing = PLAIN) -> ProtocolSets:
    """Every protocol's blurred images, with up to ``patches`` distinct patches per axis, each image
    preprocessed as the networks expect (``prep``: its noise topped up, its patches transformed).

    The Levin protocol draws from ``seed``, the sweep from ``seed + 1``, the control from ``seed + 2``.
    """
    root = resolve_data_root(data_root)
    return ProtocolSets(levin_set(root, noise, seed, progress, patches, prep),
                        sweep_set(root, per_extent, noise, seed + 1, progress, patches, prep),
                        levin_on_kodak_set(root, noise, seed + 2, progress, patches, prep))


def family_set(root: Path, family: str, per_range: int = 16, noise: float = 0.01, seed: int = 3,
               progress: bool = True, patches: int = 1, prep: Preprocessing = PLAIN,
               photos: list[tuple[Path, np.ndarray]] | None = None) -> list[Blurred]:
    """``per_range`` kernels of ``family`` per coarse range on the photos of BSD68 + Set12, the photos
    taken in a random order (each once before any twice); kernel j of family f draws from (seed, f, j)."""
    index = kernel_families.FAMILIES.index(family)
    photos = photos or [(path, load_gray(path)) for path in levin_photos(root)]
    kernels = kernel_families.family_kernels(family, per_range, protocol_rng(seed, index))
    order = protocol_rng(seed, index, len(kernels)).permutation(len(photos))
    out = []
    for j, k in enumerate(tqdm(kernels, desc=f"{family} kernels: blurring", disable=not progress)):
        path, sharp = photos[order[j % len(photos)]]
        blurred = _blurred(path.name, f"{family}{k.width}x{k.height}", sharp, k.kernel, protocol_rng(seed, index, j),
                           noise, patches, prep)
        blurred.collection = path.parent.name
        out.append(blurred)
    return out


def family_sets(data_root: str | Path | None, per_range: int = 16, noise: float = 0.01, seed: int = 3,
                progress: bool = True, patches: int = 1, prep: Preprocessing = PLAIN) -> dict[str, list[Blurred]]:
    """Every kernel family's blurred images (``family_set``), by family name."""
    root = resolve_data_root(data_root)
    photos = [(path, load_gray(path)) for path in levin_photos(root)]
    return {family: family_set(root, family, per_range, noise, seed, progress, patches, prep, photos)
            for family in kernel_families.FAMILIES}
