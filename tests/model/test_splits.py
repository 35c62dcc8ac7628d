"""What may be trained on: test data is refused, Kodak24 is reduced to its training split."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from blurgauge.model.data import splits
from blurgauge.model.data.synthesis import SynthesisConfig, folder_images, make_sample


def test_splits_partition_kodak24() -> None:
    assert not set(splits.KODAK_TRAIN) & set(splits.KODAK_HELD_OUT)
    assert len(splits.KODAK_TRAIN) + len(splits.KODAK_HELD_OUT) == 24


@pytest.mark.parametrize("folder", ["natural_BSD68", "natural_Set12", "levin09_kair", "levin09_selfdeblur"])
def test_test_data_is_never_a_training_source(tmp_path, folder) -> None:
    (tmp_path / folder).mkdir()
    with pytest.raises(ValueError, match="evaluation data"):
        splits.training_images(tmp_path / folder)


def test_kodak_folder_yields_only_its_training_split(tmp_path) -> None:
    folder = tmp_path / splits.KODAK_FOLDER
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in (2, 16, 17, 23):
        Image.fromarray((rng.random((240, 240)) * 255).astype(np.uint8)).save(folder / f"kodim{i:02d}.png")
    assert [p.name for p in folder_images(str(folder))] == ["kodim02.png", "kodim16.png"]
    assert splits.training_images(tmp_path) is None  # any other folder: all of it


def test_image_fraction_mixes_sources_and_is_validated(tmp_path) -> None:
    with pytest.raises(ValueError, match="image_fraction"):
        SynthesisConfig(image_fraction=1.5)
    folder = tmp_path / "mine"
    folder.mkdir()
    Image.fromarray(np.full((240, 240), 128, np.uint8)).save(folder / "flat.png")
    # A flat natural image has no gradient at all: a sample from it has a zero patch, dead leaves do not.
    def stds(fraction: float) -> list[float]:
        cfg = SynthesisConfig(image_folder=str(folder), image_fraction=fraction, noise_max=0.0)
        return [make_sample(3, i, cfg)["std"] for i in range(4)]

    assert max(stds(1.0)) == 0.0 and min(stds(0.0)) > 0.5
