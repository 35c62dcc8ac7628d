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


def fixed_point_doc() -> str:
    from .quantizers import FORMATS

    rows = "\n".join(
        f"| `{name}` | {f.bits} | {f.integer} | {'yes' if f.signed else 'no'} | 2^-{f.frac} | "
        f"{f.code_range[0]}..{f.code_range[1]} | `{f.ap_type}` |"
        for name, f in FORMATS.items()
    )
    return (
        "# Fixed-point formats\n\n"
        "<!-- Generated from model/quantizers.py by `make docs`; do not edit. -->\n\n"
        "Every tensor the core stores is an integer code times a power-of-two step. The formats "
        "below are the QKeras quantizers of the networks; the weight files store the codes, and "
        "the hardware types are their ap_fixed equivalents. Rounding is to nearest with ties to "
        "even (QKeras rounds with `tf.round`; `AP_RND_CONV` in HLS) and every quantizer "
        "saturates. Why each format was chosen is explained in `model/quantizers.py`.\n\n"
        "| format | bits | integer bits | signed | step | codes | HLS type |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n" + rows + "\n\n"
        "Products of an 8-bit activation code and an 8-bit weight code are exact; a convolution "
        "accumulates them in an integer at step 2^-11 (stem, input x weight) or 2^-12 (every "
        "other layer, ReLU x weight). The bias code (step 2^-10) joins the accumulator by a left "
        "shift. Requantizing to an 8-bit activation is a rounding right shift (6 bits after the "
        "stem, 7 after the other layers) and a saturation to the format's code range.\n"
    )


GENERATED = {"classes.md": classes_doc, "fixed-point.md": fixed_point_doc}


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
