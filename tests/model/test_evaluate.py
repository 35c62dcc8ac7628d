"""``evaluate`` on tiny random networks and made-up data.

The networks are untrained, so only the plumbing is checked here: the report's contents, and
figures that can be recomputed independently from results.json.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from blurgauge.model import classes
from blurgauge.model.evaluation.evaluate import evaluate
from blurgauge.model.evaluation.scoring import CONSTANT_GUESS, SWEEP_CONSTANT_GUESS, score
from blurgauge.model.evaluation.sets import protocol_sets
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, Preprocessing, codes_to_input
from blurgauge.model.nets.inference import KerasNetworks
from tests.conftest import fake_data_root


@pytest.mark.slow
def test_evaluate_writes_a_consistent_report(tiny_weights, tmp_path):
    root = fake_data_root(tmp_path)
    networks = KerasNetworks(tiny_weights)
    results = evaluate(networks.logits, root, tmp_path / "out", label="tiny", per_extent=1, progress=False)
    assert results == json.loads((tmp_path / "out" / "results.json").read_text())
    levin = results["levin"]
    assert levin["images"] == 6  # 3 images x 2 kernels
    truth = np.array([9, 9, 9, 13, 13, 13, 17, 17, 17, 15, 15, 15])
    assert levin["constant_baseline_abe"] == pytest.approx(np.mean(np.abs(CONSTANT_GUESS - truth)))
    est = results["estimate"]
    assert levin["abe"][est] == min(levin["abe"].values())
    assert (levin["abe_width"] + levin["abe_height"]) / 2 == pytest.approx(levin["abe"][est])
    assert [row["gt_width"] for row in levin["per_kernel"]] == [9, 13]
    assert [row["paper_width"] for row in levin["per_kernel"]] == [8.55, 11.00]  # the paper's Table 2 beside ours
    control = results["levin_on_kodak"]
    assert control["images"] == 2 and "paper_width" not in control["per_kernel"][0]
    sweep = results["sweep"]
    assert sweep["samples"] == classes.MAX_EXTENT - classes.MIN_EXTENT + 1
    widths = np.arange(classes.MIN_EXTENT, classes.MAX_EXTENT + 1)
    assert sweep["constant_baseline_abe"] == pytest.approx(np.mean(np.abs(SWEEP_CONSTANT_GUESS - widths)))
    # the per-range rows hold every sample, and their errors make the whole
    rows = sweep["per_range"]
    assert sum(row["n"] for row in rows) == sweep["samples"]
    assert sum(row["n"] * row["relative"] for row in rows if row["n"]) / sweep["samples"] \
        == pytest.approx(sweep["relative_error"][est])
    assert set(results["native"]) == {"levin_abe", "sweep_abe", "sweep_relative_error"}
    # the research diagnostics are bench/studies/eval_studies.py's, not the product report's
    assert not {"true_range", "patch_pooling", "sweep_by_spread"} & set(results)
    assert not {"coarse_misses", "per_collection", "worst_photos"} & set(levin)
    report = (tmp_path / "out" / "report.md").read_text()
    assert "Levin protocol" in report and "4.49" in report  # the paper's figure stands beside ours
    assert "Control" in report and "Native baseline on the sweep" in report
    assert f"{sweep['abe'][est]:.2f}" in report
    for png in ("confusion_levin.png", "confusion_sweep.png", "error_vs_size.png"):
        assert (tmp_path / "out" / png).stat().st_size > 1000


@pytest.mark.slow
def test_networks_that_read_the_autocorrelation_are_scored_on_whole_image_maps(tiny_weights, tmp_path):
    root = fake_data_root(tmp_path)
    networks = KerasNetworks(tiny_weights)
    prep = Preprocessing(0.0, AUTOCORRELATION)
    sets = protocol_sets(root, per_extent=1, progress=False, prep=prep)
    results = evaluate(networks.logits, root, tmp_path / "out", label="tiny", per_extent=1, progress=False,
                       with_native=False, prep=prep, sets=sets)
    assert results["region"] == "image" and results["input_transform"] == AUTOCORRELATION
    assert "native" not in results
    est = results["estimate"]
    whole = score(sets.levin, networks.logits, "cascade", region="image")
    assert results["levin"]["abe"][est] == pytest.approx(whole.abe(est))
    assert "whole gradient map" in (tmp_path / "out" / "report.md").read_text()
    with pytest.raises(ValueError, match="image region reads one map per axis"):
        evaluate(networks.logits, root, tmp_path / "out2", label="tiny", progress=False, patches=2, region="image",
                 prep=prep)


def test_a_window_crops_each_blurred_image_before_its_top_up_and_maps() -> None:
    """``Preprocessing.window`` in the sets: the blurred image's central window, then the host's steps, as
    ``prepare()`` does them on a photo."""
    from blurgauge.model.data.blur import blur_image
    from blurgauge.model.evaluation.sets import _blurred, protocol_rng
    from blurgauge.model.inputs.images import central_window
    from blurgauge.model.inputs.noise import top_up_noise
    from tests.conftest import structured

    sharp = structured(260, 330, 5) / 255.0
    kernel = np.full((1, 9), 1.0 / 9.0)
    prep = Preprocessing(0.01, AUTOCORRELATION, window=160)
    got = _blurred("photo", "line9", sharp, kernel, protocol_rng(0, 1), 0.01, 1, prep)
    rng = protocol_rng(0, 1)
    blurry = top_up_noise(central_window(blur_image(sharp, kernel, rng, 0.01), 160), 0.01, rng)
    assert blurry.shape == (160, 160)
    width, height = prep.axis_codes(blurry, region="image")
    np.testing.assert_array_equal(got.width_image, width)
    np.testing.assert_array_equal(got.height_image, height)
    whole = _blurred("photo", "line9", sharp, kernel, protocol_rng(0, 1), 0.01, 1, Preprocessing(0.01, AUTOCORRELATION))
    assert not np.array_equal(whole.width_image, got.width_image)


@pytest.mark.slow
def test_an_evaluation_through_a_window_says_so(tiny_weights, tmp_path):
    root = fake_data_root(tmp_path)
    networks = KerasNetworks(tiny_weights)
    prep = Preprocessing(0.0, AUTOCORRELATION, window=200)
    results = evaluate(networks.logits, root, tmp_path / "out", label="tiny", per_extent=1, progress=False,
                       with_native=False, prep=prep)
    assert results["window"] == 200
    assert "central 200 x 200 px window" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.slow
def test_the_kernel_families_score_every_axis_in_the_class_table(tiny_weights, tmp_path):
    """Each family's figures come from its axes of 3..95 px; the constant guess is their median."""
    from blurgauge.model.evaluation.families import FAMILIES
    from blurgauge.model.evaluation.sets import family_sets

    root = fake_data_root(tmp_path)
    networks = KerasNetworks(tiny_weights)
    results = evaluate(networks.logits, root, tmp_path / "out", label="tiny", per_extent=1, progress=False,
                       family_per_range=1)
    blurred = family_sets(root, 1, seed=results["seed"] + 3, progress=False)
    assert [f["family"] for f in results["families"]] == list(FAMILIES)
    est = results["estimate"]
    for f in results["families"]:
        images = blurred[f["family"]]
        truth = np.array([b.width for b in images if 3 <= b.width <= 95] + [b.height for b in images
                                                                               if 3 <= b.height <= 95])
        assert f["images"] == 5 and f["axes"] == len(truth)
        assert f["constant_guess"] == pytest.approx(np.median(truth))
        assert f["constant_relative_error"] == pytest.approx(np.mean(np.abs(np.median(truth) - truth) / truth))
        assert sum(row["n"] for row in f["per_range"]) == f["axes"]
        assert sum(row["n"] * row["relative"] for row in f["per_range"] if row["n"]) / f["axes"] \
            == pytest.approx(f["relative_error"][est])
        assert set(f["native_relative_error"]) == {"midpoint", "expectation"}
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Kernel families" in report and "| hand |" in report


