"""Atom discovery, shared by the copula and DP-CTGAN: the distinct values of a continuous
column that hold a point mass, released only when their noisy count passes a threshold
computed for the discrete Gaussian actually drawn (a one-record value passes with
probability at most its share of delta)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import polars as pl

from tabsynth.errors import (
    DataValidationError,
)
from tabsynth.privacy.discrete import discrete_gaussian_threshold

ATOM_MECHANISM = "atom discovery (thresholded Gaussian sparse histogram)"


def discover_atoms(
    df: pl.DataFrame,
    cols: list[str],
    schema: Any,
    sigma: float | None,
    tau: float | None,
    max_atoms: int,
    noise: Any,
) -> dict[str, list[float]]:
    """Point masses of the continuous columns ``cols`` of an in-memory table (see
    ``noisy_candidates``)."""
    from tabsynth.engines.stats import atom_values, merged_counts

    part = atom_values(df, 0, schema=schema, cols=cols)
    cands = {
        c: [noisy_candidates(*merged_counts(part, c), sigma, tau, noise, df.height)] for c in cols
    }
    return pick_atoms(cands, max_atoms)


def noisy_candidates(
    vals: np.ndarray,
    counts: np.ndarray,
    sigma: float | None,
    tau: float | None,
    noise: Any,
    n_rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The values whose noisy count passes the threshold, with their noisy counts.

    Atoms are released by a thresholded noisy histogram of distinct-value counts: every
    distinct value's count gets Gaussian noise of std ``sigma``; values whose noisy count
    exceeds ``tau`` become point cells. A value held by a single record passes only with a
    small probability (charged as approximate zCDP by the caller, see ``_plan``). Non-private
    fits (``sigma`` None) keep values held by at least 0.2% of the rows. The distinct values
    may come in several shards (one call each): each value gets its own noise either way.
    """
    if counts.size == 0:
        return vals[:0], np.empty(0)
    if sigma is not None and tau is not None:
        noisy = noise.gaussian_counts(counts, sigma, keys=vals).astype(float)
    else:
        noisy, tau = counts.astype(float), max(5.0, 0.002 * n_rows) - 0.5
    keep = noisy > tau
    return vals[keep], noisy[keep]


def pick_atoms(
    cands: dict[str, list[tuple[np.ndarray, np.ndarray]]], max_atoms: int
) -> dict[str, list[float]]:
    """At most ``max_atoms`` values per column: those with the largest noisy counts (ties
    broken by value, so the shards' order does not matter)."""
    found: dict[str, list[float]] = {}
    for name, parts in cands.items():
        if not parts:
            continue
        vals = np.concatenate([p[0] for p in parts])
        noisy = np.concatenate([p[1] for p in parts])
        keep = np.lexsort((vals, -noisy))[:max_atoms]  # ties: smaller value first
        if keep.size:
            found[name] = sorted(float(v) for v in vals[keep])
    return found


def _too_many_candidates(seen: Counter[str], limit: int) -> DataValidationError:
    """Point-mass discovery would noise more distinct values than ``limit``.

    The refusal names the columns (public) and the limit (public), never a count read from
    the data: the number of distinct values is private."""
    from tabsynth.errors import Problem

    return DataValidationError(
        [
            Problem(
                f"column {name!r}",
                f"point-mass discovery would add one secure noise draw per distinct value, "
                f"and the atom columns together hold more than max_atom_candidates="
                f"{limit:,} distinct values (about 12 microseconds per draw)",
                "declare the column's public point masses (e.g. `atoms: [0]`) and set "
                "`model_options: {discover_atoms: false}`, or raise `max_atom_candidates`",
            )
            for name in sorted(seen)
        ]
    )


def atom_threshold(sigma: float, delta_atoms: float, n_cols: int) -> float:
    """The release threshold: a value held by one record passes (1 + noise > tau) with
    probability at most ``delta_atoms / n_cols`` per column (union bound over the columns).

    The noise is OpenDP's discrete Gaussian, so the threshold comes from its exact tail
    (``tabsynth.privacy.discrete``): the smallest integer k with P[noise >= k] within the
    budget, and tau = k + 1/2, so that 1 + noise > tau exactly when noise >= k."""
    k = discrete_gaussian_threshold(sigma, delta_atoms / n_cols)
    return k + 0.5
