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
input codes) of the next images with the backend's work on the current one, on worker threads (two
images at once on a machine of two cores and 2 GB or more), and yields one ``Estimate`` or one ``Failure`` per
image, in order: a bad image never stops the batch.

An image is a path (``str``, ``pathlib.Path`` or a ``bytes`` file name), a numpy array (by the pixel
rules of ``model.inputs.images``) or a PIL image. ``estimate_many`` given one path (a ``str`` or a
``Path``) treats it as one image, not as an iterable of characters. An image with too little
structure to measure (``model.inputs.structure``: constant, black, white, pure noise, contrast below
the noise floor) is refused (``UnmeasurableError``, a Failure with ``status == "unmeasurable"``) instead of
given a size that means nothing.

Thread safety: one ``Accelerator`` may be shared between threads. Its backend runs one cascade at a
time (a lock around each image's backend work: a core holds one patch and one program at a time),
so threads queue rather than fail with "busy"; preprocessing runs outside the lock, in parallel.
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from blurgauge.host.backends import BACKENDS, DEVICE_BACKENDS, input_preprocessing, open_backend, open_device
from blurgauge.host.driver import CoreError
from blurgauge.model.cascade import DEFAULT_ESTIMATE, AxisEstimate, LogitsFn, run_cascade
from blurgauge.model.inputs.images import ImageError, central_window, check_pixels, load_gray, max_pixels, to_gray
from blurgauge.model.inputs.noise import noise_sigma, seeded_by, top_up_noise
from blurgauge.model.inputs.patches import MIN_IMAGE_SIZE
from blurgauge.model.inputs.preprocess import PATCH, PLAIN, Preprocessing, resolve_region
from blurgauge.model.inputs.structure import THRESHOLD, WARN_BELOW, structure, unmeasurable_reason
from blurgauge.model.nets.roles import CASCADE

#: The core clock the board time is projected at: the PYNQ-Z2 fabric clock FCLK_CLK0 as the PYNQ
#: base design sets it, and the clock of `blurgauge cost` (hw/compiler/cost.py); see docs/host.md.
TARGET_CLOCK_MHZ = 100.0
#: The memory a machine needs for two images in preparation at once: two photos at the default pixel
#: limit (50 Mpx, about 13 bytes per pixel each while prepared: 650 MB) beside the process.
TWO_IMAGES_MEMORY = 2 << 30


def _default_workers() -> int:
    """Images ``estimate_many`` prepares at once: both cores of a two-core machine, 1.1-2.1x the images per
    second of one at a time here (docs/experiments.md, Experiment 39), where two of the largest photos fit
    in memory (``TWO_IMAGES_MEMORY``); else one. A 512 MB PYNQ-Z2 holds one 24 Mpx photo in preparation,
    not two, so it prepares one at a time unless told ``workers=2`` (safe for a batch of small images)."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # no sysconf (Windows), or no such name
        memory = 0
    return 2 if (os.cpu_count() or 1) >= 2 and memory >= TWO_IMAGES_MEMORY else 1


DEFAULT_WORKERS = _default_workers()

ImageInput = str | Path | bytes | np.ndarray  # or a PIL image (not named here: Pillow loads lazily)


class UnmeasurableError(ImageError):
    """An image with too little structure above the noise to measure a blur in (``structure``)."""

    def __init__(self, message: str, score: float) -> None:
        super().__init__(message)
        self.structure = score


@dataclass(frozen=True)
class StageTiming:
    """One backend call of the cascade: one network on one or more patches."""

    stage: str  # "coarse", "fine", or "image" (a device's one start for both axes' coarse and fine runs)
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
    structure: float | None = None  # the image's content above the noise (model.inputs.structure)
    warnings: list[str] = field(default_factory=list)  # one line each, naming the image

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
            "status": "ok",
            "structure": None if self.structure is None else round(self.structure, 3),
            "warnings": list(self.warnings),
        }


@dataclass
class Failure:
    """An image that could not be estimated; ``error`` is one line naming it."""

    path: str
    error: str
    exception: BaseException | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        """``unmeasurable`` (too little structure: refused) or ``error`` (anything else)."""
        return "unmeasurable" if isinstance(self.exception, UnmeasurableError) else "error"

    def record(self) -> dict[str, Any]:
        """The JSON line of ``blurgauge estimate --format json`` for an image that got no size."""
        score = getattr(self.exception, "structure", None)
        return {"path": self.path, "status": self.status, "error": self.error,
                "structure": None if score is None else round(score, 3)}


@dataclass
class Prepared:
    """An image after host preprocessing: the width and height patches' int8 codes."""

    path: str
    codes: np.ndarray  # (width patches + height patches, 128, 128) int8, the width patches first
    seconds: float
    width_patches: int = 1  # how many of ``codes`` belong to the width
    structure: float | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def owners(self) -> np.ndarray:
        """The axis of each patch: 0 for the width, 1 for the height (``run_cascade``'s owners)."""
        return (np.arange(len(self.codes)) >= self.width_patches).astype(np.int64)


def _gray_of(image: object, name: str, limit: int, window: int = 0) -> np.ndarray:
    """The gray image of any accepted input, or of its central ``window`` (``images.central_window``); a
    TypeError that says what is accepted otherwise."""
    if isinstance(image, np.ndarray):
        check_pixels(image.shape, name, limit)
        return to_gray(central_window(image, window), source=name)
    if isinstance(image, bytes):
        image = os.fsdecode(image)  # a file name as the OS gives it
    if isinstance(image, str | os.PathLike):
        return load_gray(image, limit=limit, window=window)
    if type(image).__module__.startswith("PIL.") and hasattr(image, "size") and hasattr(image, "mode"):
        from PIL import ImageOps

        width, height = image.size  # type: ignore[attr-defined]
        check_pixels((height, width), name, limit)
        upright = ImageOps.exif_transpose(image) or image  # type: ignore[arg-type]
        if upright.mode not in ("1", "L", "RGB", "RGBA", "I;16", "F"):
            upright = upright.convert("RGB")
        return to_gray(central_window(np.asarray(upright), window), source=name)
    raise TypeError(f"an image is a path (str, pathlib.Path, bytes), a numpy array or a PIL image, "
                    f"not {type(image).__name__}")


def prepare(image: ImageInput, label: str | None = None, patches: int = 1,
            preprocessing: Preprocessing = PLAIN, region: str = PATCH, min_structure: float = THRESHOLD,
            limit: int | None = None) -> Prepared:
    """Read (a path) or take (an array, a PIL image) an image, convert to gray, measure its structure
    above the noise (refused below ``min_structure``: ``UnmeasurableError``; 0 measures but never refuses),
    top its noise up to the networks' training level (``preprocessing.noise_floor``; 0: leave it),
    and encode each axis as the networks read it (``Preprocessing.axis_codes``): up to ``patches``
    distinct patches per axis, or for the ``image`` region one map over the axis's whole gradient.
    ``limit``: the pixel limit (default ``images.max_pixels()``)."""
    start = time.perf_counter()
    name = label or ("array" if isinstance(image, np.ndarray) else
                     os.fsdecode(image) if isinstance(image, str | bytes | os.PathLike) else "image")
    gray = _gray_of(image, name, max_pixels() if limit is None else limit, preprocessing.window)
    if min(gray.shape) < MIN_IMAGE_SIZE:
        raise ImageError(f"{name}: image is {gray.shape[1]}x{gray.shape[0]} px; at least "
                         f"{MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE} is needed for a 128x128 gradient patch on both axes")
    # One noise estimate serves the structure score and the top-up (the same value either would measure).
    sigma = noise_sigma(gray)
    score = structure(gray, preprocessing.noise_floor, sigma)
    if score < min_structure:
        raise UnmeasurableError(f"{name}: cannot be measured: structure {score:.2f} is below {min_structure:g} "
                           f"({unmeasurable_reason(gray, score)})", score)
    notes = []
    if score < WARN_BELOW * max(min_structure, THRESHOLD):
        notes.append(f"{name}: low contrast: structure {score:.2f} is near the noise floor (refused below "
                     f"{min_structure:g}); the estimate is less reliable")
    if preprocessing.noise_floor > 0.0:
        gray = top_up_noise(gray, preprocessing.noise_floor, seeded_by(gray), have=sigma)
    along_x, along_y = preprocessing.axis_codes(gray, patches, region)
    return Prepared(name, np.concatenate([along_x, along_y]), time.perf_counter() - start, len(along_x),
                    score, notes)


def _check_patches(patches: object) -> int:
    if isinstance(patches, bool) or not isinstance(patches, int | np.integer):
        raise TypeError(f"patches must be a whole number of patches, got {patches!r}")
    if patches < 1:
        raise ValueError(f"patches must be at least 1, got {patches}")
    return int(patches)


class Accelerator:
    """The cascade on one backend: ``estimate(image)`` and ``estimate_many(images)``."""

    def __init__(self, backend: str = "golden", weights: str | Path | None = None, *, estimate: str = DEFAULT_ESTIMATE,
                 patches: int = 1, noise_floor: float | None = None, region: str | None = None, window: int = 0,
                 transport: Any = None, timeout_s: float | None = None, min_structure: float = THRESHOLD,
                 max_pixels: int | None = None, **transport_options: Any) -> None:
        """``weights``: a folder of weight files (default: the shipped ones) or, for rtl and pynq, of the
        six ``.bgcp`` images. ``patches``: distinct patches pooled per axis (1, the paper's method, is
        the cheapest; more lower the error, docs/results.md). ``noise_floor``: the noise level
        each image is topped up to before its patches (default: the level the networks were trained
        at; it and the input transform come from their files, ``backends.input_preprocessing``).
        ``region``: where the networks' input map is taken (``model.preprocess``): ``patch`` or, for
        networks that read the autocorrelation, ``image`` (their default: one map over each axis's
        whole gradient, one core run per axis, ``patches`` must then be 1). ``window``: read only the
        central ``window`` px per side of each image (0, the default: the whole image), which bounds the
        host's work whatever the image's size at a measured cost in accuracy (docs/host.md).
        ``transport``: a ready Transport for a device backend (else one is opened with
        ``transport_options``, e.g. ``overlay=`` for pynq).
        ``timeout_s`` bounds each core run. ``min_structure``: images whose structure above the noise
        (``model.inputs.structure``) is below it are refused (0: never). ``max_pixels``: the pixel
        limit (default ``images.max_pixels()``: 50 Mpx or ``$BLURGAUGE_MAX_PIXELS``)."""
        if not isinstance(backend, str):
            raise TypeError(f"backend must be a name, one of {', '.join(BACKENDS)}; got {type(backend).__name__}")
        if backend not in BACKENDS and transport is None:
            raise ValueError(f"backend {backend!r} is not available; one of {', '.join(BACKENDS)}")
        if weights is not None and not isinstance(weights, str | os.PathLike):
            raise TypeError(f"weights must be a folder (str or pathlib.Path), got {type(weights).__name__}")
        patches = _check_patches(patches)
        if isinstance(min_structure, bool) or not isinstance(min_structure, int | float) or min_structure < 0:
            raise TypeError(f"min_structure must be a number >= 0, got {min_structure!r}")
        if max_pixels is not None and (isinstance(max_pixels, bool) or not isinstance(max_pixels, int)
                                       or max_pixels < 1):
            raise TypeError(f"max_pixels must be a positive whole number, got {max_pixels!r}")
        self.min_structure = float(min_structure)
        self.max_pixels = max_pixels
        self._lock = threading.Lock()  # one cascade at a time on the backend (see the module docstring)
        self.backend = backend
        self.estimate_kind = estimate
        self.patches = patches
        found = input_preprocessing(weights)
        if noise_floor is not None:
            found = replace(found, noise_floor=noise_floor)
        self.preprocessing = replace(found, window=window)
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
        """The cascade on an image's prepared patches (one image at a time per Accelerator: threads wait)."""
        with self._lock:
            return self._run(prepared)

    def _prepare(self, image: ImageInput, label: str | None = None) -> Prepared:
        return prepare(image, label, self.patches, self.preprocessing, self.region, self.min_structure,
                       self.max_pixels)

    def _run(self, prepared: Prepared) -> Estimate:
        start = time.perf_counter()
        stages: list[StageTiming] = []
        if self._networks is not None and prepared.width_patches == 1 and len(prepared.codes) == 2:
            width, height = self._image_job(prepared.codes, stages)
        elif self._networks is not None:
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
                        self.estimate_kind, prepared.structure, list(prepared.warnings))

    def _image_job(self, codes: np.ndarray, stages: list[StageTiming]) -> tuple[AxisEstimate, AxisEstimate]:
        """Both axes from one start of the core's image job; the estimates then come from ``run_cascade``
        on the job's logits, so the decision rule stays the cascade's, and a core whose choice of fine
        network differs from it is an error, not an estimate."""
        job = self._networks.image(codes[0], codes[1])
        stages.append(StageTiming("image", "coarse+fine", "both", job.seconds, job.cycles, job.stall_cycles))
        out = []
        for index, (axis, runs) in enumerate((("width", job.width), ("height", job.height))):
            logits = {runs.coarse.network: runs.coarse.values, runs.fine.network: runs.fine.values}

            def lookup(name: str, batch: np.ndarray, logits: dict = logits, axis: str = axis) -> np.ndarray:
                if name not in logits:
                    raise CoreError(f"{axis} axis: the cascade's rule chooses {name}, the core ran "
                                    f"{', '.join(logits)}")
                return logits[name][None]

            out.append(run_cascade(lookup, codes[None, index], np.zeros(1, np.int64))[0])
        return out[0], out[1]

    def estimate(self, image: ImageInput, label: str | None = None) -> Estimate:
        """Width and height of one image (a path, an array or a PIL image); raises ImageError for an
        unusable image (``UnmeasurableError`` for one with too little structure) and TypeError for
        something that is not an image."""
        return self.run(self._prepare(image, label))

    # ---------------------------------------------------------------- many images

    def estimate_many(self, images: Iterable[ImageInput], labels: Iterable[str] | None = None,
                      ahead: int = 2, workers: int | None = None) -> Iterator[Estimate | Failure]:
        """One Estimate or Failure per image, in order. While the backend works, ``workers`` images are
        prepared at a time on threads of their own (default ``DEFAULT_WORKERS``: 2 on a machine of two
        cores or more and 2 GB of memory or more, else 1) and up to ``ahead`` prepared ones wait for the backend
        (numpy, Pillow, the simulator's pipe and the board's waits release the GIL, so they overlap). Each
        image in preparation holds its own temporaries, so two at once take twice the memory one takes.
        One path (``str`` or ``Path``), array or PIL image given instead of an iterable is one image."""
        if isinstance(images, str | bytes | os.PathLike | np.ndarray) or type(images).__module__.startswith("PIL."):
            images = [images]  # type: ignore[list-item]
        if images is None or not isinstance(images, Iterable):
            raise TypeError(f"estimate_many takes an iterable of images (or one image), not {type(images).__name__}")
        workers = DEFAULT_WORKERS if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise TypeError(f"workers must be a whole number of threads >= 1, got {workers!r}")
        if isinstance(labels, str):
            labels = [labels]
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

        def prepared(item: ImageInput, label: str) -> Prepared | Failure:
            try:
                return self._prepare(item, label)
            except Exception as exc:  # any unusable input is that image's failure, not the batch's
                return Failure(label, _one_line(exc, label), exc)

        def produce() -> None:
            # Up to ``workers`` images in preparation at once, handed on in the images' order.
            in_flight: collections.deque[concurrent.futures.Future] = collections.deque()
            pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="blurgauge-prepare")

            def hand_on(keep: int) -> bool:
                """Hand the oldest images on until ``keep`` are in preparation; False once the consumer stopped."""
                while len(in_flight) > keep:
                    if not put(in_flight.popleft().result()):
                        return False
                return True

            try:
                for index, item in enumerate(items):
                    label = next(names, None) if names is not None else None
                    if label is None:
                        label = (os.fsdecode(item) if isinstance(item, str | bytes | os.PathLike)
                                 else f"array #{index}" if isinstance(item, np.ndarray) else f"image #{index}")
                    in_flight.append(pool.submit(prepared, item, label))
                    if not hand_on(workers - 1):
                        return
                hand_on(0)
            except BaseException as exc:  # the iterable itself failed: hand it to the consumer
                hand_on(0)  # the images before it first
                failed.append(exc)
            finally:
                for future in in_flight:
                    future.cancel()
                pool.shutdown(wait=True)
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
