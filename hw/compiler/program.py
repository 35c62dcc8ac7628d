"""The core program: one network as the core executes it, exported from hls4ml's model graph.

A core program is a binary image in DDR that the core reads with its AXI master. It holds a fixed
header, the class table, a table of fixed-size layer records and the weight payload. The layouts
below (``HEADER``, ``LAYER``) are the single source of the format: ``pack``/``unpack`` use them and
``docs/core-program.md`` is generated from them.

The exporter walks hls4ml's graph after its optimizer passes and fuses what the core fuses:

* ``ZeroPadding2D`` becomes the padding of the layer it feeds;
* the ``Activation`` after a convolution becomes its output requantization (round, saturate);
* ``Merge`` (the residual add) and the ReLU after it become the second requantization of the
  block's last convolution, which reads the shortcut from another activation slot;
* ``Clone`` (hls4ml's stream fan-out) is an alias.

Activations live in numbered on-chip slots. Slot 0 holds the input patch and is never written, so
the fine network runs on the patch the coarse network left on chip. The other slots are assigned
by liveness, lowest free first.

Weights are stored in the order the core's P x P MAC array reads them (``lanes`` = P): for each
block of P output channels, for each kernel tap (row-major), for each block of P input channels,
a P x P tile (output channel major), zero-padded. A layer with a single input channel (the 7x7
stem) puts its kernel taps on the input lanes instead (flag ``TAPS_ON_LANES``): for each block of
P output channels, for each block of P taps, a P x P tile. Biases are int16, one per output channel,
padded to a multiple of P. Every section starts on a 16-byte boundary (one 128-bit AXI beat).
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

MAGIC = b"BGCP"
FORMAT_VERSION = 2
ALIGN = 16
INPUT_SLOT = 0
#: Beside a folder of ``.bgcp`` programs: what the host must do to an image before its patches,
#: which the programs themselves do not record: ``preprocess.Preprocessing.as_meta``, e.g.
#: ``{"noise_floor": 0.01, "input_transform": "autocorrelation"}``, and ``programs``: the SHA-256 of
#: each program it belongs to (``write_folder``), so that a foreign file is refused. ``blurgauge hls``
#: writes it; a folder of programs without it is refused (``read_folder``): the host cannot tell
#: which preprocessing its networks need, and the wrong one gives confident wrong sizes.
PREPROCESS_FILE = "preprocess.json"
#: The key of ``PREPROCESS_FILE`` that binds it to its programs.
PROGRAMS_KEY = "programs"
NETWORK_IDS = {"coarse": 0, "fine1": 1, "fine2": 2, "fine3": 3, "fine4": 4, "fine5": 5, "native": 6}

# Operations and flags of a layer record.
OP_CONV, OP_MAXPOOL, OP_GAP, OP_DENSE = 1, 2, 3, 4
OP_NAMES = {OP_CONV: "conv", OP_MAXPOOL: "maxpool", OP_GAP: "gap", OP_DENSE: "dense"}
FLAG_RESIDUAL = 1  # add the codes of slot ``res`` after the first requantization
FLAG_TAPS_ON_LANES = 2  # weights laid out with kernel taps on the input lanes (single-channel input)
FLAG_ROUND = 4  # requantization rounds to nearest, ties to even (else truncates)
FLAG_SATURATE = 8  # requantization saturates to the format's range (else wraps)
NO_SLOT = 0xFF
# The format byte of a layer record (``out_format``, ``post_format``): the code width and the sign.
FORMAT_WIDTH_MASK = 0x3F  # bits 0-5: width in bits (0: no format)
FORMAT_SIGNED = 0x80  # bit 7: signed codes

#: (name, struct code, meaning). Little-endian, no padding between fields.
HEADER: tuple[tuple[str, str, str], ...] = (
    ("magic", "4s", 'ASCII "BGCP"'),
    ("version", "H", "format version, 2"),
    ("header_bytes", "H", "size of this header in bytes"),
    ("network_id", "B", "0 coarse, 1-5 fine1-fine5, 6 native"),
    ("outputs", "B", "logits the network computes (8 for the cascade)"),
    ("num_classes", "B", "logits that are classes; the rest are ignored"),
    ("lanes", "B", "P of the P x P MAC array the weights are laid out for"),
    ("layer_count", "H", "number of layer records"),
    ("layer_bytes", "H", "size of one layer record in bytes"),
    ("width", "H", "network width w (channels of the first stage)"),
    ("input_height", "H", "input patch rows"),
    ("input_width", "H", "input patch columns"),
    ("slot_count", "B", "activation slots used, slot 0 = input patch"),
    ("input_frac", "B", "binary point of the input codes"),
    ("slot_bytes", "I", "bytes the largest activation needs (H x W x C, one byte per code)"),
    ("structure_id", "I", "CRC-32 of the lanes field and the layer table: equal for networks the same core runs"),
    ("class_offset", "I", "byte offset of the class table"),
    ("layer_offset", "I", "byte offset of the layer table"),
    ("weight_offset", "I", "byte offset of the weight payload"),
    ("weight_bytes", "I", "size of the weight payload"),
    ("total_bytes", "I", "size of the whole image"),
    ("payload_crc", "I", "CRC-32 of bytes header_bytes .. total_bytes"),
    ("batch_from", "H", "first layer a core may run on two maps at once, the second map in the slots' upper halves "
                        "(0: none)"),
    ("reserved", "H", "zero"),
    ("header_crc", "I", "CRC-32 of the header bytes before this field"),
)

LAYER: tuple[tuple[str, str, str], ...] = (
    ("op", "B", "1 conv, 2 max-pool, 3 global average pool, 4 dense"),
    ("flags", "B", "1 residual add, 2 taps on lanes, 4 round half to even, 8 saturate"),
    ("src", "B", "activation slot read"),
    ("dst", "B", "activation slot written"),
    ("res", "B", "slot of the residual operand (255: none)"),
    ("kernel", "B", "kernel (or pool window) side"),
    ("stride", "B", "stride, both axes"),
    ("out_frac", "B", "binary point of the output codes"),
    ("pad_top", "B", "zero rows above the input"),
    ("pad_bottom", "B", "zero rows below"),
    ("pad_left", "B", "zero columns left"),
    ("pad_right", "B", "zero columns right"),
    ("in_height", "H", "input rows (before padding)"),
    ("in_width", "H", "input columns (before padding)"),
    ("in_channels", "H", "input channels"),
    ("out_height", "H", "output rows"),
    ("out_width", "H", "output columns"),
    ("out_channels", "H", "output channels"),
    ("bias_shift", "B", "left shift that puts a bias code on the accumulator's binary point"),
    ("out_shift", "B", "right shift from the accumulator (or pool sum) to the output format"),
    ("out_format", "B", "bits 0-5: width of the first requantization; bit 7: signed"),
    ("post_format", "B", "the same after the residual add (0: no residual)"),
    ("weight_offset", "I", "weight tiles, from the start of the weight payload"),
    ("weight_bytes", "I", "size of the weight tiles"),
    ("bias_offset", "I", "int16 biases, from the start of the weight payload"),
    ("bias_bytes", "I", "size of the biases"),
    ("reserved", "I", "zero"),
)

_HEADER_STRUCT = struct.Struct("<" + "".join(code for _, code, _ in HEADER))
_LAYER_STRUCT = struct.Struct("<" + "".join(code for _, code, _ in LAYER))
HEADER_BYTES = _HEADER_STRUCT.size
LAYER_BYTES = _LAYER_STRUCT.size
assert HEADER_BYTES % ALIGN == 0 and LAYER_BYTES % ALIGN == 0, "records must be whole 128-bit beats"
CLASS_ENTRY = struct.Struct("<BB")  # per output: lowest and highest kernel extent (px); 0, 0 unused


class ProgramError(ValueError):
    """A core program that is malformed, damaged, or not what the caller expects."""


@dataclass(frozen=True)
class Format:
    """An integer format: ``bits`` wide, signed or not (the binary point is the layer's ``out_frac``)."""

    bits: int
    signed: bool

    @property
    def code_range(self) -> tuple[int, int]:
        if self.signed:
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 1

    def encode(self) -> int:
        return self.bits | (FORMAT_SIGNED if self.signed else 0)

    @staticmethod
    def decode(byte: int) -> Format | None:
        return None if byte == 0 else Format(byte & FORMAT_WIDTH_MASK, bool(byte & FORMAT_SIGNED))


@dataclass
class Layer:
    """One layer record plus, in memory, its integer weights (kernel k x k x Cin x Cout, bias Cout)."""

    name: str
    op: int
    src: int
    dst: int
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    kernel: int = 1
    stride: int = 1
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, bottom, left, right
    res: int = NO_SLOT
    flags: int = FLAG_ROUND | FLAG_SATURATE
    out_frac: int = 0
    bias_shift: int = 0
    out_shift: int = 0
    out_format: Format = field(default_factory=lambda: Format(8, False))
    post_format: Format | None = None
    weights: np.ndarray | None = field(default=None, repr=False)  # int8 codes, (k, k, Cin, Cout)
    bias: np.ndarray | None = field(default=None, repr=False)  # int16 codes, (Cout,)

    @property
    def op_name(self) -> str:
        return OP_NAMES[self.op]

    @property
    def macs(self) -> int:
        if self.op not in (OP_CONV, OP_DENSE):
            return 0
        oh, ow, oc = self.out_shape
        return oh * ow * oc * self.kernel * self.kernel * self.in_shape[2]


@dataclass
class CoreProgram:
    role: str
    width: int
    lanes: int
    layers: list[Layer]
    class_table: list[tuple[int, int]]  # per output
    input_shape: tuple[int, int, int] = (128, 128, 1)
    input_frac: int = 4
    num_classes: int = 8

    @property
    def network_id(self) -> int:
        return NETWORK_IDS[self.role]

    @property
    def outputs(self) -> int:
        return len(self.class_table)

    @property
    def slot_count(self) -> int:
        return 1 + max(max(layer.dst, layer.src) for layer in self.layers)

    @property
    def slot_bytes(self) -> int:
        sizes = [int(np.prod(self.input_shape))] + [int(np.prod(layer.out_shape)) for layer in self.layers]
        return max(sizes)

    @property
    def logits_frac(self) -> int:
        return self.layers[-1].out_frac

    @property
    def structure_id(self) -> int:
        """CRC-32 over the lanes and the layer records: equal exactly when one core runs both programs."""
        table = b"".join(_LAYER_STRUCT.pack(*_layer_fields(layer)) for layer in self.layers)
        return zlib.crc32(bytes([self.lanes]) + table)


# ---------------------------------------------------------------- weight layout (the core's read order)


def _ceil_to(n: int, m: int) -> int:
    return -(-n // m) * m


def tile_weights(weights: np.ndarray, lanes: int, taps_on_lanes: bool) -> np.ndarray:
    """(k, k, Cin, Cout) int8 codes -> the flat int8 stream the core reads (see module docstring)."""
    k, _, cin, cout = weights.shape
    co = _ceil_to(cout, lanes)
    if taps_on_lanes:
        taps = weights.reshape(k * k * cin, cout)  # tap-major (row, column)
        ti = _ceil_to(len(taps), lanes)
        padded = np.zeros((ti, co), np.int8)
        padded[: len(taps), :cout] = taps
        # (tap block, tap lane, out block, out lane) -> (out block, tap block, out lane, tap lane)
        tiles = padded.reshape(ti // lanes, lanes, co // lanes, lanes).transpose(2, 0, 3, 1)
        return tiles.reshape(-1)
    ci = _ceil_to(cin, lanes)
    padded = np.zeros((k, k, ci, co), np.int8)
    padded[:, :, :cin, :cout] = weights
    tiles = padded.reshape(k, k, ci // lanes, lanes, co // lanes, lanes).transpose(4, 0, 1, 2, 5, 3)
    return tiles.reshape(-1)


def untile_weights(stream: np.ndarray, shape: tuple[int, int, int, int], lanes: int, taps_on_lanes: bool):
    """Inverse of ``tile_weights``; refuses a stream of the wrong length or with non-zero padding."""
    k, _, cin, cout = shape
    co = _ceil_to(cout, lanes)
    stream = np.asarray(stream, np.int8)
    if taps_on_lanes:
        ti = _ceil_to(k * k * cin, lanes)
        if stream.size != ti * co:
            raise ProgramError(f"weight stream of {stream.size} bytes, expected {ti * co}")
        padded = stream.reshape(co // lanes, ti // lanes, lanes, lanes).transpose(1, 3, 0, 2).reshape(ti, co)
        out = padded[: k * k * cin, :cout].reshape(k, k, cin, cout)
    else:
        ci = _ceil_to(cin, lanes)
        if stream.size != k * k * ci * co:
            raise ProgramError(f"weight stream of {stream.size} bytes, expected {k * k * ci * co}")
        tiles = stream.reshape(co // lanes, k, k, ci // lanes, lanes, lanes)
        padded = tiles.transpose(1, 2, 3, 5, 0, 4).reshape(k, k, ci, co)
        out = padded[:, :, :cin, :cout]
    if np.count_nonzero(stream) != np.count_nonzero(out):
        raise ProgramError("non-zero codes in the padding of a weight tile")
    return np.ascontiguousarray(out)


# ---------------------------------------------------------------- binary image


def _layer_fields(layer: Layer, offsets: tuple[int, int, int, int] = (0, 0, 0, 0)) -> tuple:
    return (
        layer.op, layer.flags, layer.src, layer.dst, layer.res, layer.kernel, layer.stride, layer.out_frac,
        *layer.pad, *layer.in_shape, *layer.out_shape, layer.bias_shift, layer.out_shift,
        layer.out_format.encode(), 0 if layer.post_format is None else layer.post_format.encode(), *offsets, 0,
    )


def _align(blob: bytearray) -> None:
    blob.extend(b"\0" * (-len(blob) % ALIGN))


def pack(program: CoreProgram) -> bytes:
    """The binary image of a program."""
    payload = bytearray()
    offsets = []
    for layer in program.layers:
        if layer.weights is None:
            offsets.append((0, 0, 0, 0))
            continue
        taps = bool(layer.flags & FLAG_TAPS_ON_LANES)
        stream = tile_weights(layer.weights, program.lanes, taps)
        w_off = len(payload)
        payload.extend(stream.tobytes())
        _align(payload)
        b_off = len(payload)
        bias = np.zeros(_ceil_to(len(layer.bias), program.lanes), "<i2")
        bias[: len(layer.bias)] = layer.bias
        payload.extend(bias.tobytes())
        _align(payload)
        offsets.append((w_off, stream.size, b_off, bias.nbytes))
    classes = b"".join(CLASS_ENTRY.pack(lo, hi) for lo, hi in program.class_table)
    class_offset = HEADER_BYTES
    layer_offset = _ceil_to(class_offset + len(classes), ALIGN)
    records = zip(program.layers, offsets, strict=True)
    table = b"".join(_LAYER_STRUCT.pack(*_layer_fields(layer, off)) for layer, off in records)
    weight_offset = _ceil_to(layer_offset + len(table), ALIGN)
    body = bytearray(classes)
    body.extend(b"\0" * (layer_offset - class_offset - len(classes)))
    body.extend(table)
    body.extend(b"\0" * (weight_offset - layer_offset - len(table)))
    body.extend(payload)
    total = HEADER_BYTES + len(body)
    head = [
        MAGIC, FORMAT_VERSION, HEADER_BYTES, program.network_id, program.outputs, program.num_classes,
        program.lanes, len(program.layers), LAYER_BYTES, program.width, program.input_shape[0],
        program.input_shape[1], program.slot_count, program.input_frac, program.slot_bytes,
        program.structure_id, class_offset, layer_offset, weight_offset, len(payload), total,
        zlib.crc32(bytes(body)), batch_from(program), 0, 0,
    ]
    head[-1] = zlib.crc32(_HEADER_STRUCT.pack(*head)[:-4])
    return _HEADER_STRUCT.pack(*head) + bytes(body)


def _header(blob: bytes, source: str) -> dict:
    if len(blob) < HEADER_BYTES:
        raise ProgramError(f"{source}: {len(blob)} bytes is shorter than the {HEADER_BYTES}-byte header")
    head = dict(zip((name for name, _, _ in HEADER), _HEADER_STRUCT.unpack_from(blob), strict=True))
    if head["magic"] != MAGIC:
        raise ProgramError(f"{source}: not a core program (magic {head['magic']!r}, expected {MAGIC!r})")
    if head["version"] != FORMAT_VERSION:
        raise ProgramError(f"{source}: format version {head['version']}, this reader knows {FORMAT_VERSION}")
    if zlib.crc32(blob[: HEADER_BYTES - 4]) != head["header_crc"]:
        raise ProgramError(f"{source}: header CRC mismatch (damaged header)")
    if head["header_bytes"] != HEADER_BYTES or head["layer_bytes"] != LAYER_BYTES:
        raise ProgramError(f"{source}: header or layer record size differs from format version {FORMAT_VERSION}")
    if head["total_bytes"] != len(blob):
        raise ProgramError(f"{source}: {len(blob)} bytes, the header says {head['total_bytes']} (truncated?)")
    if zlib.crc32(blob[HEADER_BYTES:]) != head["payload_crc"]:
        raise ProgramError(f"{source}: payload CRC mismatch (damaged image)")
    return head


def unpack(blob: bytes, source: str = "core program") -> CoreProgram:
    """Parse and check an image; every inconsistency is a ProgramError naming ``source``."""
    blob = bytes(blob)
    head = _header(blob, source)
    roles = {v: k for k, v in NETWORK_IDS.items()}
    if head["network_id"] not in roles:
        raise ProgramError(f"{source}: unknown network id {head['network_id']}")
    if head["lanes"] < 1 or head["layer_count"] < 1:
        raise ProgramError(f"{source}: lanes and layer count must be positive")
    entries = [CLASS_ENTRY.unpack_from(blob, head["class_offset"] + 2 * i) for i in range(head["outputs"])]
    lanes = head["lanes"]
    layers = []
    for i in range(head["layer_count"]):
        values = _LAYER_STRUCT.unpack_from(blob, head["layer_offset"] + i * LAYER_BYTES)
        f = dict(zip((n for n, _, _ in LAYER), values, strict=True))
        if f["op"] not in OP_NAMES:
            raise ProgramError(f"{source}: layer {i} has unknown op {f['op']}")
        layer = Layer(
            name=f"layer{i}_{OP_NAMES[f['op']]}", op=f["op"], src=f["src"], dst=f["dst"],
            in_shape=(f["in_height"], f["in_width"], f["in_channels"]),
            out_shape=(f["out_height"], f["out_width"], f["out_channels"]), kernel=f["kernel"], stride=f["stride"],
            pad=(f["pad_top"], f["pad_bottom"], f["pad_left"], f["pad_right"]), res=f["res"], flags=f["flags"],
            out_frac=f["out_frac"], bias_shift=f["bias_shift"], out_shift=f["out_shift"],
            out_format=Format.decode(f["out_format"]) or Format(0, False), post_format=Format.decode(f["post_format"]),
        )
        if layer.op in (OP_CONV, OP_DENSE):
            shape = (layer.kernel, layer.kernel, layer.in_shape[2], layer.out_shape[2])
            start = head["weight_offset"] + f["weight_offset"]
            stop = start + f["weight_bytes"]
            bstart = head["weight_offset"] + f["bias_offset"]
            if stop > len(blob) or bstart + f["bias_bytes"] > len(blob):
                raise ProgramError(f"{source}: layer {i} weights lie outside the image")
            taps = bool(layer.flags & FLAG_TAPS_ON_LANES)
            try:
                layer.weights = untile_weights(np.frombuffer(blob[start:stop], np.int8), shape, lanes, taps)
            except ProgramError as exc:
                raise ProgramError(f"{source}: layer {i}: {exc}") from None
            bias = np.frombuffer(blob[bstart : bstart + f["bias_bytes"]], "<i2")
            if bias.size != _ceil_to(layer.out_shape[2], lanes):
                raise ProgramError(f"{source}: layer {i}: {bias.size} biases for {layer.out_shape[2]} channels")
            layer.bias = bias[: layer.out_shape[2]].astype(np.int16)
        layers.append(layer)
    program = CoreProgram(
        role=roles[head["network_id"]], width=head["width"], lanes=lanes, layers=layers, class_table=entries,
        input_shape=(head["input_height"], head["input_width"], 1), input_frac=head["input_frac"],
        num_classes=head["num_classes"],
    )
    check(program, source)
    if program.structure_id != head["structure_id"]:
        raise ProgramError(f"{source}: structure id does not match the layer table")
    if head["batch_from"] != batch_from(program):
        raise ProgramError(f"{source}: batch_from {head['batch_from']}, the layer table allows "
                           f"{batch_from(program)} (a wrong value would let a batch overwrite a tensor)")
    return program


def tensor_bytes(shape: tuple[int, int, int], lanes: int) -> int:
    """Bytes of a tensor in the core's layout: per pixel, ceil(C / lanes) words of ``lanes`` codes."""
    rows, cols, channels = shape
    return rows * cols * _ceil_to(channels, lanes)


def batch_from(program: CoreProgram) -> int:
    """The first layer a core may run on two maps at once (the ``batch_from`` header field; 0: none).

    A batch runs the layers before it once per map (the prefix) and the rest once with two passes per
    weight block, the second map's tensors in the upper half of the same slots (docs/core-rtl.md, "Weight
    batching"). Layer k qualifies when, from k on, no layer touches slot 0 and every tensor read or
    written fits half of the program's largest activation in the core's layout (so half of any slot the
    program fits); the prefix tensor the batch reads is only the boundary, layer k - 1's output, and no
    earlier prefix layer writes the boundary's slot, which the second map's prefix run would overwrite.
    The smallest such k."""
    layers, lanes = program.layers, program.lanes
    largest = max(tensor_bytes(layer.out_shape, lanes) for layer in layers)
    fits = [layer.src != INPUT_SLOT and 2 * tensor_bytes(layer.in_shape, lanes) <= largest
            and 2 * tensor_bytes(layer.out_shape, lanes) <= largest for layer in layers]
    for k in range(1, len(layers)):
        if not all(fits[k:]):
            continue
        boundary = layers[k - 1].dst
        if any(layer.dst == boundary for layer in layers[: k - 1]):
            continue
        writer = {}  # slot -> index of the layer that wrote it last
        for i, layer in enumerate(layers[:k]):
            writer[layer.dst] = i
        ok = True
        for i in range(k, len(layers)):
            layer = layers[i]
            reads = [layer.src] + ([layer.res] if layer.flags & FLAG_RESIDUAL else [])
            # a read of a prefix tensor (or of a slot nothing wrote) other than the boundary's
            if any(writer.get(slot, -1) < k and slot != boundary for slot in reads):
                ok = False
                break
            writer[layer.dst] = i
        if ok:
            return k
    return 0


def check(program: CoreProgram, source: str = "core program") -> None:
    """Structural rules the core relies on: shapes chain, slots are live, slot 0 is never written."""
    shapes = {INPUT_SLOT: program.input_shape}
    for i, layer in enumerate(program.layers):
        where = f"{source}: layer {i} ({layer.name})"
        if layer.dst == INPUT_SLOT:
            raise ProgramError(f"{where} writes the input slot")
        if shapes.get(layer.src) != layer.in_shape:
            raise ProgramError(f"{where} reads slot {layer.src} as {layer.in_shape}, it holds {shapes.get(layer.src)}")
        if layer.flags & FLAG_RESIDUAL and shapes.get(layer.res) != layer.out_shape:
            raise ProgramError(f"{where}: residual slot {layer.res} does not hold a {layer.out_shape} tensor")
        h, w = layer.in_shape[0] + layer.pad[0] + layer.pad[1], layer.in_shape[1] + layer.pad[2] + layer.pad[3]
        expect = ((h - layer.kernel) // layer.stride + 1, (w - layer.kernel) // layer.stride + 1)
        if layer.op in (OP_CONV, OP_MAXPOOL) and layer.out_shape[:2] != expect:
            raise ProgramError(f"{where}: output {layer.out_shape[:2]} does not follow from the geometry {expect}")
        shapes[layer.dst] = layer.out_shape


def save(program: CoreProgram, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pack(program))
    return path


def load(path: str | Path, expect_structure: int | None = None) -> CoreProgram:
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise ProgramError(f"{path}: cannot read ({exc.strerror})") from None
    program = unpack(blob, str(path))
    if expect_structure is not None and program.structure_id != expect_structure:
        raise ProgramError(
            f"{path}: structure id {program.structure_id:#010x}, the core runs {expect_structure:#010x}"
        )
    return program


def with_weights_of(program: CoreProgram, other: CoreProgram) -> CoreProgram:
    """``program``'s structure with ``other``'s weights (they must share a structure)."""
    if program.structure_id != other.structure_id:
        raise ProgramError("the two programs have different structures")
    layers = [replace(a, weights=b.weights, bias=b.bias) for a, b in zip(program.layers, other.layers, strict=True)]
    return replace(program, layers=layers, role=other.role, class_table=other.class_table)


# ---------------------------------------------------------------- a folder of programs, self-describing


def digest(blob: bytes) -> str:
    """The SHA-256 that ``preprocess.json`` records for one program image."""
    return hashlib.sha256(bytes(blob)).hexdigest()


def network_of(blob: bytes, source: str) -> str:
    """The network a program image records (its header alone, checked)."""
    head = _header(bytes(blob), source)
    roles = {v: k for k, v in NETWORK_IDS.items()}
    if head["network_id"] not in roles:
        raise ProgramError(f"{source}: unknown network id {head['network_id']}")
    return roles[head["network_id"]]


def expect_network(blob: bytes, name: str, source: str) -> None:
    """Refuse an image loaded into the slot of ``name`` that holds another network (files swapped)."""
    held = network_of(blob, source)
    if held != name:
        raise ProgramError(f"{source}: holds network {held!r}, loaded as {name!r} (program files swapped or copied?)")


def write_folder(images: Mapping[str, bytes], folder: str | Path, preprocessing: Mapping[str, object]) -> Path:
    """``NAME.bgcp`` per image and ``preprocess.json`` bound to them by their SHA-256."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in images.items():
        (folder / f"{name}.bgcp").write_bytes(bytes(blob))
    settings = {**preprocessing, PROGRAMS_KEY: {name: digest(blob) for name, blob in images.items()}}
    path = folder / PREPROCESS_FILE
    path.write_text(json.dumps(settings, indent=1) + "\n")
    return path


def read_folder(folder: str | Path, names: tuple[str, ...]) -> tuple[dict[str, bytes], dict] | None:
    """The images ``NAME.bgcp`` of a folder and its preprocessing settings, each checked: None when the
    folder holds no program of ``names``; a ProgramError when one is missing, holds another network,
    or when ``preprocess.json`` is missing or records other programs."""
    folder = Path(folder)
    files = {name: folder / f"{name}.bgcp" for name in names}
    if not any(path.exists() or path.is_symlink() for path in files.values()):
        return None
    missing = [f"{name}.bgcp" for name, path in files.items() if not path.is_file()]
    if missing:
        raise ProgramError(f"{folder}: a folder of core programs, but {', '.join(missing)} "
                           f"{'is' if len(missing) == 1 else 'are'} missing (it needs {', '.join(names)})")
    images: dict[str, bytes] = {}
    for name, path in files.items():
        try:
            images[name] = path.read_bytes()
        except OSError as exc:
            raise ProgramError(f"{path}: cannot read ({exc.strerror})") from None
        expect_network(images[name], name, str(path))
    path = folder / PREPROCESS_FILE
    if not path.is_file():
        raise ProgramError(
            f"{path}: missing; a folder of core programs must say which preprocessing its networks need "
            "(rebuild it with `blurgauge hls`, or write {\"noise_floor\": 0.0, \"input_transform\": \"gradient\"} "
            "for networks of the paper's preprocessing)")
    try:
        settings = json.loads(path.read_text())
    except (ValueError, OSError) as exc:
        raise ProgramError(f"{path}: unreadable ({exc})") from None
    if not isinstance(settings, dict):
        raise ProgramError(f"{path}: expected an object such as "
                           '{"noise_floor": 0.01, "input_transform": "autocorrelation"}')
    bound = settings.get(PROGRAMS_KEY)
    if bound is not None:  # absent: written by hand (the user's word); present: it must be these programs'
        if not isinstance(bound, dict):
            raise ProgramError(f"{path}: {PROGRAMS_KEY!r} must map network names to SHA-256 digests")
        foreign = [name for name in names if bound.get(name) != digest(images[name])]
        if foreign:
            raise ProgramError(f"{path}: belongs to other programs: the SHA-256 it records for "
                               f"{', '.join(f'{n}.bgcp' for n in foreign)} differs from the file's "
                               "(copied from another build?)")
    return images, settings
