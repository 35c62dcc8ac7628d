"""The whole-core synthesis report (hw/synth.py, `make synth`) without running Yosys: cell counts to
the part's resources, the table, and the fit check with its margin."""

from __future__ import annotations

import json

import pytest

from blurgauge.hw import synth


def result(**cells: int) -> dict:
    return {"top": "bg_core", "parameters": {}, "seconds": 1.0, "cells": cells}


def test_resources_count_lutram_and_bram_halves() -> None:
    used = synth.resources({"LUT6": 10, "LUT2": 5, "RAM64M": 2, "SRLC32E": 1, "FDRE": 7, "FDSE": 1,
                            "DSP48E1": 3, "RAMB36E1": 4, "RAMB18E1": 3, "CARRY4": 9, "MUXF7": 100})
    assert used == {"LUT": 10 + 5 + 8 + 1, "FF": 8, "DSP48E1": 3, "BRAM36": 5.5, "CARRY4": 9}


def test_fits_at_the_margin_and_not_above() -> None:
    limit = 220 * (100 - synth.MARGIN_PERCENT) // 100  # 198 of 220 DSP48E1: exactly 10% free
    summary, table = synth.fit_report(result(DSP48E1=limit, LUT6=1000, RAMB36E1=10))
    assert summary["fits"] and "Fits with the margin" in table
    summary, table = synth.fit_report(result(DSP48E1=limit + 1))
    assert not summary["fits"] and summary["over_limit"] == ["DSP48E1"] and "DOES NOT FIT" in table
    assert "| DSP48E1 | 199 | 220 | 90.5% |" in table


def test_report_from_a_finished_run(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(synth, "OUT", tmp_path)
    path = tmp_path / "result.json"
    path.write_text(json.dumps(result(RAMB36E1=130)))  # 92.9% of the BRAM: over the limit
    assert synth.main(["bg_core", "--report", str(path)]) == 1
    summary = json.loads((tmp_path / "core.json").read_text())
    assert summary["over_limit"] == ["BRAM36"] and (tmp_path / "core.md").is_file()


def test_ultrascale_resources_and_a_zcu104_report(tmp_path, monkeypatch) -> None:
    used = synth.resources({"LUT6": 4, "RAM32M16": 2, "DSP48E2": 5, "RAMB36E2": 2, "RAMB18E2": 1, "URAM288": 3,
                            "CARRY8": 7, "CARRY4": 6, "DSP48E1": 100}, "xcup")
    assert used == {"LUT": 4 + 16, "FF": 0, "DSP48E2": 5, "BRAM36": 2.5, "URAM288": 3, "CARRY8": 7 + 3}
    monkeypatch.setattr(synth, "OUT", tmp_path)
    path = tmp_path / "result.json"
    path.write_text(json.dumps({**result(DSP48E2=1600), "target": "zcu104"}))  # 92.6% of 1,728: over
    assert synth.main(["bg_core", "--report", str(path)]) == 1
    summary = json.loads((tmp_path / "core-zcu104.json").read_text())
    assert summary["over_limit"] == ["DSP48E2"] and "XCZU7EV" in summary["part"]
    assert "-family xcup -uram" in (tmp_path / "core-zcu104.md").read_text()
    assert not (tmp_path / "core.json").exists()  # the default target's report is left alone


def test_targets_fit_their_parts_and_networks() -> None:
    """What bg_core's elaboration checks cannot know (its parameter ranges: tests/hw/test_rtl_lint.py lints
    each target): the network width the target is sized for, and the part's DSP count."""
    from blurgauge.hw import targets

    for t in targets.TARGETS.values():
        p = t.core
        assert 0 <= p["DSP_PRODUCTS"] <= p["LANES"] ** 2
        # The stem's output (64 x 64 pixels x width channels, padded to whole lane groups) fills one slot.
        assert 64 * 64 * -(-t.width // p["LANES"]) * p["LANES"] <= p["SLOT_BYTES"]
        dsp = next(k for k in t.totals if k.startswith("DSP"))
        assert p["DSP_PRODUCTS"] < t.totals[dsp]
    with pytest.raises(ValueError, match="unknown target 'kc705'"):
        targets.get("kc705")
