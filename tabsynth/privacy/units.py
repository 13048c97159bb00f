"""Person-level privacy: bound what one privacy unit (a patient, a customer) contributes.

With ``privacy_unit: patient_id`` and ``max_rows_per_unit: k`` in the schema, a fit keeps at
most k rows of each unit before anything is measured, and every mechanism's sensitivity is k
times its per-row one (by the triangle inequality: k rows move any sum by at most k times
what one row moves it). Which rows a unit keeps is decided by a keyed hash of each row's
content under the fit's secret key, ranked within the unit: it depends on that unit's own
rows alone, so adding or removing a whole unit changes the kept rows of no other unit, and
the neighbouring kept tables differ by at most k rows, all of one unit.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tabsynth.errors import DataValidationError, Problem
from tabsynth.privacy.keyed import hash_uniform, row_keys, subkey

UNIT_SALT = 11


def bound_units(df: pl.DataFrame, unit: str, k: int, key: int) -> pl.DataFrame:
    """``df`` with at most ``k`` rows of each value of ``unit`` (the rest dropped, chosen by a
    keyed hash of the rows' content; the table's order kept)."""
    if unit not in df.columns:
        raise DataValidationError(
            [Problem(f"column {unit!r}", "the privacy unit is missing", "add the column")]
        )
    if df.get_column(unit).null_count():
        raise DataValidationError(
            [
                Problem(
                    f"column {unit!r}",
                    "the privacy unit has null values (a row that belongs to no one)",
                    "fill them with each row's unit, or drop those rows before fitting",
                )
            ]
        )
    u = hash_uniform(subkey(key, UNIT_SALT), row_keys(df)) if df.height else np.zeros(0)
    rank = (
        pl.DataFrame({"unit": df.get_column(unit), "u": u})
        .select(pl.col("u").rank("ordinal").over("unit"))
        .to_series()
    )
    return df.filter(rank <= k)
