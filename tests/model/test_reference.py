"""The reference data: one default folder for every command, and what it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from blurgauge.model.data import reference, splits
from tests.conftest import fake_data_root, gray_png

REPO = Path(__file__).resolve().parents[2]


def test_the_default_lies_beside_the_repository_and_training_uses_it(tmp_path, capsys, monkeypatch):
    from blurgauge.model.training import recipe

    assert REPO.parent / "shared" / "data" == reference.DEFAULT_DATA_ROOT
    monkeypatch.chdir(tmp_path)  # the default does not depend on the working folder
    assert recipe.main(["--work", str(tmp_path), "--dry-run"]) == 0  # prints the commands only
    assert str(reference.DEFAULT_DATA_ROOT.resolve() / splits.KODAK_FOLDER) in capsys.readouterr().out
    found = reference.default_data_root()
    assert found == (reference.DEFAULT_DATA_ROOT if reference.DEFAULT_DATA_ROOT.is_dir() else None)


def test_a_missing_folder_names_itself_and_the_option(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=r"nowhere.*--data"):
        reference.resolve_data_root(missing)
    assert reference.resolve_data_root(str(tmp_path)) == tmp_path


def test_levin_kernels_photos_and_the_held_out_kodak_images(tmp_path):
    root = fake_data_root(tmp_path)
    assert sorted(reference.levin_kernels(root)) == [1, 2]
    assert [(p.parent.name, p.stem) for p in reference.levin_photos(root)] == [
        ("natural_BSD68", "a"), ("natural_BSD68", "b"), ("natural_Set12", "c")]
    assert {p.name for p in reference.held_out_kodak(root)} <= set(splits.KODAK_HELD_OUT)
    (root / "natural_Set12" / "c.png").unlink()
    with pytest.raises(FileNotFoundError, match="natural_Set12: no PNG images"):
        reference.levin_photos(root)


def test_kodak_without_a_held_out_image_is_an_error(tmp_path):
    folder = tmp_path / splits.KODAK_FOLDER
    folder.mkdir()
    gray_png(folder / "kodim01.png", 240, 240, 0)
    assert "kodim01.png" not in splits.KODAK_HELD_OUT
    with pytest.raises(FileNotFoundError, match="held-out"):
        reference.held_out_kodak(tmp_path)
