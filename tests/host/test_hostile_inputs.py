"""Hostile inputs: each case with its exact outcome, refused with its
message or estimated as the upright image, plus a bounded, seeded mutation fuzz of the image loader
and of the weight and program readers. Synthetic images only (dead leaves): no reference data."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from blurgauge.host.accelerator import Accelerator, Estimate, Failure, UnmeasurableError, prepare
from blurgauge.host.backends import BACKENDS, input_preprocessing
from blurgauge.host.cli import main
from blurgauge.hw.compiler import program as prog
from blurgauge.model.inputs.images import ImageError, list_images, load_gray, to_gray
from blurgauge.model.inputs.structure import THRESHOLD, structure
from blurgauge.model.nets.roles import CASCADE
from blurgauge.model.nets.weight_meta import WeightFileError
from tests.conftest import structured

FLOORED = {"noise_floor": 0.01, "input_transform": "gradient"}  # as the shipped networks: 1 % floor


@pytest.fixture(scope="module")
def programs(six_programs, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-programs")
    prog.write_folder({name: prog.pack(p) for name, p in six_programs().items()}, folder, FLOORED)
    return folder


@pytest.fixture(scope="module")
def golden(programs):
    with Accelerator("golden", programs) as acc:
        yield acc


@pytest.fixture(scope="module")
def good_png(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile-images") / "good.png"
    Image.fromarray(structured(150, 200, 4)).save(path)
    return path


def _key(result: Estimate) -> tuple:
    return (result.width.coarse, result.width.fine, result.height.coarse, result.height.fine)


# ---- every file proves its role --------------------------------------------------------------------


@pytest.mark.parametrize(("into", "source"), [("fine1", "fine2"), ("fine1", "coarse")])
def test_swapped_or_copied_weight_files_are_refused_by_every_backend(tiny_weights, tmp_path, into, source):
    # old: keras and golden answered 4.6 / 9.2 px (confidence 0.72); only the device path checked roles
    folder = Path(shutil.copytree(tiny_weights, tmp_path / "w"))
    if source == "fine2":  # swapped
        (folder / "fine1.bgw.npz").rename(folder / "tmp.bgw.npz")
        (folder / "fine2.bgw.npz").rename(folder / "fine1.bgw.npz")
        (folder / "tmp.bgw.npz").rename(folder / "fine2.bgw.npz")
    else:  # copied over
        shutil.copy(folder / "coarse.bgw.npz", folder / "fine1.bgw.npz")
    message = rf"fine1\.bgw\.npz: holds network '{source}', loaded as 'fine1'"
    for backend in BACKENDS:  # the host reads every file's role before it opens any backend
        with pytest.raises(WeightFileError, match=message):
            Accelerator(backend, folder)
    from blurgauge.model.nets.inference import KerasNetworks

    with pytest.raises(WeightFileError, match=message):  # the keras backend opened directly
        KerasNetworks(folder, names=CASCADE)
    from blurgauge.hw.compiler.cascade_programs import build_programs

    with pytest.raises(WeightFileError, match=message):  # golden, hls, rtl and pynq build programs here
        build_programs(folder)


def test_swapped_core_programs_are_refused_by_every_backend(programs, tmp_path):
    # old: golden answered as with swapped weights; only rtl refused
    folder = Path(shutil.copytree(programs, tmp_path / "p"))
    a, b = (folder / "fine1.bgcp").read_bytes(), (folder / "fine2.bgcp").read_bytes()
    (folder / "fine1.bgcp").write_bytes(b)
    (folder / "fine2.bgcp").write_bytes(a)
    for backend in BACKENDS:
        with pytest.raises(prog.ProgramError, match=r"fine1\.bgcp: holds network 'fine2', loaded as 'fine1'"):
            Accelerator(backend, folder)


def test_a_program_folder_without_or_with_a_foreign_preprocess_json_is_refused(programs, six_programs, tmp_path):
    # old: 42.4 / 28.1 px instead of 17.2 / 5.6 without preprocess.json (documented, but silent)
    folder = Path(shutil.copytree(programs, tmp_path / "p"))
    (folder / prog.PREPROCESS_FILE).unlink()
    with pytest.raises(prog.ProgramError, match=r"preprocess\.json: missing; a folder of core programs must say"):
        Accelerator("golden", folder)
    # a preprocess.json written for other programs (here: the same settings, another build's digests)
    other = {name: prog.pack(p) for name, p in six_programs(4).items()}
    prog.write_folder(other, tmp_path / "other", {"noise_floor": 0.01, "input_transform": "autocorrelation"})
    shutil.copy(tmp_path / "other" / prog.PREPROCESS_FILE, folder / prog.PREPROCESS_FILE)
    with pytest.raises(prog.ProgramError, match=r"preprocess\.json: belongs to other programs: the SHA-256 it "
                                                r"records for coarse\.bgcp, fine1\.bgcp"):
        input_preprocessing(folder)
    # its own is accepted, and gives the settings it carries
    assert input_preprocessing(tmp_path / "other").noise_floor == 0.01


def test_a_missing_core_program_is_reported_as_a_missing_bgcp(programs, tmp_path):
    # old: "coarse.bgw.npz: no such weight file", a file that was never meant to be there
    folder = Path(shutil.copytree(programs, tmp_path / "p"))
    (folder / "fine3.bgcp").unlink()
    for backend in ("golden", "rtl"):
        with pytest.raises(prog.ProgramError, match=r"a folder of core programs, but fine3\.bgcp is missing"):
            Accelerator(backend, folder)


# ---- refuse what cannot be measured ------------------------------------------------------------------

UNMEASURABLE = {
    "black": (np.zeros((150, 200), np.uint8), "the image is all black"),
    "white": (np.full((150, 200), 255, np.uint8), "the image is all white"),
    "constant": (np.full((150, 200), 77, np.uint8), "the image is constant"),
    "noise": ((np.random.default_rng(0).random((150, 200)) * 255).astype(np.uint8), "no structure above its noise"),
    "gaussian noise": (np.clip(np.random.default_rng(1).normal(128, 30, (150, 200)), 0, 255).astype(np.uint8),
                       "no structure above its noise"),
    "faint": ((structured(150, 200, 5) // 64 + 100).astype(np.uint8), "below the noise the networks need"),
}


@pytest.mark.parametrize("name", list(UNMEASURABLE))
def test_images_without_measurable_structure_are_refused(golden, name):
    # old: 73-80 px reported as ordinary estimates (confidence 0.06-0.17), exit 0
    pixels, reason = UNMEASURABLE[name]
    with pytest.raises(UnmeasurableError, match=rf"{name}: cannot be measured: structure .* is below 0\.5 .*{reason}"):
        golden.estimate(pixels, label=name)


def test_the_estimate_command_refuses_them_with_a_line_each_and_a_json_status(programs, good_png, tmp_path, capsys):
    paths = []
    for name, (pixels, _) in UNMEASURABLE.items():
        paths.append(tmp_path / f"{name.replace(' ', '_')}.png")
        Image.fromarray(pixels).save(paths[-1])
    code = main(["estimate", "--backend", "golden", "--weights", str(programs), "--format", "json",
                 str(good_png), *map(str, paths)])
    out, err = capsys.readouterr()
    assert code == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["status"] == "ok" and records[0]["structure"] > THRESHOLD and records[0]["warnings"] == []
    assert {"width", "height", "width_confidence", "cycles"} <= set(records[0])  # the old fields stay
    assert [r["status"] for r in records[1:]] == ["unmeasurable"] * len(paths)
    assert all(r["structure"] < THRESHOLD and str(p) in r["error"] for r, p in zip(records[1:], paths, strict=True))
    lines = err.strip().splitlines()
    assert len(lines) == len(paths) and all("cannot be measured" in line for line in lines)
    # --min-structure 0 measures anyway (the refusal is a default, not a wall)
    assert main(["estimate", "--backend", "golden", "--weights", str(programs), "--min-structure", "0",
                 str(paths[0])]) == 0


def test_low_contrast_near_the_noise_floor_is_warned(golden, capsys):
    base = structured(150, 200, 6).astype(np.float64) / 255.0
    for scale in np.linspace(0.02, 0.3, 15):  # find a contrast in the warned band
        image = np.round((0.5 + (base - 0.5) * scale) * 255).astype(np.uint8)
        score = structure(image / 255.0, FLOORED["noise_floor"])
        if THRESHOLD <= score < 2 * THRESHOLD:
            break
    else:
        pytest.fail("no contrast fell in the warned band")
    result = golden.estimate(image, label="dim")
    assert result.warnings and result.warnings[0].startswith("dim: low contrast: structure")
    assert result.record()["warnings"] == result.warnings


# ---- input ranges --------------------------------------------------------------------------------------


def test_float_images_with_0_255_values_are_refused(tmp_path, golden):
    # old: clipped to [0, 1] and estimated (76-80 px instead of 17 / 6)
    pixels = structured(150, 200, 7).astype(np.float32)
    path = tmp_path / "float255.tif"
    Image.fromarray(pixels, mode="F").save(path)
    with pytest.raises(ImageError, match=r"float255\.tif: float pixels span \d+\.\.255; float images must lie in "
                                         r"\[0, 1\] \(8-bit values\? divide by 255\)"):
        load_gray(path)
    with pytest.raises(ImageError, match=r"float pixels span \d+\.\.255"):
        golden.estimate(pixels.astype(np.float64), label="array")
    ok = golden.estimate(pixels.astype(np.float64) / 255.0, label="scaled")  # the documented rule: floats in [0, 1]
    assert _key(ok) == _key(golden.estimate(pixels.astype(np.uint8), label="uint8"))
    assert to_gray(np.array([[-0.001, 1.001]]))[0].tolist() == [0.0, 1.0]  # rounding overshoot is clipped


def test_wide_integer_arrays_holding_8_bit_values_are_refused(golden):
    # old: a uint16 array of 8-bit values read as a 16-bit image 256 times too dark (78 / 79 px);
    # a uint32 one divided by 2**32 - 1
    pixels = structured(150, 200, 8)
    with pytest.raises(ImageError, match=r"uint16 pixels whose values all lie in \d+\.\.\d+: 8-bit data in a 16-bit "
                                         "type, or a 16-bit image 256 times too dark"):
        golden.estimate(pixels.astype(np.uint16), label="wide")
    for dtype in (np.uint32, np.int64, np.int16):
        with pytest.raises(ImageError, match=rf"{np.dtype(dtype).name} pixels \(values \d+\.\.\d+\) have no defined "
                                             r"range; expected uint8 \(0\.\.255\), uint16"):
            golden.estimate(pixels.astype(dtype), label="wide")
    # the same data as a real 16-bit image is read by its rule, /65535, and agrees with the 8-bit one
    assert _key(golden.estimate(pixels.astype(np.uint16) * 257)) == _key(golden.estimate(pixels))


def test_a_dark_16_bit_png_is_refused(tmp_path):
    # old: 78 / 79 px: the noise top-up swamps its 0.4 % contrast
    path = tmp_path / "dark16.png"
    Image.fromarray(structured(150, 200, 9).astype(np.uint16)).save(path)  # values 0..255 of 65535
    with pytest.raises(ImageError, match=r"dark16\.png: uint16 pixels whose values all lie in \d+\.\.\d+: 8-bit data"):
        load_gray(path)
    darker = tmp_path / "dark16b.png"  # 0..1000 of 65535: read by the rule, then too faint to measure
    Image.fromarray((structured(150, 200, 9).astype(np.uint32) * 1000 // 255).astype(np.uint16)).save(darker)
    with pytest.raises(UnmeasurableError, match=r"dark16b\.png: cannot be measured: .*below the noise"):
        prepare(darker, preprocessing=input_preprocessing(None))


def test_exif_orientation_is_applied(tmp_path, golden):
    # old: the stored pixels were measured, width and height swapped against what a viewer shows
    upright = structured(150, 200, 10)
    stored = np.rot90(upright, 1)  # orientation 6: the viewer turns the stored pixels 90 degrees clockwise
    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.ascontiguousarray(stored)).save(path, exif=exif, quality=98)
    assert load_gray(path).shape == upright.shape
    with Image.open(path) as img:  # the pixels as stored, turned as a viewer turns them
        shown = np.rot90(np.asarray(img), -1)
    np.testing.assert_array_equal(load_gray(path), shown / 255.0)
    assert _key(golden.estimate(path)) == _key(golden.estimate(np.ascontiguousarray(shown)))


# ---- bounded resources ------------------------------------------------------------------------------


def _lying_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (its data is one compressed empty row)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1))) + \
        chunk(b"IEND", b"")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow warns; the host refuses
def test_a_header_claiming_too_many_pixels_is_refused_before_decoding(tmp_path, monkeypatch):
    # old: a 177-byte PNG claiming 10000 x 10000 px: 5.4 GB peak, 32 s, an estimate with exit 0
    path = tmp_path / "bomb.png"
    path.write_bytes(_lying_png(10000, 10000))
    assert path.stat().st_size < 200
    started = time.perf_counter()
    with pytest.raises(ImageError, match=r"bomb\.png: 10000x10000 px \(100\.0 Mpx\) is above the limit of 50 Mpx"):
        load_gray(path)
    assert time.perf_counter() - started < 1.0
    monkeypatch.setenv("BLURGAUGE_MAX_PIXELS", "20000")  # configurable, for files and arrays alike
    with pytest.raises(ImageError, match=r"above the limit of 0\.02 Mpx"):
        prepare(structured(150, 200, 1), "big")
    np.save(tmp_path / "big.npy", np.zeros((300, 300), np.uint8))
    with pytest.raises(ImageError, match=r"big\.npy: 300x300 px"):
        load_gray(tmp_path / "big.npy")


def test_converted_programs_are_cached_by_content(six_networks, tmp_path, monkeypatch):
    # old: every golden start converted the six networks again (19 s of a 20.7 s run)
    from blurgauge.hw.compiler import cascade_programs, hls

    monkeypatch.setenv("BLURGAUGE_CACHE", str(tmp_path / "cache"))
    calls = []
    convert = hls.convert
    monkeypatch.setattr(hls, "convert", lambda *a, **k: calls.append(1) or convert(*a, **k))
    first = cascade_programs.build_program(six_networks / "fine2.bgw.npz", 4, "fine2")
    again = cascade_programs.build_program(six_networks / "fine2.bgw.npz", 4, "fine2")
    assert len(calls) == 1 and prog.pack(first) == prog.pack(again)
    entries = list((tmp_path / "cache" / "programs").iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".bgcp"  # no temporary file left behind
    entries[0].write_bytes(b"damaged")  # a damaged entry is converted again, not trusted
    assert prog.pack(cascade_programs.build_program(six_networks / "fine2.bgw.npz", 4, "fine2")) == prog.pack(first)
    assert len(calls) == 2
    with pytest.raises(WeightFileError, match="holds network 'fine2', loaded as 'fine1'"):  # checked before the cache
        cascade_programs.build_program(six_networks / "fine2.bgw.npz", 4, "fine1")


# ---- the batch always goes on --------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_links_fifos_and_devices_are_named_for_what_they_are(tmp_path):
    # old: "no such file" for each
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    broken = tmp_path / "broken.png"
    broken.symlink_to(tmp_path / "gone.png")
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    cases = {loop: "a symbolic link loop", broken: "a broken symbolic link", fifo: "a FIFO (named pipe)",
             Path("/dev/zero"): "a device, not an image file", tmp_path / "none.png": "no such file"}
    for path, message in cases.items():
        with pytest.raises(ImageError, match=re.escape(f"{path}: {message}")):
            load_gray(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder_is_one_error_line(good_png, tmp_path, programs, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert main(["estimate", "--backend", "golden", "--weights", str(programs), str(good_png), str(locked)]) == 1
    finally:
        locked.chmod(0o755)
    out, err = capsys.readouterr()
    assert str(good_png) in out and f"{locked}: cannot list the folder" in err


def test_an_unlistable_folder_is_an_image_error(tmp_path, monkeypatch):
    # old: PermissionError aborted the whole batch (exit 2, no image estimated); root cannot lock a
    # folder, so the failure is simulated
    folder = tmp_path / "locked"
    folder.mkdir()

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", denied)
    with pytest.raises(ImageError, match=r"locked: cannot list the folder \(Permission denied\)"):
        list_images([folder])


def test_a_broken_pipe_ends_quietly(monkeypatch, capsys):
    import blurgauge.host.estimate as estimate

    def broken(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(estimate, "estimate_paths", broken)
    assert main(["estimate", "x.png"]) == 141
    assert capsys.readouterr().err == ""


def test_sigterm_takes_the_ctrl_c_path(monkeypatch, capsys):
    # old: no handler, so the clean-up of the rtl backend (closing the simulator server) did not run
    import blurgauge.host.estimate as estimate

    closed = []

    class Resource:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            closed.append(exc[0])

    def work(*args, **kwargs):
        with Resource():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        return 0

    monkeypatch.setattr(estimate, "estimate_paths", work)
    started = time.perf_counter()
    assert main(["estimate", "x.png"]) == 143
    assert time.perf_counter() - started < 4 and closed == [KeyboardInterrupt]
    assert "blurgauge: terminated" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is the command's only


# ---- API ------------------------------------------------------------------------------------------------


def test_the_api_takes_one_path_paths_as_bytes_and_pil_images(golden, good_png):
    # old: estimate_many("x.png") iterated over the characters; bytes and PIL images raised raw TypeErrors
    one = list(golden.estimate_many(str(good_png)))
    assert len(one) == 1 and isinstance(one[0], Estimate) and one[0].path == str(good_png)
    assert len(list(golden.estimate_many(good_png))) == 1
    expected = _key(one[0])
    assert _key(golden.estimate(os.fsencode(good_png))) == expected
    with Image.open(good_png) as img:
        assert _key(golden.estimate(img)) == expected
    missing = list(golden.estimate_many("missing.png"))
    assert isinstance(missing[0], Failure) and missing[0].error == "missing.png: no such file"


def test_the_api_checks_argument_types(golden, programs):
    with pytest.raises(TypeError, match=r"patches must be a whole number of patches, got 2\.5"):
        Accelerator("golden", programs, patches=2.5)
    with pytest.raises(TypeError, match="patches must be a whole number"):
        Accelerator("golden", programs, patches=True)
    with pytest.raises(TypeError, match=r"an image is a path \(str, pathlib\.Path, bytes\), a numpy array or a PIL "
                                        "image, not NoneType"):
        golden.estimate(None)
    with pytest.raises(TypeError, match="estimate_many takes an iterable of images"):
        list(golden.estimate_many(None))
    with pytest.raises(TypeError, match="weights must be a folder"):
        Accelerator("golden", 3)
    failed = list(golden.estimate_many([3.5]))
    assert isinstance(failed[0], Failure) and "an image is a path" in failed[0].error


def test_one_accelerator_is_safe_from_several_threads(golden, good_png):
    # old: "busy" on the device path; now the backend runs one image at a time, threads queue
    expected = _key(golden.estimate(good_png))
    results: list = []

    def work():
        results.extend(_key(golden.estimate(good_png)) for _ in range(2))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [expected] * 6


def test_a_device_accelerator_is_safe_from_several_threads(six_programs, good_png, tmp_path):
    from tests.host.core_model import ModelTransport

    prog.write_folder({name: prog.pack(p) for name, p in six_programs(4).items()}, tmp_path, FLOORED)
    with Accelerator("model", tmp_path, transport=ModelTransport(4, 4, 14)) as device:
        expected = _key(device.estimate(good_png))
        results: list = []
        threads = [threading.Thread(target=lambda: results.append(_key(device.estimate(good_png))))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert results == [expected] * 3


# ---- bounded fuzz: no crash but a clear error, no hang, bounded memory --------------------------------


def _mutants(seed: bytes, count: int, rng: np.random.Generator):
    """Seeded mutations of a valid file: flipped bytes, truncations, spliced runs, repeated blocks."""
    data = np.frombuffer(seed, np.uint8)
    for _ in range(count):
        blob = data.copy()
        kind = rng.integers(4)
        if kind == 0:
            where = rng.integers(0, len(blob), rng.integers(1, 9))
            blob[where] = rng.integers(0, 256, len(where))
        elif kind == 1:
            blob = blob[: rng.integers(0, len(blob))]
        elif kind == 2:
            at = rng.integers(0, len(blob))
            blob = np.concatenate([blob[:at], rng.integers(0, 256, rng.integers(1, 64)).astype(np.uint8), blob[at:]])
        else:
            at, n = rng.integers(0, len(blob)), rng.integers(1, 32)
            blob = np.concatenate([blob[:at], np.tile(blob[at : at + n], 50), blob[at + n :]])
        yield blob.tobytes()


def _image_seeds() -> dict[str, bytes]:
    pixels = structured(140, 150, 11)
    seeds = {}
    for suffix, fmt in ((".png", "PNG"), (".jpg", "JPEG"), (".tif", "TIFF"), (".bmp", "BMP"), (".gif", "GIF")):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, fmt)
        seeds[suffix] = buffer.getvalue()
    buffer = io.BytesIO()
    np.save(buffer, pixels)
    seeds[".npy"] = buffer.getvalue()
    seeds[".png16"] = _lying_png(140, 150)
    return seeds


def test_fuzz_the_image_loader(tmp_path, monkeypatch):
    monkeypatch.setenv("BLURGAUGE_MAX_PIXELS", "4000000")  # a mutated header may claim any size
    rng = np.random.default_rng(24)
    started = time.perf_counter()
    tracemalloc.start()
    try:
        outcomes = {"read": 0, "refused": 0}
        for suffix, seed in _image_seeds().items():
            path = tmp_path / f"fuzz{suffix.removesuffix('16')}"
            for blob in _mutants(seed, 40, rng):
                path.write_bytes(blob)
                one = time.perf_counter()
                try:
                    gray = load_gray(path)
                    assert gray.dtype == np.float64 and 0.0 <= gray.min() <= gray.max() <= 1.0
                    outcomes["read"] += 1
                except ImageError as exc:
                    assert str(exc).startswith(str(path)) and "\n" not in str(exc).strip()
                    outcomes["refused"] += 1
                assert time.perf_counter() - one < 2.0, "one file took too long (a hang?)"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert outcomes["read"] and outcomes["refused"]
    assert peak < 400e6, f"peak {peak / 1e6:.0f} MB"
    assert time.perf_counter() - started < 30


def test_fuzz_the_weight_and_program_readers(tiny_weights, programs, tmp_path):
    from blurgauge.model.nets.weight_meta import read_meta

    rng = np.random.default_rng(25)
    started = time.perf_counter()
    seeds = {"weights": (tiny_weights / "fine1.bgw.npz").read_bytes(),
             "program": (programs / "fine1.bgcp").read_bytes()}
    for blob in _mutants(seeds["program"], 150, rng):
        try:
            prog.unpack(blob, "fuzzed")
        except prog.ProgramError as exc:
            assert str(exc).startswith("fuzzed: ")
    path = tmp_path / "fine1.bgw.npz"
    for blob in _mutants(seeds["weights"], 150, rng):
        path.write_bytes(blob)
        try:
            read_meta(path, "fine1")
        except WeightFileError as exc:
            assert str(exc).startswith(str(path))
    # a folder of programs with one mutated program and its preprocess.json: refused, never a crash
    folder = Path(shutil.copytree(programs, tmp_path / "p"))
    for blob in _mutants(seeds["program"], 30, rng):
        if blob == seeds["program"]:
            continue  # a mutation that changed nothing
        (folder / "fine1.bgcp").write_bytes(blob)
        with pytest.raises(prog.ProgramError, match=r"fine1\.bgcp"):
            input_preprocessing(folder)
    assert time.perf_counter() - started < 30
