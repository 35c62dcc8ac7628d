"""The register-level driver of the blurgauge core: one protocol for the simulated core and a board.

``CoreDriver`` speaks the core's protocol (docs/core-registers.md) using only the names of the
generated register map (``hw/regs/core_regs.py``). It never touches a bus itself: every word and
byte goes through a ``Transport`` (read/write a register, allocate and write device memory, let time
pass; a ``StreamTransport`` can also feed the core's AXI4-Stream input). The ``rtl`` transport
(host/transports/rtl.py) moves them into the Verilator simulation of ``bg_core``, the ``pynq``
transport (host/transports/pynq.py) into a Zynq board; so the code that runs on the board is the
code the simulation tests.

The input patch reaches the core one of two ways (``CoreDriver(..., input_path=...)``):

* ``memory`` (the default; a board design without a DMA): the driver writes the patch into one
  device buffer of its own (allocated once, 16-byte aligned) and the core reads it through its AXI4
  master from ``INPUT_ADDR`` (``CTRL.input_from_memory``);
* ``stream``: the patch on the core's AXI4-Stream input, for transports that have one.

One run of a network:

1. the core must be idle (``STATUS.busy`` clear), else the run is refused and the core left alone
   (starting would abandon a run in progress, error START_BUSY);
2. unless the patch is reused: on the memory path the patch into the input buffer and
   ``INPUT_ADDR_LO/HI`` = its address; ``PROGRAM_ADDR_LO/HI`` = the program's device address (written
   to device memory once, verified before: format, version, CRCs, one ``structure_id`` for all six,
   lanes and slots fit ``CONFIG``);
3. ``CTRL`` = ``irq_enable`` (+ ``reuse_input`` for the fine network: the patch stays on chip;
   + ``input_from_memory`` on the memory path; + ``payload_checked`` once the program's image has
   passed the core's payload CRC in an earlier run, so the core reads its weights once per run, not
   twice), then the same with ``start``; on the stream path the patch then goes on the stream;
4. wait for ``STATUS.done``, bounded: every transport wait is bounded, and at the run's deadline a
   ``CoreTimeoutError`` carries ``STATUS`` (error code, layer) as read then;
5. read ``LOGIT0..7``, ``RESULT``, ``CYCLES``, ``STALL_CYCLES``; clear ``STATUS.done``.

Any exception from step 2 on (a core error, a timeout, an error of the transport itself, even a
KeyboardInterrupt) aborts the run before it propagates: ``CTRL.soft_reset``, the rest of a queued
stream dropped, ``STATUS.done`` cleared, and the patch on chip forgotten. The core is then idle and
the next run starts clean and streams or reads its patch again.

One image (``run_image``): one start of the core's image job (``CTRL.image_job``) instead of four runs.
The two axes' maps go into two device buffers (``INPUT_ADDR``, ``INPUT_H_ADDR``), the five fine programs'
addresses into the ``FINE_ADDR`` table (written once per set of loaded programs); the core runs the
coarse network on both maps (one batch, each weight block serving both), picks each axis's fine network
of the range it chose (the coarse argmax, the rule of ``model.cascade.choose_range``), runs them (one
batch where both axes chose the same range), and raises one interrupt. The driver
reads ``JOB_STATUS``, ``AXIS_RESULT0..1`` and ``JOB_LOGIT0..31``. A fault in the middle (a damaged fine
program, a bus error) ends the job with the error code; ``CoreJobError`` carries the runs that did end,
so a coarse result is not lost.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from blurgauge.hw.compiler import program as prog
from blurgauge.hw.regs import core_regs as regs

#: The input patch: 128 x 128 int8 codes, row-major (on the stream TLAST comes with the last byte).
PATCH_SHAPE = (128, 128)
PATCH_BYTES = PATCH_SHAPE[0] * PATCH_SHAPE[1]
#: How the patch reaches the core (see the module docstring).
INPUT_PATHS = ("memory", "stream")
#: Alignment the core requires of INPUT_ADDR (error INPUT_ALIGN otherwise).
INPUT_ALIGN = 16
#: Bound of one run when the transport does not name its own (a board run takes milliseconds).
DEFAULT_TIMEOUT_S = 5.0
#: Longest wait between two STATUS reads; a transport that sees the interrupt returns earlier.
POLL_S = 0.05


@runtime_checkable
class Transport(Protocol):
    """What a driver needs from a bus: words, device memory and time."""

    def read32(self, offset: int) -> int:
        """A 32-bit register at a byte offset from the core's AXI4-Lite base."""
        ...

    def write32(self, offset: int, value: int) -> None:
        """Write a 32-bit register."""
        ...

    def alloc(self, nbytes: int) -> int:
        """Reserve device memory the core's AXI4 master can read; returns its 16-byte aligned address."""
        ...

    def write_memory(self, address: int, data: bytes) -> None:
        """Copy bytes into device memory at an address from ``alloc`` (visible to the core afterwards)."""
        ...

    def wait(self, seconds: float) -> None:
        """Let the device work for up to ``seconds`` (wall clock, bounded), returning early on the interrupt."""
        ...

    def close(self) -> None:
        """Release the device (buffers, simulator process, overlay handles)."""
        ...


