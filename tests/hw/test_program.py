"""The core program: weight layout, binary image, strict reader, exporter, and its execution."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace

import numpy as np
import pytest

from blurgauge.hw.compiler import golden
from blurgauge.hw.compiler import program as prog
from blurgauge.model.inputs.preprocess import codes_to_input
from blurgauge.model.nets import weights
from blurgauge.model.nets.quantizers import FORMATS


@pytest.fixture(scope="module")
def exported(briefly_trained):
    from blurgauge.hw.compiler.cascade_programs import build_program

    return build_program(briefly_trained.path, lanes=4)


@pytest.mark.parametrize("shape", [(3, 3, 5, 7), (1, 1, 8, 4), (7, 7, 1, 6), (1, 1, 9, 8)])
@pytest.mark.parametrize("taps", [False, True])
def test_weight_tiles_round_trip(shape, taps) -> None:
    rng = np.random.default_rng(sum(shape))
    w = rng.integers(-128, 128, shape).astype(np.int8)
    stream = prog.tile_weights(w, 4, taps)
    assert stream.size % 16 == 0  # whole 4 x 4 tiles
    np.testing.assert_array_equal(prog.untile_weights(stream, shape, 4, taps), w)


def test_weight_tile_order_is_the_documented_one() -> None:
    # 1x1 kernel, 2 input and 2 output channels, lanes 2: one tile, output channel major.
    w = np.array([[[[1, 2], [3, 4]]]], np.int8)  # w[0, 0, cin, cout]
    assert prog.tile_weights(w, 2, False).tolist() == [1, 3, 2, 4]
    # taps on lanes: a 2x2 single-channel kernel, one output, lanes 2: two tap blocks.
    taps = np.arange(1, 5, dtype=np.int8).reshape(2, 2, 1, 1)
    assert prog.tile_weights(taps, 2, True).tolist() == [1, 2, 0, 0, 3, 4, 0, 0]


def test_untile_refuses_codes_in_the_padding() -> None:
    w = np.ones((1, 1, 3, 3), np.int8)
    stream = prog.tile_weights(w, 4, False)
    stream[-1] = 5
    with pytest.raises(prog.ProgramError, match="padding"):
        prog.untile_weights(stream, w.shape, 4, False)


def test_exported_program_follows_the_network_and_the_formats(exported) -> None:
    layers = exported.layers
    assert [layer.op_name for layer in layers].count("conv") == 20
    assert layers[0].name == "conv1_conv" and layers[0].flags & prog.FLAG_TAPS_ON_LANES
    assert layers[1].op_name == "maxpool" and layers[1].pad == (0, 1, 0, 1)
    assert layers[-2].op_name == "gap" and layers[-1].op_name == "dense"
    relu, signed, wf, bf = FORMATS["relu"], FORMATS["signed"], FORMATS["weight"].frac, FORMATS["bias"].frac
    assert exported.input_frac == FORMATS["input"].frac
    stem = layers[0]
    assert stem.out_shift == FORMATS["input"].frac + wf - relu.frac
    assert stem.bias_shift == FORMATS["input"].frac + wf - bf
    for layer in layers[2:-2]:
        assert layer.out_frac == relu.frac and layer.out_shift == relu.frac + wf - relu.frac
        if layer.flags & prog.FLAG_RESIDUAL:
            assert layer.out_format == prog.Format(8, signed.signed) and layer.post_format == prog.Format(8, False)
    assert sum(bool(layer.flags & prog.FLAG_RESIDUAL) for layer in layers) == 8
    assert all(layer.dst != prog.INPUT_SLOT for layer in layers)
    assert all(layer.flags & prog.FLAG_ROUND and layer.flags & prog.FLAG_SATURATE for layer in layers)
    assert exported.logits_frac == relu.frac + wf
    from blurgauge.model import classes

    assert exported.class_table == [classes.range_bounds(k) for k in range(5)] + [(0, 0)] * 3


def test_image_round_trips_and_runs_like_the_keras_walk_and_qkeras(exported, briefly_trained) -> None:
    blob = prog.pack(exported)
    back = prog.unpack(blob)
    assert prog.pack(back) == blob
    assert back.structure_id == exported.structure_id and back.role == "coarse"
    codes = briefly_trained.codes
    out = golden.run_program(back, codes)
    loaded = weights.load(briefly_trained.path)
    walk = golden.run_network(loaded.build_model(), loaded.layers, codes)
    np.testing.assert_array_equal(out, walk.codes)
    qkeras = briefly_trained.trained.predict(codes_to_input(codes), verbose=0)
    np.testing.assert_array_equal(out * 2.0**-back.logits_frac, qkeras)


def test_networks_converted_one_after_another_each_keep_their_weights(six_networks, briefly_trained) -> None:
    """Conversions of one shape share one Keras model (``weights.shared_folded_model``): two networks
    converted in turn each give their own network's logits, against a model built from each weight file."""
    from blurgauge.hw.compiler.cascade_programs import build_program

    codes = briefly_trained.codes[:4]
    outs = {}
    for name in ("fine1", "fine2"):
        program = build_program(six_networks / f"{name}.bgw.npz", 4, name, cache=False)
        outs[name] = golden.run_program(program, codes)
        fresh = weights.load(six_networks / f"{name}.bgw.npz").build_model()
        np.testing.assert_array_equal(outs[name] * 2.0**-program.logits_frac,
                                      fresh.predict(codes_to_input(codes), verbose=0))
    assert not np.array_equal(outs["fine1"], outs["fine2"])


