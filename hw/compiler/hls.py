"""hls4ml conversion of a folded network, with the settings and patches that make it exact.

hls4ml 1.3's defaults do not compute our networks correctly; each setting below fixes a measured
failure (C simulation against ``hw/compiler/golden.py``; see docs/design.md):

* every convolution and the dense head get an explicit, wide accumulator and result type. Left
  'auto', the result of a convolution that feeds a signed 8-bit quantizer absorbs that quantizer
  (``MergeLinearActivation``) and keeps an inferred ``fixed<23,11>``, so the rounding before the
  residual add disappears (logits off by up to 7.3 at width 4);
* the hidden ``<name>_linear`` layers get the same type, so hls4ml removes them instead of
  truncating to its default ``fixed<16,6>``;
* the residual add and the global average pool get explicit types (the pool's accumulator
  otherwise falls back to ``fixed<16,6>`` and overflows).

* ``BramFactor`` 0 turns every convolution and dense weight array into a top-level port of the
  generated function (hls4ml makes a port of each array strictly larger than the factor), so the
  weights are the caller's: one project serves all six networks.

Two changes to generated code are applied by ``patch_project`` between ``write()`` and the
compilation (hls4ml's own ``compile()`` would rewrite the project and drop them), each with a test
that fails without it (tests/hw/test_hls.py):

* ``nnet_pooling_stream.h`` asserts pool size == stride; our 3x3 stride-2 max-pool (after explicit
  zero padding) is computed correctly by the line-buffer code once the assertion is gone;
* ``myproject.cpp`` fills its weight ports itself from ``firmware/weights/*.txt`` on the first call
  in C simulation, overwriting what the caller passed; without that block the C simulation proves
  the caller's weights are used.

Not patched, measured: a planning note reported that the line-buffer path of
``nnet_conv2d_stream.h`` (``conv_2d_cl``) ignores the vertical stride of a 1x1 convolution. In this
flow hls4ml 1.3 turns our 1x1 stride-2 projection shortcuts into ``PointwiseConv2D``
(``pointwise_conv_2d_cl``), with or without BramFactor, and the C simulation is bit-exact with the
``conv_2d_cl`` header untouched (an earlier version of this module patched it; removing the patch
changed no logit). A test checks that the shortcuts stay pointwise.

hls4ml's own Python ``predict()`` goes through a bridge that relies on that block, so the C
simulation here is our harness instead (``HlsCore``): the generated firmware compiled with a small
C++ main that reads a core program's weights and biases into the ports and streams patches through.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Exact for every accumulator of the family: 2**-16 resolution covers the 2**-11 and 2**-12
#: accumulator grids, 24 integer bits cover any sum of 8-bit products the networks form.
WIDE = "fixed<40,24,TRN,WRAP>"
ADD_TYPE = "fixed<16,8,TRN,WRAP>"  # ufixed<8,3> + fixed<8,3> needs 10 bits; exact
GAP_TYPE = "fixed<24,12,TRN,WRAP>"  # sum of 16 ufixed<8,3> codes, exact before the 8-bit quantizer

BRAM_FACTOR = 0  # every weight array becomes a port

#: (file under firmware/, text hls4ml 1.3 generates (a regular expression), replacement); every
#: match is replaced, and a file without a match (nor the replacement) is an error.
PATCHES: tuple[tuple[str, str, str], ...] = (
    (
        "nnet_utils/nnet_pooling_stream.h",
        re.escape(
            "    assert(CONFIG_T::pool_height == CONFIG_T::stride_height && "
            "CONFIG_T::pool_width == CONFIG_T::stride_width);\n"
        ),
        "    // blurgauge: pool size != stride is computed correctly by the line buffer below.\n",
    ),
    (
        "myproject.cpp",
        r"#ifndef __SYNTHESIS__\n    static bool loaded_weights = false;.*?#endif\n",
        "    // blurgauge: the weights are the caller's (top-level ports); no loading from files here.\n",
    ),
    # hls4ml counts the zero weights of the network it converts and lowers each layer's multiplier
    # limit by them. The core reloads its weights, so a multiplier one network does not need is one
    # another network does: on the shipped weights, coarse and fine1 differed in 38 n_zeros values
    # and nowhere else. Sized for no zeros, the six projects are one; the arithmetic is unchanged.
    (
        "parameters.h",
        r"static const unsigned n_zeros = \d+;(?! // blurgauge)",
        "static const unsigned n_zeros = 0; // blurgauge: weights are reloaded, keep every multiplier",
    ),
    (  # the dense head's count of the same thing (used by hls4ml's compressed dense only)
        "parameters.h",
        r"static const unsigned n_nonzeros = \d+;(?! // blurgauge)",
        "static const unsigned n_nonzeros = n_in * n_out; // blurgauge: weights are reloaded",
    ),
)


class PatchError(RuntimeError):
    """hls4ml generated code the patch step does not recognise (another hls4ml version?)."""


def hls_config(model) -> dict:
    import hls4ml

    from blurgauge.model.nets.tf_env import keras, qkeras

    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    cfg["Model"]["BramFactor"] = BRAM_FACTOR
    layers = cfg["LayerName"]
    for layer in model.layers:
        entry = layers.setdefault(layer.name, {})
        if isinstance(layer, qkeras.QConv2D | qkeras.QDense):
            entry.setdefault("Precision", {}).update({"result": WIDE, "accum": WIDE})
            layers.setdefault(f"{layer.name}_linear", {})["Precision"] = {"result": WIDE}
        elif isinstance(layer, keras.layers.Add):
            entry["Precision"] = {"result": ADD_TYPE}
        elif isinstance(layer, keras.layers.GlobalAveragePooling2D):
            entry["Precision"] = {"result": GAP_TYPE, "accum": GAP_TYPE}
    return cfg


def patch_project(project: str | Path, only: tuple[str, ...] | None = None) -> list[str]:
    """Apply ``PATCHES`` (or those of the files in ``only``) to a written hls4ml project; returns
    the files changed. Applying twice changes nothing.

    The weight loading removed from ``myproject.cpp`` moves into the Vitis HLS testbench's
    ``main`` (``myproject_test.cpp``): the caller loads the weights and passes them, as the host
    will, so Vitis C simulation and co-simulation of the shipped project still run a real network.
    """
    folder = Path(project) / "firmware"
    changed = []
    for name, pattern, new in PATCHES:
        if only is not None and name not in only:
            continue
        path = folder / name
        text = path.read_text()
        found = re.findall(pattern, text, flags=re.DOTALL)
        if not found and new in text:
            continue  # already patched
        if not found:
            raise PatchError(f"{path}: expected hls4ml 1.3 code not found: {pattern[:60]!r}")
        path.write_text(re.sub(pattern, new.replace("\\", "\\\\"), text, flags=re.DOTALL))
        if name not in changed:  # a file may carry several patches
            changed.append(name)
        if name == "myproject.cpp":
            _load_weights_in_testbench(Path(project) / "myproject_test.cpp", found[0])
    return changed


def _load_weights_in_testbench(testbench: Path, block: str) -> None:
    loads = [line.strip() for line in block.splitlines() if "load_weights_from_txt" in line]
    anchor = "int main(int argc, char **argv) {\n"
    text = testbench.read_text()
    if text.count(anchor) != 1:
        raise PatchError(f"{testbench}: expected one `{anchor.strip()}`")
    inserted = "    // blurgauge: the caller loads the weights into the top-level ports.\n" + "".join(
        f"    {line}\n" for line in loads
    )
    testbench.write_text(text.replace(anchor, anchor + inserted))


def convert(model, project: str | Path | None = None, write: bool = True, patches: tuple[str, ...] | None = None):
    """Convert a folded Keras model to an io_stream Vitis model graph; with ``write``, write the
    project to ``project`` and apply the patch step (``patches``: only these files' patches)."""
    import hls4ml

    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=hls_config(model), output_dir=str(project or "hls4ml_prj"), backend="Vitis",
        io_type="io_stream",
    )
    if write:
        hls_model.write()
        patch_project(project, patches)
    return hls_model



