"""``blurgauge demo``: the main job on an embedded default example.

Synthesizes a blurry image with a known camera-shake kernel, selects the two distinct gradient
patches as the paper does and reports them beside the ground truth; with ``backend`` (``make demo``:
rtl, the simulated core) it then runs the whole estimate through ``Accelerator`` and prints it
beside the ground truth, with the core's cycle count where the backend has one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blurgauge.model import classes
from blurgauge.model.data.kernels import kernel_extent
from blurgauge.model.data.synthesis import synthesize_blurred
from blurgauge.model.inputs.patches import distinct_patches


def _describe_extent(axis: str, extent: int) -> str:
    fine = classes.fine_class(extent)
    iv = classes.intervals()[fine]
    return (f"{axis:>6}: {extent:3d} px  -> coarse range R{iv.coarse + 1}, "
            f"fine interval {iv.label} (class {fine})")


def run_demo(seed: int = 2026, width: int = 23, height: int = 15, save: Path | None = None,
             backend: str | None = None, weights: Path | None = None) -> None:
    rng = np.random.default_rng(seed)
    made = synthesize_blurred(rng, width, height, image_size=(321, 481), noise_sigma=0.01)
    measured = kernel_extent(made.kernel)
    print(f"blurry image: {made.blurry.shape[1]}x{made.blurry.shape[0]} px, dead-leaves scene, "
          f"{made.kind} kernel, noise sigma {made.noise_sigma:.3f} (seed {seed})")
    print("ground truth (bounding box of the kernel's non-zero entries):")
    print(_describe_extent("width", measured[0]))
    print(_describe_extent("height", measured[1]))
    along_x, along_y = distinct_patches(made.blurry)
    print("distinct 128x128 gradient patches (stride 10, largest standard deviation):")
    print(f"   width patch: gradient map rows {along_x.row}..{along_x.row + 127}, "
          f"columns {along_x.col}..{along_x.col + 127}, std {along_x.std:.2f} gray levels")
    print(f"  height patch: transposed map rows {along_y.row}..{along_y.row + 127}, "
          f"columns {along_y.col}..{along_y.col + 127}, std {along_y.std:.2f} gray levels")
    if save is not None:
        _save(save, made.blurry, made.kernel, along_x.gradient, along_y.gradient)
        print(f"wrote {save}/blurry.png, kernel.png, patches.png")
    if backend is not None:
        _estimate(made.blurry, measured, backend, weights)


def _estimate(blurry: np.ndarray, truth: tuple[int, int], backend: str, weights: Path | None) -> None:
    from blurgauge.host.accelerator import TARGET_CLOCK_MHZ, Accelerator
    from blurgauge.model.inputs.preprocess import IMAGE
    from blurgauge.model.nets.inference import TRAINED_DIR, weight_path
    from blurgauge.model.nets.roles import CASCADE

    folder = weights or TRAINED_DIR
    missing = [n for n in CASCADE if not weight_path(folder, n).is_file() and not (folder / f"{n}.bgcp").is_file()]
    if missing:
        print(f"estimate ({backend}) skipped: no weights for {', '.join(missing)} in {folder}")
        return
    print(f"estimate on the {backend} backend (blurgauge estimate --backend {backend}):")
    with Accelerator(backend, folder) as acc:
        # The networks may read another region than the paper's patch printed above: say which.
        region = "each axis's whole gradient map" if acc.region == IMAGE else "the patch"
        print(f"network input: the {acc.preprocessing.transform} of {region}, noise topped up to "
              f"{acc.noise_floor:g}")
        result = acc.estimate(blurry, label="demo image")
    for axis, est, true in (("width", result.width, truth[0]), ("height", result.height, truth[1])):
        iv = classes.intervals()[est.fine]
        print(f"{axis:>6}: {est.size():5.1f} px  (R{est.coarse + 1}, interval {iv.label}, class {est.fine}, "
              f"confidence {est.confidence:.2f}); ground truth {true} px")
    if result.cycles is not None:
        print(f"core: {result.cycles:,} cycles for the image job (one start: coarse + fine, two axes), "
              f"{result.cycles / TARGET_CLOCK_MHZ / 1e3:.2f} ms at {TARGET_CLOCK_MHZ:g} MHz")
    print(f"host time {result.seconds:.2f} s")


def _save(folder: Path, blurry: np.ndarray, kernel: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(blurry).save(folder / "blurry.png")
    Image.fromarray(np.uint8(np.round(255 * kernel / kernel.max()))).save(folder / "kernel.png")
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    for ax, grad, title in ((axes[0], gx, "width patch"), (axes[1], gy, "height patch (transposed)")):
        limit = np.abs(grad).max() or 1
        ax.imshow(grad, cmap="RdBu", vmin=-limit, vmax=limit)
        ax.set_title(title)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(folder / "patches.png", dpi=100)
    plt.close(fig)
