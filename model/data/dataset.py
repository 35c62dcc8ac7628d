"""Sharded patch datasets: build them in parallel, resumably and deterministically; read them back.

Layout of a dataset folder::

    manifest.json        format version, seed, count, shard size, synthesis configuration
    shard-00000.npz      samples [0, shard_size): arrays patch (n,128,128) int16, extent, fine,
    shard-00001.npz      coarse, other_extent, axis, line (uint8), noise, std (float32)
    ...                  and, when the manifest's synthesis asks for it, image_map (n,128,128) int8

Sample i is a pure function of (seed, i) (see ``synthesis.make_sample``), so a dataset does not
depend on the number of workers or on how often the build was interrupted. Each shard is written
to a temporary file and renamed into place, so a shard that exists is complete; a resumed build
skips those and refuses to continue a folder built with other parameters.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from blurgauge.model.data.synthesis import SynthesisConfig, make_sample

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_FIELDS = {
    "patch": np.int16,
    "extent": np.uint8,
    "fine": np.uint8,
    "coarse": np.uint8,
    "other_extent": np.uint8,
    "axis": np.uint8,
    "line": np.uint8,
    "noise": np.float32,
    "std": np.float32,
}
#: Fields present only when the synthesis configuration of the manifest switches them on.
_OPTIONAL_FIELDS = {"image_map": np.int8}


def _fields(synthesis: dict) -> dict[str, type]:
    return _FIELDS | {name: dtype for name, dtype in _OPTIONAL_FIELDS.items() if synthesis.get(name)}


class DatasetError(ValueError):
    """A dataset folder that is missing, inconsistent or built with other parameters."""


def _shard_path(root: Path, shard: int) -> Path:
    return root / f"shard-{shard:05d}.npz"


def _manifest(count: int, seed: int, shard_size: int, cfg: SynthesisConfig) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "count": count,
        "seed": seed,
        "shard_size": shard_size,
        "synthesis": cfg.as_dict(),
    }


def _build_shard(job: tuple[str, int, int, int, int, dict]) -> int:
    root, shard, start, stop, seed, cfg_dict = job
    cfg = SynthesisConfig(**{k: v for k, v in cfg_dict.items() if k != "generator"})
    samples = [make_sample(seed, i, cfg) for i in range(start, stop)]
    arrays = {name: np.array([s[name] for s in samples], dtype=dtype) for name, dtype in _fields(cfg_dict).items()}
    final = _shard_path(Path(root), shard)
    tmp = final.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(final)
    return stop - start


def build_dataset(
    root: str | Path,
    count: int,
    cfg: SynthesisConfig | None = None,
    seed: int = 0,
    shard_size: int = 256,
    workers: int | None = None,
    progress: bool = True,
) -> Path:
    """Build (or finish building) a dataset of ``count`` samples in ``root``; returns ``root``."""
    cfg = cfg or SynthesisConfig()
    if count <= 0 or shard_size <= 0:
        raise ValueError(f"count and shard size must be positive, got {count} and {shard_size}")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    wanted = _manifest(count, seed, shard_size, cfg)
    manifest_path = root / MANIFEST
    if manifest_path.exists():
        found = _parse_manifest(manifest_path)
        if found != wanted:
            raise DatasetError(
                f"{manifest_path}: folder was built with other parameters; use a new folder or the "
                f"same ones.\n  found:  {json.dumps(found, sort_keys=True)}\n  wanted: "
                f"{json.dumps(wanted, sort_keys=True)}"
            )
    else:
        manifest_path.write_text(json.dumps(wanted, indent=2) + "\n")
    for stale in root.glob("shard-*.tmp*.npz"):
        stale.unlink()
    jobs = []
    for shard, start in enumerate(range(0, count, shard_size)):
        if not _shard_path(root, shard).exists():
            jobs.append((str(root), shard, start, min(start + shard_size, count), seed, cfg.as_dict()))
    done = count - sum(stop - start for _, _, start, stop, _, _ in jobs)
    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=count, initial=done, unit="patch", disable=not progress, desc=f"building {root}")
    with bar:
        if workers == 1 or len(jobs) <= 1:
            for job in jobs:
                bar.update(_build_shard(job))
        else:
            # spawn, not fork: the parent may hold TensorFlow or other threads that fork breaks.
            with mp.get_context("spawn").Pool(workers) as pool:
                for n in pool.imap_unordered(_build_shard, jobs):
                    bar.update(n)
    return root


@dataclass
class PatchDataset:
    """A dataset held in memory: one array per field, samples in index order."""

    root: Path
    manifest: dict
    arrays: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.arrays["extent"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def subset(self, mask: np.ndarray) -> PatchDataset:
        return PatchDataset(self.root, self.manifest, {k: v[mask] for k, v in self.arrays.items()})


def _parse_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: damaged manifest ({exc})") from exc
    missing = {"format_version", "count", "seed", "shard_size", "synthesis"} - set(
        manifest if isinstance(manifest, dict) else ()
    )
    if missing:
        raise DatasetError(f"{path}: not a dataset manifest (missing {', '.join(sorted(missing))})")
    return manifest


def read_manifest(root: str | Path) -> dict:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise DatasetError(f"{path}: no dataset manifest (build one with `blurgauge data build`)")
    manifest = _parse_manifest(path)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise DatasetError(
            f"{path}: dataset format version {manifest.get('format_version')}, this blurgauge reads "
            f"{FORMAT_VERSION}"
        )
    return manifest


def iter_shards(root: str | Path) -> Iterator[dict[str, np.ndarray]]:
    """Shards in order; a missing shard (an unfinished build) is an error naming it."""
    root = Path(root)
    manifest = read_manifest(root)
    count, size = manifest["count"], manifest["shard_size"]
    fields = _fields(manifest["synthesis"])
    for shard, start in enumerate(range(0, count, size)):
        path = _shard_path(root, shard)
        if not path.is_file():
            raise DatasetError(f"{path}: missing; the build is unfinished (run the same build again)")
        try:
            with np.load(path) as data:
                arrays = {name: data[name] for name in fields}
        except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError) as exc:
            raise DatasetError(f"{path}: damaged shard ({exc}); delete it and run the build again") from exc
        expected = min(start + size, count) - start
        if len(arrays["extent"]) != expected:
            raise DatasetError(f"{path}: holds {len(arrays['extent'])} samples, expected {expected}")
        yield arrays


def load_dataset(root: str | Path) -> PatchDataset:
    shards = list(iter_shards(root))
    manifest = read_manifest(root)
    arrays = {name: np.concatenate([s[name] for s in shards]) for name in _fields(manifest["synthesis"])}
    return PatchDataset(Path(root), manifest, arrays)
