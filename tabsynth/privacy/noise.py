"""Noise sources for DP measurements.

The default source is OpenDP's samplers: exact discrete Gaussian noise on integer counts and
OpenDP's discretised Gaussian on floats, both drawn from the operating system's secure random
generator, so they neither leak through floating-point low bits (Mironov 2012) nor can be
recomputed from a seed. ``SeededNoise`` exists for tests only: its noise follows from a known
seed, and any model fitted with it is marked not for release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


class NoiseSource(Protocol):
    """Adds Gaussian noise of a given standard deviation to integer counts or floats."""

    secure: bool

    def gaussian_counts(
        self, counts: np.ndarray, sigma: float, *, keys: np.ndarray | None = None
    ) -> np.ndarray:
        """Integer counts plus discrete Gaussian noise with scale ``sigma``. ``keys`` names
        each count (e.g. the distinct value it counts) so that a test harness can match
        counts across neighbouring runs; the samplers ignore it."""
        ...

    def gaussian_values(self, values: np.ndarray, sigma: float) -> np.ndarray:
        """Floats plus Gaussian noise with standard deviation ``sigma``."""
        ...

    def noisy_max(self, scores: np.ndarray, scale: float) -> int:
        """The index of the largest score after Gumbel noise of ``scale`` (report-noisy-max,
        the exponential mechanism): for scores of L-infinity sensitivity s that may move in
        either direction, ``s**2 / (2 * scale**2)``-zCDP (``noisy_max_rho``)."""
        ...


def noisy_max_rho(sensitivity: float, scale: float) -> float:
    """zCDP cost of one report-noisy-max with Gumbel ``scale`` (OpenDP's privacy map for
    non-monotonic scores: the range of a score difference is twice the sensitivity)."""
    return (2 * sensitivity / scale) ** 2 / 8


def noisy_max_scale(sensitivity: float, rho: float) -> float:
    """The Gumbel scale whose report-noisy-max costs ``rho`` (inverse of ``noisy_max_rho``)."""
    if rho <= 0 or sensitivity <= 0:
        raise ValueError("need rho > 0 and sensitivity > 0")
    return sensitivity / (2 * rho) ** 0.5


def _opendp():  # type: ignore[no-untyped-def]
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


@dataclass
class SecureNoise:
    """OpenDP's samplers over the OS's secure random source (the default)."""

    secure: bool = True

    def gaussian_counts(
        self, counts: np.ndarray, sigma: float, *, keys: np.ndarray | None = None
    ) -> np.ndarray:
        counts = np.asarray(counts)
        if counts.size == 0:
            return counts.astype(np.int64)
        if sigma <= 0:
            raise ValueError("sigma must be positive")
        dp = _opendp()
        space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l2_distance(T="i64")
        meas = space >> dp.m.then_gaussian(scale=float(sigma))
        flat = counts.astype(np.int64).ravel().tolist()
        return np.asarray(meas(flat), dtype=np.int64).reshape(counts.shape)

    def gaussian_values(self, values: np.ndarray, sigma: float) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            return values
        if sigma <= 0:
            raise ValueError("sigma must be positive")
        dp = _opendp()
        space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float)
        meas = space >> dp.m.then_gaussian(scale=float(sigma))
        return np.asarray(meas(values.ravel().tolist()), dtype=float).reshape(values.shape)

    def noisy_max(self, scores: np.ndarray, scale: float) -> int:
        dp = _opendp()
        space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.linf_distance(T=float)
        meas = space >> dp.m.then_noisy_max(dp.zero_concentrated_divergence(), scale=float(scale))
        return int(meas([float(x) for x in np.asarray(scores, dtype=float).ravel()]))


@dataclass
class SeededNoise:
    """Reproducible noise from a seeded numpy Generator. For tests only: NOT releasable."""

    seed: int
    secure: bool = False
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0x6E6F697365]))

    def gaussian_counts(
        self, counts: np.ndarray, sigma: float, *, keys: np.ndarray | None = None
    ) -> np.ndarray:
        counts = np.asarray(counts, dtype=np.int64)
        return counts + np.rint(self._rng.normal(0.0, sigma, counts.shape)).astype(np.int64)

    def gaussian_values(self, values: np.ndarray, sigma: float) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return values + self._rng.normal(0.0, sigma, values.shape)

    def noisy_max(self, scores: np.ndarray, scale: float) -> int:
        scores = np.asarray(scores, dtype=float)
        return int(np.argmax(scores + self._rng.gumbel(0.0, scale, scores.shape)))


def make_noise(*, reproducible_seed: int | None = None) -> NoiseSource:
    """The secure source, or a seeded one when ``reproducible_seed`` is given (testing only)."""
    return SecureNoise() if reproducible_seed is None else SeededNoise(reproducible_seed)
