"""``Accelerator``: the whole job on one backend, for one image or a stream of them.

    from blurgauge.host.accelerator import Accelerator

    with Accelerator("golden") as acc:
        result = acc.estimate("photo.png")
        print(result.width_px, result.height_px, result.width.fine, result.cycles)

Backends: ``keras`` (the QKeras networks), ``golden`` (core programs run by the integer reference),
``hls`` (one hls4ml project, C simulation), ``rtl`` (the Verilator simulation of bg_core, through
CoreDriver) and ``pynq`` (a Zynq board, through the same CoreDriver). Host backends map a batch
of patches to logits; the two device backends run one patch at a time and keep it on chip for
the fine network (``CTRL.reuse_input``). The cascade's decision is ``model.cascade.run_cascade`` for
every backend: a backend only supplies logits. With ``patches=K`` each axis pools its K most distinct
patches (``model.patches.distinct_windows``); the core then runs once per patch. Networks that
read the autocorrelation take, by default, one map over each axis's whole gradient instead
(``region="image"``, ``model.preprocess``): one core run per axis.

``estimate_many`` overlaps the host's preprocessing (reading, gray conversion, patch selection,
input codes) of the next image with the backend's work on the current one, in a worker thread, and
yields one ``Estimate`` or one ``Failure`` per image, in order: a bad image never stops the batch.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from blurgauge.host.backends import BACKENDS, DEVICE_BACKENDS, input_preprocessing, open_backend, open_device
from blurgauge.model.cascade import DEFAULT_ESTIMATE, AxisEstimate, LogitsFn, run_cascade
from blurgauge.model.inputs.images import ImageError, load_gray, to_gray
from blurgauge.model.inputs.noise import seeded_by, top_up_noise
from blurgauge.model.inputs.patches import MIN_IMAGE_SIZE
from blurgauge.model.inputs.preprocess import PATCH, PLAIN, Preprocessing, resolve_region
from blurgauge.model.nets.roles import CASCADE

#: The core clock the board time is projected at: the PYNQ-Z2 fabric clock FCLK_CLK0 as the PYNQ
#: base design sets it, and the clock of `blurgauge cost` (hw/compiler/cost.py); see docs/host.md.
TARGET_CLOCK_MHZ = 100.0

ImageInput = str | Path | np.ndarray


@dataclass(frozen=True)
class StageTiming:
    """One backend call of the cascade: one network on one or more patches."""

    stage: str  # "coarse" or "fine"
    network: str
    axis: str  # "width", "height" or "both" (host backends run both patches in one call)
    seconds: float  # host wall time of the call
    cycles: int | None = None  # core cycles (device backends), summed over the call's runs
    stall_cycles: int | None = None


@dataclass
class Estimate:
    """The cascade's answer for one image, with where the time went."""

    path: str
    width: AxisEstimate
    height: AxisEstimate
    preprocess_seconds: float
    stages: list[StageTiming]
    seconds: float  # preprocessing + backend
    backend: str = ""
    estimate: str = DEFAULT_ESTIMATE  # "midpoint" or "expectation" (see AxisEstimate.size)

    @property
    def width_px(self) -> float:
        return self.width.size(self.estimate)

    @property
    def height_px(self) -> float:
        return self.height.size(self.estimate)

    @property
    def cycles(self) -> int | None:
        """Core cycles of all runs (None when the backend counts none)."""
        counts = [s.cycles for s in self.stages]
        return None if not counts or None in counts else int(sum(counts))  # type: ignore[arg-type]

    def stage_seconds(self, stage: str) -> float:
        return sum(s.seconds for s in self.stages if s.stage == stage)

    def record(self) -> dict[str, Any]:
        """The output contract of ``blurgauge estimate`` (JSON adds ``cycles``, null without a core)."""
        return {
            "path": self.path,
            "width": round(self.width_px, 2),
            "height": round(self.height_px, 2),
            "width_coarse": self.width.coarse,
            "width_fine": self.width.fine,
            "width_confidence": round(self.width.confidence, 4),
            "height_coarse": self.height.coarse,
            "height_fine": self.height.fine,
            "height_confidence": round(self.height.confidence, 4),
            "seconds": round(self.seconds, 4),
            "cycles": self.cycles,
        }


@dataclass
class Failure:
    """An image that could not be estimated; ``error`` is one line naming it."""

    path: str
    error: str
    exception: BaseException | None = field(default=None, repr=False)


