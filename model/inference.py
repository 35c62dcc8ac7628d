"""Loading the shipped networks and running them in Keras: the ``keras`` backend's logits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .preprocess import codes_to_input
from .roles import CASCADE

#: The trained networks shipped with blurgauge (one weight file per role).
TRAINED_DIR = Path(__file__).resolve().parent / "trained"


def weight_path(folder: str | Path, name: str) -> Path:
    from .weights import SUFFIX  # weights needs TensorFlow; the integer backends import this module

    return Path(folder) / f"{name}{SUFFIX}"


class KerasNetworks:
    """The cascade's networks (and the native baseline, if present) as folded QKeras models."""

    def __init__(self, folder: str | Path = TRAINED_DIR, names: tuple[str, ...] = (*CASCADE, "native")):
        from . import weights

        self.folder = Path(folder)
        self.weights: dict[str, weights.NetworkWeights] = {}
        for name in names:
            path = weight_path(self.folder, name)
            if name in CASCADE or path.exists():
                self.weights[name] = weights.load(path)
        self._models: dict = {}

    def model(self, name: str):
        if name not in self._models:
            if name not in self.weights:
                raise KeyError(f"{weight_path(self.folder, name)}: network {name!r} is not available")
            self._models[name] = self.weights[name].build_model()
        return self._models[name]

    def logits(self, name: str, codes: np.ndarray) -> np.ndarray:
        if len(codes) == 0:
            return np.zeros((0, self.weights[name].role.outputs), dtype=np.float32)
        return self.model(name).predict(codes_to_input(codes), batch_size=64, verbose=0)
