"""hls4ml: the patch step, weights through ports, one project for six networks, bit for bit.

The C simulation is the generated firmware compiled with g++ and driven by our harness, which
passes each core program's weights through the top-level ports (``hw.hls.HlsCore``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from blurgauge.hw.compiler import golden, hls
from blurgauge.hw.compiler import hls_project as hls_build
from blurgauge.hw.compiler import program as prog

TEMPLATES = Path(__import__("hls4ml").__file__).parent / "templates" / "vitis"

_MYPROJECT = """void myproject() {
    // hls-fpga-machine-learning insert load weights
#ifndef __SYNTHESIS__
    static bool loaded_weights = false;
    if (!loaded_weights) {
        nnet::load_weights_from_txt<weight4_t, 98>(w4, "w4.txt");
        loaded_weights = true;    }
#endif
}
"""


_PARAMETERS = """struct config4 : nnet::conv2d_config {
    static const unsigned n_zeros = 52;
    static const unsigned multiplier_limit = DIV_ROUNDUP(n_in * n_out, reuse_factor) - n_zeros / reuse_factor;
};
struct config7 : nnet::dense_config {
    static const unsigned n_in = 128;
    static const unsigned n_out = 8;
    static const unsigned n_zeros = 0;
    static const unsigned n_nonzeros = 997;
};
"""


def _fake_project(tmp_path: Path) -> Path:
    project = tmp_path / "prj"
    (project / "firmware" / "nnet_utils").mkdir(parents=True)
    for name, _, _ in hls.PATCHES:
        if name.startswith("nnet_utils/"):
            shutil.copy(TEMPLATES / name, project / "firmware" / name)
    (project / "firmware" / "myproject.cpp").write_text(_MYPROJECT)
    (project / "firmware" / "parameters.h").write_text(_PARAMETERS)
    (project / "myproject_test.cpp").write_text("int main(int argc, char **argv) {\n    return 0;\n}\n")
    return project


def test_patch_step_changes_each_file_once(tmp_path) -> None:
    project = _fake_project(tmp_path)
    assert sorted(hls.patch_project(project)) == sorted({name for name, _, _ in hls.PATCHES})
    pooling = (project / "firmware" / "nnet_utils" / "nnet_pooling_stream.h").read_text()
    assert "CONFIG_T::pool_height == CONFIG_T::stride_height &&" not in pooling
    top = (project / "firmware" / "myproject.cpp").read_text()
    assert "load_weights_from_txt" not in top and "loaded_weights" not in top
    testbench = (project / "myproject_test.cpp").read_text()
    assert 'load_weights_from_txt<weight4_t, 98>(w4, "w4.txt");' in testbench  # the caller loads them now
    parameters = (project / "firmware" / "parameters.h").read_text()
    assert "n_zeros = 52" not in parameters and parameters.count("n_zeros = 0; // blurgauge") == 2
    assert "n_nonzeros = n_in * n_out; // blurgauge" in parameters
    assert hls.patch_project(project) == []  # idempotent


def test_patch_step_refuses_unknown_code(tmp_path) -> None:
    project = _fake_project(tmp_path)
    (project / "firmware" / "nnet_utils" / "nnet_pooling_stream.h").write_text("// another hls4ml\n")
    with pytest.raises(hls.PatchError, match=r"nnet_pooling_stream\.h"):
        hls.patch_project(project)


@pytest.fixture(scope="module")
def programs(six_programs) -> dict[str, prog.CoreProgram]:
    return six_programs()


@pytest.fixture(scope="module")
def one_project(six_networks, tmp_path_factory) -> Path:
    """``blurgauge hls`` on the six width-2 networks."""
    out = tmp_path_factory.mktemp("hls")
    hls_build.build(out, six_networks, quiet=True)
    return out


@pytest.mark.slow
def test_one_project_and_six_images(one_project, programs) -> None:
    manifest = json.loads((one_project / "manifest.json").read_text())
    assert set(manifest["images"]) == set(programs)
    assert len(manifest["ports"]) == 2 * 21  # 20 convolutions and the dense head, weight and bias each
    header = (one_project / "project" / "firmware" / "myproject.h").read_text()
    assert all(f" {port}[" in header for port in manifest["ports"])
    for name, p in programs.items():
        image = prog.load(one_project / manifest["images"][name]["file"], expect_structure=p.structure_id)
        assert prog.pack(image) == prog.pack(p)
    assert (one_project / "project" / "build_prj.tcl").exists() and (one_project / "cost.md").exists()
    # the host's preprocessing for these programs travels beside them (the test networks have no floor)
    plain = {"noise_floor": 0.0, "input_transform": "gradient"}
    settings = json.loads((one_project / "images" / prog.PREPROCESS_FILE).read_text())
    assert {k: v for k, v in settings.items() if k != prog.PROGRAMS_KEY} == plain
    # ... bound to the programs it belongs to
    assert prog.read_folder(one_project / "images", tuple(programs)) is not None
    assert manifest["noise_floor"] == 0.0 and manifest["input_transform"] == "gradient"


@pytest.mark.slow
def test_one_c_simulation_runs_all_six_networks_through_its_ports(one_project, programs, briefly_trained) -> None:
    first = programs["coarse"]
    core = hls.HlsCore(one_project / "project", first.structure_id, first.input_frac, first.outputs)
    codes = briefly_trained.codes[:3]
    outputs = {}
    for name, p in programs.items():
        outputs[name] = core.run(p, codes)
        np.testing.assert_array_equal(outputs[name], golden.run_program(p, codes) * 2.0**-p.logits_frac)
    # The weights passed in decide the result: each network's logits are its own.
    assert all(not np.array_equal(outputs["coarse"], outputs[f"fine{k}"]) for k in range(1, 6))


@pytest.mark.slow
def test_without_the_top_function_patch_the_ports_are_ignored(briefly_trained, programs, tmp_path) -> None:
    from blurgauge.model.nets import weights

    model = weights.load(briefly_trained.path).build_model()
    project = tmp_path / "unpatched-top"
    hls.convert(model, project, patches=("nnet_utils/nnet_pooling_stream.h",))
    coarse, fine = programs["coarse"], programs["fine3"]
    core = hls.HlsCore(project, coarse.structure_id, coarse.input_frac, coarse.outputs)
    codes = briefly_trained.codes[:2]
    # The firmware loads the coarse weights from its own files, whatever the caller passes.
    np.testing.assert_array_equal(core.run(fine, codes), golden.run_program(coarse, codes) * 2.0**-coarse.logits_frac)


def test_projection_shortcuts_take_hls4ml_pointwise_path(briefly_trained) -> None:
    """The conv_2d_cl line buffer ignores a 1x1 convolution's vertical stride; our shortcuts must
    stay on the pointwise path, which honours it (the C simulation tests prove the result)."""
    from blurgauge.model.nets import weights

    graph = hls.convert(weights.load(briefly_trained.path).build_model(), write=False)
    shortcuts = [layer.class_name for layer in graph.get_layers() if layer.name.endswith("block1_0_conv")]
    assert shortcuts == ["PointwiseConv2D"] * 3


@pytest.mark.slow
def test_without_the_pooling_patch_the_c_simulation_aborts(briefly_trained, programs, tmp_path) -> None:
    from blurgauge.model.nets import weights

    model = weights.load(briefly_trained.path).build_model()
    project = tmp_path / "unpatched-pool"
    hls.convert(model, project, patches=("myproject.cpp",))
    coarse = programs["coarse"]
    core = hls.HlsCore(project, coarse.structure_id, coarse.input_frac, coarse.outputs)
    with pytest.raises(RuntimeError, match="C simulation failed"):
        core.run(coarse, briefly_trained.codes[:1])


@pytest.mark.slow
def test_vitis_testbench_compiles_and_runs_with_gcc(one_project) -> None:
    """The project's own testbench (what vitis_hls csim runs) passes the coarse weights itself."""
    project = one_project / "project"
    cmd = ["g++", "-O1", "-std=c++17", "-I", "firmware/ap_types", "-I", ".", '-DWEIGHTS_DIR="firmware/weights"',
           "myproject_test.cpp", "firmware/myproject.cpp", "-o", "tb"]
    subprocess.run(cmd, cwd=project, check=True, capture_output=True)
    done = subprocess.run(["./tb"], cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

