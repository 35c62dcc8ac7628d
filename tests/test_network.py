"""Network family: one structure for all six cascade networks, named layers, weight files."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model import classes, weights
from blurgauge.model.network import FOLDED, NetworkSpec, build_resnet18
from blurgauge.model.preprocess import codes_to_input, input_codes, network_input
from blurgauge.model.roles import CASCADE, ROLES, role
from blurgauge.model.tf_env import keras, qkeras

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
