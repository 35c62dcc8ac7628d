"""Loading user images as gray [0, 1], clear errors for bad files, and the dead-leaves source."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from blurgauge.model.data.dead_leaves import dead_leaves
from blurgauge.model.inputs.images import ImageError, list_images, load_gray

SHAPE = (21, 34)  # rows, columns: non-square so a transposition would show
LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601


def rgb_pixels(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*SHAPE, 3)).astype(np.uint8)


def expected_luma(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.float64) / 255.0 for i in range(3))
    return LUMA[0] * r + LUMA[1] * g + LUMA[2] * b


def test_gray_8bit_png(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, SHAPE).astype(np.uint8)
    path = tmp_path / "gray.png"
    Image.fromarray(pixels).save(path)
    gray = load_gray(path)
    assert gray.shape == SHAPE and gray.dtype == np.float64
    np.testing.assert_allclose(gray, pixels / 255.0, rtol=0, atol=1e-12)


def test_rgb_png(tmp_path):
    rgb = rgb_pixels(2)
    path = tmp_path / "rgb.png"
    Image.fromarray(rgb).save(path)
    gray = load_gray(str(path))  # str paths work as well as Path
    assert gray.shape == SHAPE
    np.testing.assert_allclose(gray, expected_luma(rgb), rtol=0, atol=1 / 255)


def test_rgba_png_ignores_alpha(tmp_path):
    rgb = rgb_pixels(3)
    alpha = np.random.default_rng(4).integers(0, 256, SHAPE).astype(np.uint8)
    path = tmp_path / "rgba.png"
    Image.fromarray(np.dstack([rgb, alpha])).save(path)
    gray = load_gray(path)
    np.testing.assert_allclose(gray, expected_luma(rgb), rtol=0, atol=1 / 255)
    # Same gray as the opaque image: alpha changes nothing.
    opaque = tmp_path / "opaque.png"
    Image.fromarray(rgb).save(opaque)
    np.testing.assert_allclose(gray, load_gray(opaque), rtol=0, atol=1e-12)


def test_gray_16bit_png(tmp_path):
    pixels = np.random.default_rng(5).integers(0, 65536, SHAPE).astype(np.uint16)
    pixels[0, 0], pixels[0, 1] = 0, 65535
    path = tmp_path / "deep.png"
    Image.fromarray(pixels).save(path)
    with Image.open(path) as img:
        assert img.mode in ("I;16", "I")  # really a 16-bit file
    gray = load_gray(path)
    np.testing.assert_allclose(gray, pixels / 65535.0, rtol=0, atol=1e-9)
    assert gray[0, 0] == 0.0 and gray[0, 1] == pytest.approx(1.0)


def test_npy_float(tmp_path):
    pixels = np.random.default_rng(6).random(SHAPE)
    path = tmp_path / "array.npy"
    np.save(path, pixels)
    np.testing.assert_allclose(load_gray(path), pixels, rtol=0, atol=1e-12)


def test_npy_rgb_uint8(tmp_path):
    rgb = rgb_pixels(7)
    path = tmp_path / "rgb.npy"
    np.save(path, rgb)
    np.testing.assert_allclose(load_gray(path), expected_luma(rgb), rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("x.png", b"this is not an image, just some text\n"),
        ("noise.png", np.random.default_rng(8).bytes(4096)),
        ("noise.bin", np.random.default_rng(9).bytes(4096)),
        ("noise.npy", np.random.default_rng(10).bytes(4096)),
        ("empty.png", b""),
    ],
)
def test_unreadable_files_name_the_path(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageError) as info:
        load_gray(path)
    assert str(path) in str(info.value)


def test_truncated_png_names_the_path(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(rgb_pixels(11)).save(good)
    data = good.read_bytes()
    path = tmp_path / "truncated.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as info:
        load_gray(path)
    assert str(path) in str(info.value)


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere.png"
    with pytest.raises(ImageError) as info:
        load_gray(path)
    assert str(path) in str(info.value)


def test_min_size_rejection_names_file_and_size(tmp_path):
    path = tmp_path / "small.png"
    Image.fromarray(np.zeros((100, 140), dtype=np.uint8)).save(path)
    with pytest.raises(ImageError) as info:
        load_gray(path, min_size=129)
    message = str(info.value)
    assert str(path) in message
    assert "140x100" in message or "100x140" in message
    # Large enough on both axes: accepted.
    ok = tmp_path / "ok.png"
    Image.fromarray(np.zeros((129, 130), dtype=np.uint8)).save(ok)
    assert load_gray(ok, min_size=129).shape == (129, 130)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_npy_non_finite_names_the_file(tmp_path, bad):
    pixels = np.full(SHAPE, 0.5)
    pixels[3, 4] = bad
    path = tmp_path / "bad.npy"
    np.save(path, pixels)
    with pytest.raises(ImageError) as info:
        load_gray(path)
    assert str(path) in str(info.value)


def test_list_images(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImageError) as info:
        list_images([empty])
    assert str(empty) in str(info.value)

    only_text = tmp_path / "text"
    only_text.mkdir()
    (only_text / "notes.txt").write_text("hello")
    with pytest.raises(ImageError):
        list_images([only_text])

    full = tmp_path / "full"
    full.mkdir()
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(full / "b.png")
    np.save(full / "a.npy", np.zeros((4, 4)))
    (full / "notes.txt").write_text("hello")
    single = tmp_path / "single.png"
    assert list_images([full, single]) == [full / "a.npy", full / "b.png", single]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_dead_leaves(seed):
    image = dead_leaves(np.random.default_rng(seed), (96, 130))
    assert image.shape == (96, 130)
    assert image.dtype == np.float64
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert image.std() > 0.05
    again = dead_leaves(np.random.default_rng(seed), (96, 130))
    np.testing.assert_array_equal(image, again)
    other = dead_leaves(np.random.default_rng(seed + 100), (96, 130))
    assert not np.array_equal(image, other)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float64])
def test_colour_to_gray_is_the_same_bits_on_every_machine(dtype):
    """Gray is r*0.299 + g*0.587 + b*0.114 as separate IEEE operations, bit for bit: a matrix product would
    round by the BLAS build (different on a board's numpy), and the noise top-up is seeded by these bytes."""
    from blurgauge.model.inputs.images import to_gray

    rng = np.random.default_rng(9)
    full = {np.uint8: 255.0, np.uint16: 65535.0, np.float64: 1.0}[dtype]
    raw = rng.integers(0, int(full) + 1 if full > 1 else 256, (300, 301, 3))
    pixels = raw.astype(dtype) if full > 1 else (raw / 255.0).astype(dtype)
    rgb = pixels.astype(np.float64) / full if full > 1 else pixels
    want = rgb[..., 0] * 0.299
    want = want + rgb[..., 1] * 0.587
    want = want + rgb[..., 2] * 0.114
    assert np.array_equal(to_gray(pixels), want)
