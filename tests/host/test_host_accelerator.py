"""Accelerator (host/accelerator.py): backends agree, the device path (driver, one patch on chip)
equals golden, and estimate_many survives bad images, in order.

Networks: the six briefly trained width-2 networks of tests/conftest.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from blurgauge.host.accelerator import Accelerator, Estimate, Failure
from blurgauge.model.inputs.images import ImageError
from tests.conftest import structured
from tests.host.core_model import ModelTransport


def _png(path: Path, rows: int, cols: int, seed: int) -> Path:
    Image.fromarray(structured(rows, cols, seed)).save(path)
    return path


def _key(result: Estimate) -> tuple:
    return (result.width.coarse, result.width.fine, result.height.coarse, result.height.fine,
            result.width_px, result.height_px)


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("images")
    return [_png(folder / f"{i}.png", 150 + 10 * i, 170, 20 + i) for i in range(3)]


@pytest.fixture(scope="module")
def programs(six_programs, tmp_path_factory) -> Path:
    """The six networks' core programs for a 4 x 4 array, as .bgcp files: built once (through hls4ml),
    then read by the golden backend and written to the core model's memory."""
    from blurgauge.hw.compiler import program

    folder = tmp_path_factory.mktemp("programs")
    images = {name: program.pack(p) for name, p in six_programs(4).items()}
    program.write_folder(images, folder, {"noise_floor": 0.0, "input_transform": "gradient"})
    return folder


@pytest.fixture(scope="module")
def golden(programs):
    with Accelerator("golden", programs) as acc:
        yield acc


def test_golden_and_keras_agree(six_networks, golden, images):
    with Accelerator("keras", six_networks) as keras:
        for path in images:
            a, b = golden.estimate(path), keras.estimate(path)
            assert _key(a)[:4] == _key(b)[:4]  # the same classes; the sizes weigh float softmaxes
            assert _key(a)[4:] == pytest.approx(_key(b)[4:], rel=1e-6)
            np.testing.assert_allclose(a.width.fine_probabilities, b.width.fine_probabilities, rtol=1e-5)


def test_the_device_path_equals_golden_and_reports_stages(programs, golden, images):
    # The register-level core model: one start of the image job per image (both axes, coarse and fine).
    transport = ModelTransport(4, 4, 14)
    with Accelerator("model", programs, transport=transport) as device:
        assert device.driver.info.lanes == 4
        for n, path in enumerate(images, start=1):
            a, b = golden.estimate(path), device.estimate(path)
            assert _key(a) == _key(b)
            assert [(s.stage, s.network, s.axis) for s in b.stages] == [("image", "coarse+fine", "both")]
            assert transport.jobs == n  # one start per image
            assert b.cycles == 0  # the model counts no cycles; the rtl backend does
            assert a.cycles is None and a.record()["cycles"] is None


def test_estimate_takes_arrays_and_names_bad_ones(golden):
    rgb16 = structured(140, 160, 0, channels=3).astype(np.uint16) * 257
    result = golden.estimate(rgb16, label="rgb16")
    assert result.path == "rgb16" and 3 <= result.width_px <= 95
    assert result.preprocess_seconds > 0 and result.seconds >= result.preprocess_seconds
    with pytest.raises(ImageError, match="small: image is 300x100 px"):
        golden.estimate(np.zeros((100, 300)), label="small")


def test_estimate_many_keeps_going_past_bad_images(golden, images, tmp_path):
    not_image = tmp_path / "notes.png"
    not_image.write_text("not an image")
    nan = np.full((150, 150), 0.5)
    nan[3, 4] = np.nan
    batch = [images[0], not_image, np.zeros((60, 200)), nan, tmp_path / "missing.png", images[1]]
    labels = ["first", "notes", "small", "nan", "missing", "last"]
    results = list(golden.estimate_many(batch, labels=labels))
    assert [r.path for r in results] == labels
    assert [isinstance(r, Failure) for r in results] == [False, True, True, True, True, False]
    assert "not an image" in results[1].error and "NaN or infinite" in results[3].error
    assert "no such file" in results[4].error
    assert all("\n" not in r.error for r in results if isinstance(r, Failure))
    assert _key(results[0]) == _key(golden.estimate(images[0]))


