"""The window study (bench/studies/map_window.py) on tiny random networks and made-up data: each row equals
``blurgauge eval``'s figures through the same window, and the board time is the board model's."""

from __future__ import annotations

import pytest

from bench import board_model
from bench.studies.map_window import study, table
from blurgauge.model.evaluation.evaluate import evaluate
from blurgauge.model.evaluation.families import FAMILIES
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, Preprocessing
from blurgauge.model.nets.inference import KerasNetworks
from blurgauge.model.nets.roles import CASCADE
from tests.conftest import fake_data_root


@pytest.mark.slow
def test_each_window_s_row_is_the_evaluation_through_that_window(tiny_weights, tmp_path):
    root = fake_data_root(tmp_path)  # 240 x 240 photos: a 200-px window crops every one
    logits = KerasNetworks(tiny_weights, names=CASCADE).logits
    base = Preprocessing(0.01, AUTOCORRELATION)
    rows = study(logits, root, base, [0, 200], per_extent=1, family_per_range=1)
    assert [r["window"] for r in rows] == [0, 200]
    for row in rows:
        prep = Preprocessing(0.01, AUTOCORRELATION, window=row["window"])
        ev = evaluate(logits, root, tmp_path / f"eval{row['window']}", label="tiny", per_extent=1, progress=False,
                      with_native=False, prep=prep, family_per_range=1)
        est = row["estimate"]
        assert row["levin_abe"] == pytest.approx(ev["levin"]["abe"][est])
        assert row["levin_coarse"] == pytest.approx(ev["levin"]["coarse_accuracy"])
        assert row["control_abe"] == pytest.approx(ev["levin_on_kodak"]["abe"][est])
        assert row["sweep_relative"] == pytest.approx(ev["sweep"]["relative_error"][est])
        by_family = {f["family"]: f["relative_error"][est] for f in ev["families"]}
        assert {f: row[f"{f}_relative"] for f in FAMILIES} == pytest.approx(by_family)
        projected = board_model.project(480, 640, window=row["window"])
        assert row["board_ms_640x480"] == pytest.approx(projected.total_s * 1e3)
    assert rows[0]["levin_abe"] != rows[1]["levin_abe"]  # the window changed what the networks read
    assert rows[1]["board_ms_1920x1080"] == rows[1]["board_ms_640x480"] < rows[0]["board_ms_640x480"]
    text = table(rows)
    assert text.count("\n| ") == 4 and "| whole |" in text and "| 200 |" in text
