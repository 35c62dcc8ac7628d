"""The evaluation of the shipped estimator: the paper's protocol, the control, the sweep and the kernel
families held out from training.

``evaluate`` builds the blurred sets (``sets.py``), scores the cascade and the native baseline on
them (``scoring.py``), and writes ``results.json`` (``results.py``), ``report.md`` and the plots
(``report.py``). Research diagnostics on the same sets (patch pooling, the fine stage alone, coarse
mistakes, per photo, light spread) are in ``bench/studies/eval_studies.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from blurgauge.model.cascade import LogitsFn
from blurgauge.model.evaluation.report import plot_confusion, plot_error_vs_size, render_report
from blurgauge.model.evaluation.results import EvalResults
from blurgauge.model.evaluation.scoring import (
    Scores,
    best_estimate,
    control_results,
    family_results,
    levin_results,
    native_results,
    score,
    score_in_range,
    sweep_results,
)
from blurgauge.model.evaluation.sets import ProtocolSets, family_sets, protocol_sets
from blurgauge.model.inputs.preprocess import PLAIN, Preprocessing, resolve_region


def evaluate(logits: LogitsFn, data_root: str | Path | None, out_dir: str | Path, *,
             label: str, noise: float = 0.01, per_extent: int = 4, seed: int = 0,
             with_native: bool = True, progress: bool = True,
             sets: ProtocolSets | None = None, patches: int = 1, prep: Preprocessing = PLAIN,
             region: str | None = None, family_per_range: int = 0) -> dict:
    """Run every protocol, write report.md, results.json and the plots; return results.json's dictionary.

    ``patches``: distinct patches per axis that the cascade pools (1: the paper's method).
    ``region``: where each axis's input map is taken (``model.inputs.preprocess``; default: the
    networks' default, ``image`` for the autocorrelation, which reads one map per axis and needs
    ``patches`` 1). ``sets``: the blurred sets when already built with the same data, noise and
    seed, and with at least ``patches`` patches per axis. ``family_per_range``: kernels of each family per
    coarse range (0: no family evaluation).
    """
    results, cascade = run_evaluation(logits, data_root, label=label, noise=noise, per_extent=per_extent, seed=seed,
                                      with_native=with_native, progress=progress, sets=sets, patches=patches,
                                      prep=prep, region=region, family_per_range=family_per_range)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    est = results.estimate
    plot_confusion(cascade["levin"], out / "confusion_levin.png", f"{label}: Levin protocol, fine intervals")
    plot_confusion(cascade["sweep"], out / "confusion_sweep.png", f"{label}: synthetic sweep, fine intervals")
    plot_error_vs_size({name: (cascade[f"{name} sweep"], est) for name in ("cascade", "native")
                        if f"{name} sweep" in cascade}, out / "error_vs_size.png")
    data = results.to_json()
    (out / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    (out / "report.md").write_text(render_report(results))
    return data


def run_evaluation(logits: LogitsFn, data_root: str | Path | None, *, label: str, noise: float = 0.01,
                   per_extent: int = 4, seed: int = 0, with_native: bool = True, progress: bool = True,
                   sets: ProtocolSets | None = None, patches: int = 1, prep: Preprocessing = PLAIN,
                   region: str | None = None, family_per_range: int = 0) -> tuple[EvalResults, dict[str, Scores]]:
    """The figures of ``evaluate``, and the scores behind its plots (``levin``, ``sweep``: the
    cascade's; ``cascade sweep``, ``native sweep``: each arrangement's on the sweep)."""
    if patches < 1:
        raise ValueError(f"patches must be at least 1, got {patches}")
    region = resolve_region(region, prep.transform, patches)
    sets = sets or protocol_sets(data_root, noise, per_extent, seed, progress, patches, prep)
    levin, sweep, control = sets
    # Scoring runs the networks for minutes with nothing else to show: one step per set and arrangement.
    bar = tqdm(total=3 + 2 * with_native, desc="evaluating", unit="set", disable=not progress)

    def scored(blurred: list, arrangement: str, axes: str = "both") -> Scores:
        result = score(blurred, logits, arrangement, axes, patches, region)
        bar.update()
        return result

    cascade_levin = scored(levin, "cascade")
    cascade_control = scored(control, "cascade")
    cascade_sweep = scored(sweep, "cascade", axes="width")
    estimate = best_estimate(cascade_levin)
    scores = {"levin": cascade_levin, "sweep": cascade_sweep, "cascade sweep": cascade_sweep}
    native = None
    if with_native:
        native_levin, native_sweep = scored(levin, "native"), scored(sweep, "native", axes="width")
        native = native_results(native_levin, native_sweep)
        scores["native sweep"] = native_sweep
    bar.close()
    families = None
    if family_per_range > 0:
        # The families draw from seed + 3 (the protocol's sets use seed .. seed + 2).
        by_family = family_sets(data_root, family_per_range, noise, seed + 3, progress, patches, prep)
        families = []
        for name, blurred in tqdm(by_family.items(), desc="scoring the kernel families", disable=not progress):
            cascade_scores = score_in_range(blurred, logits, "cascade", patches, region)
            native_scores = score_in_range(blurred, logits, "native", patches, region) if with_native else None
            families.append(family_results(name, blurred, cascade_scores, estimate, native_scores))
    results = EvalResults(
        label=label, noise_sigma=noise, noise_floor=float(prep.noise_floor), input_transform=prep.transform,
        seed=seed, estimate=estimate, patches=patches, region=region, window=prep.window,
        levin=levin_results(levin, cascade_levin, estimate),
        sweep=sweep_results(sweep, cascade_sweep, estimate),
        levin_on_kodak=control_results(control, cascade_control, estimate),
        native=native,
        families=families,
    )
    return results, scores
