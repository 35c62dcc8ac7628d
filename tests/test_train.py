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
