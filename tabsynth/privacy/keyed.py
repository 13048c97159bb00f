"""Keyed per-row randomness and Poisson sampling whose draws follow the row, not its position.

Fit-time randomness that touches records (the jitter that places a category's rows inside its
CDF interval, which conditional vector a real row gets, whether a row joins a DP-SGD batch) is
drawn here as a keyed hash of the row's own content, never as the next values of one stream.
With a stream, a record added at the front shifts every later draw, so one record changes what
happens to all the others; with a keyed hash, adding a record adds exactly one term to every
sum (the property the sensitivity analysis assumes) whatever the key, and the draws are the
same in memory, streamed and on Dask. The key itself comes from the secure source (see
``fit_key``) unless reproducible noise is asked for.

Rows with identical content are told apart by their occurrence number among identical rows
(``row_keys``), so that duplicates still join Poisson batches independently.
"""

from __future__ import annotations

import secrets

import numpy as np
import polars as pl

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MASK = 2**64 - 1


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on unsigned 64-bit integers (a bijection with good avalanche)."""
    with np.errstate(over="ignore"):
        z = np.asarray(z, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))  # type: ignore[no-any-return]


def hash_uniform(key: int, index: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) from a 64-bit ``key`` and 64-bit ``index`` values: a pure function
    of (key, index), whatever batch, partition or position the row arrives in."""
    with np.errstate(over="ignore"):
        z = np.asarray(index, dtype=np.uint64) * _GOLDEN + np.uint64(int(key) & _MASK)
    return (mix64(z) >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


def subkey(key: int, *salt: int) -> int:
    """A key derived from ``key`` and integer salts (a step number, a column slot)."""
    z = np.uint64(int(key) & _MASK)
    for s in salt:
        with np.errstate(over="ignore"):
            z = mix64(np.asarray([z ^ (np.uint64(int(s) & _MASK) * _GOLDEN)]))[0]
    return int(z)


def content_hashes(frame: pl.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's values (polars' row hash at fixed seeds)."""
    if frame.width == 0:
        return np.zeros(frame.height, dtype=np.uint64)
    h = frame.hash_rows(seed=0x7AB5)
    return h.to_numpy().astype(np.uint64)


def row_keys(frame: pl.DataFrame) -> np.ndarray:
    """One 64-bit key per row: its content hash and its occurrence among identical rows.

    Adding a record to a table adds one key and leaves the multiset of (content, key) pairs of
    the other rows as it was (identical rows may trade occurrence numbers, which changes
    nothing since their content is the same)."""
    h = content_hashes(frame)
    occ = (
        pl.DataFrame({"h": h})
        .select(pl.int_range(pl.len(), dtype=pl.UInt64).over("h"))
        .to_series()
        .to_numpy()
        .astype(np.uint64)
    )
    with np.errstate(over="ignore"):
        return mix64(h + occ * _GOLDEN)


def fit_key(reproducible_seed: int | None, salt: int = 0) -> int:
    """The key of a fit's keyed randomness: 64 bits from the OS's secure source, or derived
    from ``reproducible_seed`` (testing only: the model is then NOT FOR RELEASE)."""
    if reproducible_seed is None:
        return secrets.randbits(64)
    return subkey(int(reproducible_seed), 0x6B6579, salt)


class PoissonBatches:
    """DP-SGD's Poisson sampling: at step t every row joins the batch independently with
    probability ``q``, through a keyed hash of (step, row key).

    With ``groups`` (one key per row: its privacy unit's), the units are sampled instead:
    a unit joins a step's batch with probability ``q``, with all its rows, so the subsampled
    Gaussian's analysis holds for the unit (whose clipped gradients sum to at most k times
    the clipping norm).

    ``steps_per_epoch`` is ``int(1 / q)`` (as Opacus' ``DPDataLoader``); the accountant is
    told exactly ``q`` and the number of steps taken. Batch sizes are Binomial(n, q)."""

    def __init__(
        self, keys: np.ndarray, q: float, key: int, groups: np.ndarray | None = None
    ) -> None:
        if not 0 < q <= 1:
            raise ValueError(f"sampling rate must be in (0, 1], got {q}")
        self.keys = np.asarray(keys, dtype=np.uint64)
        self.groups = self.keys if groups is None else np.asarray(groups, dtype=np.uint64)
        if self.groups.shape != self.keys.shape:
            raise ValueError("one group key per row")
        self.q = float(q)
        self.key = int(key)
        self.steps_per_epoch = max(1, int(1 / self.q))

    def __len__(self) -> int:
        return self.steps_per_epoch

    @property
    def n(self) -> int:
        return int(self.keys.size)

    def batch(self, step: int) -> np.ndarray:
        """Indices of the rows in step ``step``'s batch."""
        return np.flatnonzero(hash_uniform(subkey(self.key, step, 1), self.groups) < self.q)

    def uniforms(self, step: int, idx: np.ndarray, salt: int) -> np.ndarray:
        """Per-row uniforms of step ``step`` for the rows ``idx`` (e.g. their conditional
        vector), keyed like the batch draw but independent of it (``salt``)."""
        return hash_uniform(subkey(self.key, step, 2 + salt), self.keys[idx])
