"""Core programs of the shipped networks, and the backends that run them (golden, hls).

``build_program`` takes a weight file through the whole hardware flow: the folded QKeras model,
hls4ml's graph (conversion only, nothing written), then the core-program exporter. Both backends
here run those programs: ``golden`` with the numpy integer reference, ``hls`` with the C simulation
of ONE hls4ml project whose weight ports receive each program's weights in turn.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import threading
from pathlib import Path

import numpy as np

from blurgauge.hw.compiler import program as prog
from blurgauge.hw.compiler.export import DEFAULT_LANES, from_hls_model
from blurgauge.model.nets.inference import TRAINED_DIR, weight_path
from blurgauge.model.nets.roles import CASCADE

#: Where the hls backend keeps its compiled project, one per network structure.
HLS_CACHE = Path("build") / "hls-csim"


def program_cache_dir() -> Path:
    """Where converted programs are kept: ``$BLURGAUGE_CACHE`` or ``~/.cache/blurgauge``, then
    ``programs/`` (safe to delete; a missing or damaged entry is converted again)."""
    root = os.environ.get("BLURGAUGE_CACHE") or Path.home() / ".cache" / "blurgauge"
    return Path(root) / "programs"


def _flow_id() -> str:
    """What else a converted program depends on besides its weight file and lanes: the hls4ml version
    and this flow's own source (conversion, export, the program format), so a change to either
    converts again instead of reusing a program the new code would not build."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        hls4ml_version = version("hls4ml")
    except PackageNotFoundError:
        hls4ml_version = "none"
    h = hashlib.sha256(hls4ml_version.encode())
    here = Path(__file__).resolve().parent
    for name in ("hls.py", "export.py", "program.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def build_program(path: str | Path, lanes: int = DEFAULT_LANES, role_name: str | None = None,
                  cache: bool = True) -> prog.CoreProgram:
    """The core program of one weight file (through hls4ml's graph; about 0.5 s of CPU at width 16), which
    must hold network ``role_name`` when given. Converted once per file content (its SHA-256), lanes
    and flow, then read from ``program_cache_dir()``: a golden start then takes well under a second
    instead of converting six networks again."""
    from blurgauge.model.nets.weight_meta import WeightFileError, read_meta

    path = Path(path)
    read_meta(path, role_name)  # missing, foreign or swapped files fail here, before the cache
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise WeightFileError(f"{path}: cannot read ({exc.strerror})") from None
    key = f"{hashlib.sha256(content).hexdigest()[:32]}-{lanes}-{_flow_id()}"
    cached = program_cache_dir() / f"{key}.bgcp"
    if cache and cached.is_file():
        try:
            return _read_entry(cached.read_bytes(), str(cached))
        except (prog.ProgramError, OSError, ValueError):
            pass  # damaged (e.g. a disk error): convert again and replace it
    from blurgauge.hw.compiler import hls
    from blurgauge.model.nets import weights as weight_files

    loaded = weight_files.load(path, role_name)
    with _CONVERSION_LOCK:  # one model per shape serves every conversion: one at a time, export included
        model = weight_files.shared_folded_model(loaded.width, loaded.role.outputs)
        loaded.set_into(model)
        program = from_hls_model(hls.convert(model, write=False), loaded.role.name, loaded.width, lanes)
    if cache:
        _store(cached, _entry(program))
    return program


#: Conversions load their weights into the one folded model of their shape (``weights.shared_folded_model``:
#: a Keras build takes seconds, about two thirds of a conversion at width 2), so one runs at a time, from
#: the weights going in to the program coming out.
_CONVERSION_LOCK = threading.Lock()


_ENTRY_MAGIC = b"BGCC"


def _entry(program: prog.CoreProgram) -> bytes:
    """A cache entry: the program image and its layer names (which the image does not hold, and
    which the exporter's program carries: tables and tests name layers by them)."""
    names = json.dumps([layer.name for layer in program.layers]).encode()
    return _ENTRY_MAGIC + struct.pack("<I", len(names)) + names + prog.pack(program)


def _read_entry(blob: bytes, source: str) -> prog.CoreProgram:
    if blob[:4] != _ENTRY_MAGIC or len(blob) < 8:
        raise prog.ProgramError(f"{source}: not a program cache entry")
    (size,) = struct.unpack_from("<I", blob, 4)
    names = json.loads(blob[8 : 8 + size].decode())
    program = prog.unpack(blob[8 + size :], source)
    if not isinstance(names, list) or len(names) != len(program.layers):
        raise prog.ProgramError(f"{source}: layer names do not match the program")
    for layer, name in zip(program.layers, names, strict=True):
        layer.name = str(name)
    return program


def _store(path: Path, blob: bytes) -> None:
    """Write a cache entry atomically: a temporary file in the same folder, then ``os.replace``, so
    concurrent writers (two starts at once) never leave a half-written program for a reader."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a read-only home is no reason to fail: the program was built, only not kept


def build_programs(folder: str | Path = TRAINED_DIR, names: tuple[str, ...] = CASCADE,
                   lanes: int = DEFAULT_LANES) -> dict[str, prog.CoreProgram]:
    """Programs of the networks in a weight folder, each file checked to hold the network of its
    name; the six cascade networks must share one structure."""
    programs = {name: build_program(weight_path(folder, name), lanes, name) for name in names}
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

            source = weight_files.load(weight_path(folder or TRAINED_DIR, names[0]), names[0])
            hls.convert(source.build_model(), project)
        self.core = hls.HlsCore(project, structure, first.input_frac, first.outputs)

    def logits(self, name: str, codes: np.ndarray) -> np.ndarray:
        return self.core.run(self.program(name), codes)