@runtime_checkable
class StreamTransport(Transport, Protocol):
    """A transport that can also feed the core's AXI4-Stream input (``input_path="stream"``)."""

    def send_stream(self, data: bytes) -> None:
        """Queue bytes on the core's AXI4-Stream input, TLAST with the last byte; returns at once."""
        ...

    def reset_stream(self) -> None:
        """Drop what the core did not take of a queued stream (after a failed or abandoned run)."""
        ...


class CoreError(RuntimeError):
    """The core is missing, refused a program, or a run ended with an error."""


class CoreJobError(CoreError):
    """An image job ended with an error; ``finished`` holds the axes' runs that ended before it (the
    coarse result of an axis whose fine run failed, for instance)."""

    def __init__(self, message: str, finished: dict[str, RunResult]) -> None:
        super().__init__(message)
        self.finished = finished


class CoreTimeoutError(CoreError):
    """A run did not end within its bound; the message holds STATUS as read at the deadline."""


@dataclass(frozen=True)
class CoreInfo:
    """What ID, VERSION and CONFIG say about the core."""

    major: int
    minor: int
    program_format: int
    lanes: int
    slots: int
    slot_bytes: int

    def __str__(self) -> str:
        return (f"blurgauge core {self.major}.{self.minor} (program format {self.program_format}), "
                f"{self.lanes}x{self.lanes} MAC array, {self.slots} slots of {self.slot_bytes:,} bytes")


@dataclass(frozen=True)
class RunResult:
    """One run of one network on one patch."""

    network: str
    logits: np.ndarray  # int codes, (outputs,)
    logits_frac: int
    argmax: int
    cycles: int
    stall_cycles: int
    seconds: float  # host wall time of the run, register traffic included
    reused_input: bool

    @property
    def values(self) -> np.ndarray:
        """The logits as numbers: code * 2**-logits_frac."""
        return self.logits.astype(np.float64) * 2.0**-self.logits_frac


#: The image job's four runs, in the core's order (JOB_STATUS.run, JOB_LOGIT[8*r + j]).
JOB_RUNS = ("width coarse", "width fine", "height coarse", "height fine")
#: The networks of an image job: the coarse one at PROGRAM_ADDR, the fine one of range k at FINE_ADDR_LOk.
JOB_COARSE = "coarse"
JOB_FINES = tuple(f"fine{k + 1}" for k in range(5))


@dataclass(frozen=True)
class AxisRuns:
    """One axis of an image job: the coarse run, the range it chose, the fine run of that range."""

    coarse: RunResult
    range: int
    fine: RunResult


@dataclass(frozen=True)
class ImageResult:
    """One image job: both axes, and the job's cycles from its start to its one interrupt."""

    width: AxisRuns
    height: AxisRuns
    cycles: int
    stall_cycles: int
    seconds: float  # host wall time, register traffic included


