"""The evaluation's markdown report (``report.md``) and plots, from the typed results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from blurgauge.model import classes
from blurgauge.model.evaluation.results import ControlResults, EvalResults, FamilyResults
from blurgauge.model.evaluation.scoring import CONSTANT_GUESS, PAPER_ABE, SWEEP_CONSTANT_GUESS, Scores
from blurgauge.model.inputs.preprocess import IMAGE

#: The plots ``evaluate`` writes beside the report, and their captions.
PLOTS = {"confusion_levin.png": "confusion, Levin", "confusion_sweep.png": "confusion, sweep",
         "error_vs_size.png": "error versus size"}


def md_table(rows: list[dict], fmt: Callable[[object], str] | None = None) -> str:
    """A markdown table: the first row's keys as the header, one line per row, cells through ``fmt``."""
    fmt = fmt or (lambda v: f"{v:.2f}" if isinstance(v, float) else str(v))
    head = "| " + " | ".join(rows[0]) + " |\n| " + " | ".join("---" for _ in rows[0]) + " |\n"
    return head + "".join("| " + " | ".join(fmt(v) for v in r.values()) + " |\n" for r in rows)


def render_report(r: EvalResults) -> str:
    """The markdown report: the Levin protocol beside the paper, the control, the sweep by range."""
    lv, sw, est = r.levin, r.sweep, r.estimate
    lines = [
        f"# Evaluation: {r.label}\n",
        f"Noise sigma {r.noise_sigma} of full range"
        + (f", each image then topped up to {r.noise_floor}" if r.noise_floor else "")
        + f"; network input: the {r.input_transform} of "
        + ("each axis's whole gradient map (the image region)" if r.region == IMAGE else "each patch")
        + (f", each image read through its central {r.window} x {r.window} px window" if r.window else "")
        + f"; seed {r.seed}; size estimate: {est} "
        "(the better of interval midpoint and softmax expectation on the Levin protocol)"
        + ("" if r.region == IMAGE else
           f"; {r.patches} patch(es) per axis pooled (1 is the paper's method)") + ".\n",
        "## Levin protocol (8 kernels x 80 images of BSD68 + Set12, both axes)\n",
        "| arrangement | AbE (px), midpoint | AbE (px), expectation |\n| --- | --- | --- |",
        f"| cascade (ours) | {lv.abe['midpoint']:.2f} | {lv.abe['expectation']:.2f} |",
    ]
    if r.native is not None:
        nat = r.native.levin_abe
        lines.append(f"| native 38-class ResNet18 (ours) | {nat['midpoint']:.2f} | {nat['expectation']:.2f} |")
    lines += [
        f"| constant {CONSTANT_GUESS} px | {lv.constant_baseline_abe:.2f} | |",
        *(f"| paper: {k} | {v:.2f} | |" for k, v in PAPER_ABE.items()),
        "",
        f"Width AbE {lv.abe_width:.2f} px, height AbE {lv.abe_height:.2f} px; coarse-stage accuracy "
        f"{100 * lv.coarse_accuracy:.1f} %, fine-interval accuracy {100 * lv.fine_accuracy:.1f} %.\n",
        "Per kernel, mean estimate beside the ground truth and the paper's Table 2:\n",
        md_table([row.to_json() for row in lv.per_kernel]),
        *_control_section(r.levin_on_kodak, est),
        "## Synthetic sweep (widths 3..95 px, the 8 held-out Kodak24 images, our kernel generator)\n",
        f"{sw.samples} blurry images. AbE {sw.abe[est]:.2f} px, mean relative error "
        f"{100 * sw.relative_error[est]:.1f} % ({est}); coarse-stage accuracy "
        f"{100 * sw.coarse_accuracy:.1f} %; constant {SWEEP_CONSTANT_GUESS} px guess: AbE "
        f"{sw.constant_baseline_abe:.2f} px.\n",
        md_table([row.to_json() for row in sw.per_range]),
    ]
    if r.native is not None:
        nat = r.native
        lines.append(f"Native baseline on the sweep: AbE {nat.sweep_abe[est]:.2f} px, relative error "
                     f"{100 * nat.sweep_relative_error[est]:.1f} %.\n")
    if r.families:
        lines += _families_section(r.families, est)
    lines += [f"![{caption}]({name})\n" for name, caption in PLOTS.items()]
    return "\n".join(lines)


