"""Rebalancing: each value of one column in a target share, every part drawn from the
model's own conditional distribution given that value."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tabsynth.errors import SamplingError
from tabsynth.sampling.conditions import rebalance_shares
from tabsynth.sampling.protocol import Samplable


def possible_cells(model: Samplable, column: str, cells: list[int]) -> tuple[list[int], np.ndarray]:
    """For "uniform" rebalancing: the cells the model can produce, in equal shares."""
    try:
        probs = list(model.marginal(column).values())
    except SamplingError:
        return cells, np.full(len(cells), 1 / len(cells))
    keep = [c for c in cells if probs[c] > 0]
    if len(keep) < len(cells):
        warnings.warn(
            f"rebalancing {column!r}: {len(cells) - len(keep)} value(s) have "
            "probability 0 in the fitted model (too rare to survive the DP "
            "noise) and are left out",
            UserWarning,
            stacklevel=6,
        )
    if not keep:
        raise SamplingError(f"no value of {column!r} has positive probability")
    return keep, np.full(len(keep), 1 / len(keep))


def rebalanced(
    model: Samplable,
    n: int,
    rng: np.random.Generator,
    cond: dict[str, int],
    rebalance: dict[str, Any],
    enforce: Any = None,
) -> Any:
    """``n`` rows whose rebalanced column takes each value in its share, each part drawn
    conditionally on that value (and on ``cond``), shuffled together. ``enforce(draw, m)``
    (the critic's): each part gets its ``m`` rows through it, so that rows the critic
    rejects are redrawn with the same value and the shares stay as asked."""
    import polars as pl

    if len(rebalance) != 1:
        raise SamplingError("rebalance one column at a time, e.g. {'sex': 'uniform'}")
    ((col, spec),) = rebalance.items()
    if col in cond:
        raise SamplingError(
            f"column {col!r} is both conditioned on and rebalanced. Fix: use one or the other."
        )
    cells, shares = rebalance_shares(model.schema, col, spec)
    if spec == "uniform":
        cells, shares = possible_cells(model, col, cells)
    counts = rng.multinomial(n, shares)

    def part(where: dict[str, int], m: int) -> Any:
        if enforce is None:
            return model._sample(m, rng, where=where)
        return enforce(lambda k: model._sample(k, rng, where=where), m)

    parts = [
        part({**cond, col: cell}, int(c)) for cell, c in zip(cells, counts, strict=True) if c > 0
    ]
    if not parts:
        return model._sample(0, rng)
    out = pl.concat(parts, how="vertical_relaxed")
    return out[rng.permutation(out.height).tolist()] if out.height else out
