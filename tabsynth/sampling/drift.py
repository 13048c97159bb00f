"""Drift: numbers shifted by a constant (clipped to the schema's bounds) and one category
given a new share while the others keep their ratios; all post-processing."""

from __future__ import annotations

from typing import Any

from tabsynth.errors import SamplingError
from tabsynth.sampling.protocol import Samplable
from tabsynth.schema.model import Schema


def parse_drift(
    schema: Schema, specs: list[str]
) -> tuple[dict[str, float], tuple[str, str, float] | None]:
    """``["age+5", "x-2", "insurance=no:0.4"]`` as numeric shifts and one category share."""
    import re

    shifts: dict[str, float] = {}
    share: tuple[str, str, float] | None = None
    for spec in specs:
        m = re.fullmatch(r"\s*([^=+\-]+?)\s*([+-])\s*([0-9.eE+-]+)\s*", spec)
        c = re.fullmatch(r"\s*([^=]+?)\s*=\s*(.+):\s*([0-9.eE+-]+)\s*", spec)
        if m and m.group(1) in schema.names and schema.column(m.group(1)).kind == "numerical":
            shifts[m.group(1)] = float(m.group(3)) * (1 if m.group(2) == "+" else -1)
        elif c and c.group(1) in schema.names and share is None:
            value = float(c.group(3))
            if not 0 <= value <= 1:
                raise SamplingError(f"drift share in {spec!r} must be in [0, 1]")
            share = (c.group(1), c.group(2).strip(), value)
        else:
            raise SamplingError(
                f"cannot read drift {spec!r}. Fix: 'NUMCOL+5', 'NUMCOL-2' or "
                "'CATCOL=value:0.4' (one category drift at a time)"
            )
    return shifts, share


def apply_shifts(schema: Schema, out: Any, shifts: dict[str, float]) -> Any:
    """Numbers moved by ``shifts`` and clipped to the schema's bounds (post-processing)."""
    import polars as pl

    for name, delta in shifts.items():
        col = schema.column(name)
        expr = (pl.col(name) + delta).clip(col.lower, col.upper)
        if col.integer:
            expr = expr.round(0).cast(pl.Int64)
        out = out.with_columns(expr.alias(name))
    return out


def drift_shares(model: Samplable, column: str, value: str, share: float) -> dict[str, Any]:
    """Shares for a column whose ``value`` moves to ``share``; the rest keep their ratios."""
    base = {k: v for k, v in model.marginal(column).items() if k != "<null>"}
    key = next((k for k in base if str(k) == value), None)
    if key is None:
        raise SamplingError(f"{value!r} is outside the domain of {column!r}")
    rest = sum(v for k, v in base.items() if k != key)
    out = {
        k: (share if k == key else (1 - share) * v / rest if rest > 0 else 0.0)
        for k, v in base.items()
    }
    return {column: out}