@dataclass(frozen=True)
class _Loaded:
    program: prog.CoreProgram
    address: int
    image: bytes


def _patch_bytes(codes: np.ndarray, what: str) -> bytes:
    """The bytes of one 128 x 128 int8 map, as the core reads it (row-major)."""
    patch = np.asarray(codes)
    if patch.shape != PATCH_SHAPE or patch.dtype != np.int8:
        raise ValueError(f"{what} must be int8 of shape {PATCH_SHAPE}, got {patch.dtype} {patch.shape}")
    return patch.tobytes()


def _field(reg: str, name: str) -> regs.Field:
    return regs.FIELDS[reg][name]


def describe_status(word: int) -> str:
    """STATUS as words: busy, done, error, error code name and text, layer."""
    get = lambda name: _field("STATUS", name).get(word)  # noqa: E731
    code = get("error_code")
    try:
        name = regs.ErrorCode(code).name
        text = regs.ERROR_TEXT[regs.ErrorCode(code)]
    except ValueError:
        name, text = f"UNKNOWN_{code}", "not an error code of this register map"
    return (f"STATUS {word:#010x}: busy {get('busy')}, done {get('done')}, error {get('error')}, "
            f"error_code {code} {name} ({text}), layer {get('layer')}")


def verify_images(images: Mapping[str, bytes], info: CoreInfo | None = None) -> dict[str, prog.CoreProgram]:
    """Parse every image strictly (format, version, both CRCs), check that each holds the network it
    is named for, that all share one structure_id and that they fit the core; a ProgramError names
    the image and the reason."""
    programs = {}
    for name, blob in images.items():
        program = prog.unpack(blob, f"core program {name!r}")
        if program.role != name:
            raise prog.ProgramError(f"core program {name!r} holds network {program.role!r}")
        programs[name] = program
    structures = {name: p.structure_id for name, p in programs.items()}
    if len(set(structures.values())) > 1:
        listed = ", ".join(f"{n} {s:#010x}" for n, s in structures.items())
        raise prog.ProgramError(f"the core programs differ in structure_id ({listed}): one core cannot run them all")
    if info is not None:
        for name, p in programs.items():
            if p.lanes != info.lanes:
                raise prog.ProgramError(f"core program {name!r} is laid out for {p.lanes} lanes, the core has "
                                        f"{info.lanes} (rebuild it with --lanes {info.lanes})")
            if p.slot_count > info.slots or p.slot_bytes > info.slot_bytes:
                raise prog.ProgramError(
                    f"core program {name!r} needs {p.slot_count} slots of {p.slot_bytes:,} bytes, the core has "
                    f"{info.slots} of {info.slot_bytes:,}")
    return programs


