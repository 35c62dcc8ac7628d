"""The Debian training photos: the list, the conversion, and a fetch from a real (tiny) .deb."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from blurgauge.host.cli import build_parser
from blurgauge.model.data import photos
from blurgauge.model.data.synthesis import folder_images

needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")


def test_the_list_names_49_distinct_photos() -> None:
    names = [photos.output_name(p, m) for p in photos.PACKAGES for m in p.members]
    assert len(names) == 49 and len(set(names)) == 49
    assert all(m.lower().endswith((".jpg", ".png")) for p in photos.PACKAGES for m in p.members)


def test_to_gray_shrinks_the_long_side_and_keeps_small_photos(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    big, small = tmp_path / "big.png", tmp_path / "small.jpg"
    Image.fromarray(rng.integers(0, 256, (300, 500, 3), dtype=np.uint8)).save(big)
    Image.fromarray(rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)).save(small)
    shrunk = photos.to_gray(big, long_side=250)
    assert shrunk.mode == "L" and shrunk.size == (250, 150)
    assert photos.to_gray(small, long_side=250).size == (120, 90)


def _deb(folder: Path, package: photos.Package, images: dict[str, np.ndarray]) -> Path:
    """A real Debian package holding ``images`` at their member paths, built with dpkg-deb."""
    root = folder / f"{package.name}-root"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {package.name}\nVersion: {package.version}\nArchitecture: all\n"
        "Maintainer: test <test@example.org>\nDescription: test photos\n")
    for member, pixels in images.items():
        (root / member).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(root / member)
    version = package.version.split(":")[-1]
    deb = folder / f"{package.name}_{version}_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)], check=True,
                   capture_output=True)
    return deb


@needs_dpkg
def test_fetch_converts_the_listed_members_and_resumes(tmp_path: Path) -> None:
    package = photos.Package("bg-test-photos", "1:2.0-1", ("usr/share/a/one.jpg", "usr/share/a/two.png"))
    rng = np.random.default_rng(1)
    pixels = {m: rng.integers(0, 256, (400, 600, 3), dtype=np.uint8) for m in package.members}
    debs = tmp_path / "debs"
    debs.mkdir()
    _deb(debs, package, {**pixels, "usr/share/a/logo.png": pixels[package.members[0]]})
    out = tmp_path / "photos"
    written = photos.fetch(out, debs, long_side=300, packages=[package])
    assert [p.name for p in written] == ["bg-test-photos--one.png", "bg-test-photos--two.png"]
    assert sorted(p.name for p in out.iterdir()) == ["SHA256SUMS", *sorted(p.name for p in written)]
    gray = np.asarray(Image.open(written[1]))
    assert gray.shape == (200, 300)
    expected = np.asarray(photos.to_gray(debs / "bg-test-photos-root" / package.members[1], 300))
    np.testing.assert_array_equal(gray, expected)
    assert len((out / "SHA256SUMS").read_text().splitlines()) == 2
    # A second fetch finds every photo and needs no package at all.
    shutil.rmtree(debs)
    assert photos.fetch(out, tmp_path / "none", long_side=300, packages=[package]) == written


@needs_dpkg
def test_fetch_names_a_missing_member_and_a_missing_package(tmp_path: Path) -> None:
    package = photos.Package("bg-test-photos", "2.0-1", ("usr/share/a/one.jpg", "usr/share/a/gone.jpg"))
    debs = tmp_path / "debs"
    debs.mkdir()
    with pytest.raises(photos.PhotoError, match=re.escape("no bg-test-photos 2.0-1 .deb")):
        photos.fetch(tmp_path / "out", debs, packages=[package])
    _deb(debs, package, {"usr/share/a/one.jpg": np.zeros((64, 64, 3), np.uint8)})
    with pytest.raises(photos.PhotoError, match=re.escape("bg-test-photos 2.0-1: no usr/share/a/gone.jpg")):
        photos.fetch(tmp_path / "out", debs, packages=[package])


def test_synthesis_crops_from_several_folders(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    for folder, count in (("a", 2), ("b", 1)):
        (tmp_path / folder).mkdir()
        for i in range(count):
            Image.fromarray(rng.integers(0, 256, (240, 240), dtype=np.uint8)).save(tmp_path / folder / f"{i}.png")
    Image.fromarray(np.zeros((100, 100), np.uint8)).save(tmp_path / "b" / "too-small.png")
    found = folder_images(os.pathsep.join(str(tmp_path / f) for f in "ab"))
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == ["a/0.png", "a/1.png", "b/0.png"]
    args = build_parser().parse_args(["data", "build", "--out", "o", "--count", "1", "--images", "x", "y"])
    assert args.images == [Path("x"), Path("y")]
    args = build_parser().parse_args(["data", "photos", "--out", "p", "--debs", "d"])
    assert args.out == Path("p") and args.debs == Path("d")
