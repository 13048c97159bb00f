"""Validate a table against its schema and map every value into the public domain.

All problems are collected and raised once. Values outside the domain are clipped (numbers,
dates) or sent to the "other" bucket (categories) and counted; they never widen the domain.
The counts are diagnostics for the data steward, computed exactly from the private data:
they are not differentially private and are labelled so wherever they are shown.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from tabsynth.errors import DataValidationError, Problem, mask_value
from tabsynth.schema.model import Schema

TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0"}


@dataclass
class DomainReport:
    """Exact (non-DP) counts of what was changed to fit the public domain, per column."""

    rows: int
    clipped: dict[str, int] = field(default_factory=dict)
    to_other: dict[str, int] = field(default_factory=dict)
    nan_as_null: dict[str, int] = field(default_factory=dict)
    rounded: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, labelled as exact diagnostics."""
        return {
            "note": "exact counts from the private data, for the steward only (not DP)",
            "rows": self.rows,
            "clipped_to_bounds": {k: v for k, v in self.clipped.items() if v},
            "mapped_to_other": {k: v for k, v in self.to_other.items() if v},
            "nan_treated_as_null": {k: v for k, v in self.nan_as_null.items() if v},
            "rounded_to_integer": {k: v for k, v in self.rounded.items() if v},
        }


def _examples(values: pl.Series, k: int = 5) -> str:
    """Up to ``k`` distinct shapes of the values (masked: see ``mask_value``)."""
    vals = values.drop_nulls().unique(maintain_order=True).head(50).to_list()
    shapes = list(dict.fromkeys(mask_value(str(v)) for v in vals))[:k]
    return ", ".join(repr(s) for s in shapes) + " (shapes: letters x/X, digits 9)"


def _categorical(s: pl.Series, col: Any, rep: DomainReport, probs: list[Problem]) -> pl.Series:
    s = s.cast(pl.String) if s.dtype != pl.String else s
    if s.dtype == pl.Boolean:
        s = s.cast(pl.String)
    known = set(col.categories)
    unknown_mask = s.is_not_null() & ~s.is_in(list(known))
    n_unknown = int(unknown_mask.sum())
    if n_unknown:
        if col.other is not None:
            s = pl.select(pl.when(unknown_mask).then(pl.lit(col.other)).otherwise(s)).to_series()
            rep.to_other[col.name] = n_unknown
        else:
            probs.append(
                Problem(
                    f"column {col.name!r}",
                    f"{n_unknown} value(s) outside the declared categories, e.g. "
                    f"{_examples(s.filter(unknown_mask))}",
                    "add them to `categories` if they are public, or set `other: Other` to pool "
                    "unknown values",
                )
            )
    return s.alias(col.name)


def _boolean(s: pl.Series, col: Any, probs: list[Problem]) -> pl.Series:
    if s.dtype == pl.Boolean:
        return s.alias(col.name)
    text = s.cast(pl.String).str.strip_chars().str.to_lowercase()
    out = pl.select(
        pl.when(text.is_in(list(TRUE_WORDS)))
        .then(True)
        .when(text.is_in(list(FALSE_WORDS)))
        .then(False)
        .otherwise(None)
    ).to_series()
    bad = out.is_null() & s.is_not_null()
    if bad.any():
        probs.append(
            Problem(
                f"column {col.name!r}",
                f"{int(bad.sum())} value(s) are not true/false, e.g. {_examples(s.filter(bad))}",
                "use true/false, yes/no or 1/0, or declare the column categorical",
            )
        )
    return out.alias(col.name)


def _numeric_cast(s: pl.Series, col: Any, probs: list[Problem]) -> pl.Series:
    if s.dtype == pl.Boolean:
        return s.cast(pl.Float64)
    if s.dtype.is_numeric():
        return s.cast(pl.Float64)
    out = s.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    bad = out.is_null() & s.is_not_null()
    if bad.any():
        probs.append(
            Problem(
                f"column {col.name!r}",
                f"{int(bad.sum())} value(s) are not numbers, e.g. {_examples(s.filter(bad))}",
                "clean the column, or declare it categorical or text",
            )
        )
    return out


def _numerical(s: pl.Series, col: Any, rep: DomainReport, probs: list[Problem]) -> pl.Series:
    x = _numeric_cast(s, col, probs)
    nan = x.is_nan().fill_null(False)
    if nan.any():
        rep.nan_as_null[col.name] = int(nan.sum())
        x = pl.select(pl.when(nan).then(None).otherwise(x)).to_series()
    out_of = ((x < col.lower) | (x > col.upper)).fill_null(False)
    rep.clipped[col.name] = int(out_of.sum())
    x = x.clip(col.lower, col.upper)
    if col.integer:
        r = x.round(0)
        rep.rounded[col.name] = int(((r - x).abs() > 0).fill_null(False).sum())
        x = r
    return x.alias(col.name)


_DAYS_SINCE = re.compile(r"(days|seconds) since (\d{4}-\d{2}-\d{2})")


