"""Canaries built from the schema's public domain: one outlier record, a group of them, or
the one-run audit's many signature canaries (each joining the data by its own coin)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from tabsynth.data import build_domains, conform


def _record(df: pl.DataFrame, schema: Any, pick: Any) -> pl.DataFrame:
    """One record whose every modelled column sits in the cell ``pick(counts, nullable,
    rows)`` chooses from that column's cell counts; other columns copy the first row's, and
    with a privacy unit the record is a new unit."""
    conformed, _ = conform(df, schema, modelled_only=True)
    row: dict[str, Any] = {}
    for dom in build_domains(schema):
        cells, _ = dom.encode(conformed.get_column(dom.name))
        cell = pick(np.bincount(cells, minlength=dom.n_cells), dom.nullable, len(cells))
        pos = np.array([0.5]) if dom.continuous else None
        row[dom.name] = dom.decode(np.array([cell]), pos)[0]
    for col in schema.columns:
        if col.name not in row:
            row[col.name] = df.get_column(col.name)[0] if col.name in df.columns else None
    one = pl.DataFrame([pl.Series(c, [row[c]], dtype=df.schema[c]) for c in df.columns])
    return as_one_unit(one, schema)


def _emptiest(counts: np.ndarray, nullable: bool, rows: int) -> int:
    counts = counts.copy()
    if nullable:
        counts[0] = np.iinfo(np.int64).max  # a null canary is not an outlier
    return int(np.argmin(counts))


def _least_of_the_common(counts: np.ndarray, nullable: bool, rows: int) -> int:
    counts = counts.astype(float)
    if nullable:
        counts[0] = 0
    ok = counts >= 0.05 * rows
    return int(np.argmin(np.where(ok, counts, np.inf))) if ok.any() else int(counts.argmax())


def canary(df: pl.DataFrame, schema: Any) -> pl.DataFrame:
    """One record whose every modelled column sits in that column's emptiest cell."""
    return _record(df, schema, _emptiest)


def group_canary(df: pl.DataFrame, schema: Any, size: int) -> pl.DataFrame:
    """``size`` copies of a record whose every modelled column sits in that column's least
    populated non-null cell among those holding at least 5% of the rows: common enough that
    no threshold drops it, rare enough that the group moves its share by almost ``size``
    rows, so a white-box attack on the released statistics sees what the group adds."""
    return pl.concat([_record(df, schema, _least_of_the_common)] * size)


CANARY_UNIT = "tabsynth-canary-unit"


def as_one_unit(rows: pl.DataFrame, schema: Any) -> pl.DataFrame:
    """With a privacy unit in the schema, the canary rows all belong to one new unit (a
    person no real row belongs to), so the audit tests the person-level claim."""
    unit = schema.privacy_unit
    if unit is None or unit not in rows.columns:
        return rows
    return rows.with_columns(pl.lit(CANARY_UNIT).cast(rows.schema[unit]).alias(unit))


def canary_weights(df: pl.DataFrame, canary_row: pl.DataFrame, schema: Any) -> dict[str, float]:
    """Per column, 1 / (1 + training records in the canary's cell): a cell the data leave
    empty carries the canary's whole signal, a common one almost none."""
    real, _ = conform(df, schema, modelled_only=True)
    can, _ = conform(canary_row, schema, modelled_only=True)
    out = {}
    for dom in build_domains(schema):
        target = dom.encode(can.get_column(dom.name))[0][0]
        count = int(np.count_nonzero(dom.encode(real.get_column(dom.name))[0] == target))
        out[dom.name] = 1.0 / (1.0 + count)
    return out


@dataclass(frozen=True)
class Signature:
    """A canary's own cell: (column, cell) of a discrete column that no other canary
    touches."""

    column: str
    cell: int


def _discrete(schema: Any) -> dict[str, Any]:
    """The modelled columns whose public cells are single values (categories, booleans,
    integer grids): the same cells in every fit, whatever atoms a fit discovers."""
    return {d.name: d for d in build_domains(schema) if not d.continuous}


def signature_canaries(
    df: pl.DataFrame, schema: Any, m: int, rng: np.random.Generator
) -> tuple[pl.DataFrame, list[Signature]]:
    """Up to ``m`` canaries for the one-run white-box audit, one per signature cell. Each
    canary copies the first training row, then takes in every discrete column that
    column's most common cell (the filler, never scored) except in its signature column,
    where it takes its own cell. Signature cells are all distinct, so a released statistic
    of a signature cell moves only with its canary, whichever strata a fit chooses."""
    real, _ = conform(df, schema, modelled_only=True)
    domains = _discrete(schema)
    cands: list[Signature] = []
    filler: dict[str, int] = {}
    for c, dom in domains.items():
        counts = np.bincount(dom.encode(real.get_column(c))[0], minlength=dom.n_cells)
        if dom.nullable:
            counts[0] = -1  # the null cell is neither filler nor signature
        filler[c] = int(np.argmax(counts))
        first = int(dom.nullable)
        cands += [Signature(c, j) for j in range(first, dom.n_cells) if j != filler[c]]
    if len(cands) < 2:
        raise ValueError("the table has too few discrete cells for a one-run audit")
    pick = np.sort(rng.choice(len(cands), size=min(m, len(cands)), replace=False))
    sigs = [cands[i] for i in pick]
    rows = []
    for sig in sigs:
        row = df.row(0, named=True)
        for c, dom in domains.items():
            cell = sig.cell if c == sig.column else filler[c]
            row[c] = dom.decode(np.array([cell]), None)[0]
        rows.append(row)
    return pl.DataFrame(rows, schema=df.schema, orient="row"), sigs
