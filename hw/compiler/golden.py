"""Golden integer reference: the network computed with integers only, as the hardware will.

Every tensor is an array of integer codes with a known binary point (``frac``: value = code *
2**-frac). The operations are the core's: int8 x int8 products summed in an integer accumulator,
the bias code shifted onto the accumulator's binary point, requantization by a right shift that
rounds to nearest with ties to even and saturates, zero padding, max-pool on codes, residual add of
two codes on the same binary point, global average pool as a sum and a shift, and the dense head.

Sums are formed in float64 matrix products (BLAS) on integer-valued operands: every partial sum
here stays far below 2**53, so the result is exact, and much faster than int64 products.

Two entry points compute the same thing from two independent descriptions of the network:

* ``run_program`` executes a core program (``hw/compiler/program.py``) record by record, exactly as the core
  does: slots, padding, shifts and formats all come from the program. This is the reference the RTL
  is checked against.
* ``run_network`` walks the folded Keras model layer by layer with the formats of
  ``model/nets/quantizers.py``. It shares no code path with the exporter, so agreement of the two (and of
  both with QKeras and with hls4ml's C simulation) checks the program too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blurgauge.model.nets.quantizers import FORMATS, FixedFormat


@dataclass
class Tensor:
    codes: np.ndarray  # int64, (H, W, C) or (C,), batch first when batched
    frac: int  # binary point: value = codes * 2**-frac


def round_shift(acc: np.ndarray, shift: int) -> np.ndarray:
    """acc / 2**shift rounded to nearest, ties to even (as tf.round and AP_RND_CONV)."""
    acc = np.asarray(acc, dtype=np.int64)
    if shift <= 0:
        return acc << -shift
    floor = acc >> shift
    rest = acc - (floor << shift)
    half = np.int64(1) << (shift - 1)
    return floor + ((rest > half) | ((rest == half) & (floor & 1 == 1)))


def requantize(t: Tensor, fmt: FixedFormat) -> Tensor:
    """Round onto the format's grid and saturate to its code range."""
    lo, hi = fmt.code_range
    return Tensor(np.clip(round_shift(t.codes, t.frac - fmt.frac), lo, hi), fmt.frac)


def pad(t: Tensor, top: int, bottom: int, left: int, right: int) -> Tensor:
    width = [(0, 0)] * (t.codes.ndim - 3) + [(top, bottom), (left, right), (0, 0)]
    return Tensor(np.pad(t.codes, width), t.frac)


def _windows(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """(N, H', W', k, k, C) view of the k x k windows of (N, H, W, C) at a stride."""
    n, h, w, c = x.shape
    out_h, out_w = (h - k) // stride + 1, (w - k) // stride + 1
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, out_h, out_w, k, k, c), (s[0], s[1] * stride, s[2] * stride, s[1], s[2], s[3]), writeable=False
    )


def conv2d(t: Tensor, kernel: np.ndarray, bias: np.ndarray, stride: int) -> Tensor:
    """'valid' convolution of codes (N, H, W, Cin) with int8 kernel codes (k, k, Cin, Cout)."""
    k, _, cin, cout = kernel.shape
    wf, bf = FORMATS["weight"].frac, FORMATS["bias"].frac
    frac = t.frac + wf
    cols = _windows(t.codes.astype(np.float64), k, stride)
    n, oh, ow = cols.shape[:3]
    acc = cols.reshape(n * oh * ow, k * k * cin) @ kernel.reshape(k * k * cin, cout).astype(np.float64)
    acc = acc.astype(np.int64).reshape(n, oh, ow, cout)
    return Tensor(acc + (bias.astype(np.int64) << (frac - bf)), frac)


def max_pool(t: Tensor, k: int, stride: int) -> Tensor:
    return Tensor(_windows(t.codes, k, stride).max(axis=(3, 4)), t.frac)


def add(a: Tensor, b: Tensor) -> Tensor:
    if a.frac != b.frac:
        raise ValueError(f"residual add of binary points {a.frac} and {b.frac}: the formats must align")
    return Tensor(a.codes + b.codes, a.frac)


def global_average_pool(t: Tensor) -> Tensor:
    """Sum over the map; dividing by a power-of-two area is a move of the binary point."""
    area = t.codes.shape[1] * t.codes.shape[2]
    if area & (area - 1):
        raise ValueError(f"average over {area} positions is not a shift; the core needs a power of two")
    return Tensor(t.codes.sum(axis=(1, 2)), t.frac + area.bit_length() - 1)


def dense(t: Tensor, kernel: np.ndarray, bias: np.ndarray) -> Tensor:
    wf, bf = FORMATS["weight"].frac, FORMATS["bias"].frac
    frac = t.frac + wf
    acc = (t.codes.astype(np.float64) @ kernel.astype(np.float64)).astype(np.int64)
    return Tensor(acc + (bias.astype(np.int64) << (frac - bf)), frac)


def format_of_quantizer(quantizer) -> FixedFormat:
    """The FORMATS entry a QKeras activation quantizer implements."""
    cfg = quantizer.get_config()
    signed = bool(cfg.get("keep_negative", False))
    fmt = FixedFormat(int(cfg["bits"]), int(cfg["integer"]), signed)
    if fmt not in FORMATS.values():
        raise ValueError(f"quantizer {quantizer} is not one of the formats in model/nets/quantizers.py")
    return fmt


