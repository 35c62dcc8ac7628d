"""A weight file's metadata without TensorFlow: the host reads the noise floor the networks expect
before any backend (the integer and device ones need no TensorFlow) runs them. The file format
itself is described in ``weights``."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

FORMAT = "blurgauge-weights"
VERSION = 1
SUFFIX = ".bgw.npz"


class WeightFileError(ValueError):
    """A weight file that is missing, corrupted, of another version or of another structure."""


def read_arrays(path: Path, names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files if names is None or name in names}
    # A damaged archive raises any of these from zipfile, zlib or numpy's header parser (found by
    # tests/host/test_hostile_inputs.py's fuzz); each is the file's fault, so one clear error.
    except (zipfile.BadZipFile, zlib.error, struct.error, ValueError, OSError, EOFError, KeyError,
            NotImplementedError, RuntimeError, UnicodeDecodeError) as exc:
        raise WeightFileError(f"{path}: not a readable weight file ({' '.join(str(exc).split())})") from exc


def checked_meta(path: Path, raw: np.ndarray | None) -> dict:
    try:
        meta = json.loads(raw.tobytes().decode()) if raw is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightFileError(f"{path}: unreadable metadata") from exc
    if not isinstance(meta, dict):
        raise WeightFileError(f"{path}: missing or unreadable metadata")
    if meta.get("format") != FORMAT:
        raise WeightFileError(f"{path}: not a {FORMAT} file")
    if meta.get("version") != VERSION:
        raise WeightFileError(f"{path}: weight format version {meta.get('version')}, expected {VERSION}")
    return meta


def expect_role(path: Path, meta: dict, name: str | None) -> None:
    """Refuse a weight file loaded into the slot of network ``name`` that records another role: the
    files of two roles swapped (or one copied over another) give confident wrong sizes otherwise."""
    if name is not None and meta.get("role") != name:
        raise WeightFileError(f"{path}: holds network {meta.get('role')!r}, loaded as {name!r} "
                              "(weight files swapped or copied?)")


def read_meta(path: str | Path, role: str | None = None) -> dict:
    """The metadata of a weight file alone (format and version checked, the weights not read);
    ``role``: the network the caller loads it as, which the file must record."""
    path = Path(path)
    if not path.is_file():
        raise WeightFileError(f"{path}: no such weight file")
    meta = checked_meta(path, read_arrays(path, ("meta",)).get("meta"))
    expect_role(path, meta, role)
    return meta
