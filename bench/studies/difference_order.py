"""The first or the second difference under the map: the same coarse network trained on each, on the
same blurry images, and scored on the evaluation's kernel families.

Experiment 27's reader read the small kernels (3-19 px) of every family better from the autocorrelation
of the second difference along the axis than from the first's (a blurred edge's second difference
puts two spikes one projected extent apart), and the large ones worse. This study asks the same of a
network: ``pair`` copies a dataset built with ``--image-map`` (first N samples) and writes its twin,
whose ``image_map`` is the second difference's map of the very same blurry images (regenerated from
the manifest's seed; each is checked against the stored first-difference map), so that the two
training sets differ in the input alone. Coarse networks are then trained on each with the product's
trainer (``blurgauge train --input-region image``), and ``score`` runs them on the evaluation's
families (line, arc, hand, and the generator's shake paths, ``model/evaluation/families.py``) over
the held-out Kodak24 photos (never BSD68 or Set12: this chooses an input), 1 % noise, both axes of
3..95 px, and prints the coarse accuracy per family and per range.

    .venv/bin/python -m bench.studies.difference_order pair --data W/train --count 16384 --out W/pair
    .venv/bin/python -m bench.studies.difference_order pair --data W/val --count 1024 --out W/pair-val
    blurgauge train --role coarse --run W/runs/first --data W/pair/first --val W/pair-val/first ...
    blurgauge train --role coarse --run W/runs/second --data W/pair/second --val W/pair-val/second ...
    .venv/bin/python -m bench.studies.difference_order score --first W/runs/first/best.bgw.npz \\
        --second W/runs/second/best.bgw.npz
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from blurgauge.model import classes
from blurgauge.model.data.blur import blur_image
from blurgauge.model.data.reference import held_out_kodak, resolve_data_root
from blurgauge.model.data.synthesis import SynthesisConfig, sample_image
from blurgauge.model.evaluation.families import FAMILIES, family_kernel
from blurgauge.model.inputs.images import load_gray
from blurgauge.model.inputs.noise import seeded_by, top_up_noise
from blurgauge.model.inputs.patches import gray_levels, horizontal_gradient
from blurgauge.model.inputs.preprocess import PATCH_SIZE, _scaled_codes, autocorrelation, image_map_codes

from .edge_weighting import second_difference_along_rows

ORDERS = ("first", "second")


def map_codes(along: np.ndarray, order: str) -> np.ndarray:
    """The int8 codes of the whole-image map of ``along``'s horizontal first difference (the product's
    ``image_map_codes``) or second difference, in gray levels."""
    if order == "first":
        return image_map_codes(horizontal_gradient(along))
    return _scaled_codes(autocorrelation(second_difference_along_rows(gray_levels(along)), PATCH_SIZE))


def _pair_shard(job: tuple[str, str, int, int, int, dict]) -> None:
    src, out, shard, start, seed, synthesis = job
    cfg = SynthesisConfig(**{k: v for k, v in synthesis.items() if k != "generator"})
    name = f"shard-{shard:05d}.npz"
    with np.load(Path(src) / name) as z:
        arrays = {k: z[k] for k in z.files}
    second = np.empty_like(arrays["image_map"])
    for i in range(len(second)):
        made, axis = sample_image(seed, start + i, cfg)
        along = made.blurry if axis == 0 else made.blurry.T
        if not np.array_equal(map_codes(along, "first"), arrays["image_map"][i]):
            raise RuntimeError(f"{src}/{name}: sample {start + i} does not regenerate as stored")
        second[i] = map_codes(along, "second")
    # Each shard written under a temporary name and renamed, the second last: a resumed run skips exactly
    # the shards whose pair is complete.
    for order, maps in (("first", arrays["image_map"]), ("second", second)):
        final = Path(out) / order / name
        tmp = final.with_suffix(f".tmp{os.getpid()}.npz")
        np.savez_compressed(tmp, **{**arrays, "image_map": maps})
        tmp.replace(final)


def pair(data: Path, count: int, out: Path, workers: int) -> None:
    manifest = json.loads((data / "manifest.json").read_text())
    if not manifest["synthesis"].get("image_map"):
        raise SystemExit(f"{data}: built without --image-map")
    size = manifest["shard_size"]
    count = min(count, manifest["count"]) // size * size
    for order in ORDERS:
        (out / order).mkdir(parents=True, exist_ok=True)
        (out / order / "manifest.json").write_text(json.dumps({**manifest, "count": count}, indent=2) + "\n")
    jobs = [(str(data), str(out), s, s * size, manifest["seed"], manifest["synthesis"])
            for s in range(count // size) if not (out / "second" / f"shard-{s:05d}.npz").exists()]
    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_pair_shard, jobs):
                pass
    else:
        for job in jobs:
            _pair_shard(job)
    print(f"{out}: {count} samples, first and second difference")


def score(first: Path, second: Path, data: str | None, per_range: int) -> None:
    from blurgauge.model.inputs.preprocess import codes_to_input
    from blurgauge.model.nets import weights

    models = {order: weights.load(path, "coarse").build_model()
              for order, path in zip(ORDERS, (first, second), strict=True)}
    photos = [load_gray(p) for p in held_out_kodak(resolve_data_root(data))]
    rng = np.random.default_rng(5)
    rows = []
    for family in FAMILIES:
        truth, codes = [], {order: [] for order in ORDERS}
        for coarse in range(classes.NUM_COARSE):
            low, high = classes.range_bounds(coarse)
            for j in range(per_range):
                fk = family_kernel(family, int(rng.integers(low, high + 1)), rng)
                blurred = blur_image(photos[j % len(photos)], fk.kernel, rng, 0.01)
                topped = top_up_noise(blurred, 0.01, seeded_by(blurred))
                for extent, along in ((fk.width, topped), (fk.height, np.ascontiguousarray(topped.T))):
                    if extent < classes.MIN_EXTENT:
                        continue
                    truth.append(classes.coarse_of_fine(classes.fine_class(extent)))
                    for order in ORDERS:
                        codes[order].append(map_codes(along, order))
        truth_a = np.array(truth)
        cells = []
        for order in ORDERS:
            chosen = models[order].predict(codes_to_input(np.array(codes[order])), batch_size=64, verbose=0).argmax(-1)
            per = [np.mean(chosen[truth_a == c] == c) for c in range(classes.NUM_COARSE)]
            cells.append(f"{np.mean(chosen == truth_a):.1%} ({' / '.join(f'{p:.0%}' for p in per)})")
        rows.append(f"| {family} | {len(truth_a)} | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pair", help="a dataset's first N samples, with first- and second-difference maps")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    s = sub.add_parser("score", help="coarse accuracy of the two networks on the kernel families")
    s.add_argument("--first", type=Path, required=True)
    s.add_argument("--second", type=Path, required=True)
    s.add_argument("--data", default=None, help="reference data folder (default ../shared/data)")
    s.add_argument("--per-range", type=int, default=24, help="kernels per family and coarse range")
    args = parser.parse_args(argv)
    if args.command == "pair":
        pair(args.data, args.count, args.out, args.workers)
    else:
        print("coarse accuracy (R1 / R2 / R3 / R4 / R5), held-out Kodak24 photos, 1 % noise, both axes of 3..95 px")
        print("| family | axes | first difference | second difference |")
        print("| --- | ---: | --- | --- |")
        score(args.first, args.second, args.data, args.per_range)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
