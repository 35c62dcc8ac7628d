"""``make hls``: ONE hls4ml project and six core-program images from the shipped weights.

Each of the six networks is converted and written as its own hls4ml project; the projects are
compared file by file (``hls.project_differences``) and must be identical except for weight values,
and the six core programs must share one structure id. Only then is one project kept::

    OUT/project/        the hls4ml Vitis HLS project (weights as top-level ports; the testbench
                        passes the coarse network's weights), with build_prj.tcl for vitis_hls
    OUT/images/*.bgcp   the six core programs (docs/core-program.md), with the class tables
    OUT/images/preprocess.json  the host preprocessing of these networks (noise floor, input
                        transform), bound to the six programs by their SHA-256
    OUT/cost.md         MACs, weight bytes and ideal cycles per layer
    OUT/manifest.json   versions, structure id, ports, image sizes and CRCs
"""

from __future__ import annotations

import json
import shutil
import time
import zlib
from pathlib import Path

from tqdm import tqdm

from blurgauge.hw.compiler import cost, hls
from blurgauge.hw.compiler import program as prog
from blurgauge.hw.compiler.export import DEFAULT_LANES, from_hls_model
from blurgauge.model.nets import weights as weight_files
from blurgauge.model.nets.inference import TRAINED_DIR, preprocessing, weight_path
from blurgauge.model.nets.roles import CASCADE

#: Steps ``make hls-synth`` runs (hls4ml's build_prj.tcl reads them): C simulation of the testbench,
#: synthesis and IP export; co-simulation and Vivado synthesis are left to the user (hours).
BUILD_OPTIONS = """array set opt {
    reset      1
    csim       1
    synth      1
    cosim      0
    validation 0
    export     1
    vsynth     0
    fifo_opt   0
}
"""


class HomogeneityError(RuntimeError):
    """The networks would not run on one core."""


def build(out: str | Path, folder: str | Path = TRAINED_DIR, names: tuple[str, ...] = CASCADE,
          lanes: int = DEFAULT_LANES, quiet: bool = False) -> dict:
    import hls4ml

    out = Path(out)
    work = out / "networks"
    shutil.rmtree(work, ignore_errors=True)
    (out / "images").mkdir(parents=True, exist_ok=True)
    programs: dict[str, prog.CoreProgram] = {}
    started = time.perf_counter()
    for name in tqdm(names, desc="converting", unit="network", disable=quiet):
        loaded = weight_files.load(weight_path(folder, name), name)
        hls_model = hls.convert(loaded.build_model(), work / name)
        programs[name] = from_hls_model(hls_model, name, loaded.width, lanes)
    first = names[0]
    for name in names[1:]:
        differ = hls.project_differences(work / first, work / name)
        if differ:
            raise HomogeneityError(f"the hls4ml projects of {first} and {name} differ beyond weights: {differ}")
        if programs[name].structure_id != programs[first].structure_id:
            raise HomogeneityError(f"{name}'s core program differs in structure from {first}'s")
    project = out / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.move(str(work / first), project)
    shutil.rmtree(work)
    (project / "build_opt.tcl").write_text(BUILD_OPTIONS)
    images = {}
    blobs = {name: prog.pack(p) for name, p in programs.items()}
    # The programs do not record what the host must do to an image first; preprocess.json beside them
    # does, bound to them by their SHA-256 so that it cannot be separated from them.
    prep = preprocessing(folder, names)
    prog.write_folder(blobs, out / "images", prep.as_meta())
    for name, blob in blobs.items():
        path = out / "images" / f"{name}.bgcp"
        images[name] = {"file": str(path.relative_to(out)), "bytes": len(blob), "crc32": f"{zlib.crc32(blob):08x}"}
    (out / "cost.md").write_text(cost.markdown(programs[first], lanes))
    manifest = {
        "hls4ml": hls4ml.__version__,
        "structure_id": f"{programs[first].structure_id:08x}",
        "width": programs[first].width,
        "lanes": lanes,
        "ports": [p.name for p in hls.ports(project)],
        "patches": [name for name, _, _ in hls.PATCHES],
        "images": images,
        **prep.as_meta(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
