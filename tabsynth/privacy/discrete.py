"""Exact tails of the discrete Gaussian that OpenDP draws for integer counts.

OpenDP's ``then_gaussian`` on integers samples the discrete Gaussian N_Z(0, sigma^2):
P[X = x] proportional to exp(-x^2 / (2 sigma^2)) on the integers (Canonne, Kamath and
Steinke 2020). A release threshold computed from the continuous normal's tail is wrong for it:
an integer X passes "X > t" exactly when X >= floor(t) + 1, and the discrete tail at an
integer k is close to the continuous tail at k - 1/2, not at k. Thresholds here are found
by exact summation over the distribution that is actually sampled.
"""

from __future__ import annotations

import math

import numpy as np


def _support(sigma: float) -> np.ndarray:
    """Integers carrying all but far less than 1e-300 of the mass (|x| <= 40 sigma + 40)."""
    half = int(math.ceil(40.0 * sigma)) + 40
    return np.arange(-half, half + 1, dtype=np.float64)


def discrete_gaussian_pmf(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """(integers x, P[X = x]) of N_Z(0, sigma^2), normalised by exact summation."""
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be positive and finite, got {sigma!r}")
    x = _support(sigma)
    w = np.exp(-(x**2) / (2.0 * sigma**2))
    return x.astype(np.int64), w / w.sum()


def discrete_gaussian_tail(sigma: float, k: int) -> float:
    """P[X >= k] for X ~ N_Z(0, sigma^2), summed from the far end (small terms first)."""
    x, p = discrete_gaussian_pmf(sigma)
    sel = p[x >= k]
    return float(np.sum(sel[::-1]))


def discrete_gaussian_threshold(sigma: float, prob: float) -> int:
    """The smallest integer k >= 0 with P[X >= k] <= ``prob`` (X ~ N_Z(0, sigma^2))."""
    if not 0 < prob < 1:
        raise ValueError(f"prob must be in (0, 1), got {prob!r}")
    x, p = discrete_gaussian_pmf(sigma)
    tails = np.cumsum(p[::-1])[::-1]  # tails[i] = P[X >= x[i]], small terms summed first
    ok = np.flatnonzero((tails <= prob) & (x >= 0))
    return int(x[ok[0]])
