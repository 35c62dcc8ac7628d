"""Names shared by the timing tools (hw/timing.py): the harness's names, netlist names as the RTL writes
them, and source locations from Yosys' ``src`` attributes."""

from __future__ import annotations

import re

HARNESS_TOP = "bg_timing_harness"
DUT = "dut"  # the core's instance name in the harness: RTL names on a path start with "dut."
HARNESS_INPUTS = "in_sr"  # the harness's register that drives the design's inputs
HARNESS_OUTPUTS = "out_sr"  # the harness's register that catches the design's outputs


def rtl_name(name: str) -> str:
    """A netlist name as the RTL writes it: the harness's instance prefix dropped, Yosys' escapes undone."""
    name = name.lstrip("\\")
    return name[len(DUT) + 1:] if name.startswith(DUT + ".") else name


def is_design_source(src: str) -> bool:
    """A location in the design's files (relative to the repository), not in Yosys' own cell libraries
    (``/share/...``)."""
    return bool(src) and not src.startswith("/") and HARNESS_TOP not in src


def normalize_source(src: str) -> str:
    """The first ``file:line`` of a Yosys src attribute, with an exported revision's folder removed."""
    if not src:
        return ""
    first = src.split("|")[0]
    first = re.sub(r"^.*?build/timing/src/[0-9a-f]+/", "", first)
    return re.sub(r"\.\d+(-\d+\.\d+)?$", "", first)
