"""Core programs of the shipped networks, and the backends that run them (golden, hls).

``build_program`` takes a weight file through the whole hardware flow: the folded QKeras model,
hls4ml's graph (conversion only, nothing written), then the core-program exporter. Both backends
here run those programs: ``golden`` with the numpy integer reference, ``hls`` with the C simulation
of ONE hls4ml project whose weight ports receive each program's weights in turn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blurgauge.hw.compiler import program as prog
from blurgauge.hw.compiler.export import DEFAULT_LANES, from_hls_model
from blurgauge.model.nets.inference import TRAINED_DIR, weight_path
from blurgauge.model.nets.roles import CASCADE

#: Where the hls backend keeps its compiled project, one per network structure.
HLS_CACHE = Path("build") / "hls-csim"


def build_program(path: str | Path, lanes: int = DEFAULT_LANES) -> prog.CoreProgram:
    """The core program of one weight file (through hls4ml's graph; about a second at width 16)."""
    from blurgauge.hw.compiler import hls
    from blurgauge.model.nets import weights as weight_files

    loaded = weight_files.load(path)
    hls_model = hls.convert(loaded.build_model(), write=False)
    return from_hls_model(hls_model, loaded.role.name, loaded.width, lanes)


def build_programs(folder: str | Path = TRAINED_DIR, names: tuple[str, ...] = CASCADE,
                   lanes: int = DEFAULT_LANES) -> dict[str, prog.CoreProgram]:
    """Programs of the networks in a weight folder; the six cascade networks must share one structure."""
    programs = {name: build_program(weight_path(folder, name), lanes) for name in names}
    check_homogeneous(programs)
    return programs


def check_homogeneous(programs: dict[str, prog.CoreProgram]) -> int:
    """The structure id the programs share; a ProgramError names the odd one out."""
    ids = {name: p.structure_id for name, p in programs.items() if p.role != "native"}
    if len(set(ids.values())) > 1:
        first = next(iter(ids))
        odd = [n for n, i in ids.items() if i != ids[first]]
        raise prog.ProgramError(f"networks {', '.join(odd)} differ in structure from {first}: one core cannot run all")
    return next(iter(ids.values()))


class _ProgramBackend:
    def __init__(self, folder: str | Path | None = None, names: tuple[str, ...] = CASCADE,
                 programs: dict[str, prog.CoreProgram] | None = None):
        self.programs = programs if programs is not None else build_programs(folder or TRAINED_DIR, names)

    def program(self, name: str) -> prog.CoreProgram:
        if name not in self.programs:
            raise KeyError(f"network {name!r} is not loaded")
        return self.programs[name]


class GoldenNetworks(_ProgramBackend):
    """The ``golden`` backend: core programs executed by the numpy integer reference."""

    def logits(self, name: str, codes: np.ndarray) -> np.ndarray:
        from blurgauge.hw.compiler.golden import run_program

        p = self.program(name)
        return run_program(p, codes) * 2.0**-p.logits_frac


class HlsNetworks(_ProgramBackend):
    """The ``hls`` backend: one hls4ml project (C simulation) runs every program through its ports."""

    def __init__(self, folder: str | Path | None = None, names: tuple[str, ...] = CASCADE,
                 cache: str | Path = HLS_CACHE):
        from blurgauge.hw.compiler import hls

        super().__init__(folder, names)
        structure = check_homogeneous(self.programs)
        first = self.programs[names[0]]
        # A compiled project is reused only by the same structure, hls4ml and patch step.
        import zlib

        import hls4ml

        flow = zlib.crc32(f"{hls4ml.__version__}{hls.PATCHES}{hls.BRAM_FACTOR}".encode())
        project = Path(cache) / f"{structure:08x}-{flow:08x}"
        if not (project / "blurgauge_csim").exists():
            from blurgauge.model.nets import weights as weight_files

            source = weight_files.load(weight_path(folder or TRAINED_DIR, names[0]))
            hls.convert(source.build_model(), project)
        self.core = hls.HlsCore(project, structure, first.input_frac, first.outputs)

    def logits(self, name: str, codes: np.ndarray) -> np.ndarray:
        return self.core.run(self.program(name), codes)
