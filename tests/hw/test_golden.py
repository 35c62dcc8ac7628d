"""The golden integer reference: its primitives, and the whole network against QKeras."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.hw.compiler import golden
from blurgauge.model.inputs.preprocess import codes_to_input
from blurgauge.model.nets import weights
from blurgauge.model.nets.quantizers import FORMATS


def test_round_shift_is_round_half_to_even() -> None:
    rng = np.random.default_rng(0)
    acc = np.concatenate([rng.integers(-10**6, 10**6, 2000), np.arange(-40, 41)])
    for shift in (1, 4, 7):
        expected = np.array([round(a / 2**shift) for a in acc.tolist()])  # Python rounds ties to even
        np.testing.assert_array_equal(golden.round_shift(acc, shift), expected)
    np.testing.assert_array_equal(golden.round_shift(np.array([3, -3]), -2), [12, -12])


def test_requantize_saturates() -> None:
    t = golden.Tensor(np.array([-(10**6), -1, 0, 63, 64, 10**6]), 12)
    out = golden.requantize(t, FORMATS["relu"])
    assert out.codes.tolist() == [0, 0, 0, 0, 0, 255] and out.frac == 5
    signed = golden.requantize(golden.Tensor(np.array([-(10**6), 10**6]), 5), FORMATS["signed"])
    assert signed.codes.tolist() == [-128, 127]


def test_conv2d_matches_direct_loops() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (1, 7, 6, 3))
    kernel = rng.integers(-128, 128, (3, 3, 3, 2)).astype(np.int8)
    bias = rng.integers(-500, 500, 2).astype(np.int16)
    out = golden.conv2d(golden.Tensor(x, 5), kernel, bias, stride=2)
    assert out.frac == 12 and out.codes.shape == (1, 3, 2, 2)
    for i in range(3):
        for j in range(2):
            window = x[0, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3, :]
            for c in range(2):
                expected = int((window * kernel[..., c]).sum()) + (int(bias[c]) << 2)
                assert out.codes[0, i, j, c] == expected


def test_global_average_pool_needs_power_of_two_area() -> None:
    t = golden.Tensor(np.ones((1, 4, 4, 2), dtype=np.int64) * 3, 5)
    out = golden.global_average_pool(t)
    assert out.codes.tolist() == [[48, 48]] and out.frac == 9
    with pytest.raises(ValueError, match="power of two"):
        golden.global_average_pool(golden.Tensor(np.ones((1, 3, 3, 1), dtype=np.int64), 5))


@pytest.mark.slow
def test_network_logits_equal_qkeras_bit_for_bit(briefly_trained) -> None:
    loaded = weights.load(briefly_trained.path)
    model = loaded.build_model()
    codes = briefly_trained.codes
    logits = golden.run_network(model, loaded.layers, codes)
    assert logits.frac == FORMATS["relu"].frac + FORMATS["weight"].frac  # the head multiplies relu codes
    np.testing.assert_array_equal(logits.codes * 2.0**-logits.frac, model.predict(codes_to_input(codes), verbose=0))
