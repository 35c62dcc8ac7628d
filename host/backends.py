"""The backends a cascade runs on. Each maps (network name, int8 input codes) to logits; the
cascade's decisions live once in ``model/cascade.py``. Imports are lazy: naming the backends (for
``--help``) must not load TensorFlow.

Host backends (keras, golden, hls) take a batch of patches per call. Device backends (rtl, pynq)
drive a core through ``CoreDriver`` over a Transport (``DeviceNetworks``): an image of one map per axis
is one start of the core's image job (``image``), which runs both axes' coarse and fine networks;
otherwise one patch per run, the fine run reusing the patch the coarse run left on chip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from blurgauge.model.inputs.preprocess import Preprocessing
from blurgauge.model.nets.roles import CASCADE

BACKENDS = ("keras", "golden", "hls", "rtl", "pynq")
DEVICE_BACKENDS = ("rtl", "pynq")
LogitsFn = Callable[[str, np.ndarray], np.ndarray]


def open_backend(name: str, weights_dir: Path | None = None, names: tuple[str, ...] = CASCADE) -> LogitsFn:
    """The logits function of a backend over the cascade's networks in ``weights_dir``."""
    if name == "keras":
        from blurgauge.model.nets.inference import TRAINED_DIR, KerasNetworks

        return KerasNetworks(weights_dir or TRAINED_DIR, names=names).logits
    if name == "golden":
        from blurgauge.hw.compiler import program as prog
        from blurgauge.hw.compiler.cascade_programs import GoldenNetworks, check_homogeneous

        images = bgcp_images(weights_dir, names)
        if images is not None:  # ready core programs (e.g. build/hls/images): no hls4ml conversion
            programs = {n: prog.unpack(blob, f"core program {n!r}") for n, blob in images.items()}
            check_homogeneous(programs)
            return GoldenNetworks(programs=programs, names=names).logits
        return GoldenNetworks(weights_dir, names=names).logits
    if name == "hls":
        from blurgauge.hw.compiler.cascade_programs import HlsNetworks

        return HlsNetworks(weights_dir, names=names).logits
    if name in DEVICE_BACKENDS:
        extra = sorted(set(names) - set(CASCADE))
        if extra:
            raise ValueError(f"the {name} backend runs the six cascade networks only, not {', '.join(extra)}")
        return open_device(name, weights_dir).logits
    raise ValueError(f"backend {name!r} is not available; one of {', '.join(BACKENDS)}")


class DeviceNetworks:
    """Logits from a core through CoreDriver: one patch per run, the fine run reusing the patch on chip."""

    patch_at_a_time = True

    def __init__(self, driver: Any, images: Mapping[str, bytes]) -> None:
        self.driver = driver
        self.driver.load_programs(images)
        self.runs: list = []  # RunResults since the last take_runs()

    def logits(self, name: str, codes: np.ndarray) -> np.ndarray:
        out = []
        for patch in np.asarray(codes, np.int8):
            result = self.driver.run(name, patch)  # reuses the patch when it is the one on chip
            self.runs.append(result)
            out.append(result.values)
        return np.array(out).reshape(len(out), -1)

    def image(self, width_codes: np.ndarray, height_codes: np.ndarray) -> Any:
        """One image job on the core (``CoreDriver.run_image``): both axes' maps, one start."""
        return self.driver.run_image(np.asarray(width_codes, np.int8), np.asarray(height_codes, np.int8))

    def take_runs(self) -> list:
        runs, self.runs = self.runs, []
        return runs

    def close(self) -> None:
        self.driver.close()


def bgcp_images(weights: str | Path | None, names: tuple[str, ...] = CASCADE) -> dict[str, bytes] | None:
    """The ``NAME.bgcp`` core programs in a folder (None when it holds none of them), each checked to
    hold the network of its name and bound to the folder's ``preprocess.json`` (``program.read_folder``:
    a missing program is reported as a missing ``.bgcp``, not as a missing weight file)."""
    if weights is None:
        return None
    from blurgauge.hw.compiler.program import read_folder

    found = read_folder(weights, names)
    return None if found is None else found[0]


def input_preprocessing(weights: str | Path | None, names: tuple[str, ...] = CASCADE) -> Preprocessing:
    """What the host does to each image for the networks in ``weights`` (default: the shipped ones):
    the noise floor they were trained at and the input transform they read. From the weight files
    (each checked to hold the role of its name), or for a folder of core programs from its
    ``preprocess.json``, which must be there and, when it records the programs' SHA-256, be theirs.
    The same precedence as ``program_images``."""
    from blurgauge.hw.compiler.program import PREPROCESS_FILE, read_folder
    from blurgauge.model.nets.inference import TRAINED_DIR, preprocessing

    folder = Path(weights) if weights is not None else TRAINED_DIR
    found = read_folder(folder, names)
    if found is None:
        return preprocessing(folder, names)
    return Preprocessing.from_meta(found[1], str(folder / PREPROCESS_FILE))


def program_images(weights: str | Path | None, lanes: int, names: tuple[str, ...] = CASCADE) -> dict[str, bytes]:
    """The six core-program images: ``*.bgcp`` files in ``weights`` (e.g. build/hls/images) if all are
    there, else built from its weight files for a ``lanes`` x ``lanes`` array (through hls4ml)."""
    from blurgauge.hw.compiler import program as prog
    from blurgauge.model.nets.inference import TRAINED_DIR

    folder = Path(weights) if weights is not None else TRAINED_DIR
    images = bgcp_images(folder, names)
    if images is not None:
        return images
    from blurgauge.hw.compiler.cascade_programs import build_programs

    return {name: prog.pack(p) for name, p in build_programs(folder, names, lanes=lanes).items()}


def open_transport(backend: str, **options: Any) -> Any:
    """The Transport of a device backend (``rtl``: starts the simulator server; ``pynq``: the overlay)."""
    if backend == "rtl":
        from blurgauge.host.transports.rtl import RtlTransport

        return RtlTransport(**options)
    if backend == "pynq":
        from blurgauge.host.transports.pynq import PynqTransport

        return PynqTransport(**options)
    raise ValueError(f"backend {backend!r} has no transport; device backends: {', '.join(DEVICE_BACKENDS)}")


def open_device(backend: str, weights: str | Path | None = None, *, transport: Any = None,
                timeout_s: float | None = None, **options: Any) -> DeviceNetworks:
    """A core behind a transport (given, or opened for ``backend``), probed, with the six programs
    verified and written to its memory."""
    from blurgauge.host.driver import CoreDriver

    transport = transport if transport is not None else open_transport(backend, **options)
    try:
        driver = CoreDriver(transport, timeout_s)
        return DeviceNetworks(driver, program_images(weights, driver.info.lanes))
    except BaseException:
        transport.close()
        raise
