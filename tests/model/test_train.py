"""A tiny training run end to end: dataset -> trainer -> checkpoint -> resume -> weight file."""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import blurgauge.model.training.train as train_module
from blurgauge.model.data.dataset import build_dataset, load_dataset
from blurgauge.model.data.synthesis import SynthesisConfig
from blurgauge.model.inputs.preprocess import (
    Preprocessing,
    autocorrelation,
    codes_to_input,
    image_map_codes,
    network_input,
)
from blurgauge.model.nets import weights
from blurgauge.model.nets.network import NetworkSpec, build_resnet18
from blurgauge.model.nets.weight_meta import read_meta
from blurgauge.model.training.config import TrainConfig
from blurgauge.model.training.train import (
    RunError,
    _augment_map,
    _inputs,
    _load_or_create_config,
    _load_teachers,
    _prepare,
    _teacher_sources,
    _teacher_targets,
    train,
)


@pytest.fixture(scope="module")
def coarse_run(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny dataset and a one-epoch coarse run on it, shared by the tests below (training is slow)."""
    root = tmp_path_factory.mktemp("train")
    data = build_dataset(root / "data", 24, SynthesisConfig(image_size=160), seed=5,
                         shard_size=12, workers=1, progress=False)
    run = root / "coarse"
    train(TrainConfig(role="coarse", width=2, epochs=1, batch_size=8, val_size=8), data, data, run, verbose=0)
    return data, run


@pytest.mark.slow
def test_tiny_training_run_checkpoints_and_resumes(coarse_run, tmp_path, monkeypatch) -> None:
    # the resumed run traced into a graph, as every real run is (the other tests' runs are short enough to run
    # eagerly: train.EAGER_MAX_STEPS)
    monkeypatch.setattr(train_module, "EAGER_MAX_STEPS", 0)
    data, first = coarse_run
    run = Path(shutil.copytree(first, tmp_path / "run"))
    assert weights.load(run / "best.bgw.npz").role.name == "coarse"
    assert (run / "curves.png").stat().st_size > 0
    # Resume with one more epoch: history grows by one row, the first is kept.
    train(TrainConfig(role="coarse", width=2, epochs=2, batch_size=8, val_size=8), data, data, run, verbose=0)
    with (run / "history.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(float(r["epoch"])) for r in rows] == [1, 2]
    with pytest.raises(RunError, match="width"):
        train(TrainConfig(role="coarse", width=4, epochs=3, batch_size=8), data, data, run, verbose=0)


@pytest.mark.slow
def test_init_from_copies_the_backbone_not_the_head(coarse_run, tmp_path) -> None:
    import h5py
    import numpy as np

    data, source = coarse_run
    target = tmp_path / "fine1"
    cfg = TrainConfig(role="fine1", width=2, epochs=1, batch_size=8, val_size=8, lr=0.0,
                      init_from=str(source))
    train(cfg, data, data, target, verbose=0)
    # With lr 0 the backbone arrives unchanged from the coarse run. The heads have the same shape
    # (8 outputs), so only the trainer's reset keeps the coarse head out of the fine network.
    with h5py.File(source / "model_weights.h5") as a, h5py.File(target / "model_weights.h5") as b:
        for name in ("conv1_conv/conv1_conv/kernel:0", "conv5_block2_2_conv/conv5_block2_2_conv/kernel:0"):
            np.testing.assert_array_equal(a[name][()], b[name][()])
        head = "logits/logits/kernel:0"
        assert a[head].shape == b[head].shape == (16, 8)
        assert not np.array_equal(a[head][()], b[head][()])


@pytest.mark.slow
def test_the_noise_floor_and_the_input_transform_go_to_the_weight_file(coarse_run, tmp_path) -> None:
    """The data's noise floor and the config's input transform, both away from their defaults in one run."""
    data, plain = coarse_run
    floored = build_dataset(tmp_path / "floored", 16, SynthesisConfig(image_size=160, noise_floor=0.01), seed=6,
                            shard_size=16, workers=1, progress=False)
    config = TrainConfig(role="coarse", width=2, epochs=1, batch_size=8, val_size=8, input_transform="autocorrelation")
    mismatch = r"floored was built with noise floor 0\.01, the validation set .*data with 0\.0"
    with pytest.raises(ValueError, match=mismatch):
        train(config, floored, data, tmp_path / "mixed", verbose=0)
    best = train(config, floored, floored, tmp_path / "run", verbose=0)
    assert weights.load(best).preprocessing == Preprocessing(0.01, "autocorrelation")
    meta = read_meta(tmp_path / "run" / "last.bgw.npz")  # without TensorFlow
    assert (meta["noise_floor"], meta["input_transform"]) == (0.01, "autocorrelation")
    assert weights.load(plain / "best.bgw.npz").preprocessing == Preprocessing(0.0, "gradient")


def test_a_backbone_serves_only_the_input_it_learned_on(coarse_run, tmp_path) -> None:
    data, plain = coarse_run
    fine = TrainConfig(role="fine1", width=2, epochs=1, batch_size=8, val_size=8, init_from=str(plain),
                       input_transform="autocorrelation")
    with pytest.raises(RunError, match="gradient input, this run the autocorrelation"):
        train(fine, data, data, tmp_path / "fine", verbose=0)
    with pytest.raises(ValueError, match="unknown input transform 'fourier'"):
        TrainConfig(role="coarse", input_transform="fourier")


def test_map_augmentation_reverses_the_lag_across_the_axis_as_the_mirrors_do() -> None:
    rng = np.random.default_rng(0)
    grad = rng.standard_normal((150, 200))
    a = autocorrelation(grad, 128)

    def reversed_lags(m: np.ndarray) -> np.ndarray:
        return np.concatenate([m[:1], m[:0:-1]])  # row 0 (dy = -64) has no stored partner and stays

    # The three augmentations of a gradient patch: mirror left-right, mirror up-down, invert.
    for mirrored, want in ((-grad[:, ::-1], reversed_lags(a)), (grad[::-1, :], reversed_lags(a)), (-grad, a)):
        np.testing.assert_allclose(autocorrelation(mirrored, 128)[1:], want[1:], atol=1e-9)
    codes = np.repeat(image_map_codes(grad)[None], 200, axis=0)
    flipped = reversed_lags(codes[0])
    out = _augment_map(codes, np.random.default_rng(1))
    same = [np.array_equal(o, codes[0]) for o in out]
    assert all(s or np.array_equal(o, flipped) for s, o in zip(same, out, strict=True))
    assert 60 < sum(same) < 140  # each mirror half of the time, so the map flips half of the time


@pytest.mark.slow
def test_the_image_region_trains_on_the_stored_maps(coarse_run, tmp_path) -> None:
    plain, _ = coarse_run
    maps = build_dataset(tmp_path / "maps", 16, SynthesisConfig(image_size=160, image_map=True), seed=6,
                         shard_size=16, workers=1, progress=False)
    config = TrainConfig(role="coarse", width=2, epochs=1, batch_size=8, val_size=8,
                         input_transform="autocorrelation", input_region="image")
    with pytest.raises(ValueError, match=r"data: holds no whole-image maps.*--image-map"):
        train(config, plain, maps, tmp_path / "without", verbose=0)
    best = train(config, maps, maps, tmp_path / "run", verbose=0)
    assert weights.load(best).preprocessing.transform == "autocorrelation"
    assert read_meta(best)["provenance"]["config"]["input_region"] == "image"
    with pytest.raises(ValueError, match="image region needs networks that read the autocorrelation"):
        TrainConfig(role="coarse", input_region="image")
    # Teachers read the whole-image maps where the dataset stores them, whatever region the student reads.
    student = replace(config, input_region="patch")
    assert set(_teacher_sources(load_dataset(maps), student)) == {"image_map"}
    assert set(_teacher_sources(load_dataset(plain), student)) == {"patch"}
    mixed = train(replace(config, input_region="mixed"), maps, maps, tmp_path / "mixed", verbose=0)
    assert read_meta(mixed)["provenance"]["config"]["input_region"] == "mixed"
    with pytest.raises(ValueError, match=r"data: holds no whole-image maps, which input region 'mixed' reads"):
        train(replace(config, input_region="mixed"), plain, maps, tmp_path / "mixed-without", verbose=0)
    with pytest.raises(ValueError, match="image region needs networks that read the autocorrelation"):
        TrainConfig(role="coarse", input_region="mixed")
    with pytest.raises(ValueError, match="unknown input region 'tile'"):
        TrainConfig(role="coarse", input_region="tile", input_transform="autocorrelation")


def test_mixed_inputs_take_each_sample_from_its_patch_or_its_map_at_random() -> None:
    rng = np.random.default_rng(3)
    sources = {"patch": rng.integers(-50, 50, (400, 128, 128)).astype(np.int16),
               "image_map": np.zeros((400, 128, 128), np.int8)}  # all-zero maps: rows from a map are zero
    from_patch = network_input(sources["patch"][:4], "autocorrelation")
    assert np.abs(from_patch).max() > 0
    out = _inputs(sources, "autocorrelation", "mixed", np.random.default_rng(4))
    zero = ~out.reshape(len(out), -1).any(axis=1)
    assert 150 < zero.sum() < 250  # half from the maps
    # Without augmentation, the image region reads only the maps and the patch region only the patches.
    np.testing.assert_array_equal(_inputs(sources, "autocorrelation", "image"), codes_to_input(sources["image_map"]))
    np.testing.assert_array_equal(_inputs({"patch": sources["patch"][:4]}, "autocorrelation", "patch"), from_patch)


@pytest.mark.slow
def test_a_run_with_teachers_learns_their_softmax_mixed_with_the_labels(coarse_run, tmp_path) -> None:
    data, first = coarse_run
    teacher = str(first / "best.bgw.npz")
    cfg = TrainConfig(role="coarse", width=2, epochs=1, batch_size=8, val_size=8, teachers=(teacher, teacher),
                      teacher_weight=0.25)
    sources, labels = _prepare(load_dataset(data), cfg, "patch")
    targets = _teacher_targets(cfg, _load_teachers(cfg), sources, labels)
    assert targets.shape == (len(labels), 8)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(targets[np.arange(len(labels)), labels] >= 0.75 - 1e-6)  # the label keeps its share
    assert np.all(targets[:, 5:] == 0)  # the coarse head's unused outputs
    # Two copies of one teacher teach what one does.
    one = replace(cfg, teachers=(teacher,))
    np.testing.assert_allclose(_teacher_targets(one, _load_teachers(one), sources, labels), targets, rtol=1e-6)
    run = tmp_path / "student"
    best = train(cfg, data, data, run, verbose=0)
    assert read_meta(best)["provenance"]["config"]["teachers"] == [teacher, teacher]
    # A longer run resumes it: the stored list of teachers equals the tuple (training's resume itself is
    # test_tiny_training_run_checkpoints_and_resumes's).
    _load_or_create_config(run, replace(cfg, epochs=2))
    with pytest.raises(RunError, match="teacher_weight"):
        train(replace(cfg, epochs=3, teacher_weight=0.5), data, data, run, verbose=0)
    fine = weights.save(tmp_path / "fine1.bgw.npz", build_resnet18(NetworkSpec(2, 8), name="fine1"), "fine1", 2, {})
    with pytest.raises(ValueError, match="a fine1 network cannot teach a coarse network"):
        _load_teachers(replace(cfg, teachers=(str(fine),)))
    with pytest.raises(ValueError, match="a fine1 network cannot teach"):  # before the run folder exists
        train(replace(cfg, teachers=(str(fine),)), data, data, tmp_path / "refused", verbose=0)
    assert not (tmp_path / "refused").exists()
    with pytest.raises(ValueError, match=r"teacher_weight must lie in \(0, 1\]"):
        TrainConfig(role="coarse", teacher_weight=0.0)
