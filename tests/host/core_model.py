"""A register-level model of the core behind the Transport interface, for driver tests without RTL.

``ModelTransport`` behaves as docs/core-registers.md describes bg_core: ID, VERSION and CONFIG;
PROGRAM_ADDR and INPUT_ADDR; CTRL start / soft_reset / reuse_input / irq_enable / payload_checked /
input_from_memory; STATUS busy / done (write 1 to clear) / error / error_code / layer; the program read
from device memory and checked in the core's order (magic, version, header CRC, fit, payload CRC, then
INPUT_ALIGN for an input address that is not 16-byte aligned); the patch (exactly 16384 bytes) from
device memory at INPUT_ADDR with input_from_memory, read when the run takes its input (an address
outside the allocated memory answers AXI_READ), else from the stream; logits computed by the golden
integer reference (hw/compiler/golden.py), the RTL's own truth. A run ends only when time passes
(``wait``), so a driver's wait loop is exercised as on real hardware, and a stream run without a patch
stays busy, which is how the tests reach a timeout.
The image job (CTRL.image_job): coarse at PROGRAM_ADDR on the map at INPUT_ADDR, the fine program the
FINE_ADDR table names for the range chosen, on the same map; then the same on the map at INPUT_H_ADDR;
JOB_STATUS, AXIS_RESULT0..1 and JOB_LOGIT0..31 kept per run; JOB_RANGE for a coarse argmax beyond the
table; one done at the end or at the first error.

It counts no cycles: CYCLES and STALL_CYCLES read 0. It is not a backend; the ``rtl`` transport is the
real simulated core.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from blurgauge.host.driver import PATCH_BYTES
from blurgauge.hw.compiler import program as prog
from blurgauge.hw.regs import core_regs as regs

_HEAD = struct.Struct("<4sHH")  # magic, version, header_bytes


def _f(reg: str, name: str) -> regs.Field:
    return regs.FIELDS[reg][name]


class ModelTransport:
    """An in-process model of one bg_core with its DDR and input stream."""

    default_timeout_s = 2.0

    def __init__(self, lanes: int = 16, slots: int = 4, log2_slot_bytes: int = 16) -> None:
        self.config = (_f("CONFIG", "lanes").put(0, lanes) | _f("CONFIG", "slots").put(0, slots)
                       | _f("CONFIG", "log2_slot_bytes").put(0, log2_slot_bytes))
        self.memory: dict[int, bytearray] = {}
        self._next = 0x1000_0000
        self.regs = {regs.PROGRAM_ADDR_LO: 0, regs.PROGRAM_ADDR_HI: 0, regs.INPUT_ADDR_LO: 0, regs.INPUT_ADDR_HI: 0,
                     regs.INPUT_H_ADDR_LO: 0, regs.INPUT_H_ADDR_HI: 0, regs.FINE_ADDR_HI: 0, regs.CTRL: 0,
                     regs.JOB_CHECKED: 0,
                     **{regs.FINE_ADDR_LO0 + 4 * k: 0 for k in range(5)}}
        # the image job (CTRL.image_job): JOB_STATUS, AXIS_RESULT0..1, JOB_LOGIT0..31
        self.job_status = 0
        self.axis_result = [0, 0]
        self.job_logits = [0] * 32
        self.jobs = 0  # image jobs started
        self.status = 0
        self.logits = [0] * regs.LOGIT_COUNT
        self.result = 0
        self.stream = b""
        self.slot0: np.ndarray | None = None
        self._pending: prog.CoreProgram | None = None  # a started run, waiting for time (and the patch)
        self.closed = False
        self.payload_checks = 0  # runs whose payload CRC the model checked (not vouched for)
        self.axi_error = False  # when set, the core's AXI4 reads answer SLVERR (error AXI_READ)
        self.memory_inputs = 0  # patches read from device memory (input_from_memory)

    # ---------------------------------------------------------------- Transport

    def read32(self, offset: int) -> int:
        if offset == regs.ID:
            return regs.ID_VALUE
        if offset == regs.VERSION:
            return regs.VERSION_VALUE
        if offset == regs.CONFIG:
            return self.config
        if offset == regs.STATUS:
            return self.status
        if offset in (regs.CYCLES, regs.STALL_CYCLES):
            return 0
        if offset == regs.RESULT:
            return self.result
        if offset == regs.JOB_STATUS:
            return self.job_status
        if offset in (regs.AXIS_RESULT0, regs.AXIS_RESULT1):
            return self.axis_result[(offset - regs.AXIS_RESULT0) // 4]
        if regs.JOB_LOGIT0 <= offset < regs.JOB_LOGIT0 + 4 * 32 and offset % 4 == 0:
            return self.job_logits[(offset - regs.JOB_LOGIT0) // 4] & 0xFFFFFFFF
        if regs.LOGIT0 <= offset < regs.LOGIT0 + 4 * regs.LOGIT_COUNT and offset % 4 == 0:
            return self.logits[(offset - regs.LOGIT0) // 4] & 0xFFFFFFFF
        if offset in self.regs:
            return self.regs[offset] & ~(_f("CTRL", "start").mask | _f("CTRL", "soft_reset").mask) \
                if offset == regs.CTRL else self.regs[offset]
        raise OSError(f"AXI4-Lite SLVERR: read of unmapped address {offset:#x}")

    def write32(self, offset: int, value: int) -> None:
        if offset == regs.STATUS:
            if _f("STATUS", "done").get(value):
                self.status &= ~_f("STATUS", "done").mask
            return
        if offset not in self.regs:
            raise OSError(f"AXI4-Lite SLVERR: write to {offset:#x}")
        self.regs[offset] = value & 0xFFFFFFFF
        if offset == regs.CTRL:
            if _f("CTRL", "soft_reset").get(value):
                self._pending = None
                self.status &= ~(_f("STATUS", "busy").mask)
            if _f("CTRL", "start").get(value):
                self._start()

    def alloc(self, nbytes: int) -> int:
        address = self._next
        self.memory[address] = bytearray(nbytes)
        self._next += -(-nbytes // 4096) * 4096
        return address

    def write_memory(self, address: int, data: bytes) -> None:
        buf = self.memory[address]
        if len(data) > len(buf):
            raise ValueError(f"{len(data)} bytes do not fit the {len(buf)}-byte buffer at {address:#x}")
        buf[: len(data)] = data

    def send_stream(self, data: bytes) -> None:
        self.stream += bytes(data)

    def reset_stream(self) -> None:
        self.stream = b""

    def wait(self, seconds: float) -> None:
        # Time passing is what lets a started run finish; the model needs no more than one step.
        if self._pending is not None:
            self._step()

    def close(self) -> None:
        self.closed = True

    # ---------------------------------------------------------------- the core

    def _end(self, code: regs.ErrorCode, layer: int = 0) -> None:
        word = _f("STATUS", "done").put(0, 1) | _f("STATUS", "layer").put(0, layer)
        if code:
            word = _f("STATUS", "error").put(word, 1) | _f("STATUS", "error_code").put(word, int(code))
        self.status = word
        self._pending = None

    def _read(self, address: int, nbytes: int | None = None) -> bytes | None:
        """Device memory from ``address`` (to the end of its buffer, or ``nbytes``); None where the AXI4
        read would answer an error (outside every buffer, or ``axi_error``)."""
        if self.axi_error:
            return None
        for base, buf in self.memory.items():
            if base <= address < base + len(buf):
                data = bytes(buf[address - base:])
                return data if nbytes is None else data[:nbytes] if len(data) >= nbytes else None
        return None

    def _image(self) -> bytes | None:
        return self._read((self.regs[regs.PROGRAM_ADDR_HI] << 32) | self.regs[regs.PROGRAM_ADDR_LO])

    def _input_address(self) -> int:
        return (self.regs[regs.INPUT_ADDR_HI] << 32) | self.regs[regs.INPUT_ADDR_LO]

    def _from_memory(self) -> bool:
        ctrl = self.regs[regs.CTRL]  # reuse_input wins: input_from_memory is ignored with it
        return bool(_f("CTRL", "input_from_memory").get(ctrl)) and not _f("CTRL", "reuse_input").get(ctrl)

    def _start(self) -> None:
        if _f("STATUS", "busy").get(self.status):
            self._end(regs.ErrorCode.START_BUSY)
            return
        self.status = _f("STATUS", "busy").put(0, 1)
        if _f("CTRL", "image_job").get(self.regs[regs.CTRL]):
            self.jobs += 1
            self.job_status = _f("JOB_STATUS", "job").put(0, 1)
            self.job_logits = [0] * 32
            self._pending = "job"  # type: ignore[assignment]  # runs when time passes
            return
        self.job_status = 0
        loaded = self._load(self._image())
        if isinstance(loaded, regs.ErrorCode):
            return self._end(loaded)
        if self._from_memory() and self._input_address() % 16:
            return self._end(regs.ErrorCode.INPUT_ALIGN)
        self._pending = loaded

    def _load(self, blob: bytes | None, checked: bool | None = None) -> prog.CoreProgram | regs.ErrorCode:
        """The program at a device address, checked in the core's order, or the error the core reports;
        ``checked``: the host vouches for its payload (default: CTRL.payload_checked)."""
        if blob is None:
            return regs.ErrorCode.AXI_READ
        magic, version, header_bytes = _HEAD.unpack_from(blob)
        if magic != prog.MAGIC:
            return regs.ErrorCode.BAD_MAGIC
        if version != prog.FORMAT_VERSION:
            return regs.ErrorCode.BAD_VERSION
        head = blob[: prog.HEADER_BYTES]
        if zlib.crc32(head[:-4]) != int.from_bytes(head[-4:], "little"):
            return regs.ErrorCode.HEADER_CRC
        lanes, slot_count = head[11], head[22]
        slot_bytes, total = int.from_bytes(head[24:28], "little"), int.from_bytes(head[48:52], "little")
        info = regs.FIELDS["CONFIG"]
        if (lanes != info["lanes"].get(self.config) or slot_count > info["slots"].get(self.config)
                or slot_bytes > 1 << info["log2_slot_bytes"].get(self.config)):
            return regs.ErrorCode.NO_FIT
        if checked is None:
            checked = bool(_f("CTRL", "payload_checked").get(self.regs[regs.CTRL]))
        if not checked:
            self.payload_checks += 1
            if zlib.crc32(blob[header_bytes:total]) != int.from_bytes(head[52:56], "little"):
                return regs.ErrorCode.PAYLOAD_CRC
        return prog.unpack(blob[:total], "program in device memory")

    def _address(self, lo: int, hi: int) -> int:
        return (self.regs[hi] << 32) | self.regs[lo]

    def _job(self) -> None:
        """The image job as docs/core-registers.md describes it: coarse, then the chosen range's fine
        program, on the width map, then on the height map; results kept per run; one done at the end."""
        from blurgauge.hw.compiler.golden import run_program

        coarse_at = self._address(regs.PROGRAM_ADDR_LO, regs.PROGRAM_ADDR_HI)
        maps = (self._address(regs.INPUT_ADDR_LO, regs.INPUT_ADDR_HI),
                self._address(regs.INPUT_H_ADDR_LO, regs.INPUT_H_ADDR_HI))
        done = 0
        for r in range(4):
            self.job_status = (_f("JOB_STATUS", "job").put(0, 1) | _f("JOB_STATUS", "run").put(0, r)
                               | _f("JOB_STATUS", "runs_done").put(0, done))
            axis = r // 2
            vouched = self.regs[regs.JOB_CHECKED]  # bit 0: coarse, bit 1 + k: fine program k
            if r % 2 == 0:
                address, checked = coarse_at, bool(vouched & 1)
            else:
                k = _f("AXIS_RESULT", "range").get(self.axis_result[axis])
                address = (self.regs[regs.FINE_ADDR_HI] << 32) | self.regs[regs.FINE_ADDR_LO0 + 4 * k]
                checked = bool(vouched >> (1 + k) & 1)
            loaded = self._load(self._read(address), checked)
            if isinstance(loaded, regs.ErrorCode):
                return self._end(loaded)
            if r % 2 == 0:
                if maps[axis] % 16:
                    return self._end(regs.ErrorCode.INPUT_ALIGN)
                data = self._read(maps[axis], PATCH_BYTES)
                if data is None:
                    return self._end(regs.ErrorCode.AXI_READ)
                self.memory_inputs += 1
                self.slot0 = np.frombuffer(data, np.int8).reshape(128, 128)
            out = run_program(loaded, self.slot0[None])[0]
            argmax = int(np.argmax(out[: loaded.num_classes]))
            self.job_logits[8 * r: 8 * r + 8] = [int(v) for v in out[:8]] + [0] * (8 - min(8, len(out)))
            word = self.axis_result[axis]
            if r % 2 == 0:
                word = _f("AXIS_RESULT", "range").put(word, argmax)
                word = _f("AXIS_RESULT", "coarse_frac").put(word, loaded.logits_frac)
            else:
                word = _f("AXIS_RESULT", "fine").put(word, argmax)
                word = _f("AXIS_RESULT", "fine_frac").put(word, loaded.logits_frac)
            self.axis_result[axis] = word
            done |= 1 << r
            self.job_status = _f("JOB_STATUS", "runs_done").put(self.job_status, done)
            if r % 2 == 0 and argmax >= 5:
                return self._end(regs.ErrorCode.JOB_RANGE)
        self._end(regs.ErrorCode.NONE, len(loaded.layers) - 1)

    def _step(self) -> None:
        program = self._pending
        assert program is not None
        if program == "job":
            return self._job()
        if self._from_memory():
            data = self._read(self._input_address(), PATCH_BYTES)
            if data is None:
                return self._end(regs.ErrorCode.AXI_READ)
            self.memory_inputs += 1
            self.slot0 = np.frombuffer(data, np.int8).reshape(128, 128)
        elif not _f("CTRL", "reuse_input").get(self.regs[regs.CTRL]):
            if len(self.stream) < PATCH_BYTES:
                return  # still waiting for the patch: the run stays busy
            data, self.stream = self.stream[:PATCH_BYTES], self.stream[PATCH_BYTES:]
            self.slot0 = np.frombuffer(data, np.int8).reshape(128, 128)
        slot0 = self.slot0 if self.slot0 is not None else np.zeros((128, 128), np.int8)
        from blurgauge.hw.compiler.golden import run_program

        out = run_program(program, slot0[None])[0]
        self.logits = [int(v) for v in out[: regs.LOGIT_COUNT]] + [0] * (regs.LOGIT_COUNT - len(out))
        argmax = int(np.argmax(out[: program.num_classes]))
        self.result = _f("RESULT", "argmax").put(0, argmax) | _f("RESULT", "logits_frac").put(0, program.logits_frac)
        self._end(regs.ErrorCode.NONE, len(program.layers) - 1)