def test_two_workers_prepare_two_images_at_once_and_keep_their_order(golden, images, monkeypatch):
    serial = [_key(r) for r in golden.estimate_many(images * 2, workers=1)]
    both_started = threading.Barrier(2, timeout=30)  # broken (an error) unless two preparations overlap
    real = golden._prepare

    def prepare_together(image, label=None):
        if label in ("#0", "#1"):
            both_started.wait()
            if label == "#0":
                time.sleep(0.2)  # the first image finishes last: its result must still come first
        return real(image, label)

    monkeypatch.setattr(golden, "_prepare", prepare_together)
    labels = [f"#{i}" for i in range(len(images) * 2)]
    results = list(golden.estimate_many(images * 2, labels=labels, workers=2))
    assert [r.path for r in results] == labels
    assert [_key(r) for r in results] == serial
    with pytest.raises(TypeError, match="workers must be a whole number"):
        list(golden.estimate_many(images, workers=0))


def test_two_images_at_once_only_where_two_of_the_largest_fit(monkeypatch):
    from blurgauge.host import accelerator

    page = 4096
    monkeypatch.setattr(accelerator.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(accelerator.os, "sysconf", lambda name: page if name == "SC_PAGE_SIZE" else 512 * 2**20 // page)
    assert accelerator._default_workers() == 1  # a 512 MB PYNQ-Z2
    monkeypatch.setattr(accelerator.os, "sysconf", lambda name: page if name == "SC_PAGE_SIZE" else 2 * 2**30 // page)
    assert accelerator._default_workers() == 2  # a 2 GB ZCU104, this machine
    monkeypatch.setattr(accelerator.os, "cpu_count", lambda: 1)
    assert accelerator._default_workers() == 1
    monkeypatch.setattr(accelerator.os, "cpu_count", lambda: 2)
    monkeypatch.delattr(accelerator.os, "sysconf")  # Windows
    assert accelerator._default_workers() == 1


def test_stopping_early_ends_the_worker(golden, images):
    many = golden.estimate_many(images * 5)
    first = next(many)
    many.close()  # the preprocessing thread must stop, not block on a full queue
    assert isinstance(first, Estimate)


def test_a_failing_image_source_ends_the_batch_with_its_error(golden, images):
    def source():
        yield images[0]
        raise OSError("the camera went away")

    many = golden.estimate_many(source())
    assert isinstance(next(many), Estimate)
    with pytest.raises(OSError, match="camera went away"):
        next(many)


def test_integer_backend_on_core_programs_runs_without_tensorflow(programs, images):
    """A board host has numpy but no TensorFlow: golden on ready .bgcp programs must not import it."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from blurgauge.host.accelerator import Accelerator\n"
        f"with Accelerator('golden', {str(programs)!r}) as acc:\n"
        f"    acc.estimate({str(images[0])!r})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'qkeras', 'hls4ml'))\n"
        "print('heavy:', heavy[:3])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "heavy: []", out.stdout + out.stderr


def test_pooled_patches_take_the_same_path_on_host_and_device(programs, images, tmp_path):
    from blurgauge.host.accelerator import prepare
    from blurgauge.model.cascade import run_cascade
    from blurgauge.model.inputs.images import load_gray
    from blurgauge.model.inputs.patches import width_patches
    from blurgauge.model.inputs.preprocess import input_codes

    with Accelerator("golden", programs, patches=3) as host, \
            Accelerator("model", programs, patches=3, transport=ModelTransport(4, 4, 14)) as device:
        pooled = 0
        for path in (*images, _png(tmp_path / "large.png", 330, 290, 5)):
            prepared = prepare(path, patches=3)
            a, b = host.estimate(path), device.estimate(path)
            assert _key(a) == _key(b)
            np.testing.assert_allclose(a.height.fine_probabilities, b.height.fine_probabilities, rtol=1e-6)
            # the width answer is the cascade pooled over exactly the image's distinct width patches
            along_x = [input_codes(p.gradient) for p in width_patches(load_gray(path), 3)]
            assert prepared.width_patches == len(along_x)
            alone = run_cascade(host._logits, np.stack(along_x), np.zeros(len(along_x), np.int64))[0]
            assert (alone.coarse, alone.fine) == (a.width.coarse, a.width.fine)
            pooled += len(along_x) > 1
            # one patch per axis: one image job; several: coarse and fine once per axis, on every patch
            one_each = prepared.width_patches == 1 and len(prepared.codes) == 2
            assert [s.stage for s in b.stages] == (["image"] if one_each else ["coarse", "fine"] * 2)
        assert pooled  # at least one image offered more than one distinct patch


def test_patches_must_be_positive(programs):
    with pytest.raises(ValueError, match="patches"):
        Accelerator("golden", programs, patches=0)


def test_the_accelerator_tops_images_up_to_the_networks_floor(programs, golden, tmp_path):
    import shutil

    from scipy import ndimage

    from blurgauge.host.accelerator import prepare
    from blurgauge.model.inputs.preprocess import Preprocessing

    soft = ndimage.gaussian_filter(np.random.default_rng(3).random((160, 180)), 4.0)
    path = tmp_path / "soft.png"
    Image.fromarray((soft - soft.min()) / np.ptp(soft) * 255).convert("L").save(path)
    floored = Path(shutil.copytree(programs, tmp_path / "floored"))
    (floored / "preprocess.json").write_text('{"noise_floor": 0.02}')
    assert golden.noise_floor == 0.0
    with Accelerator("golden", floored) as acc, Accelerator("golden", floored, noise_floor=0.0) as off:
        assert acc.noise_floor == 0.02 and off.noise_floor == 0.0
        assert _key(acc.estimate(path)) == _key(acc.run(prepare(path, preprocessing=Preprocessing(0.02))))
        assert _key(off.estimate(path)) == _key(golden.estimate(path))
        assert not np.array_equal(prepare(path, preprocessing=Preprocessing(0.02)).codes, prepare(path).codes)
    # the input transform comes from the same file, and the explicit floor leaves it as it is
    (floored / "preprocess.json").write_text('{"noise_floor": 0.0, "input_transform": "autocorrelation"}')
    with Accelerator("golden", floored) as acc, Accelerator("golden", floored, noise_floor=0.02) as both:
        assert acc.preprocessing == Preprocessing(0.0, "autocorrelation")
        assert both.preprocessing == Preprocessing(0.02, "autocorrelation")
        # such networks read one map over each axis's whole gradient by default (one core run per axis)
        assert acc.region == "image"
        whole = prepare(path, preprocessing=acc.preprocessing, region="image")
        assert whole.codes.shape == (2, 128, 128) and whole.width_patches == 1
        assert _key(acc.estimate(path)) == _key(acc.run(whole))
        along = prepare(path, preprocessing=acc.preprocessing)  # the patch region, as in training
        assert not np.array_equal(along.codes, prepare(path).codes)
        assert not np.array_equal(along.codes, whole.codes)
    with Accelerator("golden", floored, region="patch") as patch, Accelerator("golden", floored, patches=2) as two:
        assert _key(patch.estimate(path)) == _key(patch.run(along))
        assert two.region == "patch"  # pooling several patches asks for patches
    with pytest.raises(ValueError, match="image region reads one map per axis"):
        Accelerator("golden", floored, patches=2, region="image")
    with pytest.raises(ValueError, match="image region needs networks that read the autocorrelation"):
        Accelerator("golden", programs, region="image")


def test_a_window_reads_only_the_central_part_of_arrays_files_and_pil_images(programs, tmp_path):
    """``window``: the structure, noise, top-up and maps of the central part alone; what lies outside
    it changes nothing."""
    from blurgauge.host.accelerator import prepare
    from blurgauge.model.inputs.preprocess import Preprocessing

    prep = Preprocessing(0.01, "autocorrelation", window=160)
    image = structured(240, 300, 7)
    centre = image[40:200, 70:230]
    other = image.copy()
    other[:40] = 0  # outside the window: a black band and a bright stripe
    other[:, 280:] = 255
    path = tmp_path / "other.png"
    Image.fromarray(other).save(path)
    alone = prepare(centre, preprocessing=Preprocessing(0.01, "autocorrelation"), region="image")
    for given in (image, other, path, Image.open(path)):
        windowed = prepare(given, preprocessing=prep, region="image")
        np.testing.assert_array_equal(windowed.codes, alone.codes)
        assert windowed.structure == alone.structure
    whole = prepare(image, preprocessing=Preprocessing(0.01, "autocorrelation"), region="image")
    assert not np.array_equal(whole.codes, alone.codes)
    # the Accelerator passes it on, and keeps the networks' own settings beside it
    with Accelerator("golden", programs, window=160) as acc:
        assert acc.preprocessing == Preprocessing(0.0, "gradient", window=160)
        assert _key(acc.estimate(other)) == _key(acc.estimate(image))
    with pytest.raises(ValueError, match="window must be 0"):
        Accelerator("golden", programs, window=100)
