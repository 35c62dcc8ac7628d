"""The ``blurgauge`` command line: help, the demo, one-line errors and --debug."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blurgauge.host.cli import main
from blurgauge.model.data.dataset import DatasetError, build_dataset
from blurgauge.model.data.synthesis import SynthesisConfig


def _entry_point() -> str:
    beside = Path(sys.executable).parent / "blurgauge"
    found = str(beside) if beside.exists() else shutil.which("blurgauge")
    if found is None:
        pytest.skip("the blurgauge console script is not installed")
    return found


def test_installed_command_help():
    result = subprocess.run([_entry_point(), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "example" in result.stdout.lower()
    assert "blurgauge demo" in result.stdout


@pytest.mark.parametrize(
    ("argv", "example"),
    [
        (["--help"], "blurgauge data info"),
        (["data", "build", "--help"], "blurgauge data build --out"),
    ],
)
def test_help_exits_zero_with_an_example(capsys, argv, example):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out.lower()
    assert example in out


def test_demo_prints_ground_truth(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\bwidth:\s+23 px", out), out
    assert re.search(r"\bheight:\s+15 px", out), out
    # 23 px lies in (21,23] of R2 and 15 px in (13,15] of R1.
    assert "(21,23]" in out and "(13,15]" in out
    assert "R2" in out and "R1" in out


def test_data_info_on_empty_folder_is_one_line(capsys, tmp_path):
    empty = tmp_path / "nothing here"
    empty.mkdir()
    assert main(["data", "info", str(empty)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err and "\n" not in err
    assert str(empty) in err
    assert "Traceback" not in captured.err + captured.out


def test_debug_reraises(tmp_path):
    with pytest.raises(DatasetError):
        main(["--debug", "data", "info", str(tmp_path)])


def test_build_then_info(capsys, tmp_path):
    out_dir = tmp_path / "tiny"
    argv = ["data", "build", "--out", str(out_dir), "--count", "3", "--shard-size", "2",
            "--image-size", "150", "--workers", "1", "--min-extent", "40", "--max-extent", "40"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["data", "info", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\b3 patches", out), out
    assert "extent 40..40 px" in out


def test_bad_option_value_is_one_line(capsys, tmp_path):
    argv = ["data", "build", "--out", str(tmp_path / "x"), "--count", "3", "--image-size", "100"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err
    assert "100" in err


def test_data_info_on_damaged_shard_is_one_line(capsys, tmp_path):
    root = build_dataset(tmp_path / "d", 2, SynthesisConfig(image_size=140), shard_size=1, workers=1,
                         progress=False)
    shard = root / "shard-00001.npz"
    shard.write_bytes(shard.read_bytes()[:300])
    assert main(["data", "info", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err
    assert "shard-00001.npz" in err


# ---- blurgauge estimate: output contract, bad input, --debug, backends that cannot run here -------------


def _png(path: Path, rows: int, cols: int, seed: int) -> Path:
    from PIL import Image

    from tests.conftest import structured

    Image.fromarray(structured(rows, cols, seed)).save(path)
    return path


@pytest.fixture(scope="module")
def programs(six_programs, tmp_path_factory) -> Path:
    """The six networks' core programs as .bgcp files: the golden backend then starts without hls4ml."""
    from blurgauge.hw.compiler import program

    folder = tmp_path_factory.mktemp("programs")
    images = {name: program.pack(p) for name, p in six_programs().items()}
    program.write_folder(images, folder, {"noise_floor": 0.0, "input_transform": "gradient"})
    return folder


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> dict[str, Path]:
    import numpy as np

    root = tmp_path_factory.mktemp("inputs")
    nan = np.full((150, 150), 0.5)
    nan[0, 0] = np.nan
    inf = np.full((150, 150), 0.5, np.float32)
    inf[1, 1] = np.inf
    (root / "empty").mkdir()
    (root / "text.png").write_text("not an image")
    np.save(root / "nan.npy", nan)
    np.save(root / "inf.npy", inf)
    return {
        "good": _png(root / "good.png", 150, 170, 1),
        "text": root / "text.png",
        "small": _png(root / "small.png", 127, 300, 2),
        "nan": root / "nan.npy",
        "inf": root / "inf.npy",
        "empty": root / "empty",
        "missing": root / "missing.png",
    }


def test_estimate_bad_inputs_are_one_line_each_and_the_rest_run(programs, bad_inputs, capsys):
    argv = ["estimate", "--backend", "golden", "--weights", str(programs), "--format", "json",
            *map(str, bad_inputs.values())]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert [json.loads(line)["path"] for line in out.splitlines()] == [str(bad_inputs["good"])]
    lines = err.strip().splitlines()
    assert len(lines) == len(bad_inputs) - 1 and "Traceback" not in err
    for name, path in bad_inputs.items():
        if name != "good":
            assert sum(str(path) in line for line in lines) == 1, (name, err)
    assert "NaN or infinite" in err and "at least 129x129" in err and "no image files" in err


