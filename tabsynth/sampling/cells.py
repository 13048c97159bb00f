"""Drawing rows with given cell combinations of a few columns, exactly from a model's own
conditional distribution, and the model's joint distribution of those columns: what fair
sampling and the rare scenario are built on (post-processing of the fitted model)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from tabsynth.errors import SamplingError

#: rows drawn to estimate a joint the model does not give in closed form
REFERENCE_ROWS = 200_000
MAX_ROUNDS = 30
MAX_BATCH = 2_000_000


def cell_codes(model: Any, frame: pl.DataFrame, columns: list[str]) -> np.ndarray:
    """(rows, columns) cell indices of ``frame`` in the model's public cells."""
    if not columns:
        return np.zeros((frame.height, 0), dtype=np.int64)
    return np.stack(
        [model._cell_domain(c).encode(frame.get_column(c))[0] for c in columns], axis=1
    ).astype(np.int64)


def joint_probs(model: Any, columns: list[str], rng: np.random.Generator) -> np.ndarray:
    """The model's joint pmf of ``columns`` over their cells: exact where the model gives it
    (the copula's strata), otherwise the shares of ``REFERENCE_ROWS`` rows drawn from it."""
    exact = model._joint(columns)
    if exact is not None:
        return np.asarray(exact, dtype=float)
    shape = [model._cell_domain(c).n_cells for c in columns]
    codes = cell_codes(model, model._sample(REFERENCE_ROWS, rng), columns)
    flat = np.ravel_multi_index(tuple(codes.T), shape)
    return np.bincount(flat, minlength=math.prod(shape)).reshape(shape) / REFERENCE_ROWS


def draw_cells(
    model: Any,
    rng: np.random.Generator,
    columns: list[str],
    wanted: dict[tuple[int, ...], int],
    describe: Any = str,
) -> list[pl.DataFrame]:
    """For each cell combination ``key`` of ``columns``, ``wanted[key]`` rows drawn from the
    model's conditional distribution given it.

    Exact conditioning where the model supports all the columns at once; otherwise it
    conditions on the first column and keeps the drawn rows whose other columns match
    (rejection sampling: exact too, it only costs draws). ``describe(key)`` names a
    combination in the error raised when the model almost never produces it.
    """
    if model._can_condition(columns):
        return [
            model._sample(int(c), rng, where=dict(zip(columns, key, strict=True)))
            for key, c in wanted.items()
            if c > 0
        ]
    parts: list[pl.DataFrame] = []
    for head in sorted({key[0] for key in wanted}):
        need = {key[1:]: c for key, c in wanted.items() if key[0] == head and c > 0}
        parts += _rejected(model, rng, columns, head, need, describe)
    return parts


def _rejected(
    model: Any,
    rng: np.random.Generator,
    columns: list[str],
    head: int,
    need: dict[tuple[int, ...], int],
    describe: Any,
) -> list[pl.DataFrame]:
    """Rows conditioned on ``columns[0] = head`` whose other columns match each key."""
    parts: list[pl.DataFrame] = []
    hits = dict.fromkeys(need, 0)
    drawn = 0
    batch = min(MAX_BATCH, 4 * sum(need.values()) + 1_000)
    for _ in range(MAX_ROUNDS):
        if not any(need.values()):
            return parts
        pool = model._sample(batch, rng, where={columns[0]: head})
        codes = cell_codes(model, pool, columns[1:])
        drawn += batch
        for key, left in need.items():
            rows = np.flatnonzero((codes == np.asarray(key)).all(axis=1))
            hits[key] += rows.size
            if left and rows.size:
                take = rows[:left]
                parts.append(pool[take.tolist()])
                need[key] = left - take.size
        rates = [max(hits[k], 1) / drawn for k, left in need.items() if left]
        if rates:
            batch = int(min(MAX_BATCH, 1.2 * max(need.values()) / min(rates) + 1_000))
    short = [k for k, left in need.items() if left]
    if short:
        raise SamplingError(
            f"the model almost never produces {describe((head, *short[0]))} "
            f"({hits[short[0]]} of {drawn} rows drawn): too rare to draw the rows asked for. "
            "Fix: merge rare groups in the schema, or ask for fewer rows."
        )
    return parts


def shuffled(parts: list[pl.DataFrame], rng: np.random.Generator, empty: Any) -> pl.DataFrame:
    """The parts as one frame in random order (``empty()`` when there are none)."""
    if not parts:
        return empty()  # type: ignore[no-any-return]
    out = pl.concat(parts, how="vertical_relaxed")
    return out[rng.permutation(out.height).tolist()] if out.height else out
