"""Loading the shipped networks and running them in Keras: the ``keras`` backend's logits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from blurgauge.model.inputs.preprocess import Preprocessing, codes_to_input
from blurgauge.model.nets.roles import CASCADE
from blurgauge.model.nets.weight_meta import SUFFIX, WeightFileError, read_meta

#: The trained networks shipped with blurgauge (one weight file per role).
TRAINED_DIR = Path(__file__).resolve().parent.parent / "trained"


def weight_path(folder: str | Path, name: str) -> Path:
    return Path(folder) / f"{name}{SUFFIX}"


def agreed(found: dict[str, Preprocessing], where: str | Path) -> Preprocessing:
    """The one preprocessing of several networks; they see the same patches, so they must agree."""
    if len(set(found.values())) > 1:
        listed = ", ".join(f"{name} {p.as_meta()}" for name, p in found.items())
        raise WeightFileError(f"{where}: the networks were trained with different preprocessing ({listed})")
    return next(iter(found.values()))


def preprocessing(folder: str | Path = TRAINED_DIR, names: tuple[str, ...] = CASCADE) -> Preprocessing:
    """What the host does to an image for the networks in ``folder`` (``preprocess.Preprocessing``):
    the noise floor they were trained at and the input transform they read. They must agree."""
    found = {}
    for name in names:
        path = weight_path(folder, name)
        found[name] = Preprocessing.from_meta(read_meta(path, name), str(path))
    return agreed(found, folder)


def _predict(model, codes: np.ndarray) -> np.ndarray:
    """Logits of a Keras network for int8 input codes (n, 128, 128); n may be 0."""
    if len(codes) == 0:
        return np.zeros((0, model.output_shape[-1]), dtype=np.float32)
    return model.predict(codes_to_input(codes), batch_size=64, verbose=0)


class KerasNetworks:
    """The cascade's networks (and the native baseline, if present) as folded QKeras models."""

    def __init__(self, folder: str | Path = TRAINED_DIR, names: tuple[str, ...] = (*CASCADE, "native")):
        from blurgauge.model.nets import weights

        self.folder = Path(folder)
        self.weights: dict[str, weights.NetworkWeights] = {}
        for name in names:
            path = weight_path(self.folder, name)
            if name in CASCADE or path.exists():
                self.weights[name] = weights.load(path, name)
        self._models: dict = {}

    def model(self, name: str):
        if name not in self._models:
            if name not in self.weights:
                raise KeyError(f"{weight_path(self.folder, name)}: network {name!r} is not available")
            self._models[name] = self.weights[name].build_model()
        return self._models[name]

    def logits(self, name: str, codes: np.ndarray) -> np.ndarray:
        return _predict(self.model(name), codes)


class RunNetworks:
    """The cascade's networks as they stand in training run folders (``RUNS/<role>/``), in their
    training form: the last epoch's float master weights (``model_weights.h5``) behind the
    quantizers, or (``quantized=False``) the same weights with every quantizer removed.

    Only training runs keep the float weights; the shipped files hold the integer codes alone.
    """

    def __init__(self, runs: str | Path, quantized: bool = True, names: tuple[str, ...] = CASCADE):
        self.runs, self.quantized = Path(runs), quantized
        self._widths: dict[str, int] = {}
        for name in names:
            config, weights = self.runs / name / "config.json", self.runs / name / "model_weights.h5"
            for path in (config, weights):
                if not path.is_file():
                    raise FileNotFoundError(f"{path}: not a finished training run of {name!r}")
            self._widths[name] = int(json.loads(config.read_text())["width"])
        self._models: dict = {}

    def preprocessing(self) -> Preprocessing:
        """The runs' preprocessing, from their weight files (a float twin's run has none: its
        config gives the transform, and a twin is compared on the patches of its quantized run)."""
        found = {}
        for name in self._widths:
            best = self.runs / name / "best.bgw.npz"
            config = json.loads((self.runs / name / "config.json").read_text())
            found[name] = (Preprocessing.from_meta(read_meta(best), str(best)) if best.is_file()
                           else Preprocessing(transform=config.get("input_transform", "gradient")))
        return agreed(found, self.runs)

    def model(self, name: str):
        if name not in self._models:
            from blurgauge.model.nets.network import NetworkSpec, build_resnet18, float_copy
            from blurgauge.model.nets.roles import role

            spec = NetworkSpec(self._widths[name], role(name).outputs)
            model = build_resnet18(spec, name=name)  # predict() uses the moving statistics as trained
            model.load_weights(str(self.runs / name / "model_weights.h5"), by_name=True)
            self._models[name] = model if self.quantized else float_copy(model)
        return self._models[name]

    def logits(self, name: str, codes: np.ndarray) -> np.ndarray:
        return _predict(self.model(name), codes)