def _rewrite_header(blob: bytes, **fields) -> bytes:
    names = [name for name, _, _ in prog.HEADER]
    head_struct = struct.Struct("<" + "".join(code for _, code, _ in prog.HEADER))
    values = dict(zip(names, head_struct.unpack_from(blob), strict=True))
    values.update(fields)
    packed = head_struct.pack(*values.values())
    values["header_crc"] = zlib.crc32(packed[:-4])
    return head_struct.pack(*values.values()) + blob[prog.HEADER_BYTES:]


def test_reader_refuses_damaged_images(exported, tmp_path) -> None:
    blob = prog.pack(exported)
    cases = {
        "shorter than": blob[:10],
        "truncated": blob[:-16],
        "not a core program": b"XXXX" + blob[4:],
        "header CRC": blob[:8] + bytes([blob[8] ^ 1]) + blob[9:],
        "payload CRC": blob[:-1] + bytes([blob[-1] ^ 0x40]),
        f"format version {prog.FORMAT_VERSION + 1}": _rewrite_header(blob, version=prog.FORMAT_VERSION + 1),
        "batch_from 3, the layer table allows 2": _rewrite_header(blob, batch_from=3),
        "unknown network id": _rewrite_header(blob, network_id=9),
    }
    for message, bad in cases.items():
        path = tmp_path / "bad.bgcp"
        path.write_bytes(bad)
        with pytest.raises(prog.ProgramError, match=message) as info:
            prog.load(path)
        assert str(path) in str(info.value)
    with pytest.raises(prog.ProgramError, match="cannot read"):
        prog.load(tmp_path / "missing.bgcp")
    path = prog.save(exported, tmp_path / "good.bgcp")
    with pytest.raises(prog.ProgramError, match="the core runs"):
        prog.load(path, expect_structure=exported.structure_id ^ 1)
    assert prog.load(path, expect_structure=exported.structure_id).structure_id == exported.structure_id


def test_check_refuses_broken_structure(exported) -> None:
    layers = [replace(layer) for layer in exported.layers]
    layers[3] = replace(layers[3], src=7)
    with pytest.raises(prog.ProgramError, match="reads slot 7"):
        prog.check(replace(exported, layers=layers))
    layers = [replace(layer) for layer in exported.layers]
    layers[2] = replace(layers[2], dst=prog.INPUT_SLOT)
    with pytest.raises(prog.ProgramError, match="writes the input slot"):
        prog.check(replace(exported, layers=layers))


def test_structure_id_ignores_weights_only(exported) -> None:
    from blurgauge.hw.compiler.cascade_programs import check_homogeneous

    rng = np.random.default_rng(5)
    def scrambled(w):
        return None if w is None else rng.integers(-9, 9, w.shape).astype(np.int8)

    other = replace(exported, role="fine1", layers=[replace(layer, weights=scrambled(layer.weights))
                                                    for layer in exported.layers])
    assert other.structure_id == exported.structure_id
    assert check_homogeneous({"coarse": exported, "fine1": other}) == exported.structure_id
    wider = replace(exported, role="fine2", layers=[replace(layer, out_shift=layer.out_shift + 1)
                                                    for layer in exported.layers])
    with pytest.raises(prog.ProgramError, match="fine2 differ"):
        check_homogeneous({"coarse": exported, "fine2": wider})
    swapped = prog.with_weights_of(exported, other)
    assert swapped.role == "fine1" and swapped.layers[0].weights is other.layers[0].weights


