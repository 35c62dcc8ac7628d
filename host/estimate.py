"""``blurgauge estimate``: kernel width and height for each image, on a chosen backend.

Every image is processed on its own (``Accelerator.estimate_many``): a file that cannot be used prints
one error line naming it (its traceback with ``--debug``) and the rest go on; the exit status is
non-zero if any image failed. An image refused as unmeasurable (too little structure above the noise)
is such a failure; with ``--format json`` it also gets its line on stdout, with ``"status":
"unmeasurable"`` and its ``structure``, so a reader of the JSON sees every measured image's outcome.
Warnings (low contrast) go to stderr, one line each, and into the JSON record's ``warnings``.
"""

from __future__ import annotations

import csv
import json
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from blurgauge.host.accelerator import Accelerator, Estimate, Failure
from blurgauge.model.cascade import DEFAULT_ESTIMATE
from blurgauge.model.inputs.images import ImageError, list_images

FORMATS = ("text", "json", "csv")
CSV_FIELDS = ("path", "width", "height", "width_coarse", "width_fine", "width_confidence",
              "height_coarse", "height_fine", "height_confidence", "seconds")


def _write(result: Estimate, fmt: str, out: TextIO, writer: csv.DictWriter | None) -> None:
    rec = result.record()
    if fmt == "json":
        out.write(json.dumps(rec) + "\n")
    elif fmt == "csv" and writer is not None:
        writer.writerow({key: rec[key] for key in CSV_FIELDS})
    else:
        cycles = f", {rec['cycles']:,} core cycles" if rec["cycles"] is not None else ""
        out.write(
            f"{rec['path']}: width {rec['width']:.1f} px (R{rec['width_coarse'] + 1}, "
            f"confidence {rec['width_confidence']:.2f}), height {rec['height']:.1f} px "
            f"(R{rec['height_coarse'] + 1}, confidence {rec['height_confidence']:.2f}){cycles}\n"
        )
    out.flush()


class _NoBar:
    """The progress bar where tqdm (an extra: blurgauge[train]) is not installed, as on a board: none."""

    def clear(self) -> None:
        pass

    def update(self) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, err: TextIO) -> Any:
    """tqdm's bar on stderr for a batch of three images or more on a terminal, where tqdm is installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc="estimating", unit="image", file=err, disable=total < 3 or not err.isatty())


def _report(failure: Failure, err: TextIO, debug: bool) -> None:
    if debug and failure.exception is not None:
        err.write("".join(traceback.format_exception(failure.exception)))
    err.write(f"blurgauge: error: {failure.error}\n")


def estimate_paths(paths: list[str], backend: str, fmt: str = "text", estimate: str = DEFAULT_ESTIMATE,
                   weights_dir: Path | None = None, out: TextIO | None = None, err: TextIO | None = None,
                   debug: bool = False, patches: int = 1, **backend_options: Any) -> int:
    """Estimate every image, pooling ``patches`` patches per axis; returns the number of images (and
    empty folders) that failed."""
    out, err = out or sys.stdout, err or sys.stderr
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    files: list[Path] = []
    failures = 0
    for entry in paths:
        try:
            files.extend(list_images([entry]))
        except ImageError as exc:
            _report(Failure(str(entry), str(exc), exc), err, debug)
            failures += 1
    if not files:
        return failures
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    with Accelerator(backend, weights_dir, estimate=estimate, patches=patches, **backend_options) as acc:
        bar = _progress_bar(len(files), err)
        for result in acc.estimate_many(files):
            if isinstance(result, Failure):
                bar.clear()
                _report(result, err, debug)
                failures += 1
                if fmt == "json" and result.status == "unmeasurable":
                    out.write(json.dumps(result.record()) + "\n")
                    out.flush()
            else:
                for line in result.warnings:
                    bar.clear()
                    err.write(f"blurgauge: warning: {line}\n")
                _write(result, fmt, out, writer)
            bar.update()
        bar.close()
    return failures
