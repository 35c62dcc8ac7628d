"""The evaluation's results: a typed schema, and its JSON form (``results.json``).

``EvalResults.to_json`` gives the dictionary written to ``results.json``; its keys are the
schema's field names, and a field that is None (the native baseline when it was not run, the
paper's columns of the control's kernels) is left out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: One figure per size estimate (``cascade.ESTIMATES``: interval midpoint, softmax expectation).
ByEstimate = dict[str, float]


@dataclass
class KernelRow:
    """One kernel of a Levin-kernel set: the ground truth and the mean estimate of each axis, beside
    the paper's Table 2 (None for a set the paper did not score)."""

    kernel: int
    gt_height: int
    ours_height: float
    gt_width: int
    ours_width: float
    paper_height: float | None = None
    paper_width: float | None = None

    def to_json(self) -> dict:
        row: dict = {"kernel": self.kernel, "gt_height": self.gt_height, "ours_height": self.ours_height,
                     "paper_height": self.paper_height, "gt_width": self.gt_width, "ours_width": self.ours_width,
                     "paper_width": self.paper_width}
        return {k: v for k, v in row.items() if v is not None}


@dataclass
class RangeRow:
    """The estimates whose truth lies in one coarse range."""

    range: str  # "R1 (3..19 px)"
    n: int
    abe: float  # px
    relative: float  # mean relative error
    coarse_accuracy: float

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class LevinResults:
    """The Levin protocol: Levin's 8 kernels on BSD68 + Set12, both axes."""

    images: int
    abe: ByEstimate
    abe_width: float  # with the report's estimate
    abe_height: float
    constant_baseline_abe: float  # of the constant guess (``scoring.CONSTANT_GUESS``)
    coarse_accuracy: float
    fine_accuracy: float
    per_kernel: list[KernelRow]

    def to_json(self) -> dict:
        return {**asdict(self), "per_kernel": [row.to_json() for row in self.per_kernel]}


@dataclass
class ControlResults:
    """The control: Levin's kernels on the held-out Kodak24 photos, both axes."""

    images: int
    abe: ByEstimate
    constant_baseline_abe: float
    coarse_accuracy: float
    fine_accuracy: float
    per_kernel: list[KernelRow]

    def to_json(self) -> dict:
        return {**asdict(self), "per_kernel": [row.to_json() for row in self.per_kernel]}


@dataclass
class SweepResults:
    """The synthetic sweep, width axis only."""

    samples: int
    abe: ByEstimate
    relative_error: ByEstimate
    constant_baseline_abe: float  # of the constant guess ``scoring.SWEEP_CONSTANT_GUESS``
    per_range: list[RangeRow]
    coarse_accuracy: float

    def to_json(self) -> dict:
        return {**asdict(self), "per_range": [row.to_json() for row in self.per_range]}


@dataclass
class NativeResults:
    """The native baseline: one network over all 38 intervals, on the Levin protocol and the sweep."""

    levin_abe: ByEstimate
    sweep_abe: ByEstimate
    sweep_relative_error: ByEstimate

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class FamilyResults:
    """One kernel family on BSD68 + Set12: every axis whose extent lies in 3..95 px."""

    family: str
    images: int
    axes: int  # scored axes
    abe: ByEstimate
    relative_error: ByEstimate
    constant_guess: float  # px: the median true extent, the constant of least AbE
    constant_abe: float
    constant_relative_error: float
    coarse_accuracy: float
    per_range: list[RangeRow]
    native_relative_error: ByEstimate | None = None

    def to_json(self) -> dict:
        out = {**asdict(self), "per_range": [row.to_json() for row in self.per_range]}
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class EvalResults:
    """Everything ``evaluate`` measures, and how."""

    label: str  # the backend and weight folder
    noise_sigma: float  # of the test blur, fraction of full range
    noise_floor: float  # each blurry image's noise topped up to this (``preprocess.Preprocessing``)
    input_transform: str  # what the networks read: gradient or autocorrelation
    seed: int
    estimate: str  # the size estimate of the per-kernel, per-range and width/height figures
    patches: int  # distinct patches per axis pooled by the cascade
    region: str  # where each axis's input map is taken: patch or image
    levin: LevinResults
    sweep: SweepResults
    levin_on_kodak: ControlResults
    native: NativeResults | None = None
    families: list[FamilyResults] | None = None
    window: int = 0  # the central window each image was read through (0: the whole image)

    def to_json(self) -> dict:
        """The dictionary of ``results.json``."""
        out = {
            "label": self.label, "noise_sigma": self.noise_sigma, "noise_floor": self.noise_floor,
            "input_transform": self.input_transform, "seed": self.seed, "estimate": self.estimate,
            "patches": self.patches, "region": self.region, "window": self.window,
            "levin": self.levin.to_json(), "sweep": self.sweep.to_json(),
            "levin_on_kodak": self.levin_on_kodak.to_json(),
        }
        if self.native is not None:
            out["native"] = self.native.to_json()
        if self.families is not None:
            out["families"] = [f.to_json() for f in self.families]
        return out
