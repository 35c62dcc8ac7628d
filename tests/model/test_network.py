"""Network family: one structure for all six cascade networks, named layers, weight files."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model import classes
from blurgauge.model.inputs.preprocess import codes_to_input, input_codes, network_input
from blurgauge.model.nets import weights
from blurgauge.model.nets.network import FOLDED, NetworkSpec, build_resnet18
from blurgauge.model.nets.roles import CASCADE, ROLES, role
from blurgauge.model.nets.tf_env import keras, qkeras

WIDTH = 4  # tiny, but the structure is the same at every width


def _signature(model: keras.Model) -> list[tuple[str, str, tuple]]:
    return [(layer.name, type(layer).__name__, tuple(layer.output_shape)) for layer in model.layers]


def test_six_cascade_networks_have_one_structure() -> None:
    signatures = [
        _signature(build_resnet18(NetworkSpec(WIDTH, role(name).outputs), bn_freeze=FOLDED))
        for name in CASCADE
    ]
    assert all(sig == signatures[0] for sig in signatures)
    assert role("native").outputs == classes.NUM_FINE
    assert all(role(name).outputs == classes.HEAD_OUTPUTS for name in CASCADE)


def test_resnet18_layer_list() -> None:
    model = build_resnet18(NetworkSpec(WIDTH), bn_freeze=FOLDED)
    convs = [layer for layer in model.layers if isinstance(layer, qkeras.QConv2D)]
    # stem + 4 stages x 2 blocks x 2 convs + 3 projection shortcuts = 20 convolutions, + 1 dense.
    assert len(convs) == 20
    assert [layer.name for layer in weights.weighted_layers(model)][-1] == "logits"
    shapes = {layer.name: tuple(layer.output_shape[1:]) for layer in model.layers}
    assert shapes["conv1_conv"] == (64, 64, WIDTH)
    assert shapes["pool1_pool"] == (32, 32, WIDTH)
    assert shapes["conv2_block2_out"] == (32, 32, WIDTH)
    assert shapes["conv3_block1_0_conv"] == (16, 16, 2 * WIDTH)
    assert shapes["conv4_block2_out"] == (8, 8, 4 * WIDTH)
    assert shapes["conv5_block2_out"] == (4, 4, 8 * WIDTH)
    assert shapes["logits"] == (classes.HEAD_OUTPUTS,)
    kernels = {c.name: c.kernel_size for c in convs}
    assert kernels["conv1_conv"] == (7, 7)
    assert kernels["conv5_block1_0_conv"] == (1, 1)
    assert {c.strides for c in convs if c.name.endswith("block1_1_conv") and "conv2" not in c.name} == {(2, 2)}


def test_float_twin_has_the_same_convolutions_and_no_quantizer() -> None:
    quant = build_resnet18(NetworkSpec(WIDTH), bn_freeze=FOLDED)
    twin = build_resnet18(NetworkSpec(WIDTH, quantized=False))

    def convs(model: keras.Model) -> list[tuple]:
        return [(layer.name, layer.kernel.shape.as_list(), layer.strides) for layer in model.layers
                if isinstance(layer, keras.layers.Conv2D)]

    assert convs(twin) == convs(quant) and len(convs(twin)) == 20
    assert not [layer.name for layer in twin.layers if type(layer).__module__.startswith("qkeras")]
    assert twin.output_shape == quant.output_shape == (None, classes.HEAD_OUTPUTS)


def test_width_64_builds() -> None:
    model = build_resnet18(NetworkSpec(64), bn_freeze=FOLDED)
    assert model.get_layer("conv5_block2_out").output_shape[-1] == 512


def test_roles_label_their_ranges() -> None:
    extents = np.arange(3, 96)
    mask, labels = role("coarse").labels(extents)
    assert mask.all() and np.array_equal(labels, classes.coarse_class(extents))
    mask, labels = role("fine2").labels(extents)
    assert extents[mask].min() == 20 and extents[mask].max() == 35
    assert labels.min() == 0 and labels.max() == 7
    mask, labels = role("fine2").labels(extents, widen=2)
    assert extents[mask].min() == 18 and extents[mask].max() == 37
    assert labels[0] == 0 and labels[-1] == 7  # widened samples take the nearest interval
    assert set(ROLES) == {"coarse", "fine1", "fine2", "fine3", "fine4", "fine5", "native"}


def test_input_codes_are_standardised_int8() -> None:
    rng = np.random.default_rng(0)
    grad = rng.normal(0, 7.0, (128, 128))
    codes = input_codes(grad)
    assert codes.dtype == np.int8
    assert abs(codes.astype(float).std() / 16 - 1.0) < 0.02  # one standard deviation = 16 codes
    assert np.array_equal(network_input(grad)[..., 0] * 16, codes.astype(np.float32))
    assert not input_codes(np.zeros((128, 128))).any()


def test_weight_file_round_trip_is_bit_exact(briefly_trained) -> None:
    path, model, x = briefly_trained.path, briefly_trained.trained, codes_to_input(briefly_trained.codes)
    loaded = weights.load(path)
    assert loaded.role.name == "coarse" and loaded.width == 2
    assert loaded.meta["class_labels"][0].startswith("R1")
    for kernel, bias in loaded.layers.values():
        assert kernel.dtype == np.int8 and bias.dtype == np.int16
    np.testing.assert_array_equal(loaded.build_model().predict(x, verbose=0), model.predict(x, verbose=0))


def test_corrupted_weight_file_is_refused(briefly_trained, tmp_path) -> None:
    path = briefly_trained.path
    raw = bytearray(path.read_bytes())
    truncated = tmp_path / "truncated.bgw.npz"
    truncated.write_bytes(bytes(raw[: len(raw) // 2]))
    with pytest.raises(weights.WeightFileError, match=r"truncated\.bgw\.npz"):
        weights.load(truncated)
    # Change one weight code inside a valid archive: the digest must catch it.
    loaded = np.load(path)
    arrays = {name: loaded[name] for name in loaded.files}
    arrays["conv1_conv.kernel"] = arrays["conv1_conv.kernel"].copy()
    arrays["conv1_conv.kernel"].flat[0] ^= 1
    tampered = tmp_path / "tampered.bgw.npz"
    np.savez(tampered, **arrays)
    with pytest.raises(weights.WeightFileError, match="checksum"):
        weights.load(tampered)
    with pytest.raises(weights.WeightFileError, match="no such"):
        weights.load(tmp_path / "missing.bgw.npz")


def test_a_weight_file_whose_layers_are_not_the_resnet18s_is_refused(briefly_trained, tmp_path) -> None:
    """A file whose digest is right but whose layer list is not a ResNet18's (one layer dropped, as a foreign
    or hand-edited file would have it) fails on load, naming the file; the list it is checked against is
    the builder's own."""
    import json

    outputs = role("coarse").outputs
    model = build_resnet18(NetworkSpec(2, outputs), bn_freeze=FOLDED)
    assert weights.layer_names(2, outputs) == tuple(layer.name for layer in weights.weighted_layers(model))
    loaded = np.load(briefly_trained.path)
    arrays = {name: loaded[name] for name in loaded.files}
    meta = json.loads(arrays.pop("meta").tobytes())
    dropped = meta["layers"].pop(1)
    del arrays[f"{dropped}.kernel"], arrays[f"{dropped}.bias"]
    meta["sha256"] = weights._digest({n: (arrays[f"{n}.kernel"], arrays[f"{n}.bias"]) for n in meta["layers"]})
    foreign = tmp_path / "foreign.bgw.npz"
    np.savez(foreign, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    with pytest.raises(weights.WeightFileError, match=r"foreign\.bgw\.npz: layer list does not match a width-2"):
        weights.load(foreign)


def test_float_copy_carries_the_trained_weights(briefly_trained) -> None:
    from numpy.lib.stride_tricks import sliding_window_view

    from blurgauge.model.nets.network import float_copy

    spec = NetworkSpec(2)
    quant = build_resnet18(spec, name="coarse")
    quant.set_weights(briefly_trained.trained.get_weights())
    rng = np.random.default_rng(5)
    for layer in quant.layers:  # a trained conv bias stays ~0 under batch norm; make it count
        if isinstance(layer, qkeras.QConv2DBatchnorm):
            layer.bias.assign(rng.normal(0.0, 0.3, layer.bias.shape).astype(np.float32))
    twin = float_copy(quant)
    x = codes_to_input(briefly_trained.codes[:6])

    # The stem in numpy, straight from the quantized layer's float weights: BN(conv + bias) with
    # the moving statistics, no rounding anywhere.
    stem = quant.get_layer("conv1_conv")
    bn = stem.batchnorm
    padded = np.pad(x[..., 0].astype(np.float64), ((0, 0), (3, 3), (3, 3)))
    windows = sliding_window_view(padded, (7, 7), axis=(1, 2))[:, ::2, ::2][:, :64, :64]
    conv = np.einsum("nhwij,ijc->nhwc", windows, stem.kernel.numpy()[:, :, 0, :].astype(np.float64))
    scale = bn.gamma.numpy() / np.sqrt(bn.moving_variance.numpy() + bn.epsilon)
    expect = (conv + stem.bias.numpy() - bn.moving_mean.numpy()) * scale + bn.beta.numpy()
    got = keras.Model(twin.input, twin.get_layer("conv1_conv_bn").output).predict(x, verbose=0)
    np.testing.assert_allclose(got, expect, rtol=1e-4, atol=1e-4)

    # Every other layer, on the twin's own input to it: the quantized layer's float kernel, bias
    # and batch norm, applied by TF's plain convolution. Exact whatever the training left (the
    # briefly trained weights differ from run to run), unlike comparing the two networks' logits.
    import tensorflow as tf

    for layer in quant.layers:
        if isinstance(layer, qkeras.QConv2DBatchnorm):
            probe = keras.Model(twin.input, [twin.get_layer(layer.name).input,
                                             twin.get_layer(f"{layer.name}_bn").output])
            seen, got = probe.predict(x, verbose=0)
            bn = layer.batchnorm
            conv = tf.nn.conv2d(seen, layer.kernel, layer.strides, layer.padding.upper()).numpy()
            scale = bn.gamma.numpy() / np.sqrt(bn.moving_variance.numpy() + bn.epsilon)
            expect = (conv + layer.bias.numpy() - bn.moving_mean.numpy()) * scale + bn.beta.numpy()
            np.testing.assert_allclose(got, expect, rtol=1e-4, atol=1e-4, err_msg=layer.name)
        elif isinstance(layer, qkeras.QDense):
            kernel, bias = twin.get_layer(layer.name).get_weights()
            np.testing.assert_array_equal(kernel, layer.kernel.numpy())
            np.testing.assert_array_equal(bias, layer.bias.numpy())

    # And the twin really runs without the quantizers.
    assert not np.allclose(quant.predict(x, verbose=0), twin.predict(x, verbose=0))


def test_float_copy_refuses_a_folded_network() -> None:
    from blurgauge.model.nets.network import float_copy

    with pytest.raises(ValueError, match="lost its float weights"):
        float_copy(build_resnet18(NetworkSpec(WIDTH), bn_freeze=FOLDED))