def day_numbers(s: pl.Series, fmt: str | None) -> pl.Series | None:
    """A numeric column of day numbers as datetimes, when its format says ``days since
    YYYY-MM-DD`` (a spreadsheet serial, a SAS date) or ``seconds since YYYY-MM-DD`` (a SAS
    datetime); None for any other column."""
    m = _DAYS_SINCE.fullmatch(fmt.strip()) if fmt else None
    if m is None or not s.dtype.is_numeric():
        return None
    epoch = dt.datetime.fromisoformat(m.group(2))
    days = (s.cast(pl.Float64) / (86_400 if m.group(1) == "seconds" else 1)).round(0)
    days = days.cast(pl.Int64)
    return pl.select(
        (pl.lit(epoch, dtype=pl.Datetime("us")) + pl.duration(days=pl.lit(days))).alias(s.name)
    ).to_series()


def _datetime(s: pl.Series, col: Any, rep: DomainReport, probs: list[Problem]) -> pl.Series:
    from_days = day_numbers(s, col.format)
    if from_days is not None:
        x = from_days
    elif s.dtype == pl.Date:
        x = s.cast(pl.Datetime("us"))
    elif isinstance(s.dtype, pl.Datetime):
        x = s.dt.replace_time_zone(None) if s.dtype.time_zone else s  # type: ignore[attr-defined]
        x = x.cast(pl.Datetime("us"))
    else:
        text = s.cast(pl.String).str.strip_chars()
        x = text.str.to_datetime(format=col.format, strict=False, time_unit="us")
        bad = x.is_null() & s.is_not_null()
        if bad.any():
            probs.append(
                Problem(
                    f"column {col.name!r}",
                    f"{int(bad.sum())} value(s) are not dates, e.g. {_examples(s.filter(bad))}",
                    "set `format` (e.g. '%Y-%m-%d') or clean the column",
                )
            )
    lo = col.lower.replace(tzinfo=None) if isinstance(col.lower, dt.datetime) else col.lower
    hi = col.upper.replace(tzinfo=None) if isinstance(col.upper, dt.datetime) else col.upper
    out_of = ((x < lo) | (x > hi)).fill_null(False)
    rep.clipped[col.name] = int(out_of.sum())
    x = x.clip(lo, hi)
    return x.alias(col.name)


def _column_set_problems(df: pl.DataFrame, schema: Schema, wanted: list[str]) -> list[Problem]:
    """Columns the schema declares that the data lacks, and the other way round."""
    probs = []
    missing = [n for n in wanted if n not in df.columns]
    extra = [n for n in df.columns if n not in schema.names]
    for name in missing:
        probs.append(
            Problem(
                f"column {name!r}",
                "declared in the schema but not in the data",
                "add the column, or remove it from the schema",
            )
        )
    for name in extra:
        probs.append(
            Problem(
                f"column {name!r}",
                "in the data but not in the schema",
                "declare it in the schema (kind: identifier or text if it should "
                "not be modelled), or drop it before fitting",
            )
        )
    return probs


def _conform_column(s: pl.Series, col: Any, rep: DomainReport, probs: list[Problem]) -> pl.Series:
    """One column mapped into its public domain (problems appended to ``probs``)."""
    if s.dtype == pl.Null:
        s = s.cast(pl.String)
    if col.missing and s.dtype == pl.String:
        s = pl.select(
            pl.when(s.str.strip_chars().is_in(col.missing)).then(None).otherwise(s).alias(s.name)
        ).to_series()
    if col.kind == "categorical":
        return _categorical(s, col, rep, probs)
    if col.kind == "boolean":
        return _boolean(s, col, probs)
    if col.kind == "numerical":
        return _numerical(s, col, rep, probs)
    if col.kind == "datetime":
        return _datetime(s, col, rep, probs)
    return s.cast(pl.String)


def conform(
    df: pl.DataFrame,
    schema: Schema,
    *,
    modelled_only: bool = False,
    columns: list[str] | None = None,
) -> tuple[pl.DataFrame, DomainReport]:
    """Check ``df`` against ``schema`` and map it into the public domain.

    Args:
        df: the private table.
        schema: its public schema.
        modelled_only: check and return the modelled columns only (evaluation of a release
            whose PII columns were dropped, faked or hashed).
        columns: check and return only these columns (a streaming pass that needs a few).

    Returns:
        The table with exactly the schema's columns (derived ones left out), in schema order
        and canonical types (String, Boolean, Float64, Datetime), and the report of what was
        clipped or remapped.

    Raises:
        DataValidationError: listing every problem (missing or extra columns, values of the
            wrong type, nulls in non-nullable columns, unknown categories without "other").
    """
    probs: list[Problem] = []
    if df.height == 0:
        raise DataValidationError(
            [Problem("table", "it has no rows", "pass a table with at least one row")]
        )
    wanted = [  # derived columns are computed at sampling: never required, never read
        c.name
        for c in schema.columns
        if (c.modelled or not modelled_only or (columns is not None and c.name in columns))
        and (columns is None or c.name in columns)
        and c.derived is None
    ]
    probs += _column_set_problems(df, schema, wanted)
    rep = DomainReport(rows=df.height)
    out: list[pl.Series] = []
    for col in schema.columns:
        if col.name not in wanted or col.name not in df.columns:
            continue
        s = _conform_column(df.get_column(col.name), col, rep, probs)
        n_null = s.null_count()
        if n_null and not col.nullable and col.modelled:
            what = "every value is null" if n_null == df.height else f"{n_null} null value(s)"
            probs.append(
                Problem(
                    f"column {col.name!r}",
                    what,
                    "set `nullable: true` in the schema, or fill the nulls",
                )
            )
        out.append(s)
    if probs:
        raise DataValidationError(probs)
    return pl.DataFrame(out), rep
