"""Shared fixtures."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

#: The modules that take minutes, longest first (`make test --durations`: the core's cocotb runs, the
#: training runs, the wrapper's cocotb runs, the coarse study). `make test` hands whole modules to its
#: workers in collection order (`--dist loadscope --no-loadscope-reorder`), so these start first: a
#: module of several minutes that starts last ends the suite alone while the other core idles.
LONGEST_MODULES = (
    "tests/sim/test_rtl_core.py",
    "tests/model/test_train.py",
    "tests/sim/test_rtl_wrapper.py",
    "tests/bench/test_coarse_study.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``LONGEST_MODULES`` first, in that order; every other test keeps its place (the sort is stable)."""
    first = {module: rank for rank, module in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::", 1)[0], len(first)))


@pytest.fixture(scope="session", autouse=True)
def one_native_thread_per_worker():
    """Under pytest-xdist every core already runs a worker, so native thread pools (OpenMP in
    scikit-learn, BLAS) get one thread each: OpenMP threads that outnumber the cores spin against
    each other (measured: a 2.4 s scikit-learn test took 270 s beside a busy core)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


@dataclass
class TrainedNetwork:
    """A tiny network trained for a few steps (so batch-norm statistics have moved) and its file."""

    trained: object  # the training-form Keras model
    path: Path  # its weight file
    codes: np.ndarray  # int8 input codes (n, 128, 128) it was trained on


@pytest.fixture(scope="session")
def briefly_trained(tmp_path_factory) -> TrainedNetwork:
    from blurgauge.model.inputs.preprocess import codes_to_input, input_codes
    from blurgauge.model.nets import weights
    from blurgauge.model.nets.network import NetworkSpec, build_resnet18
    from blurgauge.model.nets.tf_env import keras

    keras.utils.set_random_seed(2)  # the same weight files in every pytest worker (see six_programs)
    rng = np.random.default_rng(2)
    model = build_resnet18(NetworkSpec(2), name="coarse")
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    codes = input_codes(rng.normal(size=(24, 128, 128)) * rng.uniform(0.2, 3.0, (24, 1, 1)))
    model.fit(codes_to_input(codes), rng.integers(0, 5, 24), epochs=2, batch_size=8, verbose=0)
    path = weights.save(tmp_path_factory.mktemp("trained") / "coarse.bgw.npz", model, "coarse", 2, {"test": True})
    return TrainedNetwork(model, path, codes)


@pytest.fixture(scope="session")
def six_networks(briefly_trained, tmp_path_factory) -> Path:
    """A weight folder with the six cascade networks at width 2: the briefly trained coarse network
    and five 'fine' networks whose weights are the coarse ones permuted (so each computes something
    else with the same structure)."""
    import shutil

    from blurgauge.model.nets import weights

    folder = tmp_path_factory.mktemp("six")
    shutil.copy(briefly_trained.path, folder / "coarse.bgw.npz")
    loaded = weights.load(briefly_trained.path)
    for k in range(1, 6):
        model = loaded.build_model()
        for layer in weights.weighted_layers(model):
            kernel, bias = layer.get_weights()
            layer.set_weights([np.roll(kernel, k, axis=-1), np.roll(bias, k)])
        weights.save(folder / f"fine{k}.bgw.npz", model, f"fine{k}", loaded.width, {"test": f"coarse rolled {k}"})
    return folder


@pytest.fixture(scope="session", autouse=True)
def program_cache_shared_by_the_workers(tmp_path_factory):
    """Converted core programs (``build_program``'s cache, keyed by weight-file content) go to a folder all
    pytest-xdist workers of this session share, not to the user's ~/.cache: a worker reuses what another
    converted, and no run depends on or fills a cache outside the session. A BLURGAUGE_CACHE set by the
    caller is kept."""
    if os.environ.get("BLURGAUGE_CACHE"):
        yield
        return
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    os.environ["BLURGAUGE_CACHE"] = str(shared / "blurgauge-cache")
    yield
    os.environ.pop("BLURGAUGE_CACHE", None)


@pytest.fixture(scope="session")
def six_programs(six_networks):
    """``six_programs(lanes)``: the core programs of ``six_networks`` for a lanes x lanes array, built once
    per session and lanes (each build converts six networks through hls4ml: seconds). The weight
    files are the same bytes in every pytest worker (``briefly_trained`` is seeded), so a worker finds
    what another converted in the shared program cache."""
    from blurgauge.hw.compiler.cascade_programs import DEFAULT_LANES, build_programs

    cache: dict[int, dict] = {}

    def get(lanes: int = DEFAULT_LANES) -> dict:
        if lanes not in cache:
            cache[lanes] = build_programs(six_networks, lanes=lanes)
        return cache[lanes]

    return get


def structured(rows: int, cols: int, seed: int, channels: int = 0) -> np.ndarray:
    """A random blurred uint8 image with structure at every scale (dead leaves, a 9-px horizontal box
    blur): white noise alone is refused as unmeasurable (model/inputs/structure.py)."""
    from scipy import ndimage

    from blurgauge.model.data.dead_leaves import dead_leaves

    rng = np.random.default_rng(seed)
    planes = [ndimage.uniform_filter1d(dead_leaves(rng, (rows, cols)), 9, axis=1) for _ in range(max(channels, 1))]
    image = np.stack(planes, axis=-1) if channels else planes[0]
    return np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)


def gray_png(path: Path, rows: int, cols: int, seed: int) -> None:
    """A random gray PNG image with structure (``structured``)."""
    from PIL import Image

    Image.fromarray(structured(rows, cols, seed)).save(path)


def fake_data_root(tmp_path: Path) -> Path:
    """A stand-in for ../shared/data: 2 Levin-like kernels, 3 'BSD68 + Set12' images, 2 held-out
    Kodak24 names."""
    from blurgauge.model.data.kernels import shake_kernel

    root = tmp_path / "data"
    (root / "levin09_kair").mkdir(parents=True)
    rng = np.random.default_rng(0)
    kernels = {"kernel1": np.pad(shake_kernel(9, 17, rng), 2), "kernel2": shake_kernel(13, 15, rng)}
    np.savez(root / "levin09_kair" / "levin09_kernels_float64.npz", **kernels)
    for folder, names in (("natural_BSD68", ("a", "b")), ("natural_Set12", ("c",)),
                          ("natural_Kodak24", ("kodim03", "kodim20"))):
        (root / folder).mkdir()
        for i, name in enumerate(names):
            gray_png(root / folder / f"{name}.png", 240, 240, len(folder) + i)
    return root


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    """Untrained width-2 weight files of all seven roles: the plumbing of a weights folder, no accuracy."""
    from blurgauge.model.nets import weights
    from blurgauge.model.nets.network import NetworkSpec, build_resnet18
    from blurgauge.model.nets.roles import ROLES

    folder = tmp_path_factory.mktemp("tiny-weights")
    for name, r in ROLES.items():
        model = build_resnet18(NetworkSpec(2, r.outputs), name=name)
        weights.save(folder / f"{name}.bgw.npz", model, name, 2, {"test": "untrained"})
    return folder
