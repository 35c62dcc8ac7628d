"""The backends a cascade runs on. Each maps (network name, int8 input codes) to logits; the
cascade's decisions live once in ``model/cascade.py``. Imports are lazy: naming the backends (for
``--help``) must not load TensorFlow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from blurgauge.model.roles import CASCADE

BACKENDS = ("keras", "golden", "hls")
LogitsFn = Callable[[str, np.ndarray], np.ndarray]


def open_backend(name: str, weights_dir: Path | None = None, names: tuple[str, ...] = CASCADE) -> LogitsFn:
    """The logits function of a backend over the cascade's networks in ``weights_dir``."""
    if name == "keras":
        from blurgauge.model.inference import TRAINED_DIR, KerasNetworks

        return KerasNetworks(weights_dir or TRAINED_DIR, names=names).logits
    if name == "golden":
        from blurgauge.hw.programs import GoldenNetworks

        return GoldenNetworks(weights_dir, names=names).logits
    if name == "hls":
        from blurgauge.hw.programs import HlsNetworks

        return HlsNetworks(weights_dir, names=names).logits
    raise ValueError(f"backend {name!r} is not available; one of {', '.join(BACKENDS)}")
