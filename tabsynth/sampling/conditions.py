"""Conditions and target shares, checked against the schema's public domains: a value
is turned into its cell index, or refused with the values allowed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tabsynth.errors import SamplingError
from tabsynth.schema.model import Schema


def cell_of(schema: Schema, column: str, value: Any) -> int:
    """The cell index of ``value`` in ``column``'s public domain, or a clear error."""
    import polars as pl

    from tabsynth.data.domain import build_domain

    try:
        col = schema.column(column)
    except KeyError:
        raise SamplingError(f"unknown column {column!r}. Fix: use one of {schema.names}") from None
    if col.derived is not None:
        raise SamplingError(
            f"{column!r} is derived from {col.derived.sources()} (schema). Fix: condition on "
            "its source instead"
        )
    if not col.modelled or col.kind not in ("categorical", "boolean", "numerical"):
        raise SamplingError(f"cannot condition on {column!r} (kind {col.kind})")
    dom = build_domain(col)
    if col.kind == "numerical" and dom.intervals:
        raise SamplingError(
            f"{column!r} is continuous: condition on categorical, boolean or "
            "small-range integer columns"
        )
    if col.kind == "categorical":
        ok = str(value) in col.domain
        series = pl.Series([str(value)])
    elif col.kind == "boolean":
        words = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
        b = value if isinstance(value, bool) else words.get(str(value).lower())
        ok = b is not None
        series = pl.Series([bool(b)])
    else:
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = math.nan
        ok = x.is_integer() and col.lower <= x <= col.upper
        series = pl.Series([x])
    if not ok:
        allowed = (
            col.domain
            if col.kind == "categorical"
            else (
                "true/false" if col.kind == "boolean" else f"integers {col.lower:g}..{col.upper:g}"
            )
        )
        raise SamplingError(
            f"{value!r} is outside the domain of {column!r}. Fix: use one of {allowed}"
        )
    return int(dom.encode(series)[0][0])


def conditions(schema: Schema, where: dict[str, Any]) -> dict[str, int]:
    """``{column: value}`` as ``{column: cell index}``, every value checked."""
    return {name: cell_of(schema, name, value) for name, value in where.items()}


def rebalance_shares(schema: Schema, column: str, spec: Any) -> tuple[list[int], np.ndarray]:
    """Cells and target shares for rebalancing ``column`` ("uniform" or {value: share})."""
    col = schema.column(column) if column in schema.names else None
    if col is None or col.kind not in ("categorical", "boolean"):
        raise SamplingError(f"rebalance a categorical or boolean column; {column!r} is not one")
    if spec == "uniform":
        values: list[Any] = list(col.domain) if col.kind == "categorical" else [False, True]
        shares = np.full(len(values), 1 / len(values))
    elif isinstance(spec, dict) and spec:
        values, shares = list(spec), np.asarray(list(spec.values()), dtype=float)
        if (shares < 0).any() or abs(shares.sum() - 1) > 1e-6:
            raise SamplingError(
                f"rebalance shares for {column!r} must be >= 0 and sum to 1, got {dict(spec)}"
            )
    else:
        raise SamplingError(f"rebalance {column!r} with 'uniform' or {{value: share}}")
    return [cell_of(schema, column, v) for v in values], shares