class CoreDriver:
    """Runs core programs on one blurgauge core through a Transport."""

    def __init__(self, transport: Transport, timeout_s: float | None = None, recheck_payload: bool = False,
                 input_path: str = "memory") -> None:
        """``recheck_payload``: let the core check every run's payload CRC, not only a program's first run.
        ``input_path``: ``memory`` (the patch from a device buffer, the default) or ``stream`` (the
        AXI4-Stream input; the transport must be a StreamTransport)."""
        if input_path not in INPUT_PATHS:
            raise ValueError(f"input_path must be one of {', '.join(INPUT_PATHS)}, got {input_path!r}")
        if input_path == "stream" and not isinstance(transport, StreamTransport):
            raise CoreError(f"input_path 'stream' needs a transport with an AXI4-Stream input (send_stream, "
                            f"reset_stream); {type(transport).__name__} has none: use input_path 'memory'")
        self.transport = transport
        self.input_path = input_path
        self.recheck_payload = recheck_payload
        self.timeout_s = timeout_s if timeout_s is not None else getattr(transport, "default_timeout_s",
                                                                         DEFAULT_TIMEOUT_S)
        self.info = self.probe()
        self._loaded: dict[str, _Loaded] = {}
        self._input_address: int | None = None  # the device buffer of the memory path, once allocated
        self._height_address: int | None = None  # the image job's second map buffer, once allocated
        self._table_written = False  # FINE_ADDR holds the loaded fine programs' addresses
        self._on_chip: bytes | None = None  # the patch slot 0 holds, when the driver knows it
        # Programs whose image passed the core's payload CRC since it was written: their later runs set
        # CTRL.payload_checked, so each run reads the weights once instead of twice.
        self._checked: set[str] = set()

    # ---------------------------------------------------------------- identification

    def probe(self) -> CoreInfo:
        """Read ID, VERSION and CONFIG; a core that is not ours, or runs another program format, is an error."""
        ident = self.transport.read32(regs.ID)
        if ident != regs.ID_VALUE:
            raise CoreError(f"no blurgauge core: ID reads {ident:#010x}, expected {regs.ID_VALUE:#010x} (\"BGCR\"); "
                            "check the overlay and the core's base address")
        version = self.transport.read32(regs.VERSION)
        fmt = _field("VERSION", "program_format").get(version)
        if fmt != prog.FORMAT_VERSION:
            raise CoreError(f"the core runs core-program format {fmt}, this host writes format {prog.FORMAT_VERSION}; "
                            "use a matching bitstream or blurgauge version")
        config = self.transport.read32(regs.CONFIG)
        info = CoreInfo(
            major=_field("VERSION", "major").get(version), minor=_field("VERSION", "minor").get(version),
            program_format=fmt, lanes=_field("CONFIG", "lanes").get(config),
            slots=_field("CONFIG", "slots").get(config),
            slot_bytes=1 << _field("CONFIG", "log2_slot_bytes").get(config),
        )
        if info.lanes == 0 or info.slots == 0:
            raise CoreError(f"CONFIG reads {config:#010x}: a core with no lanes or no slots cannot run anything")
        return info

    # ---------------------------------------------------------------- programs

    def load_programs(self, images: Mapping[str, bytes]) -> dict[str, prog.CoreProgram]:
        """Verify the images against each other, the loaded ones and the core, then write each new one
        to device memory (once: an image already there is not written again)."""
        images = {name: bytes(blob) for name, blob in images.items()}
        both = {**{n: entry.image for n, entry in self._loaded.items() if n not in images}, **images}
        programs = verify_images(both, self.info)
        for name, blob in images.items():
            if name in self._loaded and self._loaded[name].image == blob:
                continue
            address = self.transport.alloc(len(blob))
            if address % prog.ALIGN:
                raise CoreError(f"device memory at {address:#x} is not {prog.ALIGN}-byte aligned")
            self.transport.write_memory(address, blob)
            self._loaded[name] = _Loaded(programs[name], address, blob)
            self._checked.discard(name)
            self._table_written = False
        return {name: entry.program for name, entry in self._loaded.items()}

    def program(self, name: str) -> prog.CoreProgram:
        if name not in self._loaded:
            raise KeyError(f"network {name!r} is not loaded into device memory")
        return self._loaded[name].program

    @property
    def loaded(self) -> tuple[str, ...]:
        return tuple(self._loaded)

    def on_chip(self, codes: np.ndarray) -> bool:
        """Whether slot 0 holds exactly these codes (from the last run that read them and succeeded)."""
        return self._on_chip is not None and np.asarray(codes, np.int8).tobytes() == self._on_chip

    # ---------------------------------------------------------------- runs

    def start(self, name: str, reuse_input: bool = False, input_from_memory: bool = False) -> None:
        """Point the core at a loaded program and pulse CTRL.start; the core must be idle. The patch is
        the caller's: with ``input_from_memory`` the core reads it from the driver's input buffer (which
        ``run`` fills), else from the stream."""
        self._check_idle(name)
        self._start(name, reuse_input, input_from_memory)

    def _check_idle(self, name: str) -> None:
        if name not in self._loaded:
            raise KeyError(f"network {name!r} is not loaded into device memory")
        status = self.transport.read32(regs.STATUS)
        if _field("STATUS", "busy").get(status):
            # Starting now would abandon that run (error START_BUSY); refuse, and leave it running.
            raise CoreError(f"the core is busy with another run; {describe_status(status)}")

    def _start(self, name: str, reuse_input: bool, input_from_memory: bool) -> None:
        entry = self._loaded[name]
        if input_from_memory:
            address = self._input_buffer()
            self.transport.write32(regs.INPUT_ADDR_LO, address & 0xFFFFFFFF)
            self.transport.write32(regs.INPUT_ADDR_HI, address >> 32)
        self.transport.write32(regs.PROGRAM_ADDR_LO, entry.address & 0xFFFFFFFF)
        self.transport.write32(regs.PROGRAM_ADDR_HI, entry.address >> 32)
        ctrl = _field("CTRL", "irq_enable").put(0, 1)  # the interrupt lets a transport stop waiting early
        ctrl = _field("CTRL", "reuse_input").put(ctrl, int(reuse_input))
        ctrl = _field("CTRL", "input_from_memory").put(ctrl, int(input_from_memory and not reuse_input))
        checked = name in self._checked and not self.recheck_payload
        ctrl = _field("CTRL", "payload_checked").put(ctrl, int(checked))
        # The bits are set before the start pulse, so the core sees them settled when the run begins.
        self.transport.write32(regs.CTRL, ctrl)
        self.transport.write32(regs.CTRL, _field("CTRL", "start").put(ctrl, 1))

    def _input_buffer(self) -> int:
        """The device address of the memory path's input buffer, allocated on first use."""
        if self._input_address is None:
            self._input_address = self._alloc_map("INPUT_ADDR")
        return self._input_address

    def _height_buffer(self) -> int:
        """The image job's buffer for the height axis's map, allocated on first use."""
        if self._height_address is None:
            self._height_address = self._alloc_map("INPUT_H_ADDR")
        return self._height_address

    def _alloc_map(self, register: str) -> int:
        address = self.transport.alloc(PATCH_BYTES)
        if address % INPUT_ALIGN:
            raise CoreError(f"device memory at {address:#x} is not {INPUT_ALIGN}-byte aligned ({register})")
        return address

    def wait_done(self, timeout_s: float | None = None) -> int:
        """STATUS once STATUS.done is set; CoreTimeoutError (with STATUS decoded) after ``timeout_s``,
        the run then aborted (``abort``)."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout
        while True:
            status = self.transport.read32(regs.STATUS)
            if _field("STATUS", "done").get(status):
                return status
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.abort()
                raise CoreTimeoutError(f"the core did not finish within {timeout:g} s; {describe_status(status)}; "
                                       "the core was soft-reset")
            self.transport.wait(min(remaining, POLL_S))

    def abort(self) -> None:
        """Abandon any run: forget the patch on chip, CTRL.soft_reset, drop the rest of a queued stream,
        clear STATUS.done (and with it the interrupt). The core is idle afterwards."""
        self._on_chip = None  # first: whatever fails below, slot 0 is no longer known
        self.transport.write32(regs.CTRL, _field("CTRL", "soft_reset").put(0, 1))
        if isinstance(self.transport, StreamTransport):
            self.transport.reset_stream()
        self.transport.write32(regs.STATUS, _field("STATUS", "done").put(0, 1))

    def _abort_quietly(self) -> None:
        """After any failure of a run or a job (the core, the deadline, the transport, the user): leave the
        core idle with nothing on chip the driver would trust. The original exception is what the caller
        needs; a transport that cannot even reset fails the next run's first access with its own message."""
        self._on_chip = None  # abort does this first too, but may not be reached
        with contextlib.suppress(Exception):
            self.abort()

    def run(self, name: str, codes: np.ndarray | None = None, reuse_input: bool | None = None,
            timeout_s: float | None = None) -> RunResult:
        """One run of network ``name`` on ``codes`` (128x128 int8), or with ``reuse_input`` on the patch
        already on chip (default: reuse exactly when ``codes`` is what the last successful run read)."""
        began = time.perf_counter()
        if reuse_input is None:
            reuse_input = codes is not None and self.on_chip(codes)
        data = b""
        if not reuse_input:
            if codes is None:
                raise ValueError("a run without reuse_input needs the input codes")
            data = _patch_bytes(codes, "input codes")
        elif codes is not None and not self.on_chip(codes):
            raise CoreError("reuse_input asked for, but these codes are not the patch on chip")
        self._check_idle(name)
        from_memory = self.input_path == "memory" and not reuse_input
        try:
            if not reuse_input:
                self._on_chip = None  # slot 0 is about to be overwritten; known again once the run succeeds
                if from_memory:
                    self.transport.write_memory(self._input_buffer(), data)
            self._start(name, reuse_input, from_memory)
            if not reuse_input and not from_memory:
                self.transport.send_stream(data)  # a StreamTransport: checked in __init__
            status = self.wait_done(timeout_s)
            if _field("STATUS", "error").get(status):
                raise CoreError(f"network {name!r}: the run failed; {describe_status(status)}")
            logits = np.array([self.transport.read32(regs.LOGIT0 + 4 * i) for i in range(regs.LOGIT_COUNT)],
                              np.uint32)
            result = self.transport.read32(regs.RESULT)
            cycles = self.transport.read32(regs.CYCLES)
            stall = self.transport.read32(regs.STALL_CYCLES)
            self.transport.write32(regs.STATUS, _field("STATUS", "done").put(0, 1))
        except BaseException:
            self._abort_quietly()
            raise
        self._checked.add(name)  # a run without error passed the payload CRC (or had it vouched for)
        if not reuse_input:
            self._on_chip = data
        program = self._loaded[name].program
        codes_out = logits.view(np.int32)[: program.outputs].astype(np.int64)
        frac = _field("RESULT", "logits_frac").get(result)
        argmax = _field("RESULT", "argmax").get(result)
        self._check_result(name, program, codes_out, frac, argmax)
        return RunResult(name, codes_out, frac, argmax, cycles, stall, time.perf_counter() - began, reuse_input)

    def run_image(self, width_codes: np.ndarray, height_codes: np.ndarray,
                  timeout_s: float | None = None) -> ImageResult:
        """One image job: the coarse network and the fine network of the range it chooses, on each axis's
        map (128x128 int8), from one start and one interrupt (see the module docstring). Needs the six
        cascade programs loaded; ``timeout_s`` bounds the whole job (default: four runs' bound)."""
        began = time.perf_counter()
        missing = [n for n in (JOB_COARSE, *JOB_FINES) if n not in self._loaded]
        if missing:
            raise KeyError(f"an image job needs the six cascade programs loaded; missing {', '.join(missing)}")
        maps = [_patch_bytes(width_codes, "the width map"), _patch_bytes(height_codes, "the height map")]
        self._check_idle(JOB_COARSE)
        # JOB_CHECKED: per program, CTRL.payload_checked's promise (passed once, not written since)
        vouched = 0 if self.recheck_payload else sum(
            1 << bit for bit, name in enumerate((JOB_COARSE, *JOB_FINES)) if name in self._checked)
        try:
            self._on_chip = None
            self._write_fine_table()
            for address, data, register in ((self._input_buffer(), maps[0], "INPUT_ADDR"),
                                             (self._height_buffer(), maps[1], "INPUT_H_ADDR")):
                self.transport.write_memory(address, data)
                self.transport.write32(getattr(regs, f"{register}_LO"), address & 0xFFFFFFFF)
                self.transport.write32(getattr(regs, f"{register}_HI"), address >> 32)
            coarse = self._loaded[JOB_COARSE].address
            self.transport.write32(regs.PROGRAM_ADDR_LO, coarse & 0xFFFFFFFF)
            self.transport.write32(regs.PROGRAM_ADDR_HI, coarse >> 32)
            self.transport.write32(regs.JOB_CHECKED, vouched)
            ctrl = _field("CTRL", "irq_enable").put(0, 1)
            ctrl = _field("CTRL", "image_job").put(ctrl, 1)
            self.transport.write32(regs.CTRL, ctrl)
            self.transport.write32(regs.CTRL, _field("CTRL", "start").put(ctrl, 1))
            status = self.wait_done(self.timeout_s * 4 if timeout_s is None else timeout_s)
            job = self.transport.read32(regs.JOB_STATUS)
            runs = self._job_runs(_field("JOB_STATUS", "runs_done").get(job), time.perf_counter() - began)
            if _field("STATUS", "error").get(status):
                failed = JOB_RUNS[_field("JOB_STATUS", "run").get(job)]
                raise CoreJobError(f"image job: the {failed} run failed; {describe_status(status)}; "
                                   f"runs that ended: {', '.join(runs) or 'none'}", runs)
            cycles = self.transport.read32(regs.CYCLES)
            stall = self.transport.read32(regs.STALL_CYCLES)
            self.transport.write32(regs.STATUS, _field("STATUS", "done").put(0, 1))
        except BaseException:
            self._abort_quietly()
            raise
        self._checked.update((JOB_COARSE, runs["width fine"].network, runs["height fine"].network))
        self._on_chip = maps[1]  # the job ends with the height map in slot 0
        axes = [AxisRuns(runs[f"{axis} coarse"], runs[f"{axis} coarse"].argmax, runs[f"{axis} fine"])
                for axis in ("width", "height")]
        return ImageResult(axes[0], axes[1], cycles, stall, time.perf_counter() - began)

    def _write_fine_table(self) -> None:
        """FINE_ADDR_LO0..4 and FINE_ADDR_HI: the fine programs' addresses (one high word for all five)."""
        if self._table_written:
            return
        addresses = [self._loaded[name].address for name in JOB_FINES]
        if len({a >> 32 for a in addresses}) != 1:
            raise CoreError("the five fine programs must share address bits 63:32 (one FINE_ADDR_HI); got "
                            + ", ".join(f"{a:#x}" for a in addresses))
        for k, address in enumerate(addresses):
            self.transport.write32(regs.FINE_ADDR_LO0 + 4 * k, address & 0xFFFFFFFF)
        self.transport.write32(regs.FINE_ADDR_HI, addresses[0] >> 32)
        self._table_written = True

    def _job_runs(self, done: int, seconds: float) -> dict[str, RunResult]:
        """The job's runs that ended (JOB_STATUS.runs_done), as RunResults, each checked against its
        program's binary point and argmax. Their cycle counts are 0: the core counts the whole job
        (``ImageResult.cycles``)."""
        runs: dict[str, RunResult] = {}
        for r, label in enumerate(JOB_RUNS):
            if not done >> r & 1:
                continue
            axis = self.transport.read32(regs.AXIS_RESULT0 + 4 * (r // 2))
            fine = r % 2 == 1
            if fine:
                name = JOB_FINES[_field("AXIS_RESULT", "range").get(axis)]
                frac, argmax = _field("AXIS_RESULT", "fine_frac").get(axis), _field("AXIS_RESULT", "fine").get(axis)
            else:
                name = JOB_COARSE
                frac, argmax = _field("AXIS_RESULT", "coarse_frac").get(axis), _field("AXIS_RESULT", "range").get(axis)
            words = np.array([self.transport.read32(regs.JOB_LOGIT0 + 4 * (8 * r + j)) for j in range(8)], np.uint32)
            program = self._loaded[name].program
            codes_out = words.view(np.int32)[: program.outputs].astype(np.int64)
            self._check_result(name, program, codes_out, frac, argmax)
            runs[label] = RunResult(name, codes_out, frac, argmax, 0, 0, seconds, fine)
        return runs

    @staticmethod
    def _check_result(name: str, program: prog.CoreProgram, codes_out: np.ndarray, frac: int, argmax: int) -> None:
        if frac != program.logits_frac:
            raise CoreError(f"network {name!r}: the core reports logits_frac {frac}, the program's last layer has "
                            f"{program.logits_frac}")
        expected = int(np.argmax(codes_out[: program.num_classes]))
        if argmax != expected:
            raise CoreError(f"network {name!r}: the core's argmax {argmax} disagrees with the logits read "
                            f"({codes_out.tolist()}: index {expected})")

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> CoreDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
