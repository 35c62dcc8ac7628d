"""Which reference images may be used for what: the one place that decides.

BSD68, Set12 and Levin's kernels and images are the test set of the paper's protocol and are never
a training source. Kodak24 is split: its first 16 images may be cropped as sharp training images
(natural statistics that dead leaves lack: measured, a network trained on dead leaves alone
estimates Levin's kernels on BSD68 about twice too large, while on dead leaves it is nearly
unbiased), and its last 8 stay held apart for the synthetic sweep of the evaluation.
"""

from __future__ import annotations

from pathlib import Path

KODAK_FOLDER = "natural_Kodak24"
KODAK_TRAIN = tuple(f"kodim{i:02d}.png" for i in range(1, 17))
KODAK_HELD_OUT = tuple(f"kodim{i:02d}.png" for i in range(17, 25))
TEST_FOLDERS = ("natural_bsd68", "natural_set12", "levin09_kair", "levin09_selfdeblur")


def training_images(folder: str | Path) -> frozenset[str] | None:
    """The file names of ``folder`` that may be trained on (None: all of them).

    Raises ValueError for test data.
    """
    parts = [part.lower() for part in Path(folder).resolve().parts]
    if any(part in TEST_FOLDERS for part in parts):
        raise ValueError(f"{folder}: this is evaluation data; training on it would invalidate the results")
    if KODAK_FOLDER.lower() in parts:
        return frozenset(KODAK_TRAIN)
    return None
