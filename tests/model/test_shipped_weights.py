"""The weight files shipped in model/trained/: present, intact, one structure, and with provenance.

A user's clone has no training data, so these files are the product; a missing or damaged one must
fail here rather than in a user's first ``blurgauge estimate``.
"""

from __future__ import annotations

import numpy as np
import pytest

from blurgauge.model.nets import weights
from blurgauge.model.nets.inference import TRAINED_DIR, weight_path
from blurgauge.model.nets.roles import CASCADE

SHIPPED = (*CASCADE, "native")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weight_file_loads_and_names_its_recipe(name: str) -> None:
    loaded = weights.load(weight_path(TRAINED_DIR, name))  # checks format, version and SHA-256
    assert loaded.role.name == name
    provenance = loaded.meta["provenance"]
    assert f"--role {name}" in provenance["command"]
    assert provenance["config"]["seed"] == 0
    assert 0.0 < provenance["val_accuracy"] <= 1.0
    assert weight_path(TRAINED_DIR, name).stat().st_size < 2_000_000  # compact: a few MB for all seven


def test_the_six_cascade_networks_share_one_structure_and_differ_in_weights() -> None:
    loaded = {name: weights.load(weight_path(TRAINED_DIR, name)) for name in CASCADE}
    layouts = {name: [(k, w[0].shape, w[1].shape) for k, w in n.layers.items()] for name, n in loaded.items()}
    assert all(layout == layouts["coarse"] for layout in layouts.values())
    assert len({n.width for n in loaded.values()}) == 1
    kernels = [np.concatenate([w[0].ravel() for w in n.layers.values()]) for n in loaded.values()]
    for i in range(len(kernels)):
        for j in range(i + 1, len(kernels)):
            assert not np.array_equal(kernels[i], kernels[j])


def test_the_shipped_networks_agree_on_their_preprocessing() -> None:
    from blurgauge.host.backends import input_preprocessing
    from blurgauge.model.nets.inference import preprocessing

    prep = preprocessing(TRAINED_DIR, SHIPPED)  # refuses files that disagree, the native baseline included
    assert 0.0 < prep.noise_floor <= 0.05 and input_preprocessing(None) == prep
