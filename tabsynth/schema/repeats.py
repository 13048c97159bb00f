"""Drafting a schema: is a table several rows per person without saying whose rows they are?

A panel (yearly waves, visits) without a person column repeats each person's time-invariant
columns (income band, schooling, sex) on all of that person's rows. ``person_columns`` looks
for such a set: greedily, the columns that keep most rows sharing their combined values with
another row while making the combination finer, and compares that share with what
independent rows would give (the product of the columns' collision probabilities). Only a
share far above chance is reported; a panel whose person-level columns are all coarse is not
found (the warning is a hint for the steward, not a test). Not private: like the rest of the
draft, it reads the data.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

SAMPLE_ROWS = 20_000
MIN_SHARE = 0.5  # of rows sharing the combination with another row
MIN_EXCESS = 20.0  # times the share independent rows would give


def person_columns(
    df: pl.DataFrame, columns: list[dict[str, Any]]
) -> tuple[list[str], float, float] | None:
    """(columns, share of rows that repeat them, share expected by chance), or None."""
    kinds = {c["name"]: c["kind"] for c in columns if "pii" not in c}
    names = [
        n for n, k in kinds.items() if k in ("numerical", "categorical", "boolean", "datetime")
    ]
    if df.height < 50 or len(names) < 2:
        return None
    if df.height > SAMPLE_ROWS:
        df = df.sample(SAMPLE_ROWS, seed=0)
    n = df.height
    cands = [c for c in names if 2 <= df.get_column(c).n_unique() < 0.9 * n]
    collide = {
        c: float((df.get_column(c).value_counts().get_column("count") / n).pow(2).sum())
        for c in cands
    }
    chosen: list[str] = []
    distinct, share = 1, 1.0
    while True:
        best: tuple[float, int, str] | None = None
        for c in cands:
            if c in chosen:
                continue
            combo = df.select(pl.struct([*chosen, c]).alias("t")).get_column("t")
            u = combo.n_unique()
            d = float(combo.is_duplicated().cast(pl.Float64).sum()) / n
            if d < MIN_SHARE or u <= distinct * 1.2:
                continue
            if best is None or (d, u) > best[:2]:
                best = (d, u, c)
        if best is None:
            break
        share, distinct = best[0], best[1]
        chosen.append(best[2])
    if len(chosen) < 2:
        return None
    p = math.prod(collide[c] for c in chosen)
    chance = 1.0 - (1.0 - p) ** (n - 1)
    if share < MIN_EXCESS * chance:
        return None
    return chosen, share, chance


def repeats_warning(df: pl.DataFrame, columns: list[dict[str, Any]]) -> str | None:
    """The draft's warning for rows that look like several per person, or None."""
    found = person_columns(df, columns)
    if found is None:
        return None
    cols, share, chance = found
    shown = ", ".join(cols[:6]) + (f" and {len(cols) - 6} more" if len(cols) > 6 else "")
    return (
        f"{share:.0%} of rows share their values of ({shown}) with another row, where "
        f"independent rows would give about {chance:.1%}: several rows may belong to one "
        "person. Fix: add the person's identifier column and declare it as privacy_unit "
        "(with max_rows_per_unit), or the guarantee protects each row, and a person with k "
        "rows only at about k x epsilon"
    )
