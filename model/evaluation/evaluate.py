"""The evaluation of the shipped estimator: the paper's protocol, the control and the sweep.

``evaluate`` builds the blurred sets (``sets.py``), scores the cascade and the native baseline on
them (``scoring.py``), and writes ``results.json`` (``results.py``), ``report.md`` and the plots
(``report.py``). ``quantization_cost`` evaluates one set of training runs with and without its
quantizers. Research diagnostics on the same sets (patch pooling, the fine stage alone, coarse
mistakes, per photo, light spread) are in ``bench/studies/eval_studies.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from blurgauge.model.cascade import LogitsFn
from blurgauge.model.evaluation.report import md_table, plot_confusion, plot_error_vs_size, render_report
from blurgauge.model.evaluation.results import EvalResults
from blurgauge.model.evaluation.scoring import (
    Scores,
    best_estimate,
    control_results,
    levin_results,
    native_results,
    score,
    sweep_results,
)
from blurgauge.model.evaluation.sets import ProtocolSets, protocol_sets
from blurgauge.model.inputs.preprocess import PLAIN, Preprocessing, resolve_region


def evaluate(logits: LogitsFn, data_root: str | Path | None, out_dir: str | Path, *,
             label: str, noise: float = 0.01, per_extent: int = 4, seed: int = 0,
             with_native: bool = True, progress: bool = True,
             sets: ProtocolSets | None = None, patches: int = 1, prep: Preprocessing = PLAIN,
             region: str | None = None) -> dict:
    """Run every protocol, write report.md, results.json and the plots; return results.json's dictionary.

    ``patches``: distinct patches per axis that the cascade pools (1: the paper's method).
    ``region``: where each axis's input map is taken (``model.inputs.preprocess``; default: the
    networks' default, ``image`` for the autocorrelation, which reads one map per axis and needs
    ``patches`` 1). ``sets``: the blurred sets when already built with the same data, noise and
    seed, and with at least ``patches`` patches per axis.
    """
    results, cascade = run_evaluation(logits, data_root, label=label, noise=noise, per_extent=per_extent, seed=seed,
                                      with_native=with_native, progress=progress, sets=sets, patches=patches,
                                      prep=prep, region=region)
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
                   region: str | None = None) -> tuple[EvalResults, dict[str, Scores]]:
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
    results = EvalResults(
        label=label, noise_sigma=noise, noise_floor=float(prep.noise_floor), input_transform=prep.transform,
        seed=seed, estimate=estimate, patches=patches, region=region,
        levin=levin_results(levin, cascade_levin, estimate),
        sweep=sweep_results(sweep, cascade_sweep, estimate),
        levin_on_kodak=control_results(control, cascade_control, estimate),
        native=native,
    )
    return results, scores


def quantization_cost(runs: str | Path, data_root: str | Path | None, out_dir: str | Path, *,
                      noise: float = 0.01, per_extent: int = 4, seed: int = 0, progress: bool = True) -> dict:
    """What the 8-bit formats cost, on one set of trained weights: the cascade of the training runs
    in ``runs`` evaluated with its quantizers and again without them (``inference.RunNetworks``).

    Writes a full report for each under ``out_dir/quantized`` and ``out_dir/float`` and a summary
    ``out_dir/quantization_cost.md``; returns both results (results.json's dictionaries).
    """
    from blurgauge.model.nets.inference import RunNetworks

    out = Path(out_dir)
    prep = RunNetworks(runs).preprocessing()
    sets = protocol_sets(data_root, noise, per_extent, seed, progress, prep=prep)
    results = {}
    for form in ("quantized", "float"):
        nets = RunNetworks(runs, quantized=form == "quantized")
        results[form] = evaluate(nets.logits, None, out / form, label=f"{form}, training runs {runs}",
                                 noise=noise, per_extent=per_extent, seed=seed, with_native=False,
                                 progress=progress, sets=sets, prep=prep)
    est = results["quantized"]["estimate"]
    rows = [{
        "network form": form,
        "Levin AbE (px)": r["levin"]["abe"][est],
        "Levin coarse accuracy": r["levin"]["coarse_accuracy"],
        "sweep AbE (px)": r["sweep"]["abe"][est],
        "sweep relative error": r["sweep"]["relative_error"][est],
        "sweep coarse accuracy": r["sweep"]["coarse_accuracy"],
    } for form, r in results.items()]
    (out / "quantization_cost.md").write_text(
        f"# What 8 bits cost: one set of weights with and without quantizers\n\n"
        f"Training runs {runs} (each network's last epoch); noise sigma {noise}, seed {seed}, "
        f"estimate {est}. Full reports: [quantized](quantized/report.md), [float](float/report.md).\n\n"
        + md_table(rows, lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)))
    return results
