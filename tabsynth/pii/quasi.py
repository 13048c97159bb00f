"""Quasi-identifiers: column combinations that single out rows (k-anonymity).

Candidates are columns whose names or scan findings make them classic quasi-identifiers
(age, sex, ZIP, dates of birth, race, marital status, ...), at most ``MAX_CANDIDATES``. For
every combination of two or three of them, the table is grouped (one polars group-by each) and
the share of rows alone in their group is reported with k, the smallest group size, and a
generalisation that would merge groups.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import polars as pl

MAX_CANDIDATES = 8
QI_NAMES = (
    r"age|sex|gender|zip|postal|postcode|dob|birth|race|ethnic|marital|married|nationality|"
    r"county|city|state|region|occupation|job|education"
)
GENERALIZE = {
    "age": "age in 5- or 10-year bands",
    "zip": "ZIP3 (first three digits)",
    "postal": "the first part of the postal code",
    "dob": "year of birth",
    "birth": "year of birth",
    "date": "month or year",
}


def _suggest(columns: tuple[str, ...]) -> str:
    tips = []
    for c in columns:
        low = c.lower()
        for key, tip in GENERALIZE.items():
            if key in low:
                tips.append(f"{c}: {tip}")
                break
    return "; ".join(tips) if tips else "coarsen or drop one of these columns"


def candidates(df: pl.DataFrame, report: Any = None) -> list[str]:
    found = [c for c in df.columns if re.search(QI_NAMES, c.lower())]
    if report is not None:
        for col in report.columns:
            linked = col.entity in ("DATE_OF_BIRTH", "US_ZIP", "POSTAL_CODE") or col.quasi
            if linked and col.column not in found:
                found.append(col.column)
    # columns unique per row are identifiers, not quasi-identifiers
    n = max(df.height, 1)
    return [c for c in found if df.get_column(c).n_unique() < 0.9 * n][:MAX_CANDIDATES]


def _person_dates(df: pl.DataFrame, report: Any) -> list[dict]:
    """One entry per person-linked date the scan found (admission, discharge, death), however
    many rows it singles out: such a date is a quasi-identifier on its own."""
    out = []
    n = max(df.height, 1)
    for col in report.columns if report is not None else ():
        if col.quasi != "PERSON_LINKED_DATE" or col.column not in df.columns:
            continue
        sizes = df.group_by(col.column).len().get_column("len")
        out.append(
            {
                "columns": [col.column],
                "unique_rows": int((sizes == 1).sum()),
                "unique_share": int((sizes == 1).sum()) / n,
                "k": int(sizes.min()),  # type: ignore[arg-type]
                "suggestion": f"{col.column}: a person-linked date; generalize to the year "
                "(or 5-year bands)",
            }
        )
    return out


def quasi_identifiers(df: pl.DataFrame, report: Any = None, min_share: float = 0.01) -> list[dict]:
    """Person-linked dates, and combinations of 2-3 candidate columns where at least
    ``min_share`` of rows are unique."""
    cols = candidates(df, report)
    out = _person_dates(df, report)
    n = max(df.height, 1)
    for size in (2, 3):
        for combo in itertools.combinations(cols, size):
            sizes = df.group_by(list(combo)).len().get_column("len")
            unique = int((sizes == 1).sum())
            if unique / n >= min_share:
                out.append(
                    {
                        "columns": list(combo),
                        "unique_rows": unique,
                        "unique_share": unique / n,
                        "k": int(sizes.min()),  # type: ignore[arg-type]
                        "suggestion": _suggest(combo),
                    }
                )
    return sorted(out, key=lambda q: (len(q["columns"]) > 1, -q["unique_share"]))
