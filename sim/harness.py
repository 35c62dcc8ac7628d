"""Pieces shared by the RTL testbenches inside the simulator: integer packing and valid/ready stream
drivers that stall at random.

Sampling convention of the drivers (measured with Verilator 5.048 and cocotb 2.1): right after
``await RisingEdge(clk)`` a signal reads as it was just before that edge, i.e. what the design sampled.
So a transfer happened at an edge exactly when valid and ready both read 1 there, and values written
after the edge are what the design samples at the next one.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

# ---- inside the simulator -------------------------------------------------------------------------


def to_signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def unsigned(value: Any) -> int:
    """A signal's value as an unsigned integer (a vector's LogicArray or a 1-bit signal's Logic)."""
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)


def pack(values: Iterable[int], bits: int) -> int:
    """Lane 0 in the low bits, each value taken modulo 2**bits (two's complement)."""
    word = 0
    for i, v in enumerate(values):
        word |= (v & ((1 << bits) - 1)) << (i * bits)
    return word


def unpack(word: int, bits: int, count: int, signed: bool = True) -> list[int]:
    lanes = [(word >> (i * bits)) & ((1 << bits) - 1) for i in range(count)]
    return [to_signed(v, bits) for v in lanes] if signed else lanes


async def start_clock_and_reset(dut: Any, cycles: int = 3) -> None:
    """C-level clock (no Python per edge) and a synchronous active-high reset on ``rst``."""
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, RisingEdge

    Clock(dut.clk, 10, unit="ns", impl="gpi").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, cycles)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


class StreamSource:
    """Drives a valid/ready input, holding valid low for random gaps between beats.

    ``signals`` maps beat keys to handles; a beat is a mapping of the same keys to integers. Data
    stays stable while valid waits for ready, as AXI4-Stream requires.
    """

    def __init__(
        self,
        clk: Any,
        valid: Any,
        ready: Any,
        signals: Mapping[str, Any],
        rng: random.Random,
        gap_prob: float = 0.3,
        max_gap: int = 4,
    ) -> None:
        self.clk, self.valid, self.ready, self.signals = clk, valid, ready, dict(signals)
        self.rng, self.gap_prob, self.max_gap = rng, gap_prob, max_gap
        self.sent = 0
        valid.value = 0

    async def send(self, beats: Iterable[Mapping[str, int]]) -> None:
        from cocotb.triggers import ClockCycles, RisingEdge

        for beat in beats:
            if self.gap_prob and self.rng.random() < self.gap_prob:
                self.valid.value = 0
                await ClockCycles(self.clk, self.rng.randint(1, self.max_gap))
            for key, value in beat.items():
                self.signals[key].value = value
            self.valid.value = 1
            await RisingEdge(self.clk)
            while not self.ready.value:
                # Sleep until ready rises rather than waking on every edge; the transfer is then
                # at the next edge where ready is still high.
                await RisingEdge(self.ready)
                await RisingEdge(self.clk)
            self.sent += 1
        self.valid.value = 0


class StreamSink:
    """Accepts beats from a valid/ready output, holding ready low for random stretches."""

    def __init__(
        self,
        clk: Any,
        valid: Any,
        ready: Any,
        signals: Mapping[str, Any],
        rng: random.Random,
        stall_prob: float = 0.3,
        max_stall: int = 4,
        check_hold: bool = False,
    ) -> None:
        self.clk, self.valid, self.ready, self.signals = clk, valid, ready, dict(signals)
        self.rng, self.stall_prob, self.max_stall = rng, stall_prob, max_stall
        self.check_hold = check_hold  # a beat offered during a stall must stay, unchanged, until taken
        ready.value = 0

    async def receive(self, count: int) -> list[dict[str, int]]:
        from cocotb.triggers import ClockCycles, RisingEdge

        beats: list[dict[str, int]] = []
        while len(beats) < count:
            if self.stall_prob and self.rng.random() < self.stall_prob:
                self.ready.value = 0
                stall = self.rng.randint(1, self.max_stall)
                if self.check_hold:
                    await RisingEdge(self.clk)
                    held = self._offered()
                    if stall > 1:
                        await ClockCycles(self.clk, stall - 1)
                    assert held is None or self._offered() == held, f"beat changed while waiting: {held}"
                else:
                    await ClockCycles(self.clk, stall)
            self.ready.value = 1
            await RisingEdge(self.clk)
            while not self.valid.value:
                await RisingEdge(self.valid)
                await RisingEdge(self.clk)
            beats.append({key: unsigned(sig.value) for key, sig in self.signals.items()})
        self.ready.value = 0
        return beats

    def _offered(self) -> dict[str, int] | None:
        """The beat on offer at the edge just passed (None: valid low)."""
        if not self.valid.value:
            return None
        return {key: unsigned(sig.value) for key, sig in self.signals.items()}
