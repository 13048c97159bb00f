"""Draft a schema from data: a drafting aid that is loudly NOT private.

Every bound and category list it writes is read from the private table. The draft is marked
``inferred_from_data: true`` and carries a banner; a ``PrivacyLeakWarning`` is raised; a
steward must review the domains and replace them with public knowledge before a release.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import polars as pl

from tabsynth.errors import PrivacyLeakWarning
from tabsynth.schema.model import MAX_CATEGORIES, Schema

MAX_INFERRED_CATEGORIES = 50
ID_HINTS = ("id", "rownames", "uuid", "key", "index")
BOOL_WORDS = {"true", "false", "yes", "no", "t", "f", "y", "n", "0", "1"}


def _decimals(s: pl.Series, cap: int = 6) -> int | None:
    vals = s.drop_nulls().head(2000).to_list()
    best = 0
    for v in vals:
        if not math.isfinite(v):
            continue
        text = f"{v:.{cap}f}".rstrip("0")
        best = max(best, len(text.split(".")[1]) if "." in text else 0)
    return best if best < cap else None


def _is_identifier(name: str, s: pl.Series, n: int) -> bool:
    lname = name.lower()
    hinted = lname in ID_HINTS or lname.endswith("_id") or lname.endswith("id") and len(lname) <= 4
    return bool(hinted and s.n_unique() >= 0.95 * n)


def _string_column(name: str, s: pl.Series, n: int, nullable: bool) -> dict[str, Any]:
    vals = s.drop_nulls()
    uniq = vals.n_unique()
    if uniq <= MAX_INFERRED_CATEGORIES:
        cats = sorted(str(v) for v in vals.unique().to_list())
        return {
            "name": name,
            "kind": "categorical",
            "categories": cats or ["<empty>"],
            "nullable": nullable,
        }
    mean_len = float(vals.str.len_chars().mean() or 0)  # type: ignore[arg-type]
    if (
        uniq >= 0.95 * max(len(vals), 1)
        and mean_len < 40
        and " " not in "".join(vals.head(50).to_list())
    ):
        return {"name": name, "kind": "identifier", "nullable": nullable}
    if mean_len >= 20 or uniq > MAX_CATEGORIES:
        return {"name": name, "kind": "text", "nullable": nullable}
    top = vals.value_counts(sort=True).head(MAX_INFERRED_CATEGORIES - 1)
    cats = sorted(str(v) for v in top.get_column(name).to_list())
    return {
        "name": name,
        "kind": "categorical",
        "categories": cats,
        "other": "Other",
        "nullable": nullable,
    }


def _numeric_column(name: str, s: pl.Series, nullable: bool) -> dict[str, Any]:
    x = s.cast(pl.Float64).drop_nulls().drop_nans()
    x = x.filter(x.is_finite())
    if len(x) == 0:
        return {"name": name, "kind": "numerical", "lower": 0.0, "upper": 1.0, "nullable": True}
    lo, hi = float(x.min()), float(x.max())  # type: ignore[arg-type]
    if lo == hi:
        lo, hi = lo - 1.0, hi + 1.0
    col: dict[str, Any] = {
        "name": name,
        "kind": "numerical",
        "lower": lo,
        "upper": hi,
        "nullable": nullable or s.cast(pl.Float64).is_nan().any(),
    }
    integer = s.dtype.is_integer() or bool((x.round(0) == x).all())
    if integer:
        col["integer"] = True
    else:
        dec = _decimals(x)
        if dec is not None:
            col["precision"] = dec
        uniq = x.unique()
        if len(uniq) <= 20:
            col["atoms"] = sorted(float(v) for v in uniq.to_list())
    return col


# what a PII column found by the scan gets in a draft: faked where Faker can make the entity
DEFAULT_POLICY = {
    "FREE_TEXT_PII": "drop",
    "DATE_OF_BIRTH": "drop",
    "US_ZIP": "drop",
}


def infer_schema(
    df: pl.DataFrame,
    *,
    name: str = "table",
    target: str | None = None,
    epsilon: float | None = 1.0,
    delta: float = 1e-6,
    pii: dict[str, str] | None = None,
) -> Schema:
    """Draft a schema from ``df``. Not private: see the module docstring.

    Args:
        df: the table.
        name: the schema's name.
        target: the target column, if any.
        epsilon: the budget written into the draft.
        delta: the delta written into the draft.
        pii: ``{column: entity}`` from a PII scan; those columns get a ``pii`` entry and no
            domain (no raw value of theirs goes into the draft).
    """
    warnings.warn(
        "schema inferred from the data: its bounds and categories are NOT private; "
        "review them and replace them with public knowledge before release",
        PrivacyLeakWarning,
        stacklevel=2,
    )
    n = df.height
    columns: list[dict[str, Any]] = []
    for cname in df.columns:
        s = df.get_column(cname)
        nullable = s.null_count() > 0
        if pii and cname in pii:
            entity = pii[cname]
            columns.append(
                {
                    "name": cname,
                    "kind": "text" if entity == "FREE_TEXT_PII" else "identifier",
                    "nullable": nullable,
                    "pii": {"entity": entity, "policy": DEFAULT_POLICY.get(entity, "fake")},
                }
            )
        elif s.dtype == pl.Boolean:
            columns.append({"name": cname, "kind": "boolean", "nullable": nullable})
        elif s.dtype in (pl.Date, pl.Datetime) or isinstance(s.dtype, pl.Datetime):
            lo, hi = s.min(), s.max()
            columns.append(
                {
                    "name": cname,
                    "kind": "datetime",
                    "lower": str(lo),
                    "upper": str(hi),
                    "nullable": nullable,
                    "resolution": "day" if s.dtype == pl.Date else "second",
                }
            )
        elif _is_identifier(cname, s, n):
            columns.append({"name": cname, "kind": "identifier", "nullable": nullable})
        elif s.dtype.is_numeric():
            columns.append(_numeric_column(cname, s, nullable))
        else:
            columns.append(_string_column(cname, s.cast(pl.String), n, nullable))
    return Schema.from_dict(
        {
            "name": name,
            "target": target,
            "epsilon": epsilon,
            "delta": delta,
            "inferred_from_data": True,
            "description": "DRAFT inferred from private data: review every domain before release.",
            "columns": columns,
        }
    )