def test_run_networks_load_a_training_run_with_and_without_quantizers(briefly_trained, tmp_path):
    from blurgauge.model.nets.inference import RunNetworks
    from blurgauge.model.nets.network import float_copy

    with pytest.raises(FileNotFoundError, match="coarse"):
        RunNetworks(tmp_path)
    (tmp_path / "coarse").mkdir()
    (tmp_path / "coarse" / "config.json").write_text(json.dumps({"role": "coarse", "width": 2}))
    briefly_trained.trained.save_weights(str(tmp_path / "coarse" / "model_weights.h5"))
    codes = briefly_trained.codes[:4]
    quantized = RunNetworks(tmp_path, names=("coarse",)).logits("coarse", codes)
    floating = RunNetworks(tmp_path, quantized=False, names=("coarse",)).logits("coarse", codes)
    np.testing.assert_allclose(quantized, briefly_trained.trained.predict(codes_to_input(codes), verbose=0),
                               rtol=1e-5, atol=1e-5)  # the run's network as trained
    twin = float_copy(briefly_trained.trained)  # exact in its own test (test_network.py)
    np.testing.assert_allclose(floating, twin.predict(codes_to_input(codes), verbose=0), rtol=1e-5, atol=1e-5)
    assert not np.allclose(quantized, floating)
