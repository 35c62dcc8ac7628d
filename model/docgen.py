"""Documentation generated from the sources of truth (``make docs``; a test keeps it current)."""

from __future__ import annotations

from pathlib import Path

from . import classes

DOCS = Path(__file__).resolve().parent.parent / "docs"


def classes_doc() -> str:
    rows = "\n".join(
        f"| {r['fine']} | R{int(r['coarse']) + 1} | {r['local']} | {r['interval']} | {r['lo']}..{r['hi']} "
        f"| {r['midpoint']} |"
        for r in classes.as_table()
    )
    return (
        "# Class table\n\n"
        "<!-- Generated from model/classes.py by `make docs`; do not edit. -->\n\n"
        "Kernel extents (px) are classified in two stages: a coarse network picks one of "
        f"{classes.NUM_COARSE} ranges, then that range's fine network picks one of its intervals "
        f"({classes.NUM_FINE} in all). Every network head has {classes.HEAD_OUTPUTS} outputs; "
        "a network uses the first ones, in the order below.\n\n"
        + classes.markdown_table()
        + "\n| fine class | range | fine-network output | interval | extents | midpoint |\n"
        "| --- | --- | --- | --- | --- | --- |\n" + rows + "\n"
    )


GENERATED = {"classes.md": classes_doc}


def write_docs(folder: Path = DOCS) -> list[Path]:
    written = []
    for name, make in GENERATED.items():
        path = folder / name
        path.write_text(make())
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_docs():
        print(p)