# ---------------------------------------------------------------- C simulation through the ports

_PORT = re.compile(r"^\s*(weight|bias)(\d+)_t (\w+)\[(\d+)\]", re.MULTILINE)


@dataclass(frozen=True)
class Port:
    name: str  # w4, b4, ...
    kind: str  # weight | bias
    size: int


def ports(project: str | Path) -> list[Port]:
    """The weight and bias ports of the generated top function, in argument order."""
    header = (Path(project) / "firmware" / "myproject.h").read_text()
    found = [Port(name, kind, int(size)) for kind, _, name, size in _PORT.findall(header)]
    if not found:
        raise PatchError(f"{project}: myproject.h has no weight ports (BramFactor not applied?)")
    return found


_HARNESS = """// Generated by blurgauge (hw/compiler/hls.py): C simulation of the hls4ml firmware with the weights
// passed through its top-level ports, read from a file the caller writes from a core program.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "firmware/myproject.h"
#include "firmware/nnet_utils/nnet_helpers.h"

{arrays}

template <class T, size_t N> static void fill(T (&port)[N], FILE *f) {{
    for (size_t i = 0; i < N; i++) {{
        double v;
        if (std::fread(&v, sizeof v, 1, f) != 1) {{ std::fprintf(stderr, "weights file too short\\n"); std::exit(2); }}
        port[i] = v;  // exact: the values lie on the port type's grid
    }}
}}

int main(int argc, char **argv) {{
    if (argc != 4) {{ std::fprintf(stderr, "usage: %s WEIGHTS PATCHES OUT\\n", argv[0]); return 2; }}
    FILE *wf = std::fopen(argv[1], "rb");
    if (!wf) {{ std::perror(argv[1]); return 2; }}
{fills}
    std::fclose(wf);
    FILE *in = std::fopen(argv[2], "rb");
    FILE *out = std::fopen(argv[3], "wb");
    if (!in || !out) {{ std::perror("patch or output file"); return 2; }}
    std::vector<double> patch({pixels}), logits({outputs});
    while (std::fread(patch.data(), sizeof(double), patch.size(), in) == patch.size()) {{
        hls::stream<input_t> patch_s("patch");
        hls::stream<result_t> logits_s("logits");
        nnet::convert_data<double, input_t, {pixels}>(patch.data(), patch_s);
        myproject(patch_s, logits_s, {args});
        nnet::convert_data<result_t, double, {outputs}>(logits_s, logits.data());
        std::fwrite(logits.data(), sizeof(double), logits.size(), out);
    }}
    std::fclose(in);
    std::fclose(out);
    return 0;
}}
"""


