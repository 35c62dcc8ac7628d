"""The networks of the cascade and what each one classifies.

``coarse`` picks one of the 5 coarse ranges; ``fine1`` .. ``fine5`` pick the fine interval inside
their range; ``native`` is the paper's non-cascaded baseline over all 38 intervals. All but
``native`` have the same 8-output head, so they are one structure with six weight sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blurgauge.model import classes


@dataclass(frozen=True)
class Role:
    name: str
    coarse_range: int | None  # the fine networks' range, 0-based; None for coarse and native

    @property
    def num_classes(self) -> int:
        if self.name == "coarse":
            return classes.NUM_COARSE
        if self.name == "native":
            return classes.NUM_FINE
        return len(classes.range_intervals(self.coarse_range))

    @property
    def outputs(self) -> int:
        """Width of the network head: 8 for the six cascade networks, 38 for the baseline."""
        return classes.NUM_FINE if self.name == "native" else classes.HEAD_OUTPUTS

    @property
    def in_core(self) -> bool:
        return self.name != "native"

    def extent_bounds(self, widen: int = 0) -> tuple[int, int]:
        """Extents this network trains on: its range, widened by ``widen`` px on each side."""
        if self.coarse_range is None:
            return classes.MIN_EXTENT, classes.MAX_EXTENT
        lo, hi = classes.range_bounds(self.coarse_range)
        return max(classes.MIN_EXTENT, lo - widen), min(classes.MAX_EXTENT, hi + widen)

    def labels(self, extent: np.ndarray, widen: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(mask of usable samples, label of each usable sample) for an array of extents.

        A fine network trained on a widened range labels extents below its range with its first
        interval and above with its last: that is the nearest answer it can give.
        """
        extent = np.asarray(extent)
        lo, hi = self.extent_bounds(widen)
        mask = (extent >= lo) & (extent <= hi)
        fine = classes.fine_class(extent[mask])
        if self.name == "coarse":
            return mask, classes.coarse_of_fine(fine)
        if self.name == "native":
            return mask, fine
        members = classes.range_intervals(self.coarse_range)
        return mask, np.clip(fine - members[0].index, 0, len(members) - 1)

    def class_labels(self) -> list[str]:
        if self.name == "coarse":
            return [f"R{k + 1} {lo}..{hi}" for k, (lo, hi) in enumerate(map(classes.range_bounds, range(5)))]
        if self.name == "native":
            return [iv.label for iv in classes.intervals()]
        return [iv.label for iv in classes.range_intervals(self.coarse_range)]


ROLES: dict[str, Role] = {
    "coarse": Role("coarse", None),
    **{f"fine{k + 1}": Role(f"fine{k + 1}", k) for k in range(classes.NUM_COARSE)},
    "native": Role("native", None),
}
CASCADE = ("coarse", "fine1", "fine2", "fine3", "fine4", "fine5")


def role(name: str) -> Role:
    try:
        return ROLES[name]
    except KeyError:
        raise ValueError(f"unknown network role {name!r}; one of {', '.join(ROLES)}") from None
