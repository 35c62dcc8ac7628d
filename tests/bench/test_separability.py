"""The classic-estimator yardstick: its autocorrelation map, its scoring and its command."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from bench.studies import separability
from bench.studies.separability import MAX_LAG, MAX_VERTICAL, Samples


def test_autocorrelation_map_equals_direct_sums():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(128, 128))
    ac = separability.autocorrelation_map(g)
    assert ac.shape == (2 * MAX_VERTICAL + 1, MAX_LAG)
    energy = (g * g).sum()
    for dy, dx in [(0, 0), (0, 5), (3, 0), (-7, 40), (100, 109), (-100, 1), (64, 64)]:
        a = g[max(0, -dy) : 128 - max(0, dy), : 128 - dx]
        b = g[max(0, dy) : 128 + min(0, dy), dx:]
        assert ac[MAX_VERTICAL + dy, dx] == pytest.approx((a * b).sum() / energy, abs=1e-9)


def test_a_longer_horizontal_blur_reaches_further():
    # Rows of white noise, each blurred by a box of L px: the gradient stays correlated up to about L.
    rng = np.random.default_rng(1)
    reach = {}
    for length in (4, 40):
        image = np.cumsum(rng.normal(size=(128, 300)), axis=1)
        box = np.ones((1, length)) / length
        blurred = ndimage.convolve(image, box, mode="nearest")[:, length:]
        features = separability.autocorrelation_features(np.diff(blurred, axis=1)[:, :128])
        reach[length] = features[:MAX_LAG][20]  # largest |correlation| at a horizontal lag of 20 px
    assert reach[40] > 0.3 > 0.1 > reach[4]


def _samples(features: np.ndarray, coarse: np.ndarray) -> Samples:
    extent = 5 + 18 * coarse
    return Samples(features, coarse, extent, (np.arange(len(coarse)) % 2).astype(int))


def test_score_finds_what_the_features_carry_and_nothing_more():
    pytest.importorskip("sklearn")  # the studies extra
    rng = np.random.default_rng(2)
    coarse = np.repeat(np.arange(5), 40)
    informative = rng.normal(size=(200, 8)) + 3 * coarse[:, None]
    noise = rng.normal(size=(200, 8))
    good = separability.score(_samples(informative, coarse), trees=30)
    chance = separability.score(_samples(noise, coarse), trees=30)
    assert good.coarse_accuracy > 0.8 and good.relative_error < 0.2
    assert chance.coarse_accuracy < 0.4 and chance.relative_error > 0.3
    assert good.count == 200 and 0 <= good.line_accuracy <= 1


def test_command_writes_the_table(tmp_path):
    pytest.importorskip("sklearn")  # the studies extra
    # A Kodak-like folder: training-split names, images big enough for 95 px kernels.
    from PIL import Image

    from blurgauge.model.data import splits

    data = tmp_path / "data"
    kodak = data / splits.KODAK_FOLDER
    kodak.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for name in sorted(splits.KODAK_TRAIN)[:2]:
        Image.fromarray(rng.integers(0, 256, (260, 260), dtype=np.uint8)).save(kodak / name)
    out = tmp_path / "sep.md"
    assert separability.main(["--data", str(data), "--count", "40", "--workers", "1",
                              "--trees", "20", "--variants", "training", "--out", str(out)]) == 0
    text = out.read_text()
    assert "--count 40 --seed 7 --trees 20 --variants training" in text
    assert "| the training data (recipe)" in text and "| 40 |" in text
    with pytest.raises(SystemExit):
        separability.main(["--data", str(data), "--count", "10"])