def write_harness(project: str | Path, pixels: int, outputs: int) -> Path:
    project = Path(project)
    found = ports(project)
    arrays = "\n".join(f"static {p.kind}{p.name[1:]}_t {p.name}[{p.size}];" for p in found)
    fills = "\n".join(f"    fill({p.name}, wf);" for p in found)
    path = project / "blurgauge_harness.cpp"
    path.write_text(_HARNESS.format(arrays=arrays, fills=fills, pixels=pixels, outputs=outputs,
                                    args=", ".join(p.name for p in found)))
    return path


def build_harness(project: str | Path, pixels: int, outputs: int) -> Path:
    """Compile the firmware and the harness with g++ (about 20 s at width 16); returns the binary."""
    project = Path(project)
    write_harness(project, pixels, outputs)
    binary = project / "blurgauge_csim"
    # WEIGHTS_DIR only matters to an unpatched top function, which loads its own weights (tests).
    cmd = ["g++", "-O2", "-std=c++17", "-I", "firmware/ap_types", "-I", ".",
           f'-DWEIGHTS_DIR="{(project / "firmware" / "weights").resolve()}"', "blurgauge_harness.cpp",
           "firmware/myproject.cpp", "-o", binary.name]
    done = subprocess.run(cmd, cwd=project, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"g++ failed in {project}:\n{done.stderr[-4000:]}")
    return binary


