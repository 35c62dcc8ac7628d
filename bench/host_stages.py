"""The host's work per image, stage by stage: the product's preprocessing against the direct one it replaced.

``prepare()`` (host/accelerator.py) on the shipped networks' settings (the autocorrelation over the
image region, a 1 % noise floor) is, per image: decode the file, convert to gray, estimate the noise
(Immerkaer) and the structure above it (the refusal measure), seed a generator with the image's CRC
and top its noise up, then per axis a gradient map, its autocorrelation and the int8 codes. Each
stage is timed on its own, the median of ``repeats`` runs, for two implementations in the same
process on the same images: ``reference``, the direct implementation the product replaced (a general 2-D
convolution for the noise, the whole image at once, a transposed copy for the height, one padded transform
per axis at the exact sizes; kept here, and only here, for this comparison), and ``current``, the
product's. The row ``prepare()`` is the product's whole call end to end (without decode, which
takes an array); the last row is a batch as ``Accelerator.estimate_many`` prepares it, decode included,
``DEFAULT_WORKERS`` images at once, per image, against the direct implementation's images one after the
other (the sum of its stages).

Run by ``make bench-host`` (bench/host_throughput.py) or alone: ``python -m bench.host_stages``.
Writes build/bench/host-stages.json.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import sys
import time
import types
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

OUT = Path("build") / "bench"
#: (rows, columns) measured: the BSD-sized image the README quotes, VGA and a 1080p photo.
SIZES = ((321, 481), (480, 640), (1080, 1920))
FLOOR = 0.01  # the shipped networks' noise floor
#: The batch row: images per timed batch, and its name.
BATCH_IMAGES = 4
BATCH = "a batch as estimate_many prepares it, per image, decode included"
#: The row of prepare() through a window (other codes, so no reference to compare with).
WINDOWED_PREFIX = "prepare() of an array through a window"
WINDOWED = WINDOWED_PREFIX + " of {window} px (other codes)"


# --- the reference: the direct implementation, verbatim in what it computes -----------------------

def _ref_sigma(levels: np.ndarray) -> float:
    from scipy.signal import convolve2d

    mask = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)
    response = convolve2d(levels / 255.0, mask, mode="valid")
    return float(np.abs(response).mean() * math.sqrt(math.pi / 2.0) / 6.0)


def _ref_autocorrelation(grad: np.ndarray, size: int = 128) -> np.ndarray:
    """One map (rows, cols) or a batch (m, rows, cols), as the product's ``autocorrelation``."""
    grad = np.asarray(grad, dtype=np.float64)
    rows, cols = grad.shape[-2:]
    centred = grad - grad.mean(axis=(-2, -1), keepdims=True)
    shape = (rows + size, cols + size)
    power = np.abs(np.fft.rfft2(centred, s=shape)) ** 2
    full = np.fft.irfft2(power, s=shape)
    lags = np.roll(full, size // 2, axis=-2)[..., :size, :size]
    overlap = (rows - np.abs(np.arange(size) - size // 2))[:, None] * (cols - np.arange(size))[None, :]
    return lags / overlap


def _ref_codes(mapped: np.ndarray) -> np.ndarray:
    from blurgauge.model.nets.quantizers import FORMATS

    std = mapped.std(axis=(-2, -1), keepdims=True)
    scaled = mapped / np.maximum(std, 1e-6)
    lo, hi = FORMATS["input"].code_range
    return np.clip(np.rint(scaled / FORMATS["input"].step), lo, hi).astype(np.int8)


def reference_stages(gray: np.ndarray, floor: float = FLOOR) -> list[tuple[str, Callable[[dict], None]]]:
    """The old prepare() after gray conversion, as named stages over a state dict."""
    from blurgauge.model.data.blur import quantize_8bit
    from blurgauge.model.inputs.structure import BLOCK, QUANTUM

    def noise(s: dict) -> None:
        s["sigma"] = _ref_sigma(np.asarray(s["gray"], dtype=np.float64) * 255.0)

    def structure(s: dict) -> None:
        img = np.asarray(s["gray"], dtype=np.float64)
        rows, cols = (img.shape[0] // BLOCK) * BLOCK, (img.shape[1] // BLOCK) * BLOCK
        means = img[:rows, :cols].reshape(rows // BLOCK, BLOCK, cols // BLOCK, BLOCK).mean(axis=(1, 3))
        s["structure"] = math.sqrt(max(0.0, float(means.var()) - s["sigma"] ** 2 / BLOCK**2)) / max(
            s["sigma"], floor, QUANTUM)

    def seed(s: dict) -> None:
        s["rng"] = np.random.default_rng(zlib.crc32(np.ascontiguousarray(s["gray"]).tobytes()))

    def top_up(s: dict) -> None:
        levels = s["gray"].astype(np.float64) * 255.0
        have = _ref_sigma(levels)  # measured a second time, as top_up_noise did
        extra = math.sqrt(floor * floor - have * have) if have < floor else 0.0
        s["up"] = quantize_8bit(levels / 255.0 + s["rng"].normal(0.0, extra, levels.shape)) if extra else \
            quantize_8bit(levels / 255.0)

    def gradients(s: dict) -> None:
        s["gx"] = np.diff(s["up"].astype(np.float64), axis=1)
        s["gy"] = np.diff(np.asarray(s["up"]).T.astype(np.float64), axis=1)

    def width_map(s: dict) -> None:
        s["mx"] = _ref_autocorrelation(s["gx"])

    def height_map(s: dict) -> None:
        s["my"] = _ref_autocorrelation(s["gy"])

    def codes(s: dict) -> None:
        s["codes"] = np.stack([_ref_codes(s["mx"]), _ref_codes(s["my"])])

    return [("noise estimate", noise), ("structure measure", structure), ("seed (CRC of the image)", seed),
            ("noise top-up", top_up), ("gradients", gradients), ("autocorrelation, width", width_map),
            ("autocorrelation, height", height_map), ("int8 codes", codes)]


def reference_codes(gray: np.ndarray, floor: float = FLOOR) -> np.ndarray:
    state: dict = {"gray": gray}
    for _, stage in reference_stages(gray, floor):
        stage(state)
    return state["codes"]


# --- the product's stages -----------------------------------------------------------------------

def current_stages(gray: np.ndarray, floor: float = FLOOR) -> list[tuple[str, Callable[[dict], None]]]:
    """The product's prepare() after gray conversion, split at the same points where it can be."""
    from blurgauge.model.inputs import noise as noise_mod
    from blurgauge.model.inputs import preprocess
    from blurgauge.model.inputs import structure as structure_mod

    def noise(s: dict) -> None:
        s["sigma"] = noise_mod.noise_sigma(s["gray"])

    def structure(s: dict) -> None:
        s["structure"] = structure_mod.structure(s["gray"], floor, s["sigma"])

    def seed(s: dict) -> None:
        s["rng"] = noise_mod.seeded_by(s["gray"])

    def top_up(s: dict) -> None:
        s["up"] = noise_mod.top_up_noise(s["gray"], floor, s["rng"], have=s["sigma"])  # measured once, as prepare()

    def maps(s: dict) -> None:
        s["mx"], s["my"] = preprocess.axis_maps(s["up"])

    def codes(s: dict) -> None:
        s["codes"] = np.stack([preprocess._scaled_codes(s["mx"]), preprocess._scaled_codes(s["my"])])

    return [("noise estimate", noise), ("structure measure", structure), ("seed (CRC of the image)", seed),
            ("noise top-up", top_up), ("gradients + autocorrelation, both axes", maps), ("int8 codes", codes)]


def current_codes(gray: np.ndarray, floor: float = FLOOR) -> np.ndarray:
    state: dict = {"gray": gray}
    for _, stage in current_stages(gray, floor):
        stage(state)
    return state["codes"]


# --- timing -------------------------------------------------------------------------------------

def test_image(rows: int, cols: int, seed: int = 0) -> np.ndarray:
    """A blurry dead-leaves image (uint8) with a camera-shake kernel, as the networks see them."""
    from blurgauge.model.data.synthesis import synthesize_blurred

    rng = np.random.default_rng(seed)
    return synthesize_blurred(rng, 31, 17, image_size=(rows, cols), noise_sigma=0.005).blurry


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    pixels = np.asarray(image)
    if pixels.dtype != np.uint8:
        pixels = np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(rows: int, cols: int, repeats: int = 5) -> dict:
    """Median seconds of every stage, reference and current, on one image of rows x cols."""
    from PIL import Image

    from blurgauge.host.accelerator import DEFAULT_WORKERS, prepare
    from blurgauge.model.inputs.images import to_gray
    from blurgauge.model.inputs.preprocess import AUTOCORRELATION, IMAGE, Preprocessing

    png = _png(test_image(rows, cols))

    def decode() -> np.ndarray:
        with Image.open(io.BytesIO(png)) as img:
            img.load()
            return np.asarray(img)

    pixels = decode()
    gray = to_gray(pixels)
    shared = {"decode": median_seconds(decode, repeats),
              "gray conversion": median_seconds(lambda: to_gray(pixels), repeats)}
    out: dict = {"rows": rows, "cols": cols, "repeats": repeats}
    for name, stages in (("reference", reference_stages(gray)), ("current", current_stages(gray))):
        timed = dict(shared)
        state: dict = {"gray": gray}
        for stage, run in stages:
            timed[stage] = median_seconds(lambda run=run, state=state: run(dict(state)), repeats)
            run(state)  # the state the next stage starts from
        timed["sum of stages"] = sum(timed.values())
        out[name] = timed
        out[f"{name}_codes"] = state["codes"]
    settings = Preprocessing(FLOOR, AUTOCORRELATION)
    out["current"]["prepare() of an array, end to end"] = median_seconds(
        lambda: prepare(gray, preprocessing=settings, region=IMAGE), repeats)
    # Through the board's window (other codes: its accuracy is bench/studies/map_window.py's to measure).
    window = _board_model().WINDOWS[-1]
    if window < max(rows, cols):
        windowed = Preprocessing(FLOOR, AUTOCORRELATION, window=window)
        out["current"][WINDOWED.format(window=window)] = median_seconds(
            lambda: prepare(gray, preprocessing=windowed, region=IMAGE), repeats)

    def decode_and_prepare(_: int) -> object:
        return prepare(to_gray(decode()), preprocessing=settings, region=IMAGE)

    # What Accelerator.estimate_many does with a batch: DEFAULT_WORKERS images in preparation at once.
    with ThreadPoolExecutor(DEFAULT_WORKERS) as pool:
        batch_s = median_seconds(lambda: list(pool.map(decode_and_prepare, range(BATCH_IMAGES))), repeats)
    out["current"][BATCH] = batch_s / BATCH_IMAGES
    out["batch_workers"] = DEFAULT_WORKERS
    out["codes_equal"] = bool(np.array_equal(out.pop("reference_codes"), out.pop("current_codes")))
    return out


def table(results: list[dict]) -> str:
    """A markdown table: one row per stage, reference and current ms and their ratio per size."""
    stages: list[str] = []
    for r in results:
        for name in ("reference", "current"):
            stages += [s for s in r[name] if s not in stages]
    totals = ("sum of stages", "prepare() of an array, end to end", BATCH)
    stages = [s for s in stages if s not in totals and not s.startswith(WINDOWED_PREFIX)]
    windowed = [s for r in results for s in r["current"] if s.startswith(WINDOWED_PREFIX)]
    totals += tuple(dict.fromkeys(windowed))
    stages += list(totals)
    head = "| stage | " + " | ".join(f"{r['cols']}x{r['rows']} before ms | after ms | ratio" for r in results) + " |"
    lines = [head, "| --- |" + " ---: | ---: | ---: |" * len(results)]
    for stage in stages:
        cells = []
        for r in results:
            before, after = r["reference"].get(stage), r["current"].get(stage)
            if stage == BATCH:  # against the direct implementation's images one after the other
                before = r["reference"]["sum of stages"]
            cells += [f"{before * 1e3:.1f}" if before is not None else "",
                      f"{after * 1e3:.1f}" if after is not None else "",
                      f"{before / after:.1f}x" if before and after else ""]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _board_model() -> types.ModuleType:
    try:
        from bench import board_model
    except ImportError:  # run as a script from bench/
        import board_model  # type: ignore[no-redef]
    return board_model


def report(repeats: int = 5) -> list[dict]:
    """Measure every size, print the table, write build/bench/host-stages.json."""
    results = [measure(rows, cols, repeats) for rows, cols in SIZES]
    print(f"host preprocessing per image, by stage (median of {repeats} runs; reference = the direct "
          f"implementation, current = the product; same process, same images; {os.cpu_count()} CPU core(s) "
          "shared with other work; the batch row: the product's images "
          f"{results[0]['batch_workers']} at a time, against the reference's one after the other):")
    print(table(results))
    print("int8 codes of reference and current equal on every image: "
          f"{'yes' if all(r['codes_equal'] for r in results) else 'NO'}")
    board_model = _board_model()
    board = board_model.report(
        decode_x86_s={(r["rows"], r["cols"]): r["current"]["decode"] for r in results},
        prepare_x86_s={(r["rows"], r["cols"]): r["current"]["prepare() of an array, end to end"] for r in results})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "host-stages.json").write_text(json.dumps({"floor": FLOOR, "results": results, "board": board,
                                                      "board_source": board_model.SOURCE}, indent=2))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = report(args.repeats)
    return 0 if all(r["codes_equal"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
