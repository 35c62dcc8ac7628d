"""The difference-order study's maps and its paired datasets, on a tiny generated set."""

from __future__ import annotations

import json

import numpy as np

from bench.studies import difference_order as do
from blurgauge.model.data.dataset import build_dataset, load_dataset
from blurgauge.model.data.synthesis import SynthesisConfig
from blurgauge.model.inputs.patches import horizontal_gradient
from blurgauge.model.inputs.preprocess import PATCH_SIZE, _scaled_codes, autocorrelation, image_map_codes


def test_the_second_order_map_is_the_autocorrelation_of_the_second_difference():
    image = np.random.default_rng(0).integers(0, 256, (200, 240)).astype(np.uint8)
    reference = np.diff(image.astype(np.float64), n=2, axis=1)
    assert np.array_equal(do.map_codes(image, "second"), _scaled_codes(autocorrelation(reference, PATCH_SIZE)))
    assert np.array_equal(do.map_codes(image, "first"), image_map_codes(horizontal_gradient(image)))
    assert not np.array_equal(do.map_codes(image, "second"), do.map_codes(image, "first"))


def test_pair_keeps_every_field_but_the_map_and_regenerates_the_same_images(tmp_path):
    cfg = SynthesisConfig(image_map=True, image_size=160)
    src = build_dataset(tmp_path / "src", count=8, cfg=cfg, seed=4, shard_size=4, workers=1, progress=False)
    do.pair(src, 8, tmp_path / "pair", workers=1)
    first, second = load_dataset(tmp_path / "pair" / "first"), load_dataset(tmp_path / "pair" / "second")
    original = load_dataset(src)
    for name in original.arrays:
        if name != "image_map":
            assert np.array_equal(first[name], original[name]) and np.array_equal(second[name], original[name])
    assert np.array_equal(first["image_map"], original["image_map"])
    assert not np.array_equal(second["image_map"], original["image_map"])
    assert json.loads((tmp_path / "pair" / "second" / "manifest.json").read_text())["count"] == 8
