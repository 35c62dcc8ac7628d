"""The input transforms and the preprocessing settings (model/inputs/preprocess.py)."""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model.inputs.patches import horizontal_gradient, width_patches
from blurgauge.model.inputs.preprocess import (
    AUTOCORRELATION,
    GRADIENT,
    IMAGE,
    PATCH,
    PLAIN,
    Preprocessing,
    autocorrelation,
    check_region,
    default_region,
    input_codes,
    network_input,
    resolve_region,
)


def _direct(patch: np.ndarray, dy: int, dx: int) -> float:
    """The mean product of the pixel pairs (y, x), (y + dy, x + dx) inside the map: by definition."""
    g = patch - patch.mean()
    rows, cols = g.shape
    total, count = 0.0, 0
    for y in range(rows):
        for x in range(cols):
            if 0 <= y + dy < rows and 0 <= x + dx < cols:
                total += g[y, x] * g[y + dy, x + dx]
                count += 1
    return total / count


def test_the_autocorrelation_matches_its_definition() -> None:
    rng = np.random.default_rng(0)
    patch = rng.normal(size=(16, 16)) + np.linspace(0, 3, 16)  # a trend, so the centring matters
    lags = autocorrelation(patch)
    assert lags.shape == (16, 16)
    for dy, dx in ((0, 0), (0, 5), (-8, 0), (7, 15), (-3, 9), (3, 1)):
        assert lags[dy + 8, dx] == pytest.approx(_direct(patch, dy, dx), rel=1e-9, abs=1e-12)
    batch = rng.normal(size=(3, 16, 16))
    np.testing.assert_allclose(autocorrelation(batch)[1], autocorrelation(batch[1]))


def test_a_horizontal_blur_shows_as_a_dip_at_its_length() -> None:
    # The forward difference of a box blur of length L along x is (sharp(x) - sharp(x - L)) / L.
    rng = np.random.default_rng(1)
    sharp = rng.normal(size=(128, 128 + 40))
    for length in (5, 17, 33):
        gradient = (sharp[:, 40:] - sharp[:, 40 - length : 168 - length]) / length
        row = autocorrelation(gradient)[64]  # dy = 0
        assert int(np.argmin(row[2:100])) + 2 == length


def test_the_codes_keep_the_input_format_and_ignore_contrast_and_sign() -> None:
    rng = np.random.default_rng(2)
    patch = rng.normal(size=(128, 128)) * 12.0
    codes = input_codes(patch, AUTOCORRELATION)
    assert codes.dtype == np.int8 and codes.shape == (128, 128)
    assert codes[64, 0] == 127  # the zero lag stands far above the rest and saturates
    np.testing.assert_array_equal(codes, input_codes(-3.0 * patch, AUTOCORRELATION))
    np.testing.assert_array_equal(input_codes(patch), PLAIN.codes(patch))  # the default is the paper's
    np.testing.assert_array_equal(network_input(patch, AUTOCORRELATION)[..., 0] * 16, codes.astype(np.float32))
    assert not np.array_equal(codes, input_codes(patch))


def test_settings_read_back_and_bad_ones_are_named() -> None:
    prep = Preprocessing(0.01, AUTOCORRELATION)
    assert Preprocessing.from_meta(prep.as_meta(), "x") == prep
    assert Preprocessing.from_meta({}, "old file") == PLAIN  # files from before either key
    with pytest.raises(ValueError, match=r"coarse\.bgw\.npz: unknown input transform 'fft'"):
        Preprocessing.from_meta({"input_transform": "fft"}, "coarse.bgw.npz")
    with pytest.raises(ValueError, match=r"coarse\.bgw\.npz: unreadable"):
        Preprocessing.from_meta({"noise_floor": [1]}, "coarse.bgw.npz")
    with pytest.raises(ValueError, match="noise floor"):
        Preprocessing(0.9)
    with pytest.raises(ValueError, match="square"):
        autocorrelation(np.zeros((4, 6)))
    with pytest.raises(ValueError, match="at least 16 columns"):
        autocorrelation(np.zeros((40, 12)), 16)


