"""Sharded datasets: deterministic whatever the worker count, resumable, consistent labels."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from blurgauge.model import classes
from blurgauge.model.data.dataset import DatasetError, build_dataset, load_dataset
from blurgauge.model.data.synthesis import SynthesisConfig, balanced_extent, make_sample, sample_image
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, IMAGE, Preprocessing

COUNT, SHARD, SEED = 12, 5, 3  # three shards: 5 + 5 + 2
# Extent bounds in the middle of fine intervals ((9,11] and (59,61]), so clamping matters.
CFG = SynthesisConfig(image_size=160, min_extent=11, max_extent=60, noise_min=0.002, noise_max=0.008)
SHARDS = ["shard-00000.npz", "shard-00001.npz", "shard-00002.npz"]
# Coarse ranges of the spec, inclusive extents.
SPEC_RANGES = [(3, 19), (20, 35), (36, 49), (50, 63), (64, 95)]


def build(root: Path, workers: int, seed: int = SEED, cfg: SynthesisConfig = CFG) -> Path:
    return build_dataset(root, COUNT, cfg, seed=seed, shard_size=SHARD, workers=workers, progress=False)


def assert_same_arrays(a, b) -> None:
    assert a.arrays.keys() == b.arrays.keys()
    for name in a.arrays:
        x, y = a[name], b[name]
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("serial"), workers=1)


@pytest.fixture
def copy_of_serial(serial, tmp_path) -> Path:
    return Path(shutil.copytree(serial, tmp_path / "copy"))


def test_layout(serial):
    assert sorted(p.name for p in serial.iterdir()) == ["manifest.json", *SHARDS]
    data = load_dataset(serial)
    assert len(data) == COUNT
    assert data["patch"].shape == (COUNT, 128, 128) and data["patch"].dtype == np.int16


def test_worker_count_does_not_change_the_data(serial, tmp_path):
    parallel = build(tmp_path / "parallel", workers=2)
    a, b = load_dataset(serial), load_dataset(parallel)
    assert a.manifest == b.manifest
    assert_same_arrays(a, b)


def test_rows_are_make_sample_in_index_order(serial):
    data = load_dataset(serial)
    for index in (0, 6, 11):  # one sample from each shard
        sample = make_sample(SEED, index, CFG)
        np.testing.assert_array_equal(data["patch"][index], sample["patch"])
        for name in ("extent", "fine", "coarse", "other_extent", "axis", "line"):
            assert data[name][index] == sample[name], (index, name)


def test_image_maps_are_the_hosts_whole_image_codes_beside_unchanged_samples(serial, tmp_path):
    cfg = SynthesisConfig(**{**CFG.__dict__, "image_map": True})
    maps, plain = load_dataset(build(tmp_path / "maps", workers=1, cfg=cfg)), load_dataset(serial)
    assert maps.arrays.keys() - plain.arrays.keys() == {"image_map"}
    for name in plain.arrays:  # the map draws nothing: the samples stay those of the plain build
        assert maps[name].tobytes() == plain[name].tobytes(), name
    assert maps.manifest["synthesis"]["image_map"] is True and "image_map" not in plain.manifest["synthesis"]
    host = Preprocessing(transform=AUTOCORRELATION)
    for i in range(COUNT):  # what the host reads of the same image in the image region, axis by axis
        made, axis = sample_image(SEED, i, cfg)
        assert np.array_equal(maps["image_map"][i], host.axis_codes(made.blurry, region=IMAGE)[axis][0]), i
    assert maps["image_map"].dtype == np.int8 and maps["image_map"].shape == (COUNT, 128, 128)


def test_resume_rebuilds_only_the_missing_shard(serial, copy_of_serial):
    (copy_of_serial / SHARDS[1]).unlink()
    stale = copy_of_serial / "shard-00001.tmp99999.npz"
    stale.write_bytes(b"left over from an interrupted build")
    kept = {name: (copy_of_serial / name).stat().st_mtime_ns for name in (SHARDS[0], SHARDS[2])}
    build(copy_of_serial, workers=1)
    assert not stale.exists()
    assert {name: (copy_of_serial / name).stat().st_mtime_ns for name in kept} == kept
    assert_same_arrays(load_dataset(serial), load_dataset(copy_of_serial))


@pytest.mark.parametrize(
    ("seed", "cfg"),
    [(SEED + 1, CFG), (SEED, SynthesisConfig(image_size=161, min_extent=11, max_extent=60,
                                             noise_min=0.002, noise_max=0.008))],
)
def test_other_parameters_are_refused(copy_of_serial, seed, cfg):
    before = {p.name: p.read_bytes() for p in copy_of_serial.iterdir()}
    with pytest.raises(DatasetError):
        build(copy_of_serial, workers=1, seed=seed, cfg=cfg)
    assert {p.name: p.read_bytes() for p in copy_of_serial.iterdir()} == before


def test_labels_are_consistent(serial):
    data = load_dataset(serial)
    extent = data["extent"].astype(int)
    assert np.all((extent >= CFG.min_extent) & (extent <= CFG.max_extent))
    np.testing.assert_array_equal(data["fine"], classes.fine_class(extent))
    np.testing.assert_array_equal(data["coarse"], classes.coarse_of_fine(data["fine"].astype(int)))
    for e, coarse in zip(extent, data["coarse"], strict=True):
        lo, hi = SPEC_RANGES[coarse]
        assert lo <= e <= hi
    other = data["other_extent"].astype(int)
    assert np.all((other >= 1) & (other <= 95))
    assert set(data["axis"].tolist()) <= {0, 1}
    assert set(data["line"].tolist()) <= {0, 1}
    assert np.all((data["noise"] >= np.float32(CFG.noise_min)) & (data["noise"] <= np.float32(CFG.noise_max)))
    # The stored std is the standard deviation of the stored patch.
    std = data["patch"].reshape(COUNT, -1).astype(np.float64).std(axis=1)
    np.testing.assert_allclose(data["std"], std, rtol=1e-5)
    assert np.all(std > 0)


def test_samples_are_distinct(serial):
    patches = load_dataset(serial)["patch"].reshape(COUNT, -1)
    assert len({row.tobytes() for row in patches}) == COUNT


@pytest.mark.parametrize(("lo", "hi"), [(11, 60), (3, 95), (40, 40), (64, 66), (94, 95)])
def test_balanced_extent_stays_in_bounds_and_balances_intervals(lo, hi):
    rng = np.random.default_rng(lo * 100 + hi)
    draws = np.array([balanced_extent(rng, lo, hi) for _ in range(3000)])
    assert draws.min() >= lo and draws.max() <= hi
    assert set(draws.tolist()) == set(range(lo, hi + 1))  # every extent in range can occur
    # Uniform over the fine intervals that meet [lo, hi]: each gets about 3000 / n draws.
    fine = classes.fine_class(draws)
    touched = sorted({int(f) for f in classes.fine_class(np.arange(lo, hi + 1))})
    counts = np.array([np.count_nonzero(fine == f) for f in touched])
    expected = len(draws) / len(touched)
    assert np.all(np.abs(counts - expected) < 4 * np.sqrt(expected) + 1)


def test_missing_shard_is_named(copy_of_serial):
    (copy_of_serial / SHARDS[2]).unlink()
    with pytest.raises(DatasetError) as info:
        load_dataset(copy_of_serial)
    assert SHARDS[2] in str(info.value)


def test_damaged_shard_is_named(copy_of_serial):
    shard = copy_of_serial / SHARDS[1]
    shard.write_bytes(shard.read_bytes()[:300])  # truncated, e.g. by an interrupted copy
    with pytest.raises(DatasetError) as info:
        load_dataset(copy_of_serial)
    assert SHARDS[1] in str(info.value)


def test_damaged_manifest_is_named(copy_of_serial):
    (copy_of_serial / "manifest.json").write_text('{"format_version": 1, "count":')
    with pytest.raises(DatasetError) as info:
        load_dataset(copy_of_serial)
    assert "manifest.json" in str(info.value)


def test_missing_manifest(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_dataset(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_make_sample_is_deterministic():
    a, b = make_sample(SEED, 4, CFG), make_sample(SEED, 4, CFG)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    c = make_sample(SEED, 5, CFG)
    assert not np.array_equal(a["patch"], c["patch"])
    d = make_sample(SEED + 1, 4, CFG)
    assert not np.array_equal(a["patch"], d["patch"])


def test_user_image_folder_is_a_sharp_source(tmp_path):
    from PIL import Image

    from blurgauge.model.data.synthesis import SynthesisConfig, make_sample

    folder = tmp_path / "mine"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((300, 320)) * 255).astype(np.uint8)).save(folder / "a.png")
    Image.fromarray((rng.random((100, 100)) * 255).astype(np.uint8)).save(folder / "too_small.png")
    cfg = SynthesisConfig(image_size=160, image_folder=str(folder))
    sample = make_sample(3, 0, cfg)
    assert sample["patch"].shape == (128, 128)
    assert np.array_equal(sample["patch"], make_sample(3, 0, cfg)["patch"])
    assert "image_folder" in cfg.as_dict() and "image_folder" not in SynthesisConfig().as_dict()


def test_evaluation_folders_are_refused_as_training_source(tmp_path):
    from blurgauge.model.data.synthesis import SynthesisConfig, make_sample

    test_set = tmp_path / "natural_BSD68"
    test_set.mkdir()
    with pytest.raises(ValueError, match="evaluation data"):
        make_sample(0, 0, SynthesisConfig(image_size=160, image_folder=str(test_set)))


def test_curve_share_enters_the_manifest_only_when_on():
    assert "curve_fraction" not in SynthesisConfig().as_dict()
    assert SynthesisConfig(curve_fraction=0.3).as_dict()["curve_fraction"] == 0.3
    with pytest.raises(ValueError, match="line_fraction \\+ curve_fraction must not exceed 1"):
        SynthesisConfig(line_fraction=0.5, curve_fraction=0.6)