def test_estimate_csv_keeps_its_columns_and_debug_shows_tracebacks(programs, bad_inputs, capsys):
    argv = ["estimate", "--debug", "--backend", "golden", "--weights", str(programs), "--format", "csv",
            str(bad_inputs["good"]), str(bad_inputs["text"])]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    header, row = out.strip().splitlines()
    assert header.split(",") == ["path", "width", "height", "width_coarse", "width_fine", "width_confidence",
                                 "height_coarse", "height_fine", "height_confidence", "seconds"]
    assert row.startswith(str(bad_inputs["good"]))
    assert "Traceback" in err and "ImageError" in err and str(bad_inputs["text"]) in err


def test_estimate_pynq_without_a_board_is_one_clear_line(bad_inputs, capsys):
    assert main(["estimate", "--backend", "pynq", str(bad_inputs["good"])]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "pynq" in err and "Traceback" not in err


@pytest.mark.fullsize
@pytest.mark.slow
def test_estimate_rtl_equals_golden_and_reports_cycles(programs, bad_inputs, capsys):
    """The command line over the default core (16 x 16, simulated): same classes and sizes as golden."""
    from blurgauge.host.transports.rtl import rtl_available

    if rtl_available() is not None:
        pytest.skip(str(rtl_available()))
    records = {}
    for backend in ("golden", "rtl"):
        argv = ["estimate", "--backend", backend, "--weights", str(programs), "--format", "json",
                str(bad_inputs["good"])]
        assert main(argv) == 0
        (line,) = capsys.readouterr().out.splitlines()
        records[backend] = json.loads(line)
    keys = ("width", "height", "width_coarse", "width_fine", "height_coarse", "height_fine")
    assert {k: records["rtl"][k] for k in keys} == {k: records["golden"][k] for k in keys}
    assert records["golden"]["cycles"] is None and records["rtl"]["cycles"] > 100_000


@pytest.mark.parametrize("value", ["0", "two"])
def test_patches_must_be_a_positive_whole_number(capsys, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["estimate", "--patches", value, "photo.png"])
    assert exit_info.value.code == 2
    assert "--patches" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "why"), [("100", "at least 129 px, got 100"), ("big", "whole number of pixels")])
def test_a_window_below_a_map_or_not_a_number_is_refused_naming_it(capsys, value, why):
    for command in ("estimate", "eval"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--window", value, *(["photo.png"] if command == "estimate" else [])])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "--window" in err and why in err


def test_estimate_through_a_window_reads_the_centre_alone(programs, bad_inputs, capsys, tmp_path):
    """--window reaches prepare(): a file whose outside differs gives the same estimate, not the whole
    image's."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(bad_inputs["good"]))
    changed = pixels.copy()
    changed[:, :20] = 255 - changed[:, :20]  # outside the central 130 columns of 170
    Image.fromarray(changed).save(tmp_path / "changed.png")
    records = {}
    for window in ("0", "130"):
        argv = ["estimate", "--backend", "golden", "--weights", str(programs), "--format", "json", "--window", window,
                str(bad_inputs["good"]), str(tmp_path / "changed.png")]
        assert main(argv) == 0
        records[window] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    keys = ("width", "height", "structure")
    whole, windowed = ([{k: r[k] for k in keys} for r in records[w]] for w in ("0", "130"))
    assert windowed[0] == windowed[1]
    assert whole[0] != windowed[0]


def test_cli_defaults_are_the_configurations_defaults() -> None:
    """The command line takes its defaults from the dataclasses and tables it fills, not from copies."""
    import dataclasses

    from blurgauge.host.cli import build_parser
    from blurgauge.hw import targets
    from blurgauge.model.training.config import TrainConfig

    parser = build_parser()
    build = vars(parser.parse_args(["data", "build", "--out", "x", "--count", "1"]))
    syn = SynthesisConfig()
    for field in dataclasses.fields(SynthesisConfig):
        name = field.name
        if name in build:
            assert build[name] == getattr(syn, name), name
    assert tuple(build["noise"]) == (syn.noise_min, syn.noise_max)
    assert tuple(build["natural_scale"]) == (syn.natural_scale_min, syn.natural_scale_max)
    train = vars(parser.parse_args(["train", "--role", "coarse", "--data", "d", "--val", "v", "--run", "r"]))
    cfg = TrainConfig(role="coarse")
    for name in ("width", "epochs", "epoch_size", "batch_size", "lr", "final_lr", "widen", "seed", "val_size",
                 "distribute", "input_transform", "input_region", "teacher_weight"):
        assert train[name] == getattr(cfg, name), name
    lanes = targets.get(targets.DEFAULT_TARGET).lanes
    assert vars(parser.parse_args(["hls"]))["lanes"] == lanes
    assert vars(parser.parse_args(["cost"]))["lanes"] == lanes