def port_values(program, project_ports: list[Port]) -> np.ndarray:
    """The weights and biases of a core program as port values (float64, argument order).

    hls4ml's port order is its layer order with the weights flattened as Keras stores them
    (k, k, Cin, Cout) and the dense kernel as (n_in, n_out); the program's conv and dense records
    come in the same order. Sizes are checked pair by pair.
    """
    from blurgauge.hw.compiler.program import OP_CONV, OP_DENSE
    from blurgauge.model.nets.quantizers import FORMATS

    layers = [layer for layer in program.layers if layer.op in (OP_CONV, OP_DENSE)]
    if len(project_ports) != 2 * len(layers):
        raise ValueError(f"{len(project_ports)} ports for {len(layers)} weighted layers")
    values = []
    for layer, wport, bport in zip(layers, project_ports[0::2], project_ports[1::2], strict=True):
        if (wport.size, bport.size) != (layer.weights.size, layer.bias.size):
            raise ValueError(f"{layer.name}: ports {wport.name}/{bport.name} have sizes {wport.size}/{bport.size}")
        values.append(layer.weights.astype(np.float64).ravel() * FORMATS["weight"].step)
        values.append(layer.bias.astype(np.float64) * FORMATS["bias"].step)
    return np.concatenate(values)


class HlsCore:
    """One hls4ml project, compiled once, running any program of its structure (C simulation)."""

    def __init__(self, project: str | Path, structure_id: int, input_frac: int, outputs: int):
        self.project = Path(project)
        self.structure_id = structure_id
        self.input_frac = input_frac
        self.outputs = outputs
        self.ports = ports(self.project)
        self.binary = self.project / "blurgauge_csim"
        if not self.binary.exists():
            build_harness(self.project, 128 * 128, outputs)

    def run(self, program, codes: np.ndarray) -> np.ndarray:
        """Logit values (n, outputs) of ``program``'s network on int8 input codes (n, 128, 128)."""
        import tempfile

        if program.structure_id != self.structure_id:
            raise ValueError(f"program structure {program.structure_id:#010x} is not this project's "
                             f"{self.structure_id:#010x}")
        codes = np.asarray(codes)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            port_values(program, self.ports).tofile(tmp / "weights.f64")
            (codes.astype(np.float64) * 2.0**-self.input_frac).tofile(tmp / "patches.f64")
            done = subprocess.run([str(self.binary.resolve()), "weights.f64", "patches.f64", "logits.f64"],
                                  cwd=tmp, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"C simulation failed (exit {done.returncode}): {done.stderr[-2000:]}")
            return np.fromfile(tmp / "logits.f64").reshape(len(codes), self.outputs)


# ---------------------------------------------------------------- one project for all networks

#: Files of a written project that legitimately differ between networks of one structure: the
#: weight values, the Keras model copy, and hls4ml's per-model stamp and paths.
_PER_NETWORK = ("firmware/weights/", "keras_model.keras", "tb_data/")
_STAMP_LINE = re.compile(r"^(LIB_STAMP=|Stamp: |KerasModel: |OutputDir: ).*$", re.MULTILINE)


def project_differences(a: str | Path, b: str | Path) -> list[str]:
    """Files (relative paths) in which two written projects differ other than in weight values."""
    a, b = Path(a), Path(b)

    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                and not str(p.relative_to(root)).startswith(_PER_NETWORK)
                and not p.name.startswith("blurgauge_csim") and not p.name.endswith((".so", ".o"))}

    names_a, names_b = files(a), files(b)
    differ = sorted(names_a ^ names_b)
    for name in sorted(names_a & names_b):
        ta, tb = (a / name).read_bytes(), (b / name).read_bytes()
        if ta != tb and _STAMP_LINE.sub("", ta.decode(errors="replace")) != _STAMP_LINE.sub(
            "", tb.decode(errors="replace")
        ):
            differ.append(name)
    return differ
