"""The FuseSoC core file blurgauge_core.core is generated (hw/fusesoc.py, `make regs`) from the core's file
list (hw/rtl_files.py) and the default target (hw/targets.py): the committed file equals a fresh one, it
lists every file of the core in build order and nothing else, and every listed file exists. When FuseSoC is
installed (`pip install fusesoc`; it is not a pinned package) it must also read the file."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from blurgauge.hw import fusesoc, rtl_files, targets

CORE_FILE = fusesoc.PATH
CORE_NAME = "blurgauge:blurgauge:bg_core"


def load() -> dict:
    text = CORE_FILE.read_text()
    assert text.startswith("CAPI=2:"), "a CAPI2 core file starts with CAPI=2:"
    return yaml.safe_load(text)


def test_committed_core_file_is_fresh() -> None:
    assert CORE_FILE.read_text() == fusesoc.render(), "stale: run make regs"


def test_files_are_the_core_sources_in_order() -> None:
    core = load()
    sv = [f for name in ("regs", "rtl") for f in core["filesets"][name]["files"]]
    assert sv == [str(p.relative_to(rtl_files.REPO)) for p in rtl_files.core_sources()]
    assert core["filesets"]["verilator_waivers"]["files"] == [str(rtl_files.REGS_WAIVERS.relative_to(rtl_files.REPO))]
    missing = [f for f in sv if not (CORE_FILE.parent / f).is_file()]
    assert not missing, f"listed in {CORE_FILE.name} but missing: {missing}"
    # every file of hw/rtl/ is part of the core
    assert {p.name for p in rtl_files.RTL_DIR.glob("*.sv")} <= {f.rsplit("/", 1)[-1] for f in sv}


def test_parameter_defaults_are_the_default_target() -> None:
    core = load()
    assert core["targets"]["default"]["toplevel"] == "bg_core"
    default = targets.get(targets.DEFAULT_TARGET).core
    assert {name: core["parameters"][name]["default"] for name in core["targets"]["default"]["parameters"]} == default


@pytest.mark.skipif(shutil.which("fusesoc", path=str(rtl_files.REPO / ".venv" / "bin")) is None
                    and shutil.which("fusesoc") is None, reason="fusesoc not installed")
def test_fusesoc_reads_the_core() -> None:
    exe = shutil.which("fusesoc", path=str(rtl_files.REPO / ".venv" / "bin")) or shutil.which("fusesoc")
    result = subprocess.run([exe, "--cores-root", str(rtl_files.REPO), "core-info", CORE_NAME], capture_output=True,
                            text=True, timeout=120, cwd=rtl_files.REPO)
    assert result.returncode == 0 and "lint" in result.stdout, result.stdout + result.stderr
