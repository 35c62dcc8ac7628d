"""Backend agreement on Levin-protocol images, end to end (``make verify``).

    python -m blurgauge.sim.backend_agreement --images 8 --out build/verify/backends.md

Each image is one of Levin's kernels on one of the BSD68 + Set12 images, blurred exactly as
``blurgauge eval`` blurs it (same noise, same seed per image and kernel). Every backend estimates
every image through ``Accelerator.estimate_many``, patch selection included; the coarse and fine
classes of both axes and the sizes must be identical across backends, with golden as the reference.
Writes a markdown table (with the core's cycle counts) and exits non-zero on any difference.

The whole Levin set (640 images) runs on golden and keras in ``blurgauge eval``; the hls C simulation
(about 2 s per network run) and the simulated RTL core (about 30 s per run at width 16) take a
subset here: one image per kernel by default, 32 core runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from blurgauge.host.accelerator import Accelerator, Estimate, Failure
from blurgauge.model.data.blur import blur_image
from blurgauge.model.data.kernels import kernel_extent
from blurgauge.model.data.reference import levin_kernels, natural_images, resolve_data_root
from blurgauge.model.evaluation.sets import protocol_rng
from blurgauge.model.inputs.images import load_gray

DEFAULT_BACKENDS = ("golden", "keras", "hls", "rtl")


def levin_images(root: Path, count: int, noise: float = 0.01, seed: int = 0) -> list[tuple[str, np.ndarray, tuple]]:
    """``count`` blurry images (label, image, (true width, true height)), cycling through the 8 kernels;
    the sharp image of each is drawn at random from BSD68 + Set12."""
    images = natural_images(root, ("natural_BSD68", "natural_Set12"))
    kernels = levin_kernels(root)
    pick = np.random.default_rng(seed).choice(len(images), size=count, replace=count > len(images))
    out = []
    for n, i in enumerate(pick):
        k = sorted(kernels)[n % len(kernels)]
        blurry = blur_image(load_gray(images[i]), kernels[k], protocol_rng(seed, int(i), k), noise)
        out.append((f"{images[i].name} * kernel{k}", blurry, kernel_extent(kernels[k])))
    return out


#: Sizes closer than this agree: the expectation estimate weighs the midpoints by a softmax, which the
#: float (keras) and integer backends compute with different rounding (about 1e-8 px apart).
SIZE_TOLERANCE_PX = 1e-4


def agrees(e: Estimate, r: Estimate) -> bool:
    """The same ranges and intervals on both axes, and the same sizes up to float rounding."""
    classes = (e.width.coarse, e.width.fine, e.height.coarse, e.height.fine)
    return (classes == (r.width.coarse, r.width.fine, r.height.coarse, r.height.fine)
            and abs(e.width_px - r.width_px) < SIZE_TOLERANCE_PX and abs(e.height_px - r.height_px) < SIZE_TOLERANCE_PX)


def run(backend: str, items: list, weights: Path | None) -> tuple[list[Estimate], float]:
    start = time.perf_counter()
    with Accelerator(backend, weights) as acc:
        results = list(acc.estimate_many([img for _, img, _ in items], labels=[lbl for lbl, _, _ in items]))
    failed = [r for r in results if isinstance(r, Failure)]
    if failed:
        raise RuntimeError(f"{backend}: {failed[0].error}")
    return results, time.perf_counter() - start  # type: ignore[return-value]


def report(items: list, results: dict[str, list[Estimate]], seconds: dict[str, float],
           command: str) -> tuple[str, bool]:
    names = list(results)
    ref = names[0]
    agree = all(agrees(e, r) for name in names for e, r in zip(results[name], results[ref], strict=True))
    lines = [
        "# Backend agreement, end to end, on Levin-protocol images", "",
        f"Command: `{command}`", "",
        f"{len(items)} images; backends {', '.join(names)}; reference {ref}. "
        f"Identical classes, and sizes within {SIZE_TOLERANCE_PX:g} px, on every image: "
        f"**{'yes' if agree else 'NO'}**.", "",
        "| image | truth WxH | " + " | ".join(names) + " | core cycles |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " | ---: |",
    ]
    for n, (label, _, (w, h)) in enumerate(items):
        cells = []
        for name in names:
            e = results[name][n]
            mark = "" if agrees(e, results[ref][n]) else " (differs)"
            cells.append(f"{e.width_px:.1f} x {e.height_px:.1f} (c{e.width.coarse}/f{e.width.fine}, "
                         f"c{e.height.coarse}/f{e.height.fine}){mark}")
        cycles = next((results[name][n].cycles for name in names if results[name][n].cycles is not None), None)
        lines.append(f"| {label} | {w} x {h} | " + " | ".join(cells) + f" | {cycles if cycles else ''} |")
    lines += ["", "Wall time per backend: " + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()), ""]
    return "\n".join(lines), agree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8, help="images, one Levin kernel each in turn (default 8)")
    parser.add_argument("--backends", nargs="+", default=list(DEFAULT_BACKENDS),
                        help=f"backends, the first is the reference (default {' '.join(DEFAULT_BACKENDS)})")
    parser.add_argument("--data", type=Path, default=None, help="reference data (default ../shared/data)")
    parser.add_argument("--weights", type=Path, default=None, help="weight folder (default: the shipped weights)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("build/verify/backends.md"))
    args = parser.parse_args(argv)
    if args.images < 1:
        parser.error("--images must be at least 1")
    command = "python -m blurgauge.sim.backend_agreement " + " ".join(argv if argv is not None else sys.argv[1:])
    items = levin_images(resolve_data_root(args.data), args.images, seed=args.seed)
    results, seconds = {}, {}
    for backend in args.backends:
        print(f"{backend} ...", file=sys.stderr, flush=True)
        results[backend], seconds[backend] = run(backend, items, args.weights)
    text, agree = report(items, results, seconds, command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
