"""Full agreement check of the backends on the shipped networks (``make verify``).

For each of the six networks, on real patches (Levin's kernels on BSD68 + Set12 when the data is
at hand, else synthesized ones): the hls4ml C simulation of the ONE project must equal the golden
program bit for bit, and the golden logits are compared with QKeras (argmax agreement, largest
logit difference). Writes a markdown table and exits non-zero on any bit mismatch.

    python -m blurgauge.sim.hls_agreement --patches 30 --out build/verify/hls.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from blurgauge.model.inputs.preprocess import PLAIN, Preprocessing
from blurgauge.model.nets.inference import TRAINED_DIR, KerasNetworks, preprocessing
from blurgauge.model.nets.roles import CASCADE


def real_patches(count: int, data: str | Path | None, seed: int = 0,
                 prep: Preprocessing = PLAIN) -> tuple[np.ndarray, str]:
    """int8 input codes of ``count`` width patches, preprocessed as the host does for the networks
    (``prep``: noise floor, input transform), and where they came from."""
    from blurgauge.model.data.reference import resolve_data_root
    from blurgauge.model.evaluation.sets import levin_set

    try:
        root = resolve_data_root(data)
    except (FileNotFoundError, ValueError):
        root = None
    if root is not None:
        blurred = levin_set(root, 0.01, seed, progress=False, prep=prep)
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(blurred), size=min(count, len(blurred)), replace=False)
        codes = np.stack([blurred[i].width_codes[0] for i in chosen])
        return codes, f"Levin protocol images ({root})"
    from blurgauge.model.data.synthesis import SynthesisConfig, make_sample

    cfg = SynthesisConfig(noise_floor=prep.noise_floor)
    codes = np.stack([prep.codes(make_sample(seed + 99, i, cfg)["patch"]) for i in range(count)])
    return codes, "synthesized patches (no reference data found)"


def verify(folder: str | Path, count: int, data: str | Path | None, out: Path) -> bool:
    from blurgauge.hw.compiler.cascade_programs import GoldenNetworks, HlsNetworks

    codes, source = real_patches(count, data, prep=preprocessing(folder))
    golden = GoldenNetworks(folder, CASCADE)
    started = time.perf_counter()
    hls = HlsNetworks(folder, CASCADE)
    build_seconds = time.perf_counter() - started
    keras = KerasNetworks(folder, CASCADE)
    rows, all_exact = [], True
    for name in tqdm(CASCADE, desc="networks", unit="network"):
        p = golden.program(name)
        g = golden.logits(name, codes)
        started = time.perf_counter()
        h = hls.logits(name, codes)
        per_patch = (time.perf_counter() - started) / len(codes)
        k = keras.logits(name, codes)
        used = p.num_classes
        exact = bool(np.array_equal(g, h))
        all_exact &= exact
        agree = float(np.mean(g[:, :used].argmax(1) == k[:, :used].argmax(1)))
        rows.append(f"| {name} | {len(codes)} | {'yes' if exact else 'NO'} | {int((g != h).sum())} "
                    f"| {100 * agree:.1f} % | {np.abs(g - k).max():.2e} | {per_patch:.2f} |")
    text = (
        f"# Backend agreement on the shipped networks\n\nPatches: {len(codes)} from {source}. "
        f"hls4ml project built and compiled in {build_seconds:.0f} s (0 if cached).\n\n"
        "| network | patches | hls == golden bit for bit | differing logits | argmax golden = QKeras "
        "| largest logit difference golden vs QKeras | C simulation s/patch |\n"
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |\n" + "\n".join(rows) + "\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    return all_exact


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=TRAINED_DIR, help="weight folder (shipped)")
    parser.add_argument("--patches", type=int, default=30, help="patches per network (30)")
    parser.add_argument("--data", type=Path, default=None, help="reference data (default ../shared/data)")
    parser.add_argument("--out", type=Path, default=Path("build/verify/hls.md"), help="markdown report")
    args = parser.parse_args(argv)
    return 0 if verify(args.weights, args.patches, args.data, args.out) else 1


if __name__ == "__main__":
    sys.exit(main())
