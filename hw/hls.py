"""hls4ml conversion of a folded network, with the settings and patches that make it exact.

hls4ml 1.3's defaults do not compute our networks correctly; each setting below fixes a measured
failure (C simulation against ``hw/golden.py``; see docs/design.md):

* every convolution and the dense head get an explicit, wide accumulator and result type. Left
  'auto', the result of a convolution that feeds a signed 8-bit quantizer absorbs that quantizer
  (``MergeLinearActivation``) and keeps an inferred ``fixed<23,11>``, so the rounding before the
  residual add disappears (logits off by up to 7.3 at width 4);
* the hidden ``<name>_linear`` layers get the same type, so hls4ml removes them instead of
  truncating to its default ``fixed<16,6>``;
* the residual add and the global average pool get explicit types (the pool's accumulator
  otherwise falls back to ``fixed<16,6>`` and overflows).

Two changes to generated code are applied by ``patch_project`` between ``write()`` and the
compilation (hls4ml's own ``compile()`` would rewrite the project and drop them):

* ``nnet_pooling_stream.h`` asserts pool size == stride; our 3x3 stride-2 max-pool (after explicit
  zero padding) is computed correctly by the line-buffer code once the assertion is gone;
* ``nnet_conv2d_stream.h`` ignores the vertical stride of a 1x1 convolution (the projection
  shortcuts) and emits twice the rows; the condition must also test ``stride_height > 1``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Exact for every accumulator of the family: 2**-16 resolution covers the 2**-11 and 2**-12
#: accumulator grids, 24 integer bits cover any sum of 8-bit products the networks form.
WIDE = "fixed<40,24,TRN,WRAP>"
ADD_TYPE = "fixed<16,8,TRN,WRAP>"  # ufixed<8,3> + fixed<8,3> needs 10 bits; exact
GAP_TYPE = "fixed<24,12,TRN,WRAP>"  # sum of 16 ufixed<8,3> codes, exact before the 8-bit quantizer

#: (header, text hls4ml 1.3 generates, replacement); each must be found exactly once.
PATCHES: tuple[tuple[str, str, str], ...] = (
    (
        "nnet_pooling_stream.h",
        "    assert(CONFIG_T::pool_height == CONFIG_T::stride_height && "
        "CONFIG_T::pool_width == CONFIG_T::stride_width);\n",
        "    // blurgauge: pool size != stride is computed correctly by the line buffer below.\n",
    ),
    (
        "nnet_conv2d_stream.h",
        "if (CONFIG_T::filt_height > 1) {",
        "if (CONFIG_T::filt_height > 1 || CONFIG_T::stride_height > 1) { // blurgauge: 1x1/2 rows",
    ),
)


class PatchError(RuntimeError):
    """hls4ml generated code the patch step does not recognise (another hls4ml version?)."""


def hls_config(model) -> dict:
    import hls4ml

    from blurgauge.model.tf_env import keras, qkeras

    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    layers = cfg["LayerName"]
    for layer in model.layers:
        entry = layers.setdefault(layer.name, {})
        if isinstance(layer, qkeras.QConv2D | qkeras.QDense):
            entry.setdefault("Precision", {}).update({"result": WIDE, "accum": WIDE})
            layers.setdefault(f"{layer.name}_linear", {})["Precision"] = {"result": WIDE}
        elif isinstance(layer, keras.layers.Add):
            entry["Precision"] = {"result": ADD_TYPE}
        elif isinstance(layer, keras.layers.GlobalAveragePooling2D):
            entry["Precision"] = {"result": GAP_TYPE, "accum": GAP_TYPE}
    return cfg


def patch_project(project: str | Path) -> list[str]:
    """Apply ``PATCHES`` to a written hls4ml project; returns the headers changed."""
    folder = Path(project) / "firmware" / "nnet_utils"
    changed = []
    for header, old, new in PATCHES:
        path = folder / header
        text = path.read_text()
        count = text.count(old)
        if count == 0 and new in text:
            continue  # already patched
        if count == 0:
            raise PatchError(f"{path}: expected hls4ml 1.3 code not found: {old.strip()!r}")
        path.write_text(text.replace(old, new))
        changed.append(header)
    return changed


def convert(model, project: str | Path, compile_: bool = True):
    """Convert a folded Keras model to an io_stream Vitis project, patch it, optionally compile it."""
    import hls4ml

    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=hls_config(model), output_dir=str(project), backend="Vitis", io_type="io_stream"
    )
    hls_model.write()
    patch_project(project)
    if compile_:
        hls_model._compile()  # not compile(): that would write the project again, unpatched
    return hls_model


def predict(hls_model, codes: np.ndarray) -> np.ndarray:
    """C-simulation logits for int8 input codes (n, 128, 128)."""
    from blurgauge.model.preprocess import codes_to_input

    x = np.ascontiguousarray(codes_to_input(codes))
    return np.asarray(hls_model.predict(x)).reshape(len(codes), -1)
