"""The board cost model's arithmetic (bench/board_model.py)."""

from __future__ import annotations

import math

import pytest

from bench import board_model as bm


def test_the_flop_counts_are_the_textbook_ones() -> None:
    assert bm.complex_fft_flops(1024) == 5 * 1024 * 10
    assert bm.real_fft_flops(16384) == 2.5 * 16384 * 14


def test_the_rate_is_the_least_squares_line_through_the_cited_points() -> None:
    f1, f2 = 51_200.0, 5 * 16384 * 14.0
    expected = (f1 * 391e-6 + f2 * 9.14e-3) / (f1 * f1 + f2 * f2)
    assert bm.seconds_per_flop() == pytest.approx(expected)
    assert 7.9e-9 < bm.seconds_per_flop() < 8.0e-9  # about 125 MFLOP/s
    # One point alone gives its own rate.
    assert bm.seconds_per_flop(((1024, 1.0),)) == pytest.approx(1.0 / f1)


def test_the_maps_count_one_forward_transform_and_two_pruned_inverses() -> None:
    # A 321 x 481 image: 449 x 609 padded becomes 450 x 625 (449 is prime; 625 = 5^4).
    n_rows, n_cols = 450, 625
    half = n_cols // 2 + 1
    forward = 321 * 2.5 * n_cols * math.log2(n_cols) + half * 5 * n_rows * math.log2(n_rows)
    inverse_width = half * 2.5 * n_rows * math.log2(n_rows) + 65 * 2.5 * n_cols * math.log2(n_cols)
    inverse_height = half * 2.5 * n_rows * math.log2(n_rows) + 128 * 2.5 * n_cols * math.log2(n_cols)
    assert bm.map_fft_flops(321, 481) == pytest.approx(forward + inverse_width + inverse_height)


def test_a_projection_adds_its_parts() -> None:
    p = bm.project(321, 481, decode_x86_s=0.002, fft_ratio=50.0, core_cycles=683_183)
    per_flop = bm.seconds_per_flop()
    fft = bm.map_fft_flops(321, 481) * per_flop
    assert p.fft_s == pytest.approx(fft)
    passes = sum(bm.element_passes(321, 481).values()) * bm.ELEMENT_PASS_FLOPS * per_flop
    assert sum(p.passes_s.values()) == pytest.approx(passes)
    assert p.decode_s == pytest.approx(0.1)
    assert p.core_s == pytest.approx(6.83183e-3)
    assert p.total_s == pytest.approx(fft + passes + 0.1 + 6.83183e-3)
    # The per-pixel stages scale with the pixels (642 x 962 is four times 321 x 481).
    small, large = bm.element_passes(321, 481), bm.element_passes(642, 962)
    for stage in small:
        if stage != "power spectra":
            assert large[stage] == 4 * small[stage]


def test_the_bus_overhead_is_the_cited_access_cost_plus_the_copies() -> None:
    # The calibration itself: 5,600 MMIO writes in 150-200 ms (the midpoint) on a PYNQ-Z1.
    assert bm.board_bus_seconds(5600, 0) == pytest.approx(0.175)
    copy = bm.board_bus_seconds(0, 8 * 1000)
    assert copy == pytest.approx(1000 * bm.ELEMENT_PASS_FLOPS * bm.seconds_per_flop())


def test_a_window_costs_the_part_read_and_the_whole_file_s_decode() -> None:
    whole = bm.project(1080, 1920, decode_x86_s=0.02, fft_ratio=50.0)
    seen = bm.project(1080, 1920, decode_x86_s=0.02, fft_ratio=50.0, window=320)
    alone = bm.project(320, 320)
    assert bm.read_size(1080, 1920, 320) == (320, 320) and bm.read_size(300, 1920, 320) == (300, 320)
    assert bm.read_size(1080, 1920) == (1080, 1920)
    assert seen.fft_s == pytest.approx(alone.fft_s) and seen.passes_s == pytest.approx(alone.passes_s)
    assert seen.decode_s == whole.decode_s == pytest.approx(1.0)  # the file is still decoded whole
    assert seen.fft_s < whole.fft_s / 10
