"""What the 8-bit formats cost, on one set of trained weights: the cascade of a work folder's training runs
evaluated with its quantizers and again without them (``inference.RunNetworks``).

    python -m bench.studies.quantization_cost --runs WORK/runs --out build/quantization-cost
    make bench-quantization RUNS=WORK/runs

Writes a full evaluation report for each form under OUT/quantized and OUT/float and a summary
OUT/quantization_cost.md, which it prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from blurgauge.model.evaluation.evaluate import evaluate
from blurgauge.model.evaluation.report import md_table
from blurgauge.model.evaluation.sets import protocol_sets


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.studies.quantization_cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, required=True, metavar="DIR",
                        help="training runs DIR/coarse, DIR/fine1..5 (each one's last epoch is evaluated)")
    parser.add_argument("--data", type=Path, default=None, help="reference data (default: shared/data beside the "
                                                                   "repository)")
    parser.add_argument("--out", type=Path, default=Path("build/quantization-cost"), help="report folder")
    parser.add_argument("--noise", type=float, default=0.01, help="noise sigma, fraction of full range (0.01)")
    parser.add_argument("--per-extent", type=int, default=4, help="sweep images per kernel width (4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the test blur (0)")
    args = parser.parse_args(argv)
    quantization_cost(args.runs, args.data, args.out, noise=args.noise, per_extent=args.per_extent, seed=args.seed)
    print((args.out / "quantization_cost.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
