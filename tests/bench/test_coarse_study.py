"""The coarse-stage study: ensembles, the true range and the cached logits, on tiny networks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.studies.coarse_study import CachedLogits, ensemble_logits, main
from blurgauge.model.data.dataset import build_dataset
from blurgauge.model.data.synthesis import SynthesisConfig
from blurgauge.model.evaluation.light_spread import SPREAD_EDGES
from blurgauge.model.evaluation.sets import protocol_sets
from blurgauge.model.inputs.preprocess import AUTOCORRELATION, Preprocessing
from blurgauge.model.nets import weights
from blurgauge.model.nets.network import NetworkSpec, build_resnet18
from blurgauge.model.nets.roles import ROLES
from tests.conftest import fake_data_root

PREP = Preprocessing(0.0, AUTOCORRELATION)


@pytest.fixture(scope="module")
def tiny_autocorrelation_weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    for seed, (name, r) in enumerate(ROLES.items()):
        model = build_resnet18(NetworkSpec(2, r.outputs), name=name)
        weights.save(folder / f"{name}.bgw.npz", model, name, 2, {"seed": seed}, PREP)
    other = build_resnet18(NetworkSpec(2, ROLES["coarse"].outputs), name="coarse")
    weights.save(folder / "other-coarse.bgw.npz", other, "coarse", 2, {"test": "a second coarse network"}, PREP)
    return folder


def test_cached_logits_run_each_map_once_and_return_rows_in_order():
    calls = []

    def run(name, codes):
        calls.append(len(codes))
        return codes[:, 0, :3].astype(float) + (name == "b")

    cached = CachedLogits(run)
    codes = np.random.default_rng(1).integers(-128, 128, (4, 128, 128)).astype(np.int8)
    first = cached("a", codes[:3])
    again = cached("a", codes[[2, 0, 3]])
    assert calls == [3, 1]  # only the new map ran
    np.testing.assert_array_equal(again, run("a", codes[[2, 0, 3]]))
    np.testing.assert_array_equal(first, run("a", codes[:3]))
    assert cached("b", codes[:1])[0, 0] == first[0, 0] + 1  # one cache per network name


def test_an_ensemble_averages_the_coarse_softmax_and_passes_the_rest():
    rng = np.random.default_rng(0)
    table = {name: rng.normal(0, 2, (5, 8)) for name in ("a", "b", "fine1")}
    combined = ensemble_logits(lambda name, codes: table[name][: len(codes)], ("a", "b"))
    codes = np.zeros((5, 128, 128), np.int8)
    p = np.exp(combined("coarse", codes))
    soft = {n: np.exp(table[n][:, :5]) / np.exp(table[n][:, :5]).sum(1, keepdims=True) for n in ("a", "b")}
    np.testing.assert_allclose(p, (soft["a"] + soft["b"]) / 2, rtol=1e-9)
    np.testing.assert_array_equal(combined("fine1", codes), table["fine1"])
    # an ensemble of one network, twice, is that network's softmax
    twice = ensemble_logits(lambda name, codes: table[name][: len(codes)], ("a", "a"))
    np.testing.assert_allclose(np.exp(twice("coarse", codes)), soft["a"], rtol=1e-9)


@pytest.mark.slow
def test_the_study_scores_each_coarse_stage_and_the_true_range(tiny_autocorrelation_weights, tmp_path):
    folder = tiny_autocorrelation_weights
    root = fake_data_root(tmp_path)
    val = build_dataset(tmp_path / "val", 16, SynthesisConfig(image_size=160, image_map=True), seed=1,
                        shard_size=16, workers=1, progress=False)
    coarse = {"a": folder / "coarse.bgw.npz", "b": folder / "other-coarse.bgw.npz"}
    out = tmp_path / "study.md"
    # Every pair of the named networks by default: a, b, a+b, then the true range.
    assert main(["--weights", str(folder), "--coarse", f"a={coarse['a']}", "--coarse", f"b={coarse['b']}",
                 "--data", str(root), "--val", str(val), "--out", str(out), "--per-extent", "1", "--quiet"]) == 0
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    assert [r["coarse stage"] for r in rows] == ["a", "b", "a+b", "true range"]
    true_range = rows[-1]
    assert true_range["Levin coarse acc."] == true_range["sweep coarse acc."] == true_range["val coarse acc."] == 1.0
    # the sweep split by light spread: the two parts' errors, weighted by their counts, make the whole
    spread = np.array([b.width_spread for b in protocol_sets(root, per_extent=1, progress=False).sweep])
    even = np.mean(spread >= SPREAD_EDGES[-1])
    assert 0 < even < 1
    for row in rows:
        parts = even * row["sweep rel. error, spread >= 0.70"] + (1 - even) * row["sweep rel. error, spread < 0.70"]
        assert parts == pytest.approx(row["sweep rel. error"])
    report = out.read_text()
    assert "| a+b |" in report and "| true range |" in report
    assert "Command: `python -m bench.studies.coarse_study --weights" in report


def test_the_study_refuses_bad_names_and_files(tiny_autocorrelation_weights, tmp_path, capsys):
    folder = tiny_autocorrelation_weights
    assert main(["--weights", str(folder), "--coarse", "a"]) == 2
    assert "expected NAME=FILE" in capsys.readouterr().err
    assert main(["--weights", str(folder), "--coarse", f"a={tmp_path / 'none.bgw.npz'}"]) == 2
    assert "none.bgw.npz is not a file" in capsys.readouterr().err
    assert main(["--weights", str(folder), "--coarse", f"a={folder / 'coarse.bgw.npz'}", "--ensemble", "a+z"]) == 2
    assert "no --coarse named z" in capsys.readouterr().err
    assert main(["--weights", str(folder), "--coarse", f"a={folder / 'fine1.bgw.npz'}",
                 "--data", str(fake_data_root(tmp_path))]) == 2
    assert "a fine1 network" in capsys.readouterr().err
