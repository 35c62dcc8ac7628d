"""Training one network of the cascade (or the native baseline), resumable at every epoch.

A run folder holds everything about one training run::

    config.json          the TrainConfig (a resumed run must match it, except for more epochs)
    ckpt/                TensorFlow checkpoints of the model *and* the Adam state (last two kept)
    history.csv          per epoch: loss, accuracy, validation loss and accuracy, lr, seconds
    curves.png           the training curves, redrawn every epoch
    best.bgw.npz         the weight file of the best epoch so far (by validation accuracy)
    model_weights.h5     the training-form weights of the last epoch (for ``init_from``)

An "epoch" is ``epoch_size`` samples drawn from the training set (default: all of it), so long
runs checkpoint often. Samples are augmented with the symmetries that keep the horizontal
blur extent: mirroring the image left-right (the gradient mirrors and changes sign), up-down, and
inverting the gray levels (the gradient changes sign). The augmented patch then goes through the
run's input transform (``preprocess``), as the host's patches will. A run with ``input_region``
``image`` reads instead the whole-image autocorrelation maps its dataset stores (``data build
--image-map``); on those both mirrors reverse the lag across the axis (dy -> -dy) and the inversion
changes nothing, so the map's rows are reversed. ``mixed`` reads each sample, at random, from its
patch's map or from its whole-image map (validation: the whole-image maps the host reads), so one
network learns from the clean maps of whole images and the noisy ones of many patches.

A run with ``teachers`` learns from other trained networks of its role as well as from the labels
(knowledge distillation): its target is the one-hot label mixed with the teachers' mean softmax on
each sample's whole-image map where the dataset stores one (else its patch), computed once before the
first epoch. A single network so learns what an ensemble of several knows, and the core still runs one
network per stage.

Several GPUs (or machines) are used through ``tf.distribute``: ``--distribute mirrored`` runs
MirroredStrategy over the local GPUs; ``multiworker`` reads TF_CONFIG. The default is the single
device TensorFlow picks.
"""

from __future__ import annotations

import csv
import json
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from blurgauge.model.cascade import softmax
from blurgauge.model.data.dataset import PatchDataset, load_dataset
from blurgauge.model.inputs.patches import PATCH_SIZE
from blurgauge.model.inputs.preprocess import (
    GRADIENT,
    IMAGE,
    PATCH,
    Preprocessing,
    codes_to_input,
    network_input,
)
from blurgauge.model.nets.roles import role as get_role
from blurgauge.model.nets.tf_env import keras, tf
from blurgauge.model.training.config import MIXED, TrainConfig

if TYPE_CHECKING:
    from blurgauge.model.nets.weights import NetworkWeights

#: A run of at most this many optimizer steps in all runs its steps eagerly. Tracing a quantized ResNet18's
#: train step into a graph costs about 20 s of CPU here, more than a handful of eager steps of a small
#: network (a test's three runs of two steps each: 69 s traced, 43 s eager); a real run of thousands of
#: steps is always traced.
EAGER_MAX_STEPS = 16

#: The dataset fields each training region reads.
_REGION_FIELDS = {PATCH: ("patch",), IMAGE: ("image_map",), MIXED: ("patch", "image_map")}


class RunError(ValueError):
    """A run folder that cannot be resumed with the given configuration."""