@dataclass
class Prepared:
    """An image after host preprocessing: the width and height patches' int8 codes."""

    path: str
    codes: np.ndarray  # (width patches + height patches, 128, 128) int8, the width patches first
    seconds: float
    width_patches: int = 1  # how many of ``codes`` belong to the width

    @property
    def owners(self) -> np.ndarray:
        """The axis of each patch: 0 for the width, 1 for the height (``run_cascade``'s owners)."""
        return (np.arange(len(self.codes)) >= self.width_patches).astype(np.int64)


def prepare(image: ImageInput, label: str | None = None, patches: int = 1,
            preprocessing: Preprocessing = PLAIN, region: str = PATCH) -> Prepared:
    """Read (a path) or take (an array) an image, convert to gray, top its noise up to the networks'
    training level (``preprocessing.noise_floor``; 0: leave it), and encode each axis as the networks
    read it (``Preprocessing.axis_codes``): up to ``patches`` distinct patches per axis, or for the
    ``image`` region one map over the axis's whole gradient."""
    start = time.perf_counter()
    if isinstance(image, np.ndarray):
        name = label or "array"
        gray = to_gray(image, source=name)
        if min(gray.shape) < MIN_IMAGE_SIZE:
            raise ImageError(f"{name}: image is {gray.shape[1]}x{gray.shape[0]} px; at least "
                             f"{MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE} is needed for a 128x128 gradient patch on both axes")
    else:
        name = label or str(image)
        gray = load_gray(image, min_size=MIN_IMAGE_SIZE)
    if preprocessing.noise_floor > 0.0:
        gray = top_up_noise(gray, preprocessing.noise_floor, seeded_by(gray))
    along_x, along_y = preprocessing.axis_codes(gray, patches, region)
    return Prepared(name, np.concatenate([along_x, along_y]), time.perf_counter() - start, len(along_x))


