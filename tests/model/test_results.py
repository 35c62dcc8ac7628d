"""The typed results and their JSON form (results.json)."""

from __future__ import annotations

import json

from blurgauge.model.evaluation.results import (
    ControlResults,
    EvalResults,
    KernelRow,
    LevinResults,
    NativeResults,
    RangeRow,
    SweepResults,
)

ABE = {"midpoint": 3.0, "expectation": 2.5}


def _results(native: NativeResults | None) -> EvalResults:
    kernel = KernelRow(1, 17, 16.5, 9, 11.6, 14.13, 8.55)
    return EvalResults(
        label="tiny", noise_sigma=0.01, noise_floor=0.0, input_transform="gradient", seed=0, estimate="expectation",
        patches=1, region="patch",
        levin=LevinResults(640, ABE, 2.3, 2.2, 3.6, 0.9, 0.3, [kernel]),
        sweep=SweepResults(372, ABE, {"midpoint": 0.3, "expectation": 0.25}, 23.0,
                           [RangeRow("R1 (3..19 px)", 68, 2.0, 0.2, 0.9)], 0.5),
        levin_on_kodak=ControlResults(64, ABE, 3.0, 0.8, 0.2, [KernelRow(1, 17, 16.0, 9, 10.0)]),
        native=native,
    )


def test_the_json_form_keeps_results_json_keys():
    data = _results(NativeResults(ABE, ABE, ABE)).to_json()
    assert list(data) == ["label", "noise_sigma", "noise_floor", "input_transform", "seed", "estimate", "patches",
                          "region", "window", "levin", "sweep", "levin_on_kodak", "native"]
    assert list(data["levin"]) == ["images", "abe", "abe_width", "abe_height", "constant_baseline_abe",
                                   "coarse_accuracy", "fine_accuracy", "per_kernel"]
    assert list(data["levin"]["per_kernel"][0]) == ["kernel", "gt_height", "ours_height", "paper_height", "gt_width",
                                                     "ours_width", "paper_width"]
    assert list(data["sweep"]) == ["samples", "abe", "relative_error", "constant_baseline_abe", "per_range",
                                   "coarse_accuracy"]
    assert data["sweep"]["per_range"] == [{"range": "R1 (3..19 px)", "n": 68, "abe": 2.0, "relative": 0.2,
                                           "coarse_accuracy": 0.9}]
    assert json.loads(json.dumps(data)) == data  # plain JSON values only


def test_what_was_not_measured_is_left_out():
    data = _results(None).to_json()
    assert "native" not in data
    assert list(data["levin_on_kodak"]["per_kernel"][0]) == ["kernel", "gt_height", "ours_height", "gt_width",
                                                             "ours_width"]
