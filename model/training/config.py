"""A training run's configuration, importable without TensorFlow (the command line builds its options
from these defaults and choices)."""

from __future__ import annotations

from dataclasses import dataclass

from blurgauge.model.inputs.preprocess import GRADIENT, IMAGE, PATCH, check_region, check_transform
from blurgauge.model.nets.roles import role as get_role

MIXED = "mixed"
#: Where training reads its inputs: a host region (``preprocess.REGIONS``) or ``mixed`` (both,
#: each sample at random); ``mixed`` validates on the ``image`` region, the host's default.
TRAIN_REGIONS = (PATCH, IMAGE, MIXED)
#: tf.distribute strategies: none (one device), mirrored (the local GPUs), multiworker (TF_CONFIG).
DISTRIBUTE_STRATEGIES = ("none", "mirrored", "multiworker")


@dataclass(frozen=True)
class TrainConfig:
    role: str
    width: int = 16
    epochs: int = 20
    epoch_size: int = 0  # samples per epoch; 0 = the whole training set
    batch_size: int = 32
    lr: float = 1e-4
    final_lr: float | None = None  # decay linearly to this over the last quarter of the epochs
    widen: int = 0  # px a fine network's training range is widened by on each side
    seed: int = 0
    val_size: int = 2048  # validation samples scored every epoch
    bn_freeze_fraction: float = 0.9  # batch-norm statistics freeze after this share of the steps
    distribute: str = "none"  # one of DISTRIBUTE_STRATEGIES
    init_from: str | None = None  # run folder whose backbone initialises this network (not its head)
    quantized: bool = True  # False: the float twin, for the quantized-versus-float comparison
    input_transform: str = GRADIENT  # what the network reads of a patch (preprocess.TRANSFORMS)
    input_region: str = PATCH  # where its autocorrelation is taken (TRAIN_REGIONS)
    teachers: tuple[str, ...] = ()  # weight files of the same role whose mean softmax it also learns
    teacher_weight: float = 0.5  # share of the teachers' softmax in the target (the rest: the label)

    def __post_init__(self) -> None:
        get_role(self.role)
        check_transform(self.input_transform, "TrainConfig.input_transform")
        if self.input_region not in TRAIN_REGIONS:
            raise ValueError(f"unknown input region {self.input_region!r}; expected one of {', '.join(TRAIN_REGIONS)}")
        check_region(IMAGE if self.input_region == MIXED else self.input_region, self.input_transform)
        if self.distribute not in DISTRIBUTE_STRATEGIES:
            raise ValueError(f"distribute must be one of {', '.join(DISTRIBUTE_STRATEGIES)}, got {self.distribute!r}")
        if not 0.0 < self.teacher_weight <= 1.0:
            raise ValueError(f"teacher_weight must lie in (0, 1], got {self.teacher_weight}")
        object.__setattr__(self, "teachers", tuple(str(t) for t in self.teachers))  # a list from JSON
        if self.width < 1 or self.epochs < 1 or self.batch_size < 1:
            raise ValueError("width, epochs and batch size must be positive")
