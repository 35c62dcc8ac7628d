"""``blurgauge estimate`` on tiny random networks: the output contract, bad input, and the backends'
agreement. The networks are untrained, so only the plumbing is checked."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from blurgauge.host.cli import main
from blurgauge.model import classes
from tests.conftest import gray_png, structured


def test_estimate_json_contract_and_bad_input(tiny_weights, tmp_path, capsys):
    good = tmp_path / "good.png"
    gray_png(good, 160, 200, 0)
    rgb = tmp_path / "colour.png"
    Image.fromarray(structured(150, 150, 1, channels=3)).save(rgb)
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
