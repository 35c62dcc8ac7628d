"""Documentation generated from the sources of truth (``make docs``; a test keeps it current)."""

from __future__ import annotations

from pathlib import Path

from blurgauge.model import classes

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
    from blurgauge.model.nets.quantizers import FORMATS

    rows = "\n".join(
        f"| `{name}` | {f.bits} | {f.integer} | {'yes' if f.signed else 'no'} | 2^-{f.frac} | "
        f"{f.code_range[0]}..{f.code_range[1]} | `{f.ap_type}` |"
        for name, f in FORMATS.items()
    )
    return (
        "# Fixed-point formats\n\n"
        "<!-- Generated from model/nets/quantizers.py by `make docs`; do not edit. -->\n\n"
        "Every tensor the core stores is an integer code times a power-of-two step. The formats "
        "below are the QKeras quantizers of the networks; the weight files store the codes, and "
        "the hardware types are their ap_fixed equivalents. Rounding is to nearest with ties to "
        "even (QKeras rounds with `tf.round`; `AP_RND_CONV` in HLS) and every quantizer "
        "saturates. Why each format was chosen is explained in `model/nets/quantizers.py`.\n\n"
        "| format | bits | integer bits | signed | step | codes | HLS type |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n" + rows + "\n\n"
        "Products of an 8-bit activation code and an 8-bit weight code are exact; a convolution "
        "accumulates them in an integer at step 2^-11 (stem, input x weight) or 2^-12 (every "
        "other layer, ReLU x weight). The bias code (step 2^-10) joins the accumulator by a left "
        "shift. Requantizing to an 8-bit activation is a rounding right shift (6 bits after the "
        "stem, 7 after the other layers) and a saturation to the format's code range.\n"
    )


def _field_table(fields, offset_base: int = 0) -> str:
    import struct

    rows, offset = [], offset_base
    for name, code, meaning in fields:
        size = struct.calcsize("<" + code)
        kind = {"B": "u8", "H": "u16", "I": "u32", "4s": "4 bytes"}[code]
        rows.append(f"| {offset} | {size} | `{name}` | {kind} | {meaning} |")
        offset += size
    return "| offset | bytes | field | type | meaning |\n| --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n"


def core_program_doc() -> str:
    from blurgauge.hw.compiler import program as p

    ops = ", ".join(f"{code} {name}" for code, name in p.OP_NAMES.items())
    return (
        "# Core program format\n\n"
        "<!-- Generated from hw/compiler/program.py by `make docs`; do not edit. -->\n\n"
        "A core program is one network as the core runs it: a binary image the host writes to DDR "
        "and the core reads with its AXI4 master. `hw/compiler/export.py` writes it from hls4ml's model graph; "
        "`hw/compiler/program.py` reads it strictly (magic, version, sizes, both CRCs, structure id, shapes); "
        "`hw/compiler/golden.py` (`run_program`) executes it as the reference for the RTL. All numbers are "
        f"little-endian; every section starts on a {p.ALIGN}-byte boundary (one 128-bit AXI beat).\n\n"
        "```\n"
        f"offset 0                 header ({p.HEADER_BYTES} bytes)\n"
        "class_offset             class table: per head output, lowest and highest extent (u8, u8) px\n"
        f"layer_offset             layer_count records of {p.LAYER_BYTES} bytes\n"
        "weight_offset            weight payload: per conv/dense layer, weight tiles then int16 biases\n"
        "```\n\n"
        "## Header\n\n" + _field_table(p.HEADER) + "\n"
        "CRC-32 is the zlib/IEEE 802.3 polynomial (`zlib.crc32`, reflected, initial and final value "
        "0xFFFFFFFF). The `structure_id` is equal for all six networks of the cascade: the core "
        "compares it with its own configuration ID before it runs a program, and the host compares the "
        "six images with each other.\n\n"
        "## Layer record\n\n" + _field_table(p.LAYER) + "\n"
        f"Operations: {ops}. A layer reads slot `src` (padded with zeros as given), writes slot `dst`; "
        "slot 0 is the input patch and no layer writes it, so the fine network runs on the patch the "
        "coarse network left on chip.\n\n"
        "Arithmetic of a conv or dense record, for each output: `acc = sum(x * w) + (bias << bias_shift)` "
        "over int8 activation codes and int8 weight codes (32-bit accumulator); `y = requant(acc, "
        "out_shift, out_format)`; with the residual flag, `y = requant(y + res, 0, post_format)`. "
        "`requant` shifts right rounding to nearest with ties to even when flag 4 is set (else "
        "truncates) and saturates to the format's range when flag 8 is set (else wraps). Max-pool "
        "takes the maximum code of each window. Global average pool sums the map and requantizes by "
        "`out_shift` (the log2 of the area is folded into it). The last record's output codes are the "
        "logits, with binary point `out_frac`.\n\n"
        "## Weight layout\n\n"
        "For a P x P MAC array (`lanes` = P): for each block of P output channels, for each kernel tap "
        "(row-major), for each block of P input channels, one P x P tile, output channel major, input "
        "channel minor; partial blocks are zero-padded. With flag 2 (taps on lanes, used by the "
        "single-channel 7x7 stem) the kernel taps take the place of the input channels: for each "
        "block of P output channels, for each block of P taps, one P x P tile. Biases: int16, one per "
        "output channel, padded to a multiple of P.\n"
    )


GENERATED = {"classes.md": classes_doc, "fixed-point.md": fixed_point_doc, "core-program.md": core_program_doc}


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
