"""The FuseSoC core file blurgauge_core.core lists the whole core: every hw/rtl/*.sv and the generated
register block, every listed file exists, and its parameter defaults are bg_core's. When FuseSoC is
installed (`pip install fusesoc`; it is not a pinned package) it must also read the file."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from blurgauge.hw import rtl_files

CORE_FILE = rtl_files.REPO / "blurgauge_core.core"
CORE_NAME = "blurgauge:blurgauge:bg_core"


def load() -> dict:
    text = CORE_FILE.read_text()
    assert text.startswith("CAPI=2:"), "a CAPI2 core file starts with CAPI=2:"
    return yaml.safe_load(text)


def listed(core: dict) -> list[str]:
    return [f for fs in core["filesets"].values() for f in fs["files"]]


def test_every_listed_file_exists() -> None:
    files = listed(load())
    assert len(files) == len(set(files)), "a file listed twice"
    missing = [f for f in files if not (CORE_FILE.parent / f).is_file()]
    assert not missing, f"listed in {CORE_FILE.name} but missing: {missing}"


def test_every_rtl_file_and_the_register_block_listed() -> None:
    files = set(listed(load()))
    want = {str(p.relative_to(rtl_files.REPO)) for p in rtl_files.RTL_DIR.glob("*.sv")}
    want |= {f"hw/regs/{n}" for n in ("bg_core_regs_pkg.sv", "bg_core_regs.sv", "bg_core_regs.vlt")}
    assert want <= files, f"not listed in {CORE_FILE.name}: {sorted(want - files)}"
    rtl = load()["filesets"]["rtl"]["files"]
    assert rtl[-1] == "hw/rtl/bg_core.sv" and load()["filesets"]["regs"]["files"][0].endswith("_pkg.sv")


def test_parameter_defaults_are_the_rtl_defaults() -> None:
    core = load()
    rtl = (rtl_files.RTL_DIR / "bg_core.sv").read_text()
    defaults = {m[1]: int(m[2]) for m in re.finditer(r"parameter int (\w+)\s*=\s*(\d+)", rtl)}
    assert core["targets"]["default"]["toplevel"] == "bg_core"
    for name in core["targets"]["default"]["parameters"]:
        assert core["parameters"][name]["default"] == defaults[name], name


@pytest.mark.skipif(shutil.which("fusesoc", path=str(rtl_files.REPO / ".venv" / "bin")) is None
                    and shutil.which("fusesoc") is None, reason="fusesoc not installed")
def test_fusesoc_reads_the_core() -> None:
    exe = shutil.which("fusesoc", path=str(rtl_files.REPO / ".venv" / "bin")) or shutil.which("fusesoc")
    result = subprocess.run([exe, "--cores-root", str(rtl_files.REPO), "core-info", CORE_NAME], capture_output=True,
                            text=True, timeout=120, cwd=rtl_files.REPO)
    assert result.returncode == 0 and "lint" in result.stdout, result.stdout + result.stderr
