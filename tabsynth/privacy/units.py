"""Person-level privacy: bound what one privacy unit (a patient, a customer) contributes.

With ``privacy_unit: patient_id`` and ``max_rows_per_unit: k`` in the schema, a fit keeps at
most k rows of each unit before anything is measured, and every mechanism's sensitivity is k
times its per-row one (by the triangle inequality: k rows move any sum by at most k times
what one row moves it).

Which rows a unit keeps: each row gets a uniform from a keyed hash of its content (the unit
and the modelled columns, under the fit's secret key), and a unit keeps its k rows of lowest
uniform, ties (identical rows) going to the earlier row. The choice depends on the unit's own
rows alone: adding or removing a whole unit changes no other unit's kept rows (identical
rows may trade places, which changes nothing since their content is the same), so the kept
tables of neighbouring datasets differ by at most k rows, all of one unit.

The same rule runs on one batch at a time (``unit_candidates``): a batch proposes the k
lowest (uniform, position) pairs of each unit it holds, proposals from different batches are
merged by keeping the k lowest again (``merge_candidates``), and what survives is the set of
kept row positions (``kept_positions``). A unit whose rows sit in several batches or Dask
partitions is therefore bounded exactly as in memory; the streamed and Dask fits make this
their first pass and hold the kept positions (8 bytes per kept row, one array) for the later
passes, which skip every other row.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tabsynth.errors import DataValidationError, Problem
from tabsynth.privacy.keyed import content_hashes, hash_uniform, subkey

UNIT_SALT = 11
_U, _POS = "__tabsynth_u", "__tabsynth_pos"


def unit_problems(frame: pl.DataFrame, unit: str) -> list[Problem]:
    """What keeps ``frame``'s privacy unit column from bounding contributions."""
    if unit not in frame.columns:
        return [Problem(f"column {unit!r}", "the privacy unit is missing", "add the column")]
    if frame.get_column(unit).null_count():
        return [
            Problem(
                f"column {unit!r}",
                "the privacy unit has null values (a row that belongs to no one)",
                "fill them with each row's unit, or drop those rows before fitting",
            )
        ]
    return []


def unit_candidates(frame: pl.DataFrame, unit: str, k: int, key: int, offset: int) -> pl.DataFrame:
    """The rows of one batch that may be kept: per unit, the ``k`` lowest (keyed uniform of
    the row's content, global position) pairs. ``frame`` holds the columns the uniform hashes
    (the unit's and the modelled ones, conformed); ``offset`` is its first row's position."""
    problems = unit_problems(frame, unit)
    if problems:
        raise DataValidationError(problems)
    u = hash_uniform(subkey(key, UNIT_SALT), content_hashes(frame))
    pos = np.arange(offset, offset + frame.height, dtype=np.int64)
    cand = pl.DataFrame({unit: frame.get_column(unit), _U: u, _POS: pos})
    return _lowest(cand, unit, k)


def merge_candidates(parts: list[pl.DataFrame], unit: str, k: int) -> pl.DataFrame:
    """Candidates of disjoint batches merged: the ``k`` lowest of each unit again."""
    return _lowest(pl.concat(parts, how="vertical"), unit, k)


def _lowest(cand: pl.DataFrame, unit: str, k: int) -> pl.DataFrame:
    order = pl.struct(_U, _POS).rank("ordinal").over(unit)
    return cand.filter(order <= k)


def kept_positions(cand: pl.DataFrame) -> np.ndarray:
    """The global positions of the kept rows, sorted."""
    return np.sort(cand.get_column(_POS).to_numpy().astype(np.int64))


def hashed_columns(frame: pl.DataFrame, unit: str, modelled: list[str]) -> list[str]:
    """The columns the keyed uniform reads, in the frame's order: the unit and the modelled
    columns (what a streamed batch holds, so every engine hashes the same content)."""
    return [c for c in frame.columns if c == unit or c in modelled]


def bound_units(
    df: pl.DataFrame, unit: str, k: int, key: int, modelled: list[str] | None = None
) -> pl.DataFrame:
    """``df`` with at most ``k`` rows of each value of ``unit`` (the rest dropped, chosen as
    the module docstring says; the table's order kept). ``modelled``: the columns hashed
    besides the unit (default: all of them)."""
    cols = hashed_columns(df, unit, modelled if modelled is not None else df.columns)
    if unit not in df.columns:
        raise DataValidationError(unit_problems(df, unit))
    if df.height == 0:
        return df
    keep = kept_positions(unit_candidates(df.select(cols), unit, k, key, 0))
    return df[keep]
