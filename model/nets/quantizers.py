"""Fixed-point formats of the networks: the one table that QKeras, hls4ml and the core read.

Each format is (bits, integer bits excluding the sign, signed). In ap_fixed terms a signed format
is ``ap_fixed<bits, integer + 1>`` and an unsigned one ``ap_ufixed<bits, integer>``; its value is
an integer code times 2**-(bits - integer - signed).

Why each one:

* ``input``: the gradient patch divided by its own standard deviation (the host does this, so the
  network sees the blur, not the scene's contrast), signed 8 bits with 3 integer bits: +-8
  standard deviations at 1/16 resolution. Strong edges beyond 8 sigma saturate; their width, not
  their height, carries the blur.
* ``weight``: folded (conv x batch-norm) kernels and dense weights, signed 8 bits in [-1, 1) at
  1/128. Products of two 8-bit codes are exact int16 values; a 3x3x128 dot product fits 32 bits
  with room to spare. Measured on a partly trained width-16 network: no code saturates, but the
  folded kernels of stage 5 use only 1-2 codes on average (26-36 % zeros), so one fixed scale for
  all layers wastes most of the 8 bits in the deep layers; a per-channel power-of-two scale is the
  planned remedy (issue: networks).
* ``bias``: signed 16 bits at 2**-10, coarser than any accumulator's resolution (2**-11 for the
  stem, 2**-12 elsewhere), so adding it is a shift and an add, never a rounding.
* ``relu``: unsigned 8 bits in [0, 8) at 1/32 after every ReLU (and after the average pool).
* ``signed``: signed 8 bits in [-4, 4) at 1/32 on the two branches of a residual add, the same
  resolution as ``relu`` so the add aligns without shifting.

QKeras rounds to nearest (ties to even) and saturates in every quantizer here; the core applies
the same rules. docs/fixed-point.md is generated from this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FixedFormat:
    bits: int
    integer: int  # integer bits, not counting the sign
    signed: bool

    @property
    def frac(self) -> int:
        return self.bits - self.integer - int(self.signed)

    @property
    def step(self) -> float:
        return 2.0**-self.frac

    @property
    def code_range(self) -> tuple[int, int]:
        if self.signed:
            return -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        return 0, 2**self.bits - 1

    @property
    def ap_type(self) -> str:
        if self.signed:
            return f"ap_fixed<{self.bits},{self.integer + 1},AP_RND_CONV,AP_SAT>"
        return f"ap_ufixed<{self.bits},{self.integer},AP_RND_CONV,AP_SAT>"


FORMATS: dict[str, FixedFormat] = {
    "input": FixedFormat(8, 3, True),
    "weight": FixedFormat(8, 0, True),
    "bias": FixedFormat(16, 5, True),
    "relu": FixedFormat(8, 3, False),
    "signed": FixedFormat(8, 2, True),
}


def quantizer(name: str):
    """A fresh QKeras quantizer for format ``name`` (QKeras quantizers hold per-layer state).

    QKeras is imported here, on first use: the formats alone must not pull in TensorFlow, so that
    the integer backends (golden, rtl, pynq on a board) start in a fraction of a second without it.
    """
    from blurgauge.model.nets.tf_env import qkeras

    f = FORMATS[name]
    if f.signed:
        return qkeras.quantized_bits(f.bits, f.integer, keep_negative=True, alpha=1)
    return qkeras.quantized_relu(f.bits, f.integer)
