"""Which coarse network, or average of coarse networks, to put in front of one set of fine networks.

The cascade's error splits into the coarse stage's (the wrong range) and the fine stage's (the wrong
interval in the right range). ``bench/studies/eval_studies.py`` reports the fine stage alone (the
true range given). This study holds the fine networks fixed and compares coarse stages on the same sets:

* each coarse weight file named with ``--coarse NAME=FILE``;
* averages of their softmax (``NAME+NAME``): an ensemble, which costs one more core run per axis
  for each extra member;
* the true range, the bound a perfect coarse stage would reach.

Every row is scored on the three sets of ``blurgauge eval`` (the Levin protocol, the control and
the sweep, built with the same seeds), and on a validation dataset with whole-image maps when one
is given (``--val``): the one set drawn from the training distribution, so the one to choose on.
The sweep's error is also given apart for its kernels that spread their light evenly over their width
(``light_spread`` >= 0.70) and for the rest, which dwell. Each network runs once per set; the rows
reuse its logits.

``python -m bench.studies.coarse_study --coarse a=A.bgw.npz --coarse b=B.bgw.npz --val VAL``
(``make bench-coarse``) writes ``build/coarse-study.md`` and its rows to ``build/coarse-study.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from blurgauge.model import classes
from blurgauge.model.cascade import ESTIMATES, LogitsFn, run_cascade, softmax
from blurgauge.model.data.dataset import load_dataset
from blurgauge.model.data.reference import resolve_data_root
from blurgauge.model.evaluation.light_spread import SPREAD_EDGES
from blurgauge.model.evaluation.report import md_table
from blurgauge.model.evaluation.scoring import TRUE_RANGE, Scores, per_range, score
from blurgauge.model.evaluation.sets import protocol_sets
from blurgauge.model.inputs.preprocess import IMAGE, check_region
from blurgauge.model.nets.inference import TRAINED_DIR, KerasNetworks, preprocessing

FINE = tuple(f"fine{k + 1}" for k in range(classes.NUM_COARSE))


class CachedLogits:
    """Logits of named networks, each map run through a network once (keyed by its bytes)."""

    def __init__(self, run: Callable[[str, np.ndarray], np.ndarray]):
        self.run = run
        self.cache: dict[tuple[str, bytes], np.ndarray] = {}

    def __call__(self, name: str, codes: np.ndarray) -> np.ndarray:
        keys = [(name, hashlib.sha1(np.ascontiguousarray(c).tobytes()).digest()) for c in codes]
        missing = [i for i, key in enumerate(keys) if key not in self.cache]
        if missing:
            for i, row in zip(missing, self.run(name, codes[missing]), strict=True):
                self.cache[keys[i]] = row
        if not keys:
            return self.run(name, codes)
        return np.stack([self.cache[key] for key in keys])


def ensemble_logits(logits: LogitsFn, members: tuple[str, ...]) -> LogitsFn:
    """A LogitsFn whose ``coarse`` is the mean softmax of the coarse networks ``members`` (as logits:
    the log of the mean, which the cascade's softmax turns back into the mean); the rest as given."""
    def combined(name: str, codes: np.ndarray) -> np.ndarray:
        if name != "coarse":
            return logits(name, codes)
        mean = np.mean([softmax(logits(m, codes)[:, : classes.NUM_COARSE]) for m in members], axis=0)
        return np.log(np.maximum(mean, 1e-30))
    return combined


def _parse_coarse(items: list[str]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path or "+" in name:
            raise ValueError(f"--coarse {item!r}: expected NAME=FILE (a name without '+')")
        if name in out:
            raise ValueError(f"--coarse {item!r}: the name {name!r} is given twice")
        if not Path(path).is_file():
            raise FileNotFoundError(f"--coarse {item!r}: {path} is not a file")
        out[name] = Path(path)
    return out


def _val_row(logits: LogitsFn, codes: np.ndarray, truth: np.ndarray, estimate: str, true_range: bool) -> dict:
    ranges = classes.coarse_class(truth.astype(int)) if true_range else None
    found = run_cascade(logits, codes, ranges=ranges)
    s = Scores(truth, found)
    return {"val rel. error": float(s.relative_error(estimate).mean()), "val coarse acc.": s.coarse_accuracy()}


def study(fine_dir: Path, coarse: dict[str, Path], combos: list[tuple[str, ...]], data_root: Path,
          val_dir: Path | None = None, estimate: str = "expectation", progress: bool = True,
          per_extent: int = 4) -> list[dict]:
    """One row per coarse combination (and the true range): the figures of each set."""
    from blurgauge.model.nets import weights

    prep = preprocessing(fine_dir)
    check_region(IMAGE, prep.transform)
    fines = KerasNetworks(fine_dir, names=FINE)  # the coarse networks are the ones named
    models = {name: weights.load(path) for name, path in coarse.items()}
    for name, w in models.items():
        if w.role.name != "coarse" or w.preprocessing != prep:
            raise ValueError(f"{coarse[name]}: a {w.role.name} network reading {w.preprocessing}; "
                             f"the fine networks of {fine_dir} need a coarse network reading {prep}")
    built: dict = {}

    def run(name: str, codes: np.ndarray) -> np.ndarray:
        from blurgauge.model.nets.inference import _predict

        if name in FINE:
            return fines.logits(name, codes)
        if name not in built:
            built[name] = models[name].build_model()
        return _predict(built[name], codes)

    logits = CachedLogits(run)
    sets = protocol_sets(data_root, per_extent=per_extent, prep=prep, progress=progress)
    val = None
    if val_dir is not None:
        data = load_dataset(val_dir)
        if "image_map" not in data.arrays:
            raise ValueError(f"{val_dir}: holds no whole-image maps (build it with `blurgauge data build --image-map`)")
        val = (data["image_map"], data["extent"].astype(float))
    # The sweep's kernels that spread their light evenly, and the rest (``light_spread``; the eval report's
    # last bin): what a coarse stage does for the kernels whose box the image shows, and for those that dwell.
    even_edge = SPREAD_EDGES[-1]
    even = np.array([b.width_spread for b in sets.sweep]) >= even_edge
    rows = []
    for combo in tqdm([*combos, None], desc="coarse stages", unit="row", disable=not progress):
        fn = ensemble_logits(logits, combo or (combos[0][0],))
        arrangement = TRUE_RANGE if combo is None else "cascade"
        row: dict = {"coarse stage": "true range" if combo is None else "+".join(combo)}
        if val is not None:
            row |= _val_row(fn, val[0], val[1], estimate, combo is None)
        levin = score(sets.levin, fn, arrangement, region=IMAGE)
        control = score(sets.levin_on_kodak, fn, arrangement, region=IMAGE)
        sweep: Scores = score(sets.sweep, fn, arrangement, axes="width", region=IMAGE)
        row |= {"Levin AbE (px)": levin.abe(estimate), "Levin coarse acc.": levin.coarse_accuracy(),
                "control AbE (px)": control.abe(estimate), "sweep AbE (px)": sweep.abe(estimate),
                "sweep rel. error": float(sweep.relative_error(estimate).mean()),
                "sweep R1..R5 rel. error": "/".join(f"{100 * r.relative:.0f}" for r in per_range(sweep, estimate)),
                "sweep coarse acc.": sweep.coarse_accuracy()}
        rel = sweep.relative_error(estimate)
        for label, part in ((f">= {even_edge:.2f}", even), (f"< {even_edge:.2f}", ~even)):
            row[f"sweep rel. error, spread {label}"] = float(rel[part].mean()) if part.any() else float("nan")
        rows.append(row)
    return rows


def render(rows: list[dict], fine_dir: Path, coarse: dict[str, Path], command: str) -> str:
    def cell(key: str, v: object) -> str:
        if not isinstance(v, float):
            return str(v)
        return f"{100 * v:.1f} %" if "acc." in key or "rel. error" in key else f"{v:.2f}"

    return "\n".join([
        "# Coarse stages in front of one set of fine networks\n",
        f"Fine networks: `{fine_dir}`. Coarse networks: "
        + ", ".join(f"{name} = `{path}`" for name, path in coarse.items())
        + ". `a+b`: the mean of their softmax. `true range`: the fine networks given each estimate's true "
        "range (the coarse accuracy is then 100 %). Whole-image maps, expectation estimate, 1 % noise; the "
        "sets of `blurgauge eval`.\n",
        md_table([{k: cell(k, v) for k, v in row.items()} for row in rows]),
        f"Command: `{command}`\n",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.studies.coarse_study",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, default=TRAINED_DIR,
                        help="folder of the fine networks (and their preprocessing); default: the shipped ones")
    parser.add_argument("--coarse", action="append", default=[], metavar="NAME=FILE",
                        help="a coarse weight file to compare (repeat); default: the folder's own coarse network")
    parser.add_argument("--ensemble", action="append", default=[], metavar="A+B",
                        help="an average of named coarse networks to score (repeat); default: every pair")
    parser.add_argument("--val", type=Path, default=None,
                        help="a validation dataset with whole-image maps (data build --image-map), to choose on")
    parser.add_argument("--data", type=Path, default=None, help="reference data (default ../shared/data)")
    parser.add_argument("--estimate", choices=ESTIMATES, default="expectation", help="size estimate (expectation)")
    parser.add_argument("--per-extent", type=int, default=4, metavar="N",
                        help="sweep kernels per extent (default 4, as blurgauge eval)")
    parser.add_argument("--out", type=Path, default=Path("build/coarse-study.md"),
                        help="markdown report (its rows also as JSON: the same name with .json)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    try:
        coarse = _parse_coarse(args.coarse or [f"shipped={args.weights / 'coarse.bgw.npz'}"])
        combos = [(name,) for name in coarse]
        for item in args.ensemble or ["+".join(p) for p in itertools.combinations(coarse, 2)]:
            members = tuple(item.split("+"))
            unknown = [m for m in members if m not in coarse]
            if unknown:
                raise ValueError(f"--ensemble {item!r}: no --coarse named {', '.join(unknown)}")
            combos.append(members)
        rows = study(args.weights, coarse, combos, resolve_data_root(args.data), args.val, args.estimate,
                     progress=not args.quiet, per_extent=args.per_extent)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = "python -m bench.studies.coarse_study " + " ".join(argv if argv is not None else sys.argv[1:])
    text = render(rows, args.weights, coarse, command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    # strict JSON: an empty part of the sweep (NaN in the report) is null
    plain = [{k: None if isinstance(v, float) and np.isnan(v) else v for k, v in row.items()} for row in rows]
    args.out.with_suffix(".json").write_text(json.dumps({"command": command, "rows": plain}, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
