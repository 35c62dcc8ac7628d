"""The package layout: dependencies point one way, and docs/design.md's layout picture names every package.

The order, from the bottom: ``model`` (inputs, data, networks, training, evaluation) < ``hw`` (the compiler
and the circuit) < ``host`` (driver, backends, command line) < ``sim`` (verification of all of them). A
module may import its own package and those below it, never one above: no package cycles.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ORDER = ("model", "hw", "host", "sim")


def _python_files(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def _imported_packages(path: Path) -> set[str]:
    """The blurgauge top-level packages a module imports (relative imports stay inside its own)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "blurgauge" and len(parts) > 1:
                found.add(parts[1])
            elif parts[0] in ("bench", "tests"):
                found.add(parts[0])
    return found


@pytest.mark.parametrize("package", ORDER)
def test_no_import_reaches_up_the_layers(package: str) -> None:
    allowed = set(ORDER[: ORDER.index(package) + 1])
    upward = {f"{p.relative_to(REPO)} imports {sorted(_imported_packages(p) - allowed)}"
              for p in _python_files(package) if _imported_packages(p) - allowed}
    assert not upward, "\n".join(sorted(upward))


def test_design_layout_names_every_package() -> None:
    """Every folder that holds Python modules appears in the layout picture of docs/design.md, and every
    folder the picture names exists."""
    text = (REPO / "docs" / "design.md").read_text()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"^\s*([a-z_]+(?:/[a-z_]+)*)/", block, re.M))
    packages = {str(p.parent.relative_to(REPO)) for top in (*ORDER, "bench") for p in _python_files(top)
                if p.name == "__init__.py"}
    assert packages <= named, f"not in docs/design.md's layout: {sorted(packages - named)}"
    missing = {n for n in named if not (REPO / n).is_dir()}
    assert not missing, f"in docs/design.md's layout but not in the tree: {sorted(missing)}"


def test_the_modules_the_suite_starts_with_exist() -> None:
    """tests/conftest.py names the longest modules so that they start first; a renamed one would lose its
    place silently, so each must exist."""
    from tests.conftest import LONGEST_MODULES

    assert [m for m in LONGEST_MODULES if not (REPO / m).is_file()] == []
