"""Shipped weight files: the folded, quantized integer weights of one network, self-describing.

A weight file (``<role>.bgw.npz``, a NumPy zip archive) holds:

* ``meta``: UTF-8 JSON with ``format`` ("blurgauge-weights"), ``version``, ``role``, ``width``,
  ``outputs``, the class labels of the head, the fixed-point formats (``quantizers.FORMATS``),
  the ordered layer names, the host's preprocessing for these networks
  (``preprocess.Preprocessing.as_meta``: ``noise_floor``, the noise level, a fraction of full
  range, that the host tops each image up to before its patches, as the training data was, and
  ``input_transform``, the map the network reads; each absent in files written before it existed,
  meaning 0 and ``gradient``), provenance (command, seed,
  dataset, validation accuracy) and the SHA-256 of the payload;
* per weighted layer ``<name>.kernel`` (int8 codes of the ``weight`` format) and ``<name>.bias``
  (int16 codes of the ``bias`` format), batch normalization already folded in.

The reader checks the archive, the format, the version and the digest, and refuses anything else
with an error naming the file. Integer codes make the file compact (about 0.7 MB at width 16) and
are exactly what the hardware multiplies.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from blurgauge.model.inputs.preprocess import Preprocessing
from blurgauge.model.nets.network import FOLDED, NetworkSpec, build_resnet18
from blurgauge.model.nets.quantizers import FORMATS
from blurgauge.model.nets.roles import Role, role
from blurgauge.model.nets.tf_env import keras, qkeras
from blurgauge.model.nets.weight_meta import (
    FORMAT,
    VERSION,
    WeightFileError,
    checked_meta,
    expect_role,
    read_arrays,
)


@dataclass
class NetworkWeights:
    role: Role
    width: int
    layers: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (kernel codes int8, bias codes int16)
    meta: dict

    @property
    def preprocessing(self) -> Preprocessing:
        return Preprocessing.from_meta(self.meta, f"weights of {self.role.name}")

    def build_model(self) -> keras.Model:
        """The inference Keras model (folded form) carrying these weights."""
        model = build_resnet18(NetworkSpec(self.width, self.role.outputs), self.role.name, bn_freeze=FOLDED)
        self.set_into(model)
        return model

    def set_into(self, model: keras.Model) -> None:
        """Give a folded model of this width and head (``build_resnet18(..., bn_freeze=FOLDED)``) these weights."""
        for name, (kernel, bias) in self.layers.items():
            layer = model.get_layer(name)
            layer.set_weights([
                kernel.astype(np.float32) * np.float32(FORMATS["weight"].step),
                bias.astype(np.float32) * np.float32(FORMATS["bias"].step),
            ])


def weighted_layers(model: keras.Model) -> list:
    return [
        layer for layer in model.layers
        if isinstance(layer, qkeras.QConv2DBatchnorm | qkeras.QConv2D | qkeras.QDense)
    ]


@functools.cache
def shared_folded_model(width: int, outputs: int) -> keras.Model:
    """One folded model per shape and process (a Keras build takes seconds): its structure is what every load
    checks a file against, and conversions load their weights into it in turn (hw/compiler/cascade_programs
    under its lock). Its weights are whichever were set last: never read them without that lock."""
    return build_resnet18(NetworkSpec(width, outputs), "folded", bn_freeze=FOLDED)


def layer_names(width: int, outputs: int) -> tuple[str, ...]:
    """The weighted layers of the width-``width`` ResNet18 with ``outputs`` logits, in order: what a weight
    file must list."""
    return tuple(layer.name for layer in weighted_layers(shared_folded_model(width, outputs)))


def _to_codes(values: np.ndarray, fmt_name: str, where: str) -> np.ndarray:
    fmt = FORMATS[fmt_name]
    scaled = np.asarray(values, dtype=np.float64) / fmt.step
    codes = np.rint(scaled)
    if np.max(np.abs(scaled - codes), initial=0.0) > 1e-3:
        raise ValueError(f"{where}: values are not on the {fmt_name} grid; was it quantized?")
    lo, hi = fmt.code_range
    if codes.min() < lo or codes.max() > hi:
        raise ValueError(f"{where}: codes outside {lo}..{hi}")
    return codes.astype(np.int8 if fmt.bits <= 8 else np.int16)


def extract(model: keras.Model) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Folded, quantized integer weights of a trained (or folded) model, in layer order."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for layer in weighted_layers(model):
        if isinstance(layer, qkeras.QConv2DBatchnorm):
            kernel, bias = (t.numpy() for t in layer.get_folded_weights())
        else:
            kernel, bias = layer.get_weights()
        kernel = layer.kernel_quantizer_internal(kernel).numpy()
        bias = layer.bias_quantizer_internal(bias).numpy()
        out[layer.name] = (
            _to_codes(kernel, "weight", f"{layer.name}.kernel"),
            _to_codes(bias, "bias", f"{layer.name}.bias"),
        )
    return out


def _digest(layers: dict[str, tuple[np.ndarray, np.ndarray]]) -> str:
    h = hashlib.sha256()
    for name, (kernel, bias) in layers.items():
        h.update(name.encode())
        for arr in (kernel, bias):
            h.update(str(arr.shape).encode() + arr.dtype.str.encode() + np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def save(path: str | Path, model: keras.Model, role_name: str, width: int, provenance: dict,
         preprocessing: Preprocessing | None = None) -> Path:
    """Write the weight file of a trained model (``preprocessing``: as its training data was made)."""
    r = role(role_name)
    layers = extract(model)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "role": r.name,
        "width": width,
        "outputs": r.outputs,
        "class_labels": r.class_labels(),
        "formats": {k: vars(v) for k, v in FORMATS.items()},
        "layers": list(layers),
        **(preprocessing or Preprocessing()).as_meta(),
        "provenance": provenance,
        "sha256": _digest(layers),
    }
    arrays: dict[str, np.ndarray] = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    for name, (kernel, bias) in layers.items():
        arrays[f"{name}.kernel"] = kernel
        arrays[f"{name}.bias"] = bias
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.write_bytes(buffer.getvalue())
    return path


def load(path: str | Path, role_name: str | None = None) -> NetworkWeights:
    """Read and verify a weight file; ``role_name``: the network it is loaded as, which it must record."""
    path = Path(path)
    if not path.is_file():
        raise WeightFileError(f"{path}: no such weight file")
    arrays = read_arrays(path)
    meta = checked_meta(path, arrays.pop("meta", None))
    expect_role(path, meta, role_name)
    saved_formats = meta.get("formats")
    if saved_formats != {k: vars(v) for k, v in FORMATS.items()}:
        raise WeightFileError(f"{path}: fixed-point formats differ from this blurgauge's: {saved_formats}")
    layers = {}
    for name in meta["layers"]:
        try:
            layers[name] = (arrays[f"{name}.kernel"], arrays[f"{name}.bias"])
        except KeyError as exc:
            raise WeightFileError(f"{path}: layer {name} is missing") from exc
    if _digest(layers) != meta.get("sha256"):
        raise WeightFileError(f"{path}: checksum mismatch, the file is corrupted")
    weights = NetworkWeights(role(meta["role"]), int(meta["width"]), layers, meta)
    if tuple(layers) != layer_names(weights.width, weights.role.outputs):
        raise WeightFileError(f"{path}: layer list does not match a width-{weights.width} ResNet18")
    return weights
