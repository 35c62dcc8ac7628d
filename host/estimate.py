"""``blurgauge estimate``: kernel width and height for each image, on a chosen backend.

Every image is processed on its own: a file that cannot be used prints one error line naming it
and the rest go on; the exit status is non-zero if any image failed.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
from tqdm import tqdm

from blurgauge.model.cascade import AxisEstimate, LogitsFn, run_cascade
from blurgauge.model.images import ImageError, list_images, load_gray
from blurgauge.model.patches import MIN_IMAGE_SIZE, height_patch, width_patch
from blurgauge.model.preprocess import input_codes

from .backends import open_backend

FORMATS = ("text", "json", "csv")
CSV_FIELDS = ("path", "width", "height", "width_coarse", "width_fine", "width_confidence",
              "height_coarse", "height_fine", "height_confidence", "seconds")


@dataclass
class ImageResult:
    path: str
    width: AxisEstimate
    height: AxisEstimate
    seconds: float
    estimate: str = "midpoint"

    def record(self) -> dict:
        return {
            "path": self.path,
            "width": round(self.width.size(self.estimate), 2),
            "height": round(self.height.size(self.estimate), 2),
            "width_coarse": self.width.coarse,
            "width_fine": self.width.fine,
            "width_confidence": round(self.width.confidence, 4),
            "height_coarse": self.height.coarse,
            "height_fine": self.height.fine,
            "height_confidence": round(self.height.confidence, 4),
            "seconds": round(self.seconds, 4),
        }


def image_codes(image: np.ndarray) -> np.ndarray:
    """int8 input codes of the width and the height patch of a gray image: (2, 128, 128)."""
    return np.stack([input_codes(width_patch(image).gradient), input_codes(height_patch(image).gradient)])


def estimate_image(logits: LogitsFn, image: np.ndarray, path: str = "", estimate: str = "midpoint") -> ImageResult:
    start = time.perf_counter()
    width, height = run_cascade(logits, image_codes(image))
    return ImageResult(path, width, height, time.perf_counter() - start, estimate)


def _write(result: ImageResult, fmt: str, out: TextIO, writer: csv.DictWriter | None) -> None:
    rec = result.record()
    if fmt == "json":
        out.write(json.dumps(rec) + "\n")
    elif fmt == "csv" and writer is not None:
        writer.writerow(rec)
    else:
        out.write(
            f"{rec['path']}: width {rec['width']:.1f} px (R{rec['width_coarse'] + 1}, "
            f"confidence {rec['width_confidence']:.2f}), height {rec['height']:.1f} px "
            f"(R{rec['height_coarse'] + 1}, confidence {rec['height_confidence']:.2f})\n"
        )
    out.flush()


def estimate_paths(paths: list[str], backend: str, fmt: str = "text", estimate: str = "midpoint",
                   weights_dir: Path | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Estimate every image; returns the number of images that failed."""
    out, err = out or sys.stdout, err or sys.stderr
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    files: list[Path] = []
    failures = 0
    for entry in paths:
        try:
            files.extend(list_images([entry]))
        except ImageError as exc:
            err.write(f"blurgauge: error: {exc}\n")
            failures += 1
    logits = open_backend(backend, weights_dir)
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for path in tqdm(files, desc="estimating", unit="image", disable=len(files) < 3 or not err.isatty(),
                     file=err):
        try:
            image = load_gray(path, min_size=MIN_IMAGE_SIZE)
            _write(estimate_image(logits, image, str(path), estimate), fmt, out, writer)
        except (ImageError, ValueError) as exc:
            err.write(f"blurgauge: error: {exc}\n")
            failures += 1
    return failures
