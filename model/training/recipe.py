"""The training recipe behind the shipped weights, as one resumable command.

    python -m blurgauge.model.training.recipe --work ~/blurgauge-work --profile shipped --install
    (or: make train, whose PROFILE is ``shipped`` by default)

``shipped`` reproduces the seven files of ``model/trained/`` in one work folder; the other profiles
(``PROFILES``) are the schedule the networks are meant to get (``full``) and research variants, each
kept to reproduce a measured result (docs/experiments.md).

Steps, each skipped when already done and resumed when interrupted:

1. build the validation set (seed 2) and the training set (seed 1) with ``blurgauge data build``;
   the sharp images are crops of the 16 Kodak24 training images (``splits.KODAK_TRAIN``) for 70 %
   of the samples and dead leaves for the rest, so ``--data-root`` must hold natural_Kodak24/
   (the ``photos`` profile first fetches 49 more photographs, ``blurgauge data photos``);
2. train the coarse network from scratch (``shipped`` and ``image-map-taught`` then train a second
   one on patch maps, taught by the first, and install that one);
3. train the five fine networks, each initialised from the coarse network's backbone (all layers
   but the head), on their range widened by ``--widen`` px on each side (``shipped``: those of the
   ``curves-light`` profile, on its own sets with its own coarse backbone, in ``work/curves-light``);
4. train the native 38-class ResNet18 from scratch (the paper's Table 1 baseline; not in the core;
   ``Recipe.native_input_region`` may set what it reads apart from the cascade);
5. copy each run's best weight file into ``model/trained/`` (``--install``).

Every step prints the exact ``blurgauge`` command it runs, so any step can be rerun by hand.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from blurgauge.model.data import reference, splits
from blurgauge.model.nets.inference import TRAINED_DIR


@dataclass(frozen=True)
class Recipe:
    train_count: int = 40960
    val_count: int = 4096
    width: int = 16
    image_fraction: float = 0.7
    native_epochs: int = 40
    native_epoch_size: int = 10240
    coarse_epochs: int = 16
    coarse_epoch_size: int = 10240
    fine_epochs: int = 10
    fine_epoch_size: int = 4096
    lr: float = 1e-3
    final_lr: float = 1e-5
    widen: int = 2
    seed: int = 0
    val_size: int = 2048
    #: The training set: its folder in the work folder, its seed, and the natural-crop augmentation
    #: of its sharp images (``SynthesisConfig.natural_scale_min/max``, ``natural_gamma_max``,
    #: ``natural_soften_max``).
    train_dir: str = "train"
    train_seed: int = 1
    natural_scale: tuple[float, float] = (1.0, 1.0)
    natural_gamma_max: float = 1.0
    natural_soften_max: float = 0.0
    #: Grain of every sharp image (``SynthesisConfig.grain_max``, ``grain_size_max``).
    grain_max: float = 0.0
    grain_size_max: float = 0.0
    #: Every blurry image, training and validation, topped up to this noise level
    #: (``SynthesisConfig.noise_floor``; 0: off). Its validation set is then its own, ``val_dir``:
    #: train refuses a validation set built with another floor.
    noise_floor: float = 0.0
    val_dir: str = "val"
    #: Crop the 49 Debian wallpaper photographs (``photos.py``) beside the Kodak24 training split;
    #: a ``photos`` step fetches them into the work folder first.
    photos: bool = False
    #: What the networks read of each patch (``preprocess.TRANSFORMS``); recorded in the weight files.
    input_transform: str = "gradient"
    #: Where the networks' autocorrelation is taken in training (``train.TRAIN_REGIONS``): over the
    #: selected patch, over the labelled axis's whole gradient map as the host's ``image`` region
    #: does at inference, or ``mixed``, each sample from either at random (for the last two the
    #: training and validation sets store the whole-image maps, ``--image-map``).
    input_region: str = "patch"
    #: More than 0: after the coarse network, train a second one for this many epochs on patch maps,
    #: its targets mixed with the first one's softmax (``--teacher``, ``teacher_weight``), into
    #: runs/coarse-taught; it is the coarse network ``--install`` copies (the shipped one).
    taught_coarse_epochs: int = 0
    teacher_weight: float = 0.5
    #: Where the native network's autocorrelation is taken in training; None: ``input_region``. The
    #: shipped native network reads patch maps while the shipped fine networks read whole-image maps.
    native_input_region: str | None = None
    #: Share of smooth-curve kernels (arcs, S-curves, hooks, loops; ``kernels.curve_kernel``) in both sets
    #: (``SynthesisConfig.curve_fraction``; 0: the two-family generator: lines and shake walks).
    curve_fraction: float = 0.0
    #: Curves only for kernels whose larger side is at least this many px (``SynthesisConfig.curve_min_extent``).
    curve_min_extent: int = 0
    #: Another profile whose fine networks this one trains and installs instead of its own: its sets,
    #: its coarse network (their backbone) and its five fine networks, in the sub-folder of the same
    #: name (``work / fine_profile``); steps named ``<fine_profile>/<step>``.
    fine_profile: str | None = None


#: The run folder of the taught coarse network (``Recipe.taught_coarse_epochs``); ``install`` takes
#: the coarse file from it.
TAUGHT_COARSE_RUN = "coarse-taught"


#: ``shipped`` (defined below): the seven files of ``model/trained/``. ``full``: the schedule the
#: networks are meant to get (about 9 hours of training on 2 cores, or minutes on a GPU), on the
#: first generation of the data (no photos, grain or noise floor, gradient input). ``short``: a
#: short schedule of ``full`` (about 3 hours on 2 cores). The other profiles are research variants,
#: each kept to reproduce a measured result (docs/experiments.md); ``extended`` .. ``augmented``
#: continue the runs of a work folder. The weight files record the command that made them
#: (``provenance``).
PROFILES = {
    "full": Recipe(),
    "short": Recipe(coarse_epochs=6, coarse_epoch_size=4096, fine_epochs=3, fine_epoch_size=2048,
                      native_epochs=6, native_epoch_size=4096, val_size=1024),
    # Research: ``extended``: the ``short`` schedule with three times the epochs. Run in a work folder
    # that holds a finished ``short`` run, every network resumes from its checkpoint (a run may
    # only grow its epoch count), so the two profiles in sequence make one longer training.
    "extended": Recipe(coarse_epochs=20, coarse_epoch_size=4096, fine_epochs=10, fine_epoch_size=2048,
                       native_epochs=24, native_epoch_size=4096, val_size=1024),
    # Research: ``extended2``: ``extended`` continued by 8 coarse, 4 fine and 4 native epochs, same work folder.
    "extended2": Recipe(coarse_epochs=28, coarse_epoch_size=4096, fine_epochs=14, fine_epoch_size=2048,
                        native_epochs=28, native_epoch_size=4096, val_size=1024),
    # Research: ``extended3``: continues ``extended`` (not ``extended2``) in the same work folder with 20
    # more coarse and native epochs and 10 more epochs per fine network (about 95 minutes on 2
    # idle cores); each run warm-restarts at the full learning rate and decays again at its end.
    "extended3": Recipe(coarse_epochs=40, coarse_epoch_size=4096, fine_epochs=20, fine_epoch_size=2048,
                        native_epochs=44, native_epoch_size=4096, val_size=1024),
    # Research: ``augmented``: continues ``extended3`` in the same work folder on a second training set
    # whose natural crops are shrunk, transposed and tone-mapped: 12 more coarse epochs, 6
    # more per fine network, and 12 more for the native network (which ``extended3`` left at 24).
    # The networks had seen crops of 16 photos at one scale only, and misread the blur of BSD68's
    # photos (docs/experiments.md).
    "augmented": Recipe(coarse_epochs=52, coarse_epoch_size=4096, fine_epochs=26, fine_epoch_size=2048,
                        native_epochs=36, native_epoch_size=4096, val_size=1024, train_count=24576,
                        train_dir="train-aug", train_seed=12, natural_scale=(0.4, 1.5),
                        natural_gamma_max=1.5),
    # Research: ``photos``: from scratch in a fresh work folder, on a training set that crops the 49
    # Debian wallpaper photographs beside the Kodak24 split, resampled and tone-mapped as ``augmented``;
    # the coarse schedule of the width comparison, 65,536 samples. Kept to reproduce a measured
    # negative result: its coarse network scores 5-6 points below the Kodak-only recipe on BSD68 +
    # Set12, because the shrunk wallpapers lack the test photos' grain (docs/experiments.md).
    "photos": Recipe(coarse_epochs=16, coarse_epoch_size=4096, fine_epochs=10, fine_epoch_size=2048,
                     native_epochs=24, native_epoch_size=4096, val_size=1024, train_dir="train-photos",
                     train_seed=3, natural_scale=(0.4, 1.5), natural_gamma_max=1.5, photos=True),
    # Research: ``grain``: as ``photos`` but without resampling or tone curves, and with a grain of
    # 0-6 gray levels (grain size 0-1 px) on every sharp image. Its coarse network, with the fine
    # networks of ``extended``, scored 65.3 and 64.9 % coarse accuracy on BSD68 + Set12 for two
    # training seeds, against 61.0 and 61.5 % for Kodak24 crops alone (docs/experiments.md).
    "grain": Recipe(coarse_epochs=16, coarse_epoch_size=4096, fine_epochs=10, fine_epoch_size=2048,
                    native_epochs=24, native_epoch_size=4096, val_size=1024, train_dir="train-grain",
                    train_seed=3, grain_max=6.0, grain_size_max=1.0, photos=True),
    # Research: ``floor``: ``grain`` with every blurry image topped up to 1 % noise, the host doing the
    # same before its patches (the weight files record the level). Its own validation set of 1,024
    # samples, as the comparisons of the photo, grain and floor experiments. The data of every later
    # profile, ``shipped`` included (docs/experiments.md).
    "floor": Recipe(coarse_epochs=16, coarse_epoch_size=4096, fine_epochs=10, fine_epoch_size=2048,
                    native_epochs=24, native_epoch_size=4096, val_size=1024, val_count=1024,
                    train_dir="train-floor", val_dir="val-floor", train_seed=3, grain_max=6.0,
                    grain_size_max=1.0, noise_floor=0.01, photos=True),
    # Research: ``autocorrelation``: ``floor``'s data (the same two sets, so a work folder of ``floor``
    # reuses them), the networks reading the autocorrelation of each patch instead of the patch, and
    # three times the coarse epochs, twice the fine ones. The shipped native network is its native
    # network (``shipped`` trains it on the same samples).
    "autocorrelation": Recipe(coarse_epochs=48, coarse_epoch_size=4096, fine_epochs=20, fine_epoch_size=2048,
                              native_epochs=32, native_epoch_size=4096, val_size=1024, val_count=1024,
                              train_dir="train-floor", val_dir="val-floor", train_seed=3, grain_max=6.0,
                              grain_size_max=1.0, noise_floor=0.01, photos=True, input_transform="autocorrelation"),
}

# Research: ``image-map``: ``autocorrelation`` trained on the maps the host feeds the networks by
# default, each taken over the labelled axis's whole gradient map instead of one patch. Its two sets
# are ``floor``'s samples (same seeds and settings, so the same patches and labels) with those maps
# stored beside them. The shipped coarse network's teacher is its own.
PROFILES["image-map"] = replace(PROFILES["autocorrelation"], train_dir="train-map", val_dir="val-map",
                                input_region="image")
# Research: ``image-map-long``: continues ``image-map`` in the same work folder, each network resuming from its
# checkpoint with twice the coarse and fine epochs (a warm restart at the full learning rate that
# decays again at its end); the native network keeps its 32 epochs.
PROFILES["image-map-long"] = replace(PROFILES["image-map"], coarse_epochs=96, fine_epochs=40)
# Research: ``image-map-mixed``: ``image-map`` with every network reading, sample by sample at random,
# either its patch's map or its whole-image map, so that it learns the whole-image maps' cleaner
# picture of the blur from many more scene windows than the training photos' whole images.
PROFILES["image-map-mixed"] = replace(PROFILES["image-map"], input_region="mixed")
# Research: ``image-map-taught``: ``image-map`` plus a coarse network read from patch maps and taught by
# the ``image-map`` coarse network (the shipped coarse network), its native network reading whole-image
# maps.
PROFILES["image-map-taught"] = replace(PROFILES["image-map"], taught_coarse_epochs=48)
# Research: ``two-families``: ``image-map-taught`` with the native network reading patch maps, as the
# ``autocorrelation`` native network does. Its sets hold ``floor``'s samples (``--image-map`` adds the maps
# and changes no stored patch), so the native network learns from the same patches as in
# ``autocorrelation``. The shipped coarse and native networks are its own.
PROFILES["two-families"] = replace(PROFILES["image-map-taught"], native_input_region="patch")
# Research: ``two-families`` with 35 % smooth-curve kernels in both sets (docs/experiments.md, Experiment 21);
# its sets are its own folders, so one work folder can hold both profiles.
PROFILES["curves"] = replace(PROFILES["two-families"], curve_fraction=0.35, train_dir="train-curves",
                             val_dir="val-curves")
# ``curves`` with 20 % smooth curves, so that the camera-shake walks (Levin's kernels look like them)
# keep 65 % of both sets instead of 50 % (the 35 % mix lost ground on Levin: Experiment 23). The shipped
# fine networks are its own (Experiment 26).
PROFILES["curves-light"] = replace(PROFILES["curves"], curve_fraction=0.2, train_dir="train-curves20",
                                   val_dir="val-curves20")
# Research: ``curves`` with the curves only in kernels whose larger side is 36 px or more (R3..R5), so that
# the small ranges keep the two-family mix of lines and walks: the coarse stage is meant to learn long curves
# without reading Levin's small kernels too large (Experiment 30).
PROFILES["curves-large"] = replace(PROFILES["curves"], curve_min_extent=36, train_dir="train-curves-large",
                                   val_dir="val-curves-large")
# ``shipped``: the seven files of ``model/trained/``, in one work folder: the coarse and native networks of
# ``two-families``, the fine networks of ``curves-light`` (in ``work/curves-light``). Curves in the fine
# networks' data lift every kernel family and the Levin protocol; in the coarse network's they cost Levin
# more than they gain (docs/experiments.md, Experiments 23 and 26). About 2 h 40 min on 2 cores.
PROFILES["shipped"] = replace(PROFILES["two-families"], fine_profile="curves-light")


def _run(args: list[str], dry_run: bool) -> None:
    command = ["blurgauge", *args]
    print("$ " + " ".join(shlex.quote(a) for a in command), flush=True)
    if not dry_run:
        subprocess.run([sys.executable, "-m", "blurgauge.host.cli", *args], check=True)


#: The steps of a ``fine_profile`` that its parent runs: its sets, its coarse network, its fine networks.
FINE_PROFILE_STEPS = ("validation set", "training set", "coarse", *(f"fine{k}" for k in range(1, 6)))


def steps(r: Recipe, work: Path, data_root: Path, photos: Path | None = None) -> list[tuple[str, list[str]]]:
    """The profile's steps as (name, ``blurgauge`` arguments); ``photos``: the folder of the Debian
    photos (default ``work/photos``, which a ``photos`` step fills)."""
    data, val, runs = work / r.train_dir, work / r.val_dir, work / "runs"
    common = ["--data", str(data), "--val", str(val), "--width", str(r.width), "--lr", str(r.lr),
              "--final-lr", str(r.final_lr), "--seed", str(r.seed), "--val-size", str(r.val_size), "--quiet"]
    if r.input_transform != "gradient":
        common += ["--input-transform", r.input_transform]
    region = ["--input-region", r.input_region] if r.input_region != "patch" else []
    own_photos = photos is None
    photos, kodak = photos or work / "photos", str(data_root / splits.KODAK_FOLDER)
    fraction = ["--image-fraction", str(r.image_fraction)]
    augmentation = []
    if r.natural_scale != (1.0, 1.0):
        augmentation += ["--natural-scale", *map(str, r.natural_scale)]
    if r.natural_gamma_max != 1.0:
        augmentation += ["--natural-gamma-max", str(r.natural_gamma_max)]
    if r.natural_soften_max != 0.0:
        augmentation += ["--natural-soften-max", str(r.natural_soften_max)]
    if r.grain_max != 0.0:
        augmentation += ["--grain-max", str(r.grain_max), "--grain-size-max", str(r.grain_size_max)]
    # Options both sets share: what the networks are trained on must be in the validation set too.
    both_sets = ["--noise-floor", str(r.noise_floor)] if r.noise_floor != 0.0 else []
    both_sets += ["--image-map"] if r.input_region in ("image", "mixed") else []
    both_sets += ["--curve-fraction", str(r.curve_fraction)] if r.curve_fraction else []
    both_sets += ["--curve-min-extent", str(r.curve_min_extent)] if r.curve_min_extent else []
    out = [("photos", ["data", "photos", "--out", str(photos)])] if r.photos and own_photos else []
    out += [
        # One validation set for every profile without a noise floor (Kodak24 crops only), so their
        # accuracies compare.
        ("validation set", ["data", "build", "--out", str(val), "--count", str(r.val_count), "--seed", "2",
                            "--images", kodak, *fraction, *both_sets]),
        ("training set", ["data", "build", "--out", str(data), "--count", str(r.train_count),
                          "--seed", str(r.train_seed), "--images", kodak, *([str(photos)] if r.photos else []),
                          *fraction, *augmentation, *both_sets]),
        ("coarse", ["train", "--role", "coarse", "--run", str(runs / "coarse"), "--epochs", str(r.coarse_epochs),
                    "--epoch-size", str(r.coarse_epoch_size), *common, *region]),
    ]
    if r.taught_coarse_epochs:
        out.append(("coarse-taught", ["train", "--role", "coarse", "--run", str(runs / TAUGHT_COARSE_RUN),
                                      "--epochs", str(r.taught_coarse_epochs),
                                      "--epoch-size", str(r.coarse_epoch_size), *common,
                                      "--input-region", "patch",
                                      "--teacher", str(runs / "coarse" / "best.bgw.npz"),
                                      "--teacher-weight", str(r.teacher_weight)]))
    if r.fine_profile is None:
        for k in range(1, 6):
            out.append((f"fine{k}", ["train", "--role", f"fine{k}", "--run", str(runs / f"fine{k}"),
                                     "--epochs", str(r.fine_epochs), "--epoch-size", str(r.fine_epoch_size),
                                     "--widen", str(r.widen), "--init-from", str(runs / "coarse"), *common,
                                     *region]))
    else:
        sub = steps(PROFILES[r.fine_profile], work / r.fine_profile, data_root, photos)
        out += [(f"{r.fine_profile}/{name}", cmd) for name, cmd in sub if name in FINE_PROFILE_STEPS]
    native_region = r.input_region if r.native_input_region is None else r.native_input_region
    out.append(("native", ["train", "--role", "native", "--run", str(runs / "native"),
                           "--epochs", str(r.native_epochs), "--epoch-size", str(r.native_epoch_size),
                           *common, *(["--input-region", native_region] if native_region != "patch" else [])]))
    return out


ROLES = ("native", "coarse", "fine1", "fine2", "fine3", "fine4", "fine5")


def install(work: Path, target: Path = TRAINED_DIR, roles: tuple[str, ...] = ROLES,
            recipe: Recipe | None = None) -> list[Path]:
    """Copy the best weight file of each of ``roles`` from the work folder's runs into ``target``; the
    coarse network from the taught run where ``recipe`` trains one, the fine networks from the
    ``fine_profile``'s sub-folder where it names one."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; expected some of {', '.join(ROLES)}")
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in roles:
        run = TAUGHT_COARSE_RUN if name == "coarse" and recipe and recipe.taught_coarse_epochs else name
        folder = work / recipe.fine_profile if recipe and recipe.fine_profile and name.startswith("fine") else work
        source = folder / "runs" / run / "best.bgw.npz"
        if source.exists():
            copied.append(Path(shutil.copy2(source, target / f"{name}.bgw.npz")))
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for datasets and runs")
    parser.add_argument("--data-root", type=Path, default=reference.DEFAULT_DATA_ROOT,
                        help="reference data holding natural_Kodak24/ (default: shared/data beside the repository)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="shipped",
                        help="training schedule: shipped (default: the seven files of model/trained/), full (the "
                             "schedule the networks are meant to get), short (a short full); research variants: "
                             "extended, extended2, extended3, augmented (each continues a work folder), photos, "
                             "grain, floor, autocorrelation, image-map (from scratch, with 49 Debian photos), "
                             "image-map-long (continues image-map), image-map-mixed, image-map-taught, two-families, "
                             "curves, curves-light, curves-large; "
                             "see PROFILES")
    parser.add_argument("--only", nargs="*", default=None, help="run only these steps (e.g. native coarse)")
    parser.add_argument("--install", action="store_true", help="copy the best weights into model/trained/")
    parser.add_argument("--install-roles", nargs="+", choices=ROLES, default=list(ROLES), metavar="ROLE",
                        help="with --install, copy only these networks (default: all seven)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args(argv)
    for name, cmd in steps(PROFILES[args.profile], args.work, args.data_root.resolve()):
        if args.only is None or name in args.only:
            print(f"== {name}", flush=True)
            _run(cmd, args.dry_run)
    if args.install and not args.dry_run:
        for path in install(args.work, roles=tuple(args.install_roles), recipe=PROFILES[args.profile]):
            print(f"installed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
