"""How the map's window trades accuracy for the board's host time.

The image region's autocorrelation map averages each lag over every pixel pair of the image; the host's
cost (the transforms, the element passes) grows with the pixels read. ``Preprocessing.window`` reads
only the central window of at most W px per side. This study scores the shipped networks, unchanged,
through each window on ``make eval``'s sets (the Levin protocol, its Kodak control, the synthetic sweep,
the four kernel families; the same seeds and sizes), and projects the PYNQ-Z2's time per 640x480 and
1920x1080 image from an array through that window (``bench/board_model.py``; decode not included).

    make bench-map-window   # python -m bench.studies.map_window [--data DIR] [--windows 0,384,320,256,192]

Writes build/map-window.json and build/map-window.md.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from bench import board_model
from blurgauge.host.backends import input_preprocessing, open_backend
from blurgauge.model.cascade import LogitsFn
from blurgauge.model.data.reference import resolve_data_root
from blurgauge.model.evaluation.evaluate import run_evaluation
from blurgauge.model.evaluation.families import FAMILIES
from blurgauge.model.inputs.preprocess import Preprocessing
from blurgauge.model.nets.inference import TRAINED_DIR
from blurgauge.model.nets.roles import CASCADE


def board_ms(window: int, rows: int, cols: int) -> float:
    """The projected board time (host without decode, and core) of a rows x cols image read through ``window``."""
    return board_model.project(rows, cols, window=window).total_s * 1e3


def study(logits: LogitsFn, root: Path, base: Preprocessing, windows: list[int], per_extent: int = 4,
          family_per_range: int = 16, progress: bool = False) -> list[dict]:
    """One row per window: ``make eval``'s figures (``run_evaluation``, the same sets and seeds) with every
    image read through it, and the board time. Every row is scored with the size estimate the first row's
    Levin protocol picks."""
    rows_out: list[dict] = []
    for window in windows:
        start = time.perf_counter()
        r, _ = run_evaluation(logits, root, label=f"window {window}", per_extent=per_extent, with_native=False,
                              progress=False, prep=replace(base, window=window), family_per_range=family_per_range)
        estimate = rows_out[0]["estimate"] if rows_out else r.estimate
        row = {"window": window, "estimate": estimate, "levin_abe": r.levin.abe[estimate],
               "levin_coarse": r.levin.coarse_accuracy, "control_abe": r.levin_on_kodak.abe[estimate],
               "sweep_relative": r.sweep.relative_error[estimate],
               "board_ms_640x480": board_ms(window, 480, 640), "board_ms_1920x1080": board_ms(window, 1080, 1920)}
        row.update({f"{f.family}_relative": f.relative_error[estimate] for f in r.families or []})
        row["seconds"] = time.perf_counter() - start
        rows_out.append(row)
        if progress:
            print(json.dumps(row), flush=True)
    return rows_out


def table(rows: list[dict]) -> str:
    """The study's markdown table."""
    families = " | ".join(f"{f} rel." for f in FAMILIES)
    lines = [f"The shipped networks through a central window ({rows[0]['estimate']} estimate); board: "
             "bench/board_model.py from an array, decode not included. `python -m bench.studies.map_window`",
             "",
             f"| window | Levin AbE px | Levin coarse | control AbE px | sweep rel. | {families} "
             "| board 640x480 ms | board 1920x1080 ms |",
             "| ---: |" + " ---: |" * (6 + len(FAMILIES))]
    for r in rows:
        cells = " | ".join(f"{r[f'{f}_relative']:.1%}" for f in FAMILIES)
        lines.append(f"| {r['window'] or 'whole'} | {r['levin_abe']:.2f} | {r['levin_coarse']:.1%} "
                     f"| {r['control_abe']:.2f} | {r['sweep_relative']:.1%} | {cells} "
                     f"| {r['board_ms_640x480']:.0f} | {r['board_ms_1920x1080']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--weights", type=Path, default=TRAINED_DIR, help="folder of weight files (shipped)")
    parser.add_argument("--windows", default="0,384,320,256,192")
    parser.add_argument("--per-extent", type=int, default=4, help="sweep images per width, as make eval (4)")
    parser.add_argument("--family-per-range", type=int, default=16, help="family kernels per range, as make eval")
    parser.add_argument("--out", type=Path, default=Path("build/map-window.json"))
    args = parser.parse_args()
    rows = study(open_backend("keras", args.weights, CASCADE), resolve_data_root(args.data),
                 input_preprocessing(args.weights, CASCADE), [int(w) for w in args.windows.split(",")],
                 args.per_extent, args.family_per_range, progress=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    text = table(rows)
    args.out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
