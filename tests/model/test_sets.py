"""The blurred evaluation sets: which photos, reproducibility, and the patches they keep."""

from __future__ import annotations

import numpy as np

from blurgauge.model.data import splits
from blurgauge.model.evaluation.sets import levin_on_kodak_set, levin_set, protocol_sets, sweep_set
from tests.conftest import fake_data_root, gray_png


def test_sweep_uses_only_the_held_out_kodak_images(tmp_path):
    folder = tmp_path / splits.KODAK_FOLDER
    folder.mkdir()
    for i in (1, 5, 17, 24):
        gray_png(folder / f"kodim{i:02d}.png", 240, 240, i)
    sweep = sweep_set(tmp_path, per_extent=1, progress=False)
    assert {b.image for b in sweep} <= {"kodim17", "kodim24"} and len({b.image for b in sweep}) == 2
    assert [b.width for b in sweep[:3]] == [3, 4, 5]  # every width once, in order


def test_the_levin_sets_are_every_kernel_on_every_photo_and_reproducible(tmp_path):
    root = fake_data_root(tmp_path)
    levin = levin_set(root, progress=False)
    assert [(b.collection, b.image, b.kernel) for b in levin[:3]] == [
        ("natural_BSD68", "a.png", "kernel1"), ("natural_BSD68", "a.png", "kernel2"),
        ("natural_BSD68", "b.png", "kernel1")]
    assert len(levin) == 6 and {b.collection for b in levin} == {"natural_BSD68", "natural_Set12"}
    again = levin_set(root, progress=False)
    assert all(np.array_equal(a.width_codes, b.width_codes) for a, b in zip(levin, again, strict=True))
    other_seed = levin_set(root, seed=5, progress=False)
    assert not np.array_equal(levin[0].width_codes, other_seed[0].width_codes)
    control = levin_on_kodak_set(root, progress=False)
    assert {b.image for b in control} == {"kodim20.png"} and len(control) == 2
    assert all(0 < b.width_spread <= 1 and 0 < b.height_spread <= 1 for b in levin)


def test_more_patches_per_axis_keep_the_first_ones(tmp_path):
    """The product evaluation builds one patch per axis and the studies several: the shared
    first patch, and so the headline figures, are the same."""
    root = fake_data_root(tmp_path)
    one = protocol_sets(root, per_extent=1, progress=False)
    four = protocol_sets(root, per_extent=1, progress=False, patches=4)
    several = 0
    for a_set, b_set in zip(one, four, strict=True):
        for a, b in zip(a_set, b_set, strict=True):
            assert len(a.width_codes) == 1  # a small image under a wide kernel may give only one patch
            several += len(b.width_codes) > 1
            assert np.array_equal(a.width_codes[0], b.width_codes[0])
            assert np.array_equal(a.height_codes[0], b.height_codes[0])
    assert several > len(one.levin)