def _augment(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(codes)
    mirror_lr = rng.random(n) < 0.5
    mirror_ud = rng.random(n) < 0.5
    invert = rng.random(n) < 0.5
    out = codes.astype(np.int16)
    out[mirror_lr] = -out[mirror_lr, :, ::-1]
    out[mirror_ud] = out[mirror_ud, ::-1, :]
    out[invert] = -out[invert]
    return out


def _augment_map(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The mirrors of ``_augment`` applied to autocorrelation maps (n, 128, 128), row ``dy + 64``.
    Row 0 (dy = -64) has no stored partner (dy = +64) and stays: the farthest lag across the axis."""
    flip = (rng.random(len(codes)) < 0.5) != (rng.random(len(codes)) < 0.5)
    out = codes.copy()
    out[flip, 1:] = out[flip, :0:-1]
    return out


def _inputs(sources: dict[str, np.ndarray], transform: str, region: str,
            rng: np.random.Generator | None = None) -> np.ndarray:
    """Network inputs of the samples in ``sources`` (dataset fields): the maps of their gradient
    patches, their stored image-map codes, or for ``mixed`` each from either at random. With
    ``rng`` the samples are augmented first."""
    n = len(next(iter(sources.values())))
    from_map = rng.random(n) < 0.5 if region == MIXED else np.full(n, region == IMAGE)
    out = np.empty((n, PATCH_SIZE, PATCH_SIZE, 1), dtype=np.float32)
    if from_map.any():
        maps = sources["image_map"][from_map]
        out[from_map] = codes_to_input(_augment_map(maps, rng) if rng is not None else maps)
    if not from_map.all():
        patches = sources["patch"][~from_map]
        out[~from_map] = network_input(_augment(patches, rng) if rng is not None else patches, transform)
    return out


class PatchBatches(keras.utils.Sequence):
    """Shuffled, augmented batches of preprocessed patches (or stored image maps); reshuffled every epoch."""

    def __init__(self, sources: dict[str, np.ndarray], labels: np.ndarray, batch_size: int, steps: int, seed: int,
                 transform: str = GRADIENT, region: str = PATCH):
        """``sources``: the dataset fields the region reads (``_REGION_FIELDS``), one row per label."""
        super().__init__()
        self.sources, self.labels, self.transform, self.region = sources, labels, transform, region
        self.batch_size, self.steps = batch_size, steps
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return self.steps

    def on_epoch_end(self) -> None:
        need = self.steps * self.batch_size
        reps = -(-need // len(self.labels))
        self.order = np.concatenate([self.rng.permutation(len(self.labels)) for _ in range(reps)])[:need]

    def __getitem__(self, i: int):
        idx = np.sort(self.order[i * self.batch_size : (i + 1) * self.batch_size])
        batch = {name: field[idx] for name, field in self.sources.items()}
        return _inputs(batch, self.transform, self.region, self.rng), self.labels[idx]


def _prepare(data: PatchDataset, cfg: TrainConfig, region: str,
             limit: int | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The fields ``region`` reads and the labels of the samples in the role's range."""
    r = get_role(cfg.role)
    mask, labels = r.labels(data["extent"], cfg.widen)
    if "image_map" in _REGION_FIELDS[region] and "image_map" not in data.arrays:
        raise ValueError(f"{data.root}: holds no whole-image maps, which input region {region!r} reads; "
                         "build it with `blurgauge data build --image-map`")
    sources = {name: data[name][mask] for name in _REGION_FIELDS[region]}
    if limit is not None and len(labels) > limit:
        keep = np.random.default_rng(cfg.seed).choice(len(labels), limit, replace=False)
        keep.sort()
        sources, labels = {name: field[keep] for name, field in sources.items()}, labels[keep]
    if len(labels) == 0:
        raise ValueError(f"no sample of the dataset falls in the range of {cfg.role}")
    return sources, labels.astype(np.int32)


def _teacher_sources(data: PatchDataset, cfg: TrainConfig) -> dict[str, np.ndarray]:
    """What the teachers read of the run's samples: what the host reads where the dataset has it
    (the whole-image maps), whatever the run itself reads; else the patches."""
    return _prepare(data, cfg, IMAGE if "image_map" in data.arrays else PATCH)[0]


def _load_teachers(cfg: TrainConfig) -> list[NetworkWeights]:
    """The teachers' weight files, loaded and checked against the run: its role and input transform."""
    from blurgauge.model.nets import weights

    loaded = []
    for path in cfg.teachers:
        teacher = weights.load(path)
        if teacher.role.name != cfg.role:
            raise ValueError(f"{path}: a {teacher.role.name} network cannot teach a {cfg.role} network")
        if teacher.preprocessing.transform != cfg.input_transform:
            raise ValueError(f"{path}: reads the {teacher.preprocessing.transform}, this run the {cfg.input_transform}")
        loaded.append(teacher)
    return loaded


def _teacher_targets(cfg: TrainConfig, teachers: list[NetworkWeights], sources: dict[str, np.ndarray],
                     labels: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Soft targets (n, head outputs): the one-hot labels mixed with the mean softmax of ``teachers``
    (``_load_teachers``, the files of ``cfg.teachers``).

    ``sources`` holds what the teachers read: the samples' whole-image maps where the dataset stores
    them, as the host reads images (so a ``patch`` or ``mixed`` run learns from a patch what the
    teachers make of the whole image), else their patches.
    """
    r = get_role(cfg.role)
    region = IMAGE if "image_map" in sources else PATCH
    mean = np.zeros((len(labels), r.num_classes))
    for path, teacher in zip(cfg.teachers, teachers, strict=True):
        model = teacher.build_model()
        for start in range(0, len(labels), chunk):
            part = {name: sources[name][start : start + chunk] for name in _REGION_FIELDS[region]}
            logits = model.predict(_inputs(part, cfg.input_transform, region), batch_size=128, verbose=0)
            mean[start : start + chunk] += softmax(logits[:, : r.num_classes])
        print(f"teacher {path}: agrees with the labels on {np.mean(mean.argmax(1) == labels):.3f} (cumulative)",
              file=sys.stderr)
    targets = np.zeros((len(labels), r.outputs), dtype=np.float32)
    targets[np.arange(len(labels)), labels] = 1.0 - cfg.teacher_weight
    targets[:, : r.num_classes] += cfg.teacher_weight * mean / len(teachers)
    return targets


def _strategy(name: str):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _learning_rate(cfg: TrainConfig, epoch: int) -> float:
    if cfg.final_lr is None:
        return cfg.lr
    start = int(0.75 * cfg.epochs)
    if epoch < start:
        return cfg.lr
    t = (epoch - start + 1) / max(cfg.epochs - start, 1)
    return cfg.lr + t * (cfg.final_lr - cfg.lr)


def _load_or_create_config(run: Path, cfg: TrainConfig) -> None:
    path = run / "config.json"
    if path.exists():
        old = json.loads(path.read_text())
        # Compared as stored (tuples read back as lists); settings added later read as their default.
        mine = json.loads(json.dumps(asdict(cfg)))
        defaults = json.loads(json.dumps(asdict(TrainConfig(role=cfg.role))))
        differ = {k for k in mine if k != "epochs" and old.get(k, defaults[k]) != mine[k]}
        if differ:
            detail = ", ".join(f"{k}: {old.get(k)!r} -> {mine[k]!r}" for k in sorted(differ))
            raise RunError(f"{path}: run was started with other settings ({detail}); use a new run folder")
    run.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(cfg), indent=2) + "\n")


def _read_history(run: Path) -> list[dict]:
    path = run / "history.csv"
    if not path.exists():
        return []
    with path.open() as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _write_history(run: Path, history: list[dict]) -> None:
    with (run / "history.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def plot_curves(history: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["loss"] for h in history], label="train")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], label="validation")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy")
    ax_loss.legend()
    ax_acc.plot(epochs, [h["accuracy"] for h in history], label="train")
    ax_acc.plot(epochs, [h["val_accuracy"] for h in history], label="validation")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _noise_floor(train_set: PatchDataset, val_set: PatchDataset) -> float:
    """The noise floor both sets were built with (``SynthesisConfig.noise_floor``); the weight files
    carry it to the host, so a validation set built otherwise would choose the best epoch on data
    the networks never meet."""
    floors = [float(d.manifest["synthesis"].get("noise_floor", 0.0)) for d in (train_set, val_set)]
    if floors[0] != floors[1]:
        raise ValueError(f"{train_set.root} was built with noise floor {floors[0]}, the validation set "
                         f"{val_set.root} with {floors[1]}: build both with the same --noise-floor")
    return floors[0]


def train(
    cfg: TrainConfig, train_dir: str | Path, val_dir: str | Path, run_dir: str | Path, verbose: int = 1
) -> Path:
    """Train (or resume) one network; returns the path of its best weight file (for the float twin,
    which has none, the Keras weights of its last epoch)."""
    from blurgauge.model.nets import weights
    from blurgauge.model.nets.network import NetworkSpec, build_resnet18

    run = Path(run_dir)
    teachers = _load_teachers(cfg)  # a bad teacher fails before the run folder holds a config naming it
    _load_or_create_config(run, cfg)
    r = get_role(cfg.role)
    tf.keras.utils.set_random_seed(cfg.seed)
    train_set, val_set = load_dataset(train_dir), load_dataset(val_dir)
    preprocessing = Preprocessing(_noise_floor(train_set, val_set), cfg.input_transform)
    val_region = IMAGE if cfg.input_region == MIXED else cfg.input_region
    train_x, train_y = _prepare(train_set, cfg, cfg.input_region)
    val_x, val_y = _prepare(val_set, cfg, val_region, limit=cfg.val_size)
    val_inputs = _inputs(val_x, cfg.input_transform, val_region)
    if cfg.teachers:  # soft targets: the loss and the accuracy read probability rows
        train_y = _teacher_targets(cfg, teachers, _teacher_sources(train_set, cfg), train_y)
        val_y = np.eye(r.outputs, dtype=np.float32)[val_y]
    epoch_size = cfg.epoch_size or len(train_y)
    steps = max(1, epoch_size // cfg.batch_size)
    bn_freeze = int(cfg.bn_freeze_fraction * steps * cfg.epochs)

    strategy = _strategy(cfg.distribute)
    with strategy.scope():
        spec = NetworkSpec(cfg.width, r.outputs, quantized=cfg.quantized)
        model = build_resnet18(spec, name=cfg.role, bn_freeze=bn_freeze)
        optimizer = keras.optimizers.Adam(cfg.lr)
        model.compile(
            run_eagerly=steps * cfg.epochs <= EAGER_MAX_STEPS,
            optimizer=optimizer,
            loss=(keras.losses.CategoricalCrossentropy(from_logits=True) if cfg.teachers
                  else keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
            metrics=[keras.metrics.CategoricalAccuracy(name="accuracy") if cfg.teachers
                     else keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        )
    ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(ckpt, str(run / "ckpt"), max_to_keep=2)
    history = _read_history(run)
    if cfg.init_from and not manager.latest_checkpoint:
        source = Path(cfg.init_from) / "model_weights.h5"
        if not source.is_file():
            raise RunError(f"{source}: no weights to initialise from (train that run first)")
        source_cfg = json.loads((Path(cfg.init_from) / "config.json").read_text())
        if source_cfg.get("input_transform", GRADIENT) != cfg.input_transform:
            raise RunError(f"{cfg.init_from} read the {source_cfg.get('input_transform', GRADIENT)} input, this run "
                           f"the {cfg.input_transform}: a backbone serves only the input it was trained on")
        head = model.get_layer("logits")
        fresh_head = head.get_weights()
        model.load_weights(str(source), by_name=True, skip_mismatch=True)
        # by_name also copies a head of the same shape (coarse -> fine: 8 outputs both); the
        # head's classes mean other intervals here, so it starts from its own initialisation.
        head.set_weights(fresh_head)
        # The source's step counters came along; restart them so this run's bn_freeze applies.
        for layer in model.layers:
            if hasattr(layer, "_iteration"):
                layer._iteration.assign(-1)
        print(f"initialised from {source} (all layers but the head)", file=sys.stderr)
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint).expect_partial()
        history = history[: int(ckpt.save_counter.numpy())]
        print(f"resuming {run} after epoch {len(history)}", file=sys.stderr)
    best = max((h["val_accuracy"] for h in history), default=-1.0)
    batches = PatchBatches(train_x, train_y, cfg.batch_size, steps, seed=cfg.seed + 7919 * len(history),
                          transform=cfg.input_transform, region=cfg.input_region)
    print(
        f"{cfg.role}: {len(train_y)} training / {len(val_y)} validation patches, "
        f"{steps} steps of {cfg.batch_size} per epoch, epochs {len(history) + 1}..{cfg.epochs}",
        file=sys.stderr,
    )
    for epoch in range(len(history), cfg.epochs):
        lr = _learning_rate(cfg, epoch)
        optimizer.learning_rate.assign(lr)
        start = time.time()
        if verbose:
            print(f"epoch {epoch + 1}/{cfg.epochs} (lr {lr:.2e})", file=sys.stderr)
        fit = model.fit(batches, epochs=1, verbose=verbose, shuffle=False)
        val_loss, val_acc = model.evaluate(val_inputs, val_y, batch_size=128, verbose=0)
        history.append({
            "epoch": epoch + 1,
            "loss": fit.history["loss"][-1],
            "accuracy": fit.history["accuracy"][-1],
            "val_loss": float(val_loss),
            "val_accuracy": float(val_acc),
            "lr": lr,
            "seconds": time.time() - start,
        })
        print(
            f"epoch {epoch + 1}: loss {history[-1]['loss']:.4f} acc {history[-1]['accuracy']:.4f} "
            f"val_loss {val_loss:.4f} val_acc {val_acc:.4f} ({history[-1]['seconds']:.0f} s)",
            file=sys.stderr,
        )
        if val_acc > best and cfg.quantized:  # a float twin has no integer weight file
            best = val_acc
            weights.save(run / "best.bgw.npz", model, cfg.role, cfg.width, {
                "command": " ".join(shlex.quote(a) for a in sys.argv),
                "config": asdict(cfg),
                "train_data": str(train_dir),
                "epoch": epoch + 1,
                "val_accuracy": float(val_acc),
            }, preprocessing)
        if cfg.quantized:
            weights.save(run / "last.bgw.npz", model, cfg.role, cfg.width, {"epoch": epoch + 1}, preprocessing)
        model.save_weights(str(run / "model_weights.h5"))  # by-name source for --init-from
        _write_history(run, history)  # before the checkpoint: a resume trims history to it
        manager.save()
        plot_curves(history, run / "curves.png", f"{cfg.role} (width {cfg.width})")
    return run / ("best.bgw.npz" if cfg.quantized else "model_weights.h5")

