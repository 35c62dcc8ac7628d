"""The tested dependency combination: versions as pinned, QKeras trains, hls4ml converts and runs.

tensorflow-cpu 2.14.1 (Keras 2 inside), numpy 1.26, QKeras 0.9.0 and hls4ml 1.3.0 is the
combination the README explains; these tests fail if an install drifts from it.
"""

from __future__ import annotations

import importlib.metadata as md

import numpy as np
import pytest

PINNED = {"tensorflow-cpu": "2.14.1", "qkeras": "0.9.0", "hls4ml": "1.3.0", "cocotb": "2.1.0"}


@pytest.mark.parametrize(("package", "version"), PINNED.items())
def test_pinned_versions(package: str, version: str) -> None:
    assert md.version(package) == version


def test_numpy_is_1x_and_keras_is_keras2() -> None:
    from blurgauge.model.nets.tf_env import keras, qkeras

    assert np.__version__.startswith("1.")
    assert md.version("keras").startswith("2.")
    # QKeras layers must be tf.keras layers, or models mixing them would not build.
    assert issubclass(qkeras.QDense, keras.layers.Layer)


def test_no_full_tensorflow_wheel_beside_cpu() -> None:
    with pytest.raises(md.PackageNotFoundError):
        md.version("tensorflow")


def _tiny_qkeras_model():
    from blurgauge.model.nets.tf_env import keras, qkeras

    inputs = keras.Input((8, 8, 1))
    x = qkeras.QActivation(qkeras.quantized_bits(8, 3, alpha=1), name="q_in")(inputs)
    x = qkeras.QConv2D(4, 3, kernel_quantizer=qkeras.quantized_bits(8, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(16, 5, alpha=1), name="conv")(x)
    x = qkeras.QActivation(qkeras.quantized_relu(8, 3), name="relu")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = qkeras.QDense(3, kernel_quantizer=qkeras.quantized_bits(8, 0, alpha=1),
                      bias_quantizer=qkeras.quantized_bits(16, 5, alpha=1), name="dense")(x)
    return keras.Model(inputs, x)


def test_qkeras_trains_a_step() -> None:
    from blurgauge.model.nets.tf_env import keras

    model = _tiny_qkeras_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, 64)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


@pytest.mark.slow
def test_hls4ml_converts_compiles_and_matches_qkeras(tmp_path) -> None:
    import hls4ml

    model = _tiny_qkeras_model()
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(tmp_path / "prj"), backend="Vitis", io_type="io_stream"
    )
    hls_model.compile()
    rng = np.random.default_rng(1)
    x = (np.round(rng.normal(size=(16, 8, 8, 1)) * 16) / 16).clip(-8, 7.9375).astype("float32")
    expected = model.predict(x, verbose=0)
    got = hls_model.predict(np.ascontiguousarray(x)).reshape(expected.shape)
    np.testing.assert_allclose(got, expected, atol=2 ** -6)