def run_network(model, weights: dict[str, tuple[np.ndarray, np.ndarray]], codes: np.ndarray) -> Tensor:
    """Integer forward pass of a folded model over int8 input codes (N, 128, 128); returns the logits.

    ``weights`` are the integer codes of a weight file (``NetworkWeights.layers``).
    """
    from blurgauge.model.nets.tf_env import keras, qkeras

    values: dict[str, Tensor] = {}
    for layer in model.layers:
        inbound = [n.inbound_layers for n in layer._inbound_nodes]
        parents = inbound[0] if inbound else []
        parents = parents if isinstance(parents, list) else [parents]
        x = values[parents[0].name] if parents else None
        if isinstance(layer, keras.layers.InputLayer):
            out = Tensor(np.asarray(codes, dtype=np.int64)[..., None], FORMATS["input"].frac)
        elif isinstance(layer, qkeras.QActivation):
            out = requantize(x, format_of_quantizer(layer.quantizer))
        elif isinstance(layer, keras.layers.ZeroPadding2D):
            (top, bottom), (left, right) = layer.padding
            out = pad(x, top, bottom, left, right)
        elif isinstance(layer, qkeras.QConv2D):
            if layer.padding == "same":
                lead = (layer.kernel_size[0] - 1) // 2
                x = pad(x, lead, layer.kernel_size[0] - 1 - lead, lead, layer.kernel_size[1] - 1 - lead)
            out = conv2d(x, *weights[layer.name], layer.strides[0])
        elif isinstance(layer, keras.layers.MaxPooling2D):
            out = max_pool(x, layer.pool_size[0], layer.strides[0])
        elif isinstance(layer, keras.layers.Add):
            out = add(values[parents[0].name], values[parents[1].name])
        elif isinstance(layer, keras.layers.GlobalAveragePooling2D):
            out = global_average_pool(x)
        elif isinstance(layer, qkeras.QDense):
            out = dense(x, *weights[layer.name])
        else:
            raise TypeError(f"layer {layer.name}: {type(layer).__name__} has no integer implementation")
        values[layer.name] = out
    return values[model.layers[-1].name]


def _requantize(acc: np.ndarray, shift: int, fmt, flags: int) -> np.ndarray:
    """The core's requantization: shift right (rounding half to even, or truncating), then saturate or wrap."""
    from blurgauge.hw.compiler.program import FLAG_ROUND, FLAG_SATURATE

    q = round_shift(acc, shift) if flags & FLAG_ROUND else np.asarray(acc, np.int64) >> shift
    lo, hi = fmt.code_range
    if flags & FLAG_SATURATE:
        return np.clip(q, lo, hi)
    return ((q - lo) & ((1 << fmt.bits) - 1)) + lo


def run_program(program, codes: np.ndarray) -> np.ndarray:
    """Execute a core program on int8 input codes (N, H, W); returns the output codes (N, outputs),
    whose binary point is ``program.logits_frac``."""
    from blurgauge.hw.compiler.program import FLAG_RESIDUAL, INPUT_SLOT, OP_CONV, OP_DENSE, OP_GAP, OP_MAXPOOL

    codes = np.asarray(codes, np.int64)
    if codes.shape[1:] != program.input_shape[:2]:
        raise ValueError(f"input codes of shape {codes.shape[1:]}, the program expects {program.input_shape[:2]}")
    slots = {INPUT_SLOT: codes[..., None]}
    for layer in program.layers:
        x = slots[layer.src]
        if any(layer.pad):
            top, bottom, left, right = layer.pad
            x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
        if layer.op in (OP_CONV, OP_DENSE):
            k, cin, cout = layer.kernel, layer.in_shape[2], layer.out_shape[2]
            cols = _windows(x.astype(np.float64), k, layer.stride)
            n, oh, ow = cols.shape[:3]
            acc = cols.reshape(n * oh * ow, k * k * cin) @ layer.weights.reshape(k * k * cin, cout).astype(np.float64)
            acc = acc.astype(np.int64).reshape(n, oh, ow, cout) + (layer.bias.astype(np.int64) << layer.bias_shift)
            out = _requantize(acc, layer.out_shift, layer.out_format, layer.flags)
            if layer.flags & FLAG_RESIDUAL:
                out = _requantize(out + slots[layer.res], 0, layer.post_format, layer.flags)
        elif layer.op == OP_MAXPOOL:
            out = _windows(x, layer.kernel, layer.stride).max(axis=(3, 4))
        elif layer.op == OP_GAP:
            acc = x.sum(axis=(1, 2), keepdims=True)
            out = _requantize(acc, layer.out_shift, layer.out_format, layer.flags)
        else:
            raise ValueError(f"layer {layer.name}: unknown op {layer.op}")
        slots[layer.dst] = out
    return slots[program.layers[-1].dst].reshape(len(codes), -1)


@dataclass(frozen=True)
class AxisJob:
    """One axis of the core's image job: the coarse run's output codes, the range they choose, and the
    output codes of that range's fine program (binary points: the programs' ``logits_frac``)."""

    coarse_logits: np.ndarray
    range: int
    fine_logits: np.ndarray


class JobRangeError(ValueError):
    """The coarse program chose a range that has no fine program (the core's error JOB_RANGE)."""


def run_image_job(coarse, fines, maps: np.ndarray) -> list[AxisJob]:
    """The core's image job (CTRL.image_job, docs/core-rtl.md) in the integer reference: for each axis's
    int8 map in ``maps`` (2, H, W: width, then height), the coarse program, the range
    ``model.cascade.choose_range`` picks from its first ``num_classes`` codes, and ``fines[range]`` on the
    same map."""
    from blurgauge.model.cascade import choose_range

    out = []
    for codes in np.asarray(maps):
        coarse_logits = run_program(coarse, codes[None])[0]
        k = choose_range(coarse_logits[: coarse.num_classes])
        if k >= len(fines):
            raise JobRangeError(f"the coarse program chose range {k}; fine programs exist for 0..{len(fines) - 1}")
        out.append(AxisJob(coarse_logits, k, run_program(fines[k], codes[None])[0]))
    return out
