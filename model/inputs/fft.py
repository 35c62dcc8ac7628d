"""The few FFT calls the host's preprocessing makes: scipy.fft where it is installed, numpy.fft otherwise.

A board installs the host with numpy and Pillow only (``pip install blurgauge``), so scipy is optional
here. With scipy the calls go straight to ``scipy.fft`` (multi-threaded, in place). Without it the same
transforms run at the same padded sizes in ``numpy.fft``: the maps then differ from scipy's in the last
bits of a float64 (about 1e-15 relative), far below half a step of the 8-bit input codes, and the codes
the core sees are the same (tests/test_board_install.py compares them). The functions take scipy.fft's
arguments; ``fft(..., overwrite_x=True)`` along any axis but the last runs a strip of the last axis at a
time in place without scipy, so the peak memory stays one spectrum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # scipy is an extra (blurgauge[train]); the board's install has numpy only
    import scipy.fft as _scipy_fft
except ImportError:
    _scipy_fft = None

#: Lines of the last axis per in-place strip of the numpy fallback's ``fft``.
STRIP = 256


def backend() -> Any:
    """``scipy.fft`` when it is installed, else None (numpy.fft with the sizes of ``next_fast_len``)."""
    return _scipy_fft


def _smooth(n: int, primes: tuple[int, ...]) -> bool:
    for p in primes:
        while n % p == 0:
            n //= p
    return n == 1


def next_fast_len(target: int, real: bool = False) -> int:
    """The smallest size >= ``target`` whose prime factors are all ones the transform handles fast: 2, 3
    and 5 for a real transform, up to 11 for a complex one (the sizes ``scipy.fft.next_fast_len`` gives,
    so both backends pad alike)."""
    if target < 1:
        raise ValueError(f"target must be a positive integer, got {target}")
    scipy_fft = backend()
    if scipy_fft is not None:
        return int(scipy_fft.next_fast_len(target, real=real))
    primes = (2, 3, 5) if real else (2, 3, 5, 7, 11)
    n = target
    while not _smooth(n, primes):
        n += 1
    return n


def rfft(x: np.ndarray, n: int | None = None, axis: int = -1, workers: int | None = None) -> np.ndarray:
    scipy_fft = backend()
    if scipy_fft is not None:
        return scipy_fft.rfft(x, n=n, axis=axis, workers=workers)
    return np.fft.rfft(x, n=n, axis=axis)


def irfft(x: np.ndarray, n: int | None = None, axis: int = -1, workers: int | None = None) -> np.ndarray:
    scipy_fft = backend()
    if scipy_fft is not None:
        return scipy_fft.irfft(x, n=n, axis=axis, workers=workers)
    return np.fft.irfft(x, n=n, axis=axis)


def fft(x: np.ndarray, n: int | None = None, axis: int = -1, overwrite_x: bool = False,
        workers: int | None = None) -> np.ndarray:
    """The complex transform along ``axis``; with ``overwrite_x`` the result may be ``x`` itself."""
    scipy_fft = backend()
    if scipy_fft is not None:
        return scipy_fft.fft(x, n=n, axis=axis, overwrite_x=overwrite_x, workers=workers)
    x = np.asarray(x)
    along = axis % x.ndim
    if not overwrite_x or n not in (None, x.shape[along]) or x.dtype != np.complex128 or along == x.ndim - 1:
        return np.fft.fft(x, n=n, axis=axis)
    # Each line's transform is independent: a strip of the last axis at a time, written back in place,
    # so the peak memory stays the one array, as scipy's in-place transform keeps it.
    for left in range(0, x.shape[-1], STRIP):
        x[..., left : left + STRIP] = np.fft.fft(x[..., left : left + STRIP], axis=axis)
    return x
