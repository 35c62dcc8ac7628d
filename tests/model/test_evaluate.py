"""The estimate command and the evaluation protocols, on tiny random networks and made-up data.

The networks are untrained, so only the plumbing is checked here: output contract, error
handling, report contents and figures that can be recomputed independently.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from blurgauge.host.cli import main
from blurgauge.model import classes
from blurgauge.model.cascade import AxisEstimate
from blurgauge.model.evaluation.evaluate import (
    CONSTANT_GUESS,
    Scores,
    coarse_misses,
    evaluate,
    patch_pooling,
    protocol_sets,
)
from blurgauge.model.inputs.preprocess import codes_to_input
from blurgauge.model.nets import weights
from blurgauge.model.nets.inference import KerasNetworks
from blurgauge.model.nets.network import NetworkSpec, build_resnet18
from blurgauge.model.nets.roles import CASCADE, ROLES
from tests.conftest import fake_data_root, gray_png


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    for name, r in ROLES.items():
        model = build_resnet18(NetworkSpec(2, r.outputs), name=name)
        weights.save(folder / f"{name}.bgw.npz", model, name, 2, {"test": "untrained"})
    return folder


def test_estimate_json_contract_and_bad_input(tiny_weights, tmp_path, capsys):
    good = tmp_path / "good.png"
    gray_png(good, 160, 200, 0)
    rgb = tmp_path / "colour.png"
    Image.fromarray((np.random.default_rng(1).random((150, 150, 3)) * 255).astype(np.uint8)).save(rgb)
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    small = tmp_path / "small.png"
    gray_png(small, 100, 300, 2)
    code = main(["estimate", "--weights", str(tiny_weights), "--format", "json", str(good), str(bad), str(small),
                 str(rgb)])
    out, err = capsys.readouterr()
    assert code == 1  # two images failed ...
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["path"] for r in records] == [str(good), str(rgb)]  # ... and the others were estimated
    for r in records:
        assert classes.MIN_EXTENT <= r["width"] <= classes.MAX_EXTENT
        assert classes.MIN_EXTENT <= r["height"] <= classes.MAX_EXTENT
        assert 0 < r["width_confidence"] <= 1
    assert str(bad) in err and str(small) in err and "Traceback" not in err


def test_estimate_empty_folder_is_an_error(tiny_weights, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["estimate", "--weights", str(tiny_weights), str(empty)]) == 1
    assert str(empty) in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_writes_a_consistent_report(tiny_weights, tmp_path):
    root = fake_data_root(tmp_path)
    networks = KerasNetworks(tiny_weights)
    results = evaluate(networks.logits, root, tmp_path / "out", label="tiny", per_extent=1, progress=False)
    levin = results["levin"]
    assert levin["images"] == 6  # 3 images x 2 kernels
    truth = np.array([9, 9, 9, 13, 13, 13, 17, 17, 17, 15, 15, 15])
    assert levin["constant_baseline_abe"] == pytest.approx(np.mean(np.abs(CONSTANT_GUESS - truth)))
    assert [row["gt_width"] for row in levin["per_kernel"]] == [9, 13]
    # per photo collection: the photos' weighted AbEs make the protocol's, the worst photos come first
    collections = {row["collection"]: row for row in levin["per_collection"]}
    assert {c: row["photos"] for c, row in collections.items()} == {"natural_BSD68": 2, "natural_Set12": 1}
    weighted = sum(row["photos"] * row["AbE (px)"] for row in collections.values()) / 3
    assert weighted == pytest.approx(levin["abe"][results["estimate"]])
    worst = [row["AbE (px)"] for row in levin["worst_photos"]]
    assert len(worst) == 3 and worst == sorted(worst, reverse=True)
    assert levin["worst_photos"][0]["photo"].startswith("natural_")
    assert results["sweep"]["samples"] == classes.MAX_EXTENT - classes.MIN_EXTENT + 1
    assert "native" in results
    report = (tmp_path / "out" / "report.md").read_text()
    assert "Levin protocol" in report and "4.49" in report  # the paper's figure stands beside ours
    assert "Coarse mistakes" in report and "Per photo collection" in report
    # the pooling table: one row per patch count; its first row is the headline (one patch)
    pooling = results["patch_pooling"]
    assert [row["patches per axis"] for row in pooling] == [1, 2, 4, 6]
    est = results["estimate"]
    assert pooling[0]["Levin AbE (px)"] == pytest.approx(levin["abe"][est])
    assert pooling[0]["control AbE (px)"] == pytest.approx(results["levin_on_kodak"]["abe"][est])
    assert pooling[0]["sweep rel. error"] == pytest.approx(results["sweep"]["relative_error"][est])
    assert "Several patches per axis" in report and results["patches"] == 1
    misses = results["sweep"]["coarse_misses"]
    assert misses["mistakes"] == round(misses["share_of_patches"] * results["sweep"]["samples"])
    # the fine stage alone: every range's samples, and the per-range figures make the whole
    alone = results["true_range"]
    rows = alone["sweep_per_range"]
    assert sum(row["n"] for row in rows) == results["sweep"]["samples"]
    assert sum(row["n"] * row["relative"] for row in rows if row["n"]) / results["sweep"]["samples"] \
        == pytest.approx(alone["sweep_relative_error"])
    assert "The fine stage alone" in report
    # the sweep by light spread: every sample in one bin, the bins' errors make the whole
    spread = results["sweep_by_spread"]
    assert sum(row["n"] for row in spread["rows"]) == results["sweep"]["samples"]
    assert sum(row["n"] * row["rel. error"] for row in spread["rows"] if row["n"]) / results["sweep"]["samples"] \
        == pytest.approx(results["sweep"]["relative_error"][est])
    assert all(0 < lo <= hi <= 1 for lo, hi in spread["levin_spread"].values())
    assert "spreads its light" in report
    for png in ("confusion_levin.png", "confusion_sweep.png", "error_vs_size.png", "sweep_spread.png"):
        assert (tmp_path / "out" / png).stat().st_size > 1000


@pytest.mark.slow
def test_networks_that_read_the_autocorrelation_are_scored_on_whole_image_maps(tiny_weights, tmp_path):
    from blurgauge.model.inputs.preprocess import AUTOCORRELATION, Preprocessing

    root = fake_data_root(tmp_path)
    networks = KerasNetworks(tiny_weights)
    prep = Preprocessing(0.0, AUTOCORRELATION)
    sets = protocol_sets(root, per_extent=1, progress=False, prep=prep)
    results = evaluate(networks.logits, root, tmp_path / "out", label="tiny", per_extent=1, progress=False,
                       with_native=False, patch_counts=(1,), prep=prep, sets=sets)
    assert results["region"] == "image" and results["input_transform"] == AUTOCORRELATION
    est = results["estimate"]
    pooling = results["patch_pooling"]  # one patch as in training, then the headline's whole-image map
    assert [row["patches per axis"] for row in pooling] == [1, "whole image"]
    assert pooling[1]["Levin AbE (px)"] == pytest.approx(results["levin"]["abe"][est])
    assert pooling[1]["sweep rel. error"] == pytest.approx(results["sweep"]["relative_error"][est])
    # The whole-image row reuses the headline's scores: scored afresh, it gives the same figures.
    fresh = patch_pooling(sets, networks.logits, (), est, whole_image=True)
    assert fresh == [pytest.approx(pooling[1])]
    assert "whole gradient map" in (tmp_path / "out" / "report.md").read_text()
    with pytest.raises(ValueError, match="image region reads one map per axis"):
        evaluate(networks.logits, root, tmp_path / "out2", label="tiny", progress=False, patches=2, region="image",
                 prep=prep)


@pytest.mark.slow
@pytest.mark.fullsize  # compiles an hls4ml C simulation (about 2 min); make verify also runs hls end to end
def test_keras_golden_and_hls_backends_agree(tiny_weights, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the hls backend compiles its project under ./build
    images = []
    for i in range(3):
        images.append(tmp_path / f"{i}.png")
        gray_png(images[-1], 150 + 10 * i, 170, 10 + i)
    outputs = {}
    for backend in ("keras", "golden", "hls"):
        assert main(["estimate", "--backend", backend, "--weights", str(tiny_weights), "--format", "json",
                     *map(str, images)]) == 0
        records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        outputs[backend] = [(r["width_fine"], r["height_fine"], r["width"], r["height"]) for r in records]
    assert [o[:2] for o in outputs["keras"]] == [o[:2] for o in outputs["golden"]] == [o[:2] for o in outputs["hls"]]
    # The sizes weigh the interval midpoints by float softmaxes, rounded to 0.01 px in the record.
    for backend in ("keras", "hls"):
        for got, want in zip(outputs[backend], outputs["golden"], strict=True):
            assert got[2:] == pytest.approx(want[2:], abs=0.011)


def test_sweep_uses_only_the_held_out_kodak_images(tmp_path):
    from blurgauge.model.data import splits
    from blurgauge.model.evaluation.evaluate import sweep_set

    folder = tmp_path / splits.KODAK_FOLDER
    folder.mkdir()
    for i in (1, 5, 17, 24):
        gray_png(folder / f"kodim{i:02d}.png", 240, 240, i)
    sweep = sweep_set(tmp_path, per_extent=1, progress=False)
    assert {b.image for b in sweep} <= {"kodim17", "kodim24"} and len({b.image for b in sweep}) == 2


def test_coarse_misses_measure_the_distance_to_the_chosen_range():
    truth = [21, 18, 40, 90, 10]
    chosen = [0, 1, 3, 4, 0]  # R1 3..19, R2 20..35, R4 50..63, R5 (right), R1 (right)
    estimates = [AxisEstimate(k, 1.0, classes.range_intervals(k)[0].index, np.ones(1), 0.0, 0.0) for k in chosen]
    misses = coarse_misses(Scores(np.array(truth, dtype=float), estimates))
    assert misses["mistakes"] == 3 and misses["share_of_patches"] == pytest.approx(0.6)
    assert misses["within_px"] == {"2": pytest.approx(2 / 3), "5": pytest.approx(2 / 3), "10": 1.0}
    assert misses["median_px"] == 2.0


@pytest.mark.slow
@pytest.mark.fullsize  # twelve networks over both protocols (about 2 min); make verify runs it
def test_quantization_cost_compares_one_set_of_weights_with_and_without_quantizers(briefly_trained, tmp_path, capsys):
    runs = tmp_path / "runs"
    for name in CASCADE:
        (runs / name).mkdir(parents=True)
        (runs / name / "config.json").write_text(json.dumps({"role": name, "width": 2}))
        briefly_trained.trained.save_weights(str(runs / name / "model_weights.h5"))
    root = fake_data_root(tmp_path)
    out = tmp_path / "cost"
    assert main(["eval", "--runs", str(runs), "--data", str(root), "--out", str(out), "--per-extent", "1"]) == 0
    summary = (out / "quantization_cost.md").read_text()
    assert summary in capsys.readouterr().out
    assert "| quantized |" in summary and "| float |" in summary
    quantized = json.loads((out / "quantized" / "results.json").read_text())
    floating = json.loads((out / "float" / "results.json").read_text())
    assert quantized["levin"]["images"] == floating["levin"]["images"] == 6
    assert "native" not in quantized  # the baseline is not part of the cascade's cost
    with pytest.raises(SystemExit, match="--runs"):
        main(["eval", "--runs", str(runs), "--backend", "golden", "--out", str(out)])


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