def test_a_whole_gradient_map_gives_the_same_lags_over_more_pairs() -> None:
    rng = np.random.default_rng(3)
    wide = rng.normal(size=(23, 37)) + np.linspace(0, 2, 37)
    lags = autocorrelation(wide, 16)
    assert lags.shape == (16, 16)
    for dy, dx in ((0, 0), (0, 15), (-8, 3), (7, 11)):
        assert lags[dy + 8, dx] == pytest.approx(_direct(wide, dy, dx), rel=1e-9, abs=1e-12)


def test_the_image_region_reads_one_map_per_axis_and_only_for_the_autocorrelation() -> None:
    rng = np.random.default_rng(4)
    image = rng.random((160, 400))
    acorr = Preprocessing(0.0, AUTOCORRELATION)
    width, height = acorr.axis_codes(image, region=IMAGE)
    assert width.shape == height.shape == (1, 128, 128) and width.dtype == np.int8
    np.testing.assert_array_equal(width[0], acorr.image_codes(horizontal_gradient(image)))
    np.testing.assert_array_equal(height[0], acorr.image_codes(horizontal_gradient(image.T)))
    along_x, _ = acorr.axis_codes(image, patches=2)  # the patch region: the training's maps
    assert along_x.shape == (2, 128, 128)
    np.testing.assert_array_equal(along_x[0], acorr.codes(width_patches(image, 2)[0].gradient))
    assert not np.array_equal(along_x[0], width[0])
    assert (default_region(AUTOCORRELATION), default_region(AUTOCORRELATION, 4), default_region(GRADIENT)) == (
        IMAGE, PATCH, PATCH)
    assert check_region(IMAGE, AUTOCORRELATION) == IMAGE
    assert (resolve_region(None, AUTOCORRELATION), resolve_region(None, AUTOCORRELATION, 3),
            resolve_region(PATCH, AUTOCORRELATION)) == (IMAGE, PATCH, PATCH)
    with pytest.raises(ValueError, match="patches=3 pools distinct patches"):
        resolve_region(IMAGE, AUTOCORRELATION, 3)
    with pytest.raises(ValueError, match="image region needs networks that read the autocorrelation"):
        PLAIN.axis_codes(image, region=IMAGE)
    with pytest.raises(ValueError, match="unknown input region 'tile'"):
        check_region("tile", GRADIENT)


def test_the_window_is_the_central_part_each_side_capped_and_bad_windows_are_named() -> None:
    from blurgauge.model.inputs.images import central_window
    from blurgauge.model.inputs.preprocess import check_window

    image = np.arange(300 * 500 * 3).reshape(300, 500, 3)
    part = Preprocessing(0.0, AUTOCORRELATION, window=200).crop(image)
    assert part.shape == (200, 200, 3) and np.shares_memory(part, image)  # a view, no copy
    np.testing.assert_array_equal(part, image[50:250, 150:350])
    # a side shorter than the window is kept whole; 0 reads the whole image
    np.testing.assert_array_equal(central_window(image, 400), image[:, 50:450])
    assert central_window(image, 0) is image and Preprocessing().crop(image) is image
    assert central_window(np.zeros((129, 131)), 130).shape == (129, 130)
    assert check_window(0) == 0 and check_window(np.int64(129)) == 129
    for bad in (128, 1, -5, True, 200.0, "320"):
        with pytest.raises(ValueError, match=r"window must be 0 \(the whole image\) or a side of at least 129 px"):
            Preprocessing(window=bad)  # type: ignore[arg-type]
    # an inference choice, not a property of the networks: their files do not record it
    assert Preprocessing(0.01, AUTOCORRELATION, window=320).as_meta() == Preprocessing(0.01, AUTOCORRELATION).as_meta()