def _families_section(families: list[FamilyResults], est: str) -> list[str]:
    """The kernel families: each family's error beside the constant guess, then by coarse range."""
    rows = [{
        "family": f.family, "axes": f.axes,
        "relative error": f"{100 * f.relative_error[est]:.1f} %", "AbE (px)": f"{f.abe[est]:.2f}",
        "constant guess": f"{f.constant_guess:g} px: {100 * f.constant_relative_error:.1f} %, "
                          f"{f.constant_abe:.2f} px",
        "coarse accuracy": f"{100 * f.coarse_accuracy:.1f} %",
        "native relative error": "-" if f.native_relative_error is None else
        f"{100 * f.native_relative_error[est]:.1f} %",
    } for f in families]
    by_range = [{"family": f.family, **{row.range.split(" ")[0]: f"{100 * row.relative:.1f} % ({row.n})"
                                         for row in f.per_range}} for f in families]
    return [
        "## Kernel families (BSD68 + Set12, both axes of 3..95 px)\n",
        "Lines, circular arcs and hand-shake paths drawn by code that shares nothing with the training "
        "generator (model/evaluation/families.py), beside the training generator's own camera-shake "
        "paths. The constant guess is each family's median true extent.\n",
        md_table(rows),
        "Relative error by the true extent's coarse range (scored axes):\n",
        md_table(by_range),
    ]


def _control_section(c: ControlResults, est: str) -> list[str]:
    return [
        "### Control: Levin's kernels on the held-out Kodak24 photos\n",
        "The same 8 kernels on the 8 Kodak24 images kept out of training, instead of BSD68 + Set12: "
        "test kernels on photos of the kind the networks learned from. Where this AbE is much lower "
        "than the protocol's, the photos, not the kernels, make the difference.\n",
        f"{c.images} blurry images, both axes. AbE {c.abe[est]:.2f} px ({est}); constant "
        f"{CONSTANT_GUESS} px: {c.constant_baseline_abe:.2f} px; coarse-stage accuracy "
        f"{100 * c.coarse_accuracy:.1f} %, fine-interval accuracy {100 * c.fine_accuracy:.1f} %.\n",
        md_table([row.to_json() for row in c.per_kernel]),
    ]


def plot_confusion(scores: Scores, path: Path, title: str) -> None:
    """The fine intervals' confusion matrix, each true interval's row normalized."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    truth = classes.fine_class(scores.truth.astype(int))
    pred = np.array([e.fine for e in scores.estimates])
    matrix = np.zeros((classes.NUM_FINE, classes.NUM_FINE))
    np.add.at(matrix, (truth, pred), 1)
    matrix /= np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(8, 7))
    im = ax.imshow(matrix, cmap="viridis", vmin=0, vmax=1)
    labels = [iv.label for iv in classes.intervals()]
    ax.set_xticks(range(classes.NUM_FINE), labels, rotation=90, fontsize=6)
    ax.set_yticks(range(classes.NUM_FINE), labels, fontsize=6)
    ax.set_xlabel("estimated interval")
    ax.set_ylabel("true interval")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="share of the true interval's patches")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_error_vs_size(series: dict[str, tuple[Scores, str]], path: Path) -> None:
    """Absolute and relative error against the true size, one line per (scores, estimate) series."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_abs, ax_rel) = plt.subplots(1, 2, figsize=(11, 4))
    for label, (scores, estimate) in series.items():
        truth = scores.truth.astype(int)
        sizes = np.unique(truth)
        err = np.abs(scores.sizes(estimate) - scores.truth)
        ax_abs.plot(sizes, [err[truth == s].mean() for s in sizes], ".-", label=label)
        ax_rel.plot(sizes, [100 * (err[truth == s] / s).mean() for s in sizes], ".-", label=label)
    for k in range(classes.NUM_COARSE - 1):
        for ax in (ax_abs, ax_rel):
            ax.axvline(classes.range_bounds(k)[1] + 0.5, color="0.8", lw=0.8)
    ax_abs.set_xlabel("true kernel width (px)")
    ax_abs.set_ylabel("mean absolute error (px)")
    ax_rel.set_xlabel("true kernel width (px)")
    ax_rel.set_ylabel("mean relative error (%)")
    ax_abs.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
