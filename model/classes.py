"""The class table: 38 fine kernel-size intervals grouped into 5 coarse ranges.

This module is the single source of truth for the table. Everything else (dataset labels, network
heads, the core program image, the docs) derives from ``RANGES`` through the helpers below.

Kernel extents are integers from 3 to 95 px. Each coarse range is cut into intervals of equal
step; an interval ``(lo, hi]`` holds the integers ``lo+1 .. hi``, except the very first, ``[3, 5]``,
which is closed on the left so that 3 px is covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

#: Coarse ranges as ``(lower edge, upper edge, interval step)``. The paper's table: R1 = [3,5] ..
#: (17,19], R2 = (19,21] .. (33,35], R3 = (35,37] .. (47,49], R4 = (49,51] .. (61,63],
#: R5 = (63,67] .. (91,95].
RANGES: tuple[tuple[int, int, int], ...] = (
    (3, 19, 2),
    (19, 35, 2),
    (35, 49, 2),
    (49, 63, 2),
    (63, 95, 4),
)

MIN_EXTENT = RANGES[0][0]
MAX_EXTENT = RANGES[-1][1]
#: Every network head has this many outputs, so all six networks share one structure. The coarse
#: network uses the first ``NUM_COARSE`` of them; fine network k uses the first len(range k).
HEAD_OUTPUTS = 8


@dataclass(frozen=True)
class Interval:
    """One fine interval of kernel extents."""

    index: int  # global fine class, 0..37
    coarse: int  # coarse range, 0..4
    local: int  # position inside its coarse range (the fine network's output index)
    lo: int  # smallest member extent (inclusive)
    hi: int  # largest member extent (inclusive)

    @property
    def members(self) -> range:
        return range(self.lo, self.hi + 1)

    @property
    def midpoint(self) -> float:
        """Mean of the member extents: the estimate that minimises absolute error on the interval."""
        return (self.lo + self.hi) / 2

    @property
    def label(self) -> str:
        left = "[" if self.lo == MIN_EXTENT else "("
        return f"{left}{self.lo if left == '[' else self.lo - 1},{self.hi}]"


@cache
def intervals() -> tuple[Interval, ...]:
    out: list[Interval] = []
    for coarse, (lo, hi, step) in enumerate(RANGES):
        if (hi - lo) % step:
            raise ValueError(f"range {coarse}: ({lo},{hi}] is not a whole number of {step} px steps")
        for local, edge in enumerate(range(lo, hi, step)):
            first = edge if (coarse == 0 and local == 0) else edge + 1
            out.append(Interval(len(out), coarse, local, first, edge + step))
    for coarse in range(len(RANGES)):
        if sum(iv.coarse == coarse for iv in out) > HEAD_OUTPUTS:
            raise ValueError(f"range {coarse} has more intervals than the {HEAD_OUTPUTS} head outputs")
    return tuple(out)


NUM_COARSE = len(RANGES)
NUM_FINE = len(intervals())


def range_intervals(coarse: int) -> tuple[Interval, ...]:
    """The fine intervals of one coarse range, in output order of its fine network."""
    if not 0 <= coarse < NUM_COARSE:
        raise ValueError(f"coarse range must be 0..{NUM_COARSE - 1}, got {coarse}")
    return tuple(iv for iv in intervals() if iv.coarse == coarse)


def range_bounds(coarse: int) -> tuple[int, int]:
    """Smallest and largest extent (inclusive) of a coarse range."""
    members = range_intervals(coarse)
    return members[0].lo, members[-1].hi


@cache
def _extent_lut() -> np.ndarray:
    lut = np.full(MAX_EXTENT + 1, -1, dtype=np.int16)
    for iv in intervals():
        lut[iv.lo : iv.hi + 1] = iv.index
    return lut


def fine_class(extent: int | np.ndarray) -> int | np.ndarray:
    """Global fine class (0..37) of a kernel extent in px; vectorised over arrays."""
    arr = np.asarray(extent)
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"kernel extents are whole pixels, got {extent!r}")
        arr = arr.astype(np.int64)
    if np.any((arr < MIN_EXTENT) | (arr > MAX_EXTENT)):
        raise ValueError(f"kernel extent must be {MIN_EXTENT}..{MAX_EXTENT} px, got {extent!r}")
    out = _extent_lut()[arr].astype(np.int64)
    return int(out) if out.ndim == 0 else out


def _per_fine(attribute: str, fine: int | np.ndarray) -> int | np.ndarray:
    arr = np.asarray(fine)
    if np.any((arr < 0) | (arr >= NUM_FINE)):
        raise ValueError(f"fine class must be 0..{NUM_FINE - 1}, got {fine!r}")
    table = np.array([getattr(iv, attribute) for iv in intervals()], dtype=np.int64)
    out = table[arr]
    return int(out) if out.ndim == 0 else out


def coarse_of_fine(fine: int | np.ndarray) -> int | np.ndarray:
    return _per_fine("coarse", fine)


def local_of_fine(fine: int | np.ndarray) -> int | np.ndarray:
    return _per_fine("local", fine)


def coarse_class(extent: int | np.ndarray) -> int | np.ndarray:
    return coarse_of_fine(fine_class(extent))


def fine_from_local(coarse: int, local: int) -> int:
    """Global fine class from a fine network's output index."""
    members = range_intervals(coarse)
    if not 0 <= local < len(members):
        raise ValueError(f"range {coarse} has {len(members)} intervals, got output {local}")
    return members[local].index


def midpoints() -> np.ndarray:
    return np.array([iv.midpoint for iv in intervals()])


def as_table() -> list[dict[str, int | float | str]]:
    """The table as plain records: for docs, reports and the core program image."""
    return [
        {
            "fine": iv.index,
            "coarse": iv.coarse,
            "local": iv.local,
            "lo": iv.lo,
            "hi": iv.hi,
            "midpoint": iv.midpoint,
            "interval": iv.label,
        }
        for iv in intervals()
    ]


def markdown_table() -> str:
    """The class table as a markdown table (used to generate docs/classes.md)."""
    lines = [
        "| coarse range | extents (px) | fine intervals | fine classes |",
        "| --- | --- | --- | --- |",
    ]
    for coarse in range(NUM_COARSE):
        members = range_intervals(coarse)
        lo, hi = range_bounds(coarse)
        labels = " ".join(iv.label for iv in members)
        lines.append(
            f"| R{coarse + 1} (coarse {coarse}) | {lo}..{hi} | {labels} | "
            f"{members[0].index}..{members[-1].index} |"
        )
    return "\n".join(lines) + "\n"