def test_requantize_truncates_and_wraps_when_the_flags_say_so() -> None:
    acc = np.array([-300, -5, 5, 6, 7, 300, 1000])
    fmt = prog.Format(8, True)
    both = prog.FLAG_ROUND | prog.FLAG_SATURATE
    assert golden._requantize(acc, 1, fmt, both).tolist() == [-128, -2, 2, 3, 4, 127, 127]
    assert golden._requantize(acc, 1, fmt, prog.FLAG_SATURATE).tolist() == [-128, -3, 2, 3, 3, 127, 127]
    assert golden._requantize(acc, 1, fmt, prog.FLAG_ROUND).tolist() == [106, -2, 2, 3, 4, -106, -12]
    assert golden._requantize(acc, 0, prog.Format(8, False), both).tolist() == [0, 0, 5, 6, 7, 255, 255]


@pytest.mark.slow
def test_the_papers_width_64_runs_through_export_and_the_golden_reference() -> None:
    from blurgauge.hw.compiler import hls
    from blurgauge.hw.compiler.export import from_hls_model
    from blurgauge.model.nets.network import FOLDED, NetworkSpec, build_resnet18
    from blurgauge.model.nets.roles import role

    rng = np.random.default_rng(64)
    shapes = {layer.name: (layer.kernel.shape, layer.bias.shape)
              for layer in weights.weighted_layers(build_resnet18(NetworkSpec(64), bn_freeze=FOLDED))}
    # Small random codes keep the activations inside their formats, so the check is not all saturation.
    layers = {name: (rng.integers(-3, 4, k).astype(np.int8), rng.integers(-200, 200, b).astype(np.int16))
              for name, (k, b) in shapes.items()}
    model = weights.NetworkWeights(role("coarse"), 64, layers, {}).build_model()
    program = prog.unpack(prog.pack(from_hls_model(hls.convert(model, write=False), "coarse", 64)))
    assert [layer.out_shape[2] for layer in program.layers if layer.op_name == "conv"][-1] == 512
    assert program.slot_bytes == 64 * 64 * 64
    codes = rng.integers(-40, 40, (2, 128, 128))
    logits = golden.run_program(program, codes) * 2.0**-program.logits_frac
    np.testing.assert_array_equal(logits, model.predict(codes_to_input(codes), verbose=0))
    assert np.ptp(logits) > 0


def test_batch_from_is_the_first_layer_after_the_stem_and_pool() -> None:
    """ResNet18 at both targets' widths batches from conv2 on: the stem's output fills the largest tensor's
    slot, the max-pool's output (conv2's input) is a quarter of it, and nothing later reads the stem's."""
    from blurgauge.hw.compiler import cost

    for width, lanes in ((16, 16), (64, 32), (2, 4)):
        structure = cost.structure_program(width=width, lanes=lanes)
        k = prog.batch_from(structure)
        assert k == 2 and structure.layers[k].name.startswith("conv2_block1_1"), (width, k)
        largest = max(prog.tensor_bytes(layer.out_shape, lanes) for layer in structure.layers)
        for layer in structure.layers[k:]:
            assert 2 * prog.tensor_bytes(layer.in_shape, lanes) <= largest
            assert 2 * prog.tensor_bytes(layer.out_shape, lanes) <= largest


def test_batch_from_refuses_a_prefix_that_a_batch_would_overwrite() -> None:
    """Slot assignments under which the second map's prefix would destroy a tensor the batch still reads:
    the boundary's slot written earlier in the prefix, or a later layer reading another prefix tensor."""
    from blurgauge.hw.compiler import cost

    structure = cost.structure_program(width=16, lanes=16)
    layers = structure.layers
    assert prog.batch_from(structure) == 2
    # the stem writes the max-pool's slot too: map B's stem would overwrite map A's pooled tensor
    stem_into_boundary = replace(structure, layers=[replace(layers[0], dst=layers[1].dst), *layers[1:]])
    assert prog.batch_from(stem_into_boundary) != 2
    # the stem writes slot 3, which no body layer writes before conv2's second convolution adds it: that
    # layer reads a prefix tensor other than the boundary, which map B's prefix run has overwritten
    res_from_stem = [replace(layers[0], dst=3), replace(layers[1], src=3), *layers[2:]]
    second = res_from_stem[3]
    assert second.flags & prog.FLAG_RESIDUAL and res_from_stem[2].dst != 3
    res_from_stem[3] = replace(second, res=3)
    assert prog.batch_from(replace(structure, layers=res_from_stem[:4])) == 0
    assert prog.batch_from(replace(structure, layers=[*res_from_stem[:3], layers[3]])) == 2
