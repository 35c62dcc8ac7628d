"""The quantization-cost study: one set of training runs evaluated with and without its quantizers."""

from __future__ import annotations

import json

import pytest

from bench.studies.quantization_cost import main
from blurgauge.model.nets.roles import CASCADE
from tests.conftest import fake_data_root


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
    assert main(["--runs", str(runs), "--data", str(root), "--out", str(out), "--per-extent", "1"]) == 0
    summary = (out / "quantization_cost.md").read_text()
    assert summary in capsys.readouterr().out
    assert "| quantized |" in summary and "| float |" in summary
    quantized = json.loads((out / "quantized" / "results.json").read_text())
    floating = json.loads((out / "float" / "results.json").read_text())
    assert quantized["levin"]["images"] == floating["levin"]["images"] == 6
    assert "native" not in quantized  # the baseline is not part of the cascade's cost
