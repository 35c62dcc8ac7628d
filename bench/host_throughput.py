"""Host throughput: images per second and per-stage time of each backend on the same images, and the
board time projected from the RTL core's cycle counts.

Run with `make bench-host` (or `python bench/host_throughput.py --images 4`; `--stages-only` for the
host's per-stage table alone, bench/host_stages.py). Every backend runs the
same networks on the same synthetic blurry images through ``Accelerator.estimate_many`` (preprocessing
of the next image overlapped with the backend's work). The projected board time is the CYCLES the
simulated core counted for an image's job (coarse and fine on both axes, one start) at
``TARGET_CLOCK_MHZ``, plus the host's work on the board's ARM as bench/board_model.py projects it
(never this machine's preprocessing time, which would mix two machines). Prints a table and the command, and writes
build/bench/host.json.

Without the shipped weights (model/trained/) the networks are untrained ResNet18s of ``--width``:
the work per image does not depend on the weight values, the estimates are then meaningless.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from blurgauge.host.accelerator import TARGET_CLOCK_MHZ, Accelerator, Estimate, Failure
from blurgauge.host.backends import DEVICE_BACKENDS, open_transport
from blurgauge.host.transports.counting import counting
from blurgauge.host.transports.rtl import DEFAULT_CORE
from blurgauge.model.nets.roles import CASCADE

OUT = Path("build") / "bench"


def images(count: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    """Blurry 481x321 dead-leaves images with random camera-shake kernels of 3..95 px."""
    from blurgauge.model.data.synthesis import synthesize_blurred

    rng = np.random.default_rng(seed)
    out, labels = [], []
    for i in range(count):
        w, h = (int(v) for v in rng.integers(3, 96, 2))
        out.append(synthesize_blurred(rng, w, h, image_size=(321, 481), noise_sigma=0.01).blurry)
        labels.append(f"image{i} ({w}x{h} px kernel)")
    return out, labels


def weights_folder(requested: Path | None, width: int) -> tuple[Path, str]:
    """The shipped weights if all six are there, else untrained networks of ``width`` (made once)."""
    from blurgauge.model.nets import weights
    from blurgauge.model.nets.inference import TRAINED_DIR, weight_path

    if requested is not None:
        return requested, str(requested)
    if all(weight_path(TRAINED_DIR, n).is_file() for n in CASCADE):
        return TRAINED_DIR, "shipped weights"
    folder = OUT / f"untrained-w{width}"
    if not all(weight_path(folder, n).is_file() for n in CASCADE):
        from blurgauge.model.nets.network import NetworkSpec, build_resnet18
        from blurgauge.model.nets.roles import ROLES

        folder.mkdir(parents=True, exist_ok=True)
        for name in CASCADE:
            model = build_resnet18(NetworkSpec(width, ROLES[name].outputs), name=name)
            weights.save(weight_path(folder, name), model, name, width, {"bench": "untrained"})
    return folder, f"untrained width-{width} networks (no shipped weights yet)"


def run_backend(backend: str, folder: Path, data: list[np.ndarray], labels: list[str], **options) -> dict:
    start = time.perf_counter()
    # A device's bus calls are counted (host/transports/counting.py): what one image asks of the bus.
    bus = counting(open_transport(backend, **options)) if backend in DEVICE_BACKENDS else None
    with Accelerator(backend, folder, **({"transport": bus} if bus else options)) as acc:
        opened = time.perf_counter() - start
        acc.warm_up()  # every network once: Keras builds models and the hls project loads lazily
        if backend not in ("rtl", "pynq"):  # a core is ready once open; a simulated image costs minutes
            acc.estimate(data[0], labels[0])
        counted = bus.counts.snapshot() if bus else None
        start = time.perf_counter()
        results = list(acc.estimate_many(data, labels=labels))
        wall = time.perf_counter() - start
    failed = [r for r in results if isinstance(r, Failure)]
    if failed:
        raise RuntimeError(f"{backend}: {failed[0].error}")
    done: list[Estimate] = results  # type: ignore[assignment]
    row = {
        "backend": backend, "images": len(done), "open_s": opened, "wall_s": wall,
        "images_per_s": len(done) / wall,
        "preprocess_s": float(np.mean([r.preprocess_seconds for r in done])),
        "coarse_s": float(np.mean([r.stage_seconds("coarse") for r in done])),
        "fine_s": float(np.mean([r.stage_seconds("fine") for r in done])),
        # a device's image job: coarse and fine on both axes from one start (no split by network)
        "image_s": float(np.mean([r.stage_seconds("image") for r in done])),
        "starts": float(np.mean([len(r.stages) for r in done])) if backend in ("rtl", "pynq") else None,
        "serial_s": float(np.mean([r.seconds for r in done])),  # preprocessing + backend, not overlapped
        "estimates": [(r.width.fine, r.height.fine) for r in done],
    }
    if bus is not None and counted is not None:
        per = bus.counts.minus(counted)
        n = len(done)
        row["bus"] = {"register_reads": per.reads / n, "register_writes": per.writes / n,
                      "copies": per.copies / n, "copied_bytes": per.copied_bytes / n,
                      # the driver's own Python per image: the device stage's time less the time in the transport
                      "driver_python_s": max(0.0, sum(s.seconds for r in done for s in r.stages) - per.inside_s) / n}
    if all(r.cycles is not None for r in done):
        cycles = float(np.mean([r.cycles for r in done]))
        stall = float(np.mean([sum(s.stall_cycles or 0 for s in r.stages) for r in done]))
        row.update(cycles=cycles, stall_cycles=stall, board_core_s=cycles / (TARGET_CLOCK_MHZ * 1e6))
    return row


def project(rows: list[dict], board_host_s: float) -> None:
    """Board time per image of each core row: its cycles at the clock plus the host's work on the
    board's ARM as bench/board_model.py projects it for these 481x321 images (not this machine's
    preprocessing time: that would add two machines' times)."""
    for r in rows:
        if "cycles" in r:
            r["board_image_s"] = r["board_core_s"] + board_host_s
            r["board_preprocess_s"] = board_host_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4, help="images per host backend (default 4)")
    parser.add_argument("--rtl-images", type=int, default=1, help="images for the rtl backend (default 1; 0 skips)")
    parser.add_argument("--backends", nargs="+", default=["keras", "golden", "hls"],
                        help="host backends (default keras golden hls)")
    parser.add_argument("--weights", type=Path, default=None, help="weight folder (default: shipped, else untrained)")
    parser.add_argument("--width", type=int, default=16, help="width of the untrained networks (16)")
    for option, default in DEFAULT_CORE.items():
        parser.add_argument(f"--{option.replace('_', '-')}", type=int, default=default,
                            help=f"rtl: {option} of the simulated core (default {default}, bg_core's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stage-repeats", type=int, default=5,
                        help="runs per stage of the per-stage host table (median; default 5)")
    parser.add_argument("--stages-only", action="store_true",
                        help="only the per-stage host table and the board projection, no backends")
    args = parser.parse_args()
    try:
        from bench.host_stages import report
    except ImportError:  # run as a script: bench/ is on the path, the repository root is not
        from host_stages import report  # type: ignore[no-redef]

    # The host's own work first, stage by stage (build/bench/host-stages.json): what a board's ARM runs.
    stages = report(args.stage_repeats)
    if args.stages_only:
        return 0 if all(r["codes_equal"] for r in stages) else 1
    command = " ".join(["python bench/host_throughput.py", *sys.argv[1:]])
    folder, label = weights_folder(args.weights, args.width)
    data, labels = images(max(args.images, args.rtl_images), args.seed)
    rows = []
    for backend in args.backends:
        print(f"{backend} ...", file=sys.stderr, flush=True)
        rows.append(run_backend(backend, folder, data[: args.images], labels[: args.images]))
    if args.rtl_images:
        from blurgauge.host.transports.rtl import rtl_available

        why = rtl_available()
        if why is None:
            print("rtl ...", file=sys.stderr, flush=True)
            rows.append(run_backend("rtl", folder, data[: args.rtl_images], labels[: args.rtl_images],
                                    lanes=args.lanes, slots=args.slots, slot_bytes=args.slot_bytes,
                                    wbuf_tiles=args.wbuf_tiles))
        else:
            print(f"rtl skipped: {why}", file=sys.stderr)
    try:
        from bench.board_model import MMIO_SOURCE, board_bus_seconds
        from bench.board_model import project as board_project
    except ImportError:
        from board_model import MMIO_SOURCE, board_bus_seconds  # type: ignore[no-redef]
        from board_model import project as board_project  # type: ignore[no-redef]
    # The ARM's share without decoding (these images are arrays); bench/board_model.py says how.
    project(rows, board_project(321, 481).host_s)
    reference = next((r for r in rows if r["backend"] == "golden"), rows[0])
    agree = all(r["estimates"] == reference["estimates"][: len(r["estimates"])] for r in rows)

    print(f"command: {command}")
    print(f"networks: {label} ({folder}); {len(data)} blurry 481x321 images; {os.cpu_count()} CPU core(s) "
          "shared with other work")
    print("| backend | images | images/s | s/image | serial s/image | preprocess s | coarse s | fine s "
          "| image job s | core starts/image | core cycles | projected board s/image |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        cycles = f"{r['cycles']:,.0f}" if "cycles" in r else ""
        board = f"{r['board_image_s']:.4f}" if "cycles" in r else ""
        starts = "" if r["starts"] is None else f"{r['starts']:g}"
        print(f"| {r['backend']} | {r['images']} | {r['images_per_s']:.3f} | {1 / r['images_per_s']:.3f} "
              f"| {r['serial_s']:.3f} | {r['preprocess_s']:.3f} "
              f"| {r['coarse_s']:.3f} | {r['fine_s']:.3f} | {r['image_s']:.3f} "
              f"| {starts} | {cycles} | {board} |")
    print("(s/image: wall time of estimate_many per image; serial: preprocessing + backend of one image, which "
          "estimate_many overlaps; stage times are means per image, both axes; rtl times are simulation wall time)")
    rtl = next((r for r in rows if "cycles" in r), None)
    keras = next((r for r in rows if r["backend"] == "keras"), None)
    if rtl is not None:
        print(f"projected board: {rtl['cycles']:,.0f} cycles per image ({rtl['stall_cycles']:,.0f} stalled) at "
              f"{TARGET_CLOCK_MHZ:g} MHz = {rtl['board_core_s'] * 1e3:.2f} ms in the core, "
              f"{rtl['board_image_s'] * 1e3:.1f} ms per image with the PYNQ-Z2 ARM's preprocessing as "
              f"bench/board_model.py projects it ({rtl['board_preprocess_s'] * 1e3:.0f} ms, decode not included)")
        if keras is not None:
            tf_s = 1 / keras["images_per_s"]
            print(f"TensorFlow (keras backend) on this CPU: {tf_s * 1e3:.1f} ms per image; the core alone is "
                  f"{tf_s / rtl['board_core_s']:.2f}x faster (core against this CPU's networks only: the board's "
                  "ARM host work is in the projection above, this CPU's is not added to the core)")
    for r in rows:
        if "bus" in r:
            b = r["bus"]
            board_bus = board_bus_seconds(b["register_reads"] + b["register_writes"], b["copied_bytes"])
            print(f"{r['backend']} bus per image (host/transports/counting.py): "
                  f"{b['register_reads']:.0f} register reads, {b['register_writes']:.0f} writes, "
                  f"{b['copies']:.0f} copies of {b['copied_bytes']:,.0f} bytes into "
                  f"device memory; the driver's own Python {b['driver_python_s'] * 1e3:.2f} ms here; on a PYNQ-Z2 "
                  f"about {board_bus * 1e3:.1f} ms ({MMIO_SOURCE})")
    counts = ", ".join(f"{r['backend']} {len(r['estimates'])}" for r in rows)
    print(f"fine classes of both axes equal {reference['backend']}'s on every image each ran ({counts}): "
          f"{'yes' if agree else 'NO'}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "host.json").write_text(json.dumps({"command": command, "networks": label, "clock_mhz": TARGET_CLOCK_MHZ,
                                               "rows": rows, "agree": agree}, indent=2))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
