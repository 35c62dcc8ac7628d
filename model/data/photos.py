"""Training photographs from Debian's wallpaper packages: the one list, and the command that fetches it.

The reference data holds 16 training-eligible photos (the Kodak24 training split), and networks
trained on crops of so few photos misread the blur of other photos (docs/experiments.md,
Experiment 6). Debian ships a few dozen photographs as desktop wallpapers. This module names the 49
of them that are photographs (drawings, logos and renders are left out, judged by eye on a contact
sheet), pins each package's version, and turns them into a folder of gray PNGs that
``blurgauge data build --images`` crops from:

    blurgauge data photos --out ~/blurgauge-work/photos

None of them is in BSD68 or Set12: they are 2010s-2020s wallpapers, the test sets are Corel and
classic test-card photos. The packages come from the Debian archive with ``apt-get download``, so
the command needs a Debian-family system whose sources offer the pinned versions (bookworm does);
``--debs`` takes a folder of already downloaded .deb files instead.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

#: Photos are stored gray with their long side at most this many px. The wallpapers are 1.3-5.6
#: Mpx; at about Kodak24's size (768 px) their structures lie at the scales the networks see,
#: and ``--natural-scale`` resamples the crops further.
LONG_SIDE = 1024


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    #: The photographs in the package, as paths inside its data archive.
    members: tuple[str, ...]


_LOMIRI = "usr/share/backgrounds/"
_MATE = "usr/share/backgrounds/mate/nature/"
_LXQT = "usr/share/lxqt/wallpapers/"
_PLASMA = "usr/share/wallpapers/{}/contents/images/{}"

PACKAGES = (
    Package("lomiri-wallpapers-16.04", "20.04.0-2", tuple(_LOMIRI + name for name in (
        "Bridge_by_Sander_Klootwijk.jpg", "Dragonfly_by_Bolly.jpg", "Picture_0B_by_freespace.jpg",
        "Picture_1A_by_freespace.jpg", "Wine_by_Jakkub_Mede.jpg", "aitzgorri_by_Aitzol_Berasategi.jpg",
        "analogpattern_by_Peter_Nerlich.jpg", "free_by_Peter_Nerlich.jpg", "friends_by_Aitzol_Berasategi.jpg",
        "greentock_by_Peter_Nerlich.jpg", "life_by_Aitzol_Berasategi.jpg",
        "picosdeeuropa_by_Aitzol_Berasategi.jpg", "seeding_by_Clements_Engelhardt.jpg",
        "sunset_by_Aitzol_Berasategi.jpg"))),
    Package("mate-backgrounds", "1.26.0-1", tuple(_MATE + name for name in (
        "Aqua.jpg", "Blinds.jpg", "Dune.jpg", "FreshFlower.jpg", "Garden.jpg", "GreenMeadow.jpg", "LadyBird.jpg",
        "RainDrops.jpg", "Storm.jpg", "TwoWings.jpg", "Wood.jpg", "YellowFlower.jpg"))),
    Package("lxqt-themes", "1.2.0-1", tuple(_LXQT + name for name in (
        "Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png", "beam.png",
        "butterfly.png", "cloud.png", "drop.png", "flowers.png", "fog.jpg", "this-is-not-windows.jpg"))),
    Package("plasma-workspace-wallpapers", "4:5.27.5-2", tuple(_PLASMA.format(*pair) for pair in (
        ("BytheWater", "2560x1440.jpg"), ("ColdRipple", "2560x1440.jpg"), ("ColorfulCups", "2560x1600.jpg"),
        ("DarkestHour", "2560x1440.jpg"), ("EveningGlow", "2560x1440.jpg"), ("FallenLeaf", "2560x1440.jpg"),
        ("Grey", "2560x1440.jpg"), ("Kite", "2560x1440.jpg"), ("OneStandsOut", "2560x1440.jpg"),
        ("Path", "2560x1440.jpg"), ("Volna", "5120x2880.jpg"), ("summer_1am", "2560x1440.jpg")))),
)


class PhotoError(RuntimeError):
    """A package or a photo that cannot be had; the message names it."""


def output_name(package: Package, member: str) -> str:
    """The file a photo becomes: unique across packages (plasma's are all named by their size)."""
    parts = Path(member).parts
    stem = parts[3] if package.name == "plasma-workspace-wallpapers" else Path(member).stem
    return f"{package.name}--{stem}.png"


def to_gray(source: Path, long_side: int = LONG_SIDE) -> Image.Image:
    """The photo in 8-bit gray, shrunk (Lanczos, which does not alias) to ``long_side`` at most."""
    with Image.open(source) as img:
        gray = img.convert("L")
    scale = long_side / max(gray.size)
    if scale < 1:
        gray = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.LANCZOS)
    return gray


def _deb_file(package: Package, debs: Path) -> Path:
    version = package.version.split(":")[-1]  # the file name drops the epoch
    found = sorted(debs.glob(f"{package.name}_*{version}_all.deb"))
    if not found:
        raise PhotoError(f"{debs}: no {package.name} {package.version} .deb")
    return found[0]


def download(debs: Path, packages: Sequence[Package] = PACKAGES) -> None:
    """``apt-get download`` every pinned package version into ``debs``."""
    if shutil.which("apt-get") is None:
        raise PhotoError("apt-get not found: fetch the .deb files on a Debian system and pass --debs")
    specs = [f"{p.name}={p.version}" for p in packages]
    done = subprocess.run(["apt-get", "download", *specs], cwd=debs, capture_output=True, text=True)
    if done.returncode != 0:
        raise PhotoError("apt-get download " + " ".join(specs) + " failed:\n" + done.stderr.strip())


def fetch(out: Path, debs: Path | None = None, long_side: int = LONG_SIDE,
          packages: Sequence[Package] = PACKAGES) -> list[Path]:
    """Write every listed photo into ``out`` as a gray PNG and a SHA256SUMS file of their pixels;
    return the PNGs. Photos already in ``out`` are kept, so an interrupted fetch resumes.
    """
    out.mkdir(parents=True, exist_ok=True)
    wanted = [(p, m, out / output_name(p, m)) for p in packages for m in p.members]
    missing = [w for w in wanted if not w[2].exists()]
    if missing:
        if shutil.which("dpkg-deb") is None:
            raise PhotoError("dpkg-deb not found: it unpacks the Debian packages (apt install dpkg)")
        with tempfile.TemporaryDirectory() as tmp:
            if debs is None:
                debs = Path(tmp) / "debs"
                debs.mkdir()
                download(debs, packages)
            for package in {p for p, _, _ in missing}:
                tree = Path(tmp) / package.name
                subprocess.run(["dpkg-deb", "-x", str(_deb_file(package, debs)), str(tree)], check=True)
                for member, target in ((m, t) for p, m, t in missing if p == package):
                    if not (tree / member).is_file():
                        raise PhotoError(f"{package.name} {package.version}: no {member}")
                    part = target.with_suffix(".part.png")  # renamed when whole: a resumed fetch trusts what exists
                    to_gray(tree / member, long_side).save(part)
                    part.rename(target)
    (out / "SHA256SUMS").write_text("".join(f"{_pixel_sha256(t)}  {t.name}\n" for _, _, t in wanted))
    return [t for _, _, t in wanted]


def _pixel_sha256(path: Path) -> str:
    with Image.open(path) as img:
        return hashlib.sha256(np.asarray(img).tobytes()).hexdigest()
