"""A tiny training run end to end: dataset -> trainer -> checkpoint -> resume -> weight file."""

from __future__ import annotations

import csv

import pytest

from blurgauge.model import weights
from blurgauge.model.dataset import build_dataset
from blurgauge.model.synthesis import SynthesisConfig
from blurgauge.model.train import RunError, TrainConfig, train


@pytest.mark.slow
def test_tiny_training_run_checkpoints_and_resumes(tmp_path) -> None:
    data = build_dataset(tmp_path / "data", 24, SynthesisConfig(image_size=160), seed=5,
                         shard_size=12, workers=1, progress=False)
    cfg = TrainConfig(role="coarse", width=2, epochs=1, batch_size=8, val_size=8)
    run = tmp_path / "run"
    best = train(cfg, data, data, run, verbose=0)
    assert weights.load(best).role.name == "coarse"
    assert (run / "curves.png").stat().st_size > 0
    # Resume with one more epoch: history grows by one row, the first is kept.
    train(TrainConfig(role="coarse", width=2, epochs=2, batch_size=8, val_size=8), data, data, run, verbose=0)
    with (run / "history.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(float(r["epoch"])) for r in rows] == [1, 2]
    with pytest.raises(RunError, match="width"):
        train(TrainConfig(role="coarse", width=4, epochs=3, batch_size=8), data, data, run, verbose=0)


@pytest.mark.slow
def test_init_from_copies_the_backbone_not_the_head(tmp_path) -> None:
    import h5py
    import numpy as np

    data = build_dataset(tmp_path / "data", 16, SynthesisConfig(image_size=160), seed=6,
                         shard_size=16, workers=1, progress=False)
    source = tmp_path / "native"
    train(TrainConfig(role="native", width=2, epochs=1, batch_size=8, val_size=8), data, data, source, verbose=0)
    target = tmp_path / "fine1"
    cfg = TrainConfig(role="fine1", width=2, epochs=1, batch_size=8, val_size=8, lr=0.0,
                      init_from=str(source))
    train(cfg, data, data, target, verbose=0)
    # With lr 0 the trainable weights arrive unchanged from the source; the head has another shape.
    with h5py.File(source / "model_weights.h5") as a, h5py.File(target / "model_weights.h5") as b:
        for name in ("conv1_conv/conv1_conv/kernel:0", "conv5_block2_2_conv/conv5_block2_2_conv/kernel:0"):
            np.testing.assert_array_equal(a[name][()], b[name][()])
        assert a["logits/logits/kernel:0"].shape == (16, 38)
        assert b["logits/logits/kernel:0"].shape == (16, 8)
