"""Register map of the blurgauge core (AXI4-Lite, 32-bit words).

Generated from hw/regs/bg_core.rdl by hw/regs/generate.py; do not edit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


@dataclass(frozen=True)
class Field:
    register: str
    name: str
    lsb: int
    width: int
    access: str  # RO, RW, W1P (write 1 for a pulse, reads 0), RW1C (write 1 to clear)
    reset: int | None  # None: driven by the core

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb

    def get(self, word: int) -> int:
        return (word & self.mask) >> self.lsb

    def put(self, word: int, value: int) -> int:
        if not 0 <= value < (1 << self.width):
            raise ValueError(f"{self.register}.{self.name}: {value} does not fit {self.width} bits")
        return (word & ~self.mask) | (value << self.lsb)


class ErrorCode(IntEnum):
    """STATUS.error_code."""

    NONE = 0
    BAD_MAGIC = 1
    BAD_VERSION = 2
    HEADER_CRC = 3
    PAYLOAD_CRC = 4
    NO_FIT = 5
    BAD_LAYER = 6
    AXI_READ = 7
    START_BUSY = 8
    STREAM_LENGTH = 9
    INPUT_ALIGN = 10
    JOB_RANGE = 11


ERROR_TEXT: dict[ErrorCode, str] = {
    ErrorCode.NONE: 'No error.',
    ErrorCode.BAD_MAGIC: 'The program does not start with the magic "BGCP".',
    ErrorCode.BAD_VERSION: "The program's format version is not one this core runs "
        '(VERSION.program_format).',
    ErrorCode.HEADER_CRC: 'The header CRC-32 does not match the header.',
    ErrorCode.PAYLOAD_CRC: 'The payload CRC-32 does not match the bytes after the header.',
    ErrorCode.NO_FIT: 'The program does not fit this configuration: its lanes differ from '
        'CONFIG.lanes, or it needs more activation slots or larger slots than '
        'CONFIG gives.',
    ErrorCode.BAD_LAYER: 'A layer record has an operation or flag combination this core does not'
        ' run.',
    ErrorCode.AXI_READ: 'An AXI4 read of the program or its weights answered SLVERR or DECERR.',
    ErrorCode.START_BUSY: 'CTRL.start was written while STATUS.busy was set; the run in progress '
        'is abandoned.',
    ErrorCode.STREAM_LENGTH: 'The input patch stream had the wrong length: TLAST came early, or did '
        'not come on the last byte.',
    ErrorCode.INPUT_ALIGN: 'CTRL.input_from_memory (or an image job) with an input address that is'
        ' not 16-byte aligned.',
    ErrorCode.JOB_RANGE: 'In an image job, the coarse network chose a range with no fine program'
        ' (its argmax is 5 or more).',
}


ID = 0x00
VERSION = 0x04
CONFIG = 0x08
JOB_CHECKED = 0x0C
CTRL = 0x10
STATUS = 0x14
PROGRAM_ADDR_LO = 0x18
PROGRAM_ADDR_HI = 0x1C
CYCLES = 0x20
STALL_CYCLES = 0x24
RESULT = 0x28
JOB_STATUS = 0x2C
INPUT_ADDR_LO = 0x30
INPUT_ADDR_HI = 0x34
INPUT_H_ADDR_LO = 0x38
INPUT_H_ADDR_HI = 0x3C
LOGIT0 = 0x40
LOGIT1 = 0x44
LOGIT2 = 0x48
LOGIT3 = 0x4C
LOGIT4 = 0x50
LOGIT5 = 0x54
LOGIT6 = 0x58
LOGIT7 = 0x5C
FINE_ADDR_LO0 = 0x60
FINE_ADDR_LO1 = 0x64
FINE_ADDR_LO2 = 0x68
FINE_ADDR_LO3 = 0x6C
FINE_ADDR_LO4 = 0x70
FINE_ADDR_HI = 0x74
AXIS_RESULT0 = 0x78
AXIS_RESULT1 = 0x7C
JOB_LOGIT0 = 0x80
JOB_LOGIT1 = 0x84
JOB_LOGIT2 = 0x88
JOB_LOGIT3 = 0x8C
JOB_LOGIT4 = 0x90
JOB_LOGIT5 = 0x94
JOB_LOGIT6 = 0x98
JOB_LOGIT7 = 0x9C
JOB_LOGIT8 = 0xA0
JOB_LOGIT9 = 0xA4
JOB_LOGIT10 = 0xA8
JOB_LOGIT11 = 0xAC
JOB_LOGIT12 = 0xB0
JOB_LOGIT13 = 0xB4
JOB_LOGIT14 = 0xB8
JOB_LOGIT15 = 0xBC
JOB_LOGIT16 = 0xC0
JOB_LOGIT17 = 0xC4
JOB_LOGIT18 = 0xC8
JOB_LOGIT19 = 0xCC
JOB_LOGIT20 = 0xD0
JOB_LOGIT21 = 0xD4
JOB_LOGIT22 = 0xD8
JOB_LOGIT23 = 0xDC
JOB_LOGIT24 = 0xE0
JOB_LOGIT25 = 0xE4
JOB_LOGIT26 = 0xE8
JOB_LOGIT27 = 0xEC
JOB_LOGIT28 = 0xF0
JOB_LOGIT29 = 0xF4
JOB_LOGIT30 = 0xF8
JOB_LOGIT31 = 0xFC
LOGIT_COUNT = 8

ADDRESSES: dict[str, int] = {
    "ID": ID,
    "VERSION": VERSION,
    "CONFIG": CONFIG,
    "JOB_CHECKED": JOB_CHECKED,
    "CTRL": CTRL,
    "STATUS": STATUS,
    "PROGRAM_ADDR_LO": PROGRAM_ADDR_LO,
    "PROGRAM_ADDR_HI": PROGRAM_ADDR_HI,
    "CYCLES": CYCLES,
    "STALL_CYCLES": STALL_CYCLES,
    "RESULT": RESULT,
    "JOB_STATUS": JOB_STATUS,
    "INPUT_ADDR_LO": INPUT_ADDR_LO,
    "INPUT_ADDR_HI": INPUT_ADDR_HI,
    "INPUT_H_ADDR_LO": INPUT_H_ADDR_LO,
    "INPUT_H_ADDR_HI": INPUT_H_ADDR_HI,
    "LOGIT0": LOGIT0,
    "LOGIT1": LOGIT1,
    "LOGIT2": LOGIT2,
    "LOGIT3": LOGIT3,
    "LOGIT4": LOGIT4,
    "LOGIT5": LOGIT5,
    "LOGIT6": LOGIT6,
    "LOGIT7": LOGIT7,
    "FINE_ADDR_LO0": FINE_ADDR_LO0,
    "FINE_ADDR_LO1": FINE_ADDR_LO1,
    "FINE_ADDR_LO2": FINE_ADDR_LO2,
    "FINE_ADDR_LO3": FINE_ADDR_LO3,
    "FINE_ADDR_LO4": FINE_ADDR_LO4,
    "FINE_ADDR_HI": FINE_ADDR_HI,
    "AXIS_RESULT0": AXIS_RESULT0,
    "AXIS_RESULT1": AXIS_RESULT1,
    "JOB_LOGIT0": JOB_LOGIT0,
    "JOB_LOGIT1": JOB_LOGIT1,
    "JOB_LOGIT2": JOB_LOGIT2,
    "JOB_LOGIT3": JOB_LOGIT3,
    "JOB_LOGIT4": JOB_LOGIT4,
    "JOB_LOGIT5": JOB_LOGIT5,
    "JOB_LOGIT6": JOB_LOGIT6,
    "JOB_LOGIT7": JOB_LOGIT7,
    "JOB_LOGIT8": JOB_LOGIT8,
    "JOB_LOGIT9": JOB_LOGIT9,
    "JOB_LOGIT10": JOB_LOGIT10,
    "JOB_LOGIT11": JOB_LOGIT11,
    "JOB_LOGIT12": JOB_LOGIT12,
    "JOB_LOGIT13": JOB_LOGIT13,
    "JOB_LOGIT14": JOB_LOGIT14,
    "JOB_LOGIT15": JOB_LOGIT15,
    "JOB_LOGIT16": JOB_LOGIT16,
    "JOB_LOGIT17": JOB_LOGIT17,
    "JOB_LOGIT18": JOB_LOGIT18,
    "JOB_LOGIT19": JOB_LOGIT19,
    "JOB_LOGIT20": JOB_LOGIT20,
    "JOB_LOGIT21": JOB_LOGIT21,
    "JOB_LOGIT22": JOB_LOGIT22,
    "JOB_LOGIT23": JOB_LOGIT23,
    "JOB_LOGIT24": JOB_LOGIT24,
    "JOB_LOGIT25": JOB_LOGIT25,
    "JOB_LOGIT26": JOB_LOGIT26,
    "JOB_LOGIT27": JOB_LOGIT27,
    "JOB_LOGIT28": JOB_LOGIT28,
    "JOB_LOGIT29": JOB_LOGIT29,
    "JOB_LOGIT30": JOB_LOGIT30,
    "JOB_LOGIT31": JOB_LOGIT31,
}

# Fields by register; an array register's fields are listed once under its base name (LOGIT).
FIELDS: dict[str, dict[str, Field]] = {
    "ID": {
        "id": Field("ID", "id", 0, 32, "RO", 0x42474352),
    },
    "VERSION": {
        "minor": Field("VERSION", "minor", 0, 8, "RO", 0x5),
        "major": Field("VERSION", "major", 8, 8, "RO", 0x0),
        "program_format": Field("VERSION", "program_format", 16, 8, "RO", 0x2),
    },
    "CONFIG": {
        "lanes": Field("CONFIG", "lanes", 0, 8, "RO", None),
        "slots": Field("CONFIG", "slots", 8, 8, "RO", None),
        "log2_slot_bytes": Field("CONFIG", "log2_slot_bytes", 16, 8, "RO", None),
    },
    "JOB_CHECKED": {
        "coarse": Field("JOB_CHECKED", "coarse", 0, 1, "RW", 0x0),
        "fine": Field("JOB_CHECKED", "fine", 1, 5, "RW", 0x0),
    },
    "CTRL": {
        "start": Field("CTRL", "start", 0, 1, "W1P", 0x0),
        "soft_reset": Field("CTRL", "soft_reset", 1, 1, "W1P", 0x0),
        "reuse_input": Field("CTRL", "reuse_input", 2, 1, "RW", 0x0),
        "irq_enable": Field("CTRL", "irq_enable", 3, 1, "RW", 0x0),
        "payload_checked": Field("CTRL", "payload_checked", 4, 1, "RW", 0x0),
        "input_from_memory": Field("CTRL", "input_from_memory", 5, 1, "RW", 0x0),
        "image_job": Field("CTRL", "image_job", 6, 1, "RW", 0x0),
    },
    "STATUS": {
        "busy": Field("STATUS", "busy", 0, 1, "RO", None),
        "done": Field("STATUS", "done", 1, 1, "RW1C", 0x0),
        "error": Field("STATUS", "error", 2, 1, "RO", None),
        "error_code": Field("STATUS", "error_code", 8, 8, "RO", None),
        "layer": Field("STATUS", "layer", 16, 16, "RO", None),
    },
    "PROGRAM_ADDR_LO": {
        "addr": Field("PROGRAM_ADDR_LO", "addr", 0, 32, "RW", 0x0),
    },
    "PROGRAM_ADDR_HI": {
        "addr": Field("PROGRAM_ADDR_HI", "addr", 0, 32, "RW", 0x0),
    },
    "CYCLES": {
        "count": Field("CYCLES", "count", 0, 32, "RO", None),
    },
    "STALL_CYCLES": {
        "count": Field("STALL_CYCLES", "count", 0, 32, "RO", None),
    },
    "RESULT": {
        "argmax": Field("RESULT", "argmax", 0, 8, "RO", None),
        "logits_frac": Field("RESULT", "logits_frac", 8, 8, "RO", None),
    },
    "JOB_STATUS": {
        "runs_done": Field("JOB_STATUS", "runs_done", 0, 4, "RO", None),
        "run": Field("JOB_STATUS", "run", 4, 2, "RO", None),
        "job": Field("JOB_STATUS", "job", 8, 1, "RO", None),
    },
    "INPUT_ADDR_LO": {
        "addr": Field("INPUT_ADDR_LO", "addr", 0, 32, "RW", 0x0),
    },
    "INPUT_ADDR_HI": {
        "addr": Field("INPUT_ADDR_HI", "addr", 0, 32, "RW", 0x0),
    },
    "INPUT_H_ADDR_LO": {
        "addr": Field("INPUT_H_ADDR_LO", "addr", 0, 32, "RW", 0x0),
    },
    "INPUT_H_ADDR_HI": {
        "addr": Field("INPUT_H_ADDR_HI", "addr", 0, 32, "RW", 0x0),
    },
    "LOGIT": {
        "value": Field("LOGIT", "value", 0, 32, "RO", None),
    },
    "FINE_ADDR_LO": {
        "addr": Field("FINE_ADDR_LO", "addr", 0, 32, "RW", 0x0),
    },
    "FINE_ADDR_HI": {
        "addr": Field("FINE_ADDR_HI", "addr", 0, 32, "RW", 0x0),
    },
    "AXIS_RESULT": {
        "range": Field("AXIS_RESULT", "range", 0, 8, "RO", None),
        "fine": Field("AXIS_RESULT", "fine", 8, 8, "RO", None),
        "coarse_frac": Field("AXIS_RESULT", "coarse_frac", 16, 8, "RO", None),
        "fine_frac": Field("AXIS_RESULT", "fine_frac", 24, 8, "RO", None),
    },
    "JOB_LOGIT": {
        "value": Field("JOB_LOGIT", "value", 0, 32, "RO", None),
    },
}

ID_VALUE = 0x42474352  # ASCII "BGCR"
VERSION_VALUE = 0x00020005