class Accelerator:
    """The cascade on one backend: ``estimate(image)`` and ``estimate_many(images)``."""

    def __init__(self, backend: str = "golden", weights: str | Path | None = None, *, estimate: str = DEFAULT_ESTIMATE,
                 patches: int = 1, noise_floor: float | None = None, region: str | None = None,
                 transport: Any = None, timeout_s: float | None = None, **transport_options: Any) -> None:
        """``weights``: a folder of weight files (default: the shipped ones) or, for rtl and pynq, of the
        six ``.bgcp`` images. ``patches``: distinct patches pooled per axis (1, the paper's method, is
        the cheapest; more lower the error, docs/results.md). ``noise_floor``: the noise level
        each image is topped up to before its patches (default: the level the networks were trained
        at; it and the input transform come from their files, ``backends.input_preprocessing``).
        ``region``: where the networks' input map is taken (``model.preprocess``): ``patch`` or, for
        networks that read the autocorrelation, ``image`` (their default: one map over each axis's
        whole gradient, one core run per axis, ``patches`` must then be 1).
        ``transport``: a ready Transport for a device backend (else one is opened with
        ``transport_options``, e.g. ``overlay=`` for pynq).
        ``timeout_s`` bounds each core run."""
        if backend not in BACKENDS and transport is None:
            raise ValueError(f"backend {backend!r} is not available; one of {', '.join(BACKENDS)}")
        if patches < 1:
            raise ValueError(f"patches must be at least 1, got {patches}")
        self.backend = backend
        self.estimate_kind = estimate
        self.patches = patches
        found = input_preprocessing(weights)
        self.preprocessing = found if noise_floor is None else replace(found, noise_floor=noise_floor)
        self.region = resolve_region(region, found.transform, patches)
        self._closer: Any = None
        if backend in DEVICE_BACKENDS or transport is not None:
            networks = open_device(backend, weights, transport=transport, timeout_s=timeout_s, **transport_options)
            self.driver = networks.driver
            self._networks: Any = networks
            self._logits: LogitsFn = networks.logits
            self._closer = networks
        else:
            self.driver = None
            self._networks = None
            self._logits = open_backend(backend, Path(weights) if weights is not None else None)

    @property
    def noise_floor(self) -> float:
        return self.preprocessing.noise_floor

    def warm_up(self) -> None:
        """Run every network once on a zero patch (host backends build models or compile lazily), so
        that timings measure steady state; device backends are ready once open."""
        if self._networks is None:
            for name in CASCADE:
                self._logits(name, np.zeros((1, 128, 128), np.int8))

    # ---------------------------------------------------------------- one image

    def _timed(self, stages: list[StageTiming], axis: str) -> LogitsFn:
        def logits(name: str, codes: np.ndarray) -> np.ndarray:
            start = time.perf_counter()
            out = self._logits(name, codes)
            cycles = stall = None
            if self._networks is not None:
                runs = self._networks.take_runs()
                cycles, stall = sum(r.cycles for r in runs), sum(r.stall_cycles for r in runs)
            stage = "coarse" if name == "coarse" else "fine"
            stages.append(StageTiming(stage, name, axis, time.perf_counter() - start, cycles, stall))
            return out

        return logits

    def run(self, prepared: Prepared) -> Estimate:
        """The cascade on an image's prepared patches."""
        start = time.perf_counter()
        stages: list[StageTiming] = []
        if self._networks is not None:
            # The core holds one patch at a time: coarse then fine for the width, then for the height.
            split = prepared.width_patches
            width = run_cascade(self._timed(stages, "width"), prepared.codes[:split],
                                np.zeros(split, np.int64))[0]
            height = run_cascade(self._timed(stages, "height"), prepared.codes[split:],
                                 np.zeros(len(prepared.codes) - split, np.int64))[0]
        else:
            width, height = run_cascade(self._timed(stages, "both"), prepared.codes, prepared.owners)
        seconds = prepared.seconds + time.perf_counter() - start
        return Estimate(prepared.path, width, height, prepared.seconds, stages, seconds, self.backend,
                        self.estimate_kind)

    def estimate(self, image: ImageInput, label: str | None = None) -> Estimate:
        """Width and height of one image (a path or an array); raises ImageError for an unusable image."""
        return self.run(prepare(image, label, self.patches, self.preprocessing, self.region))

    # ---------------------------------------------------------------- many images

    def estimate_many(self, images: Iterable[ImageInput], labels: Iterable[str] | None = None,
                      ahead: int = 2) -> Iterator[Estimate | Failure]:
        """One Estimate or Failure per image, in order; preprocessing runs up to ``ahead`` images ahead
        in a worker thread while the backend works (numpy, Pillow, the simulator's pipe and the board's
        waits release the GIL, so the two overlap)."""
        items = list(images) if labels is not None else images
        names = iter(labels) if labels is not None else None
        done = object()
        slots: queue.Queue = queue.Queue(maxsize=max(1, ahead))
        stop = threading.Event()

        def put(item: object) -> bool:
            while not stop.is_set():
                try:
                    slots.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        failed: list[BaseException] = []  # an error of the image source itself (not of one image)

        def produce() -> None:
            try:
                for index, item in enumerate(items):
                    label = next(names, None) if names is not None else None
                    if label is None:
                        label = f"array #{index}" if isinstance(item, np.ndarray) else str(item)
                    try:
                        ready: Prepared | Failure = prepare(item, label, self.patches, self.preprocessing,
                                                            self.region)
                    except Exception as exc:  # any unusable input is that image's failure, not the batch's
                        ready = Failure(label, _one_line(exc, label), exc)
                    if not put(ready):
                        return
            except BaseException as exc:  # the iterable itself failed: hand it to the consumer
                failed.append(exc)
            finally:
                put(done)  # always, so the consumer never waits for an image that will not come

        worker = threading.Thread(target=produce, name="blurgauge-preprocess", daemon=True)
        worker.start()
        try:
            while True:
                item = slots.get()
                if item is done:
                    if failed:
                        raise failed[0]
                    break
                if isinstance(item, Failure):
                    yield item
                    continue
                try:
                    result: Estimate | Failure = self.run(item)
                except Exception as exc:  # a failed run (core error, timeout) fails this image only
                    result = Failure(item.path, _one_line(exc, item.path), exc)
                yield result
        finally:
            stop.set()
            worker.join(timeout=5)

    # ---------------------------------------------------------------- lifetime

    def close(self) -> None:
        if self._closer is not None:
            self._closer.close()
            self._closer = None

    def __enter__(self) -> Accelerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _one_line(exc: BaseException, path: str) -> str:
    """A one-line message that names the image (ImageError messages already start with it)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if text.startswith(path) else f"{path}: {text}"
