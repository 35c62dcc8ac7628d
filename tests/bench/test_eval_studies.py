"""The evaluation studies on tiny random networks and made-up data: every table's rows make the
whole, and the headline rows equal ``blurgauge eval``'s figures on the same sets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.studies.eval_studies import PATCH_COUNTS, WHOLE_IMAGE, coarse_misses, patch_pooling, run_studies
from blurgauge.model import classes
from blurgauge.model.cascade import AxisEstimate
from blurgauge.model.evaluation.evaluate import evaluate
from blurgauge.model.evaluation.scoring import Scores
from blurgauge.model.evaluation.sets import protocol_sets
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, Preprocessing
from blurgauge.model.nets import weights
from blurgauge.model.nets.inference import KerasNetworks
from blurgauge.model.nets.network import NetworkSpec, build_resnet18
from blurgauge.model.nets.roles import CASCADE, ROLES
from tests.conftest import fake_data_root


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    for name in CASCADE:
        model = build_resnet18(NetworkSpec(2, ROLES[name].outputs), name=name)
        weights.save(folder / f"{name}.bgw.npz", model, name, 2, {"test": "untrained"})
    return folder


@pytest.mark.slow
def test_the_studies_add_up_and_agree_with_the_evaluation(tiny_weights, tmp_path):
    root = fake_data_root(tmp_path)
    logits = KerasNetworks(tiny_weights, names=CASCADE).logits
    sets = protocol_sets(root, per_extent=1, progress=False, patches=max(PATCH_COUNTS))
    r = run_studies(logits, root, tmp_path / "studies", label="tiny", per_extent=1, progress=False, sets=sets)
    assert r == json.loads((tmp_path / "studies" / "studies.json").read_text())
    product = evaluate(logits, root, tmp_path / "eval", label="tiny", per_extent=1, progress=False,
                       with_native=False)
    est = r["estimate"]
    assert est == product["estimate"]
    samples = product["sweep"]["samples"]
    # per photo collection: the photos' weighted AbEs make the protocol's, the worst photos come first
    collections = {row["collection"]: row for row in r["levin"]["per_collection"]}
    assert {c: row["photos"] for c, row in collections.items()} == {"natural_BSD68": 2, "natural_Set12": 1}
    weighted = sum(row["photos"] * row["AbE (px)"] for row in collections.values()) / 3
    assert weighted == pytest.approx(product["levin"]["abe"][est])
    worst = [row["AbE (px)"] for row in r["levin"]["worst_photos"]]
    assert len(worst) == 3 and worst == sorted(worst, reverse=True)
    # the pooling table: one row per patch count; its first row is the evaluation's headline (one patch)
    pooling = r["patch_pooling"]
    assert [row["patches per axis"] for row in pooling] == list(PATCH_COUNTS)
    assert pooling[0]["Levin AbE (px)"] == pytest.approx(product["levin"]["abe"][est])
    assert pooling[0]["control AbE (px)"] == pytest.approx(product["levin_on_kodak"]["abe"][est])
    assert pooling[0]["sweep rel. error"] == pytest.approx(product["sweep"]["relative_error"][est])
    misses = r["sweep"]["coarse_misses"]
    assert misses["mistakes"] == round(misses["share_of_patches"] * samples)
    assert 1 - misses["share_of_patches"] == pytest.approx(product["sweep"]["coarse_accuracy"])
    # the fine stage alone: every range's samples, and the per-range figures make the whole
    rows = r["true_range"]["sweep_per_range"]
    assert sum(row["n"] for row in rows) == samples
    assert sum(row["n"] * row["relative"] for row in rows if row["n"]) / samples \
        == pytest.approx(r["true_range"]["sweep_relative_error"])
    # the sweep by light spread: every sample in one bin, the bins' errors make the whole
    spread = r["sweep_by_spread"]
    assert sum(row["n"] for row in spread["rows"]) == samples
    assert sum(row["n"] * row["rel. error"] for row in spread["rows"] if row["n"]) / samples \
        == pytest.approx(product["sweep"]["relative_error"][est])
    assert all(0 < lo <= hi <= 1 for lo, hi in spread["levin_spread"].values())
    report = (tmp_path / "studies" / "studies.md").read_text()
    for section in ("Coarse mistakes", "Per photo collection", "The fine stage alone", "spreads its light",
                    "Several patches per axis"):
        assert section in report
    assert (tmp_path / "studies" / "sweep_spread.png").stat().st_size > 1000


@pytest.mark.slow
def test_the_whole_image_row_for_networks_that_read_the_autocorrelation(tiny_weights, tmp_path):
    root = fake_data_root(tmp_path)
    logits = KerasNetworks(tiny_weights, names=CASCADE).logits
    prep = Preprocessing(0.0, AUTOCORRELATION)
    sets = protocol_sets(root, per_extent=1, progress=False, prep=prep)
    r = run_studies(logits, root, tmp_path / "out", label="tiny", per_extent=1, progress=False, prep=prep,
                    sets=sets, patch_counts=(1,))
    product = evaluate(logits, root, tmp_path / "eval", label="tiny", per_extent=1, progress=False,
                       with_native=False, prep=prep, sets=sets)
    est = r["estimate"]
    pooling = r["patch_pooling"]  # one patch as in training, then the headline's whole-image map
    assert [row["patches per axis"] for row in pooling] == [1, WHOLE_IMAGE]
    assert pooling[1]["Levin AbE (px)"] == pytest.approx(product["levin"]["abe"][est])
    assert pooling[1]["sweep rel. error"] == pytest.approx(product["sweep"]["relative_error"][est])
    # The whole-image row reuses the headline's scores: scored afresh, it gives the same figures.
    fresh = patch_pooling(sets, logits, (), est, whole_image=True)
    assert fresh == [pytest.approx(pooling[1])]
    assert "whole gradient instead of a patch's" in (tmp_path / "out" / "studies.md").read_text()


def test_coarse_misses_measure_the_distance_to_the_chosen_range():
    truth = [21, 18, 40, 90, 10]
    chosen = [0, 1, 3, 4, 0]  # R1 3..19, R2 20..35, R4 50..63, R5 (right), R1 (right)
    estimates = [AxisEstimate(k, 1.0, classes.range_intervals(k)[0].index, np.ones(1), 0.0, 0.0) for k in chosen]
    misses = coarse_misses(Scores(np.array(truth, dtype=float), estimates))
    assert misses["mistakes"] == 3 and misses["share_of_patches"] == pytest.approx(0.6)
    assert misses["within_px"] == {"2": pytest.approx(2 / 3), "5": pytest.approx(2 / 3), "10": 1.0}
    assert misses["median_px"] == 2.0
