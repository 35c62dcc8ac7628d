"""The reference data of the evaluation and of training: where it lives and what it holds.

The reference data is a folder (by default ``shared/data`` beside the repository, which the
Makefile calls ``../shared/data``) holding Levin's kernels (``levin09_kair/``) and the natural
images of BSD68, Set12 and Kodak24 (``natural_BSD68/``, ``natural_Set12/``, ``natural_Kodak24/``).
Every command that takes ``--data`` (or ``--data-root``) resolves it here, so the default is
defined once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blurgauge.model.data import splits

#: The default reference data: ``shared/data`` beside the repository (``../shared/data`` from its root).
DEFAULT_DATA_ROOT = Path(__file__).resolve().parents[3] / "shared" / "data"
#: The photos of the Levin protocol (the paper's Table 1 and 2).
LEVIN_PHOTO_FOLDERS = ("natural_BSD68", "natural_Set12")
LEVIN_KERNEL_FILE = Path("levin09_kair") / "levin09_kernels_float64.npz"


def default_data_root() -> Path | None:
    """``shared/data`` beside the repository (``../shared/data`` from its root), when it exists."""
    return DEFAULT_DATA_ROOT if DEFAULT_DATA_ROOT.is_dir() else None


def resolve_data_root(path: str | Path | None) -> Path:
    """``path``, or the default when it is None; an error that says what to pass when neither exists."""
    root = Path(path) if path else default_data_root()
    if root is None or not root.is_dir():
        raise FileNotFoundError(
            f"{root or DEFAULT_DATA_ROOT}: reference data not found; pass --data PATH to a folder with "
            "levin09_kair/, natural_BSD68/, natural_Set12/ and natural_Kodak24/"
        )
    return root


def levin_kernels(root: Path) -> dict[int, np.ndarray]:
    """Levin's 8 float kernels by number (1..8)."""
    with np.load(root / LEVIN_KERNEL_FILE) as data:
        return {int(name.removeprefix("kernel")): data[name] for name in sorted(data.files)}


def natural_images(root: Path, folders: tuple[str, ...]) -> list[Path]:
    """The PNG images of each folder under ``root``, sorted by name, folder by folder."""
    out: list[Path] = []
    for folder in folders:
        found = sorted((root / folder).glob("*.png"))
        if not found:
            raise FileNotFoundError(f"{root / folder}: no PNG images")
        out.extend(found)
    return out


def levin_photos(root: Path) -> list[Path]:
    """The 80 photos of the Levin protocol: BSD68, then Set12."""
    return natural_images(root, LEVIN_PHOTO_FOLDERS)


def held_out_kodak(root: Path) -> list[Path]:
    """The Kodak24 images kept out of training (``splits.KODAK_HELD_OUT``)."""
    held_out = [p for p in natural_images(root, (splits.KODAK_FOLDER,)) if p.name in splits.KODAK_HELD_OUT]
    if not held_out:
        raise FileNotFoundError(f"{root / splits.KODAK_FOLDER}: none of the held-out images {splits.KODAK_HELD_OUT}")
    return held_out
