"""Drafting a schema: categorical columns that are functions of another (a derived draft).

A grade that is the letter of its sub-grade, a region that follows from a state, a label
column beside its code: when every row's value of B follows from its value of A, ``schema
infer`` drafts B as ``derived: {source: A, map: ...}`` (see ``tabsynth.schema.derived``),
with a description asking the steward to keep it only if the function is public knowledge.
Not private: like the rest of the draft, it reads the data (a draft is NOT FOR RELEASE).
"""

from __future__ import annotations

from typing import Any

import polars as pl

#: a source needs this many categories, each seen on this many rows, for a function of it
#: to be more than a coincidence of a few rows
MIN_SOURCE_CATEGORIES = 3
MIN_ROWS_PER_VALUE = 10


def derived_drafts(df: pl.DataFrame, columns: list[dict[str, Any]], target: str | None) -> None:
    """Mark drafted categorical or boolean columns that are functions of an earlier or finer
    categorical column as derived from it (``columns`` edited in place). A source is never
    itself derived, nor is the target."""
    cats = {
        c["name"]: c
        for c in columns
        if c["kind"] == "categorical" and "pii" not in c and not c.get("other")
    }
    sources = [n for n, c in cats.items() if len(c["categories"]) >= MIN_SOURCE_CATEGORIES]
    derived: set[str] = set()
    order = {c["name"]: i for i, c in enumerate(columns)}
    for col in columns:
        b = col["name"]
        if col["kind"] not in ("categorical", "boolean") or "pii" in col or b == target:
            continue
        if col.get("other"):
            continue
        width = len(col["categories"]) if col["kind"] == "categorical" else 2
        for a in sorted(sources, key=lambda s: len(cats[s]["categories"])):
            wider = len(cats[a]["categories"]) > width
            tie = len(cats[a]["categories"]) == width and order[a] < order[b]
            if a == b or a in derived or not (wider or tie):
                continue
            mapping = _function_of(df, a, b, cats[a]["categories"])
            if mapping is not None and (
                col["kind"] == "boolean" or set(mapping.values()) <= set(col["categories"])
            ):
                col["derived"] = {"source": a, "map": mapping}
                col["description"] = (
                    f"DRAFT: review. Every row's {b} follows from its {a} here, so it is drafted "
                    f"as derived from {a} (computed at sampling, never modelled). Keep it only "
                    "if that function is public knowledge; otherwise drop `derived`."
                )
                derived.add(b)
                break
    if derived:  # a derived column is never a source
        for col in columns:
            src = col.get("derived", {}).get("source")
            if src in derived:
                col.pop("derived")


def _function_of(
    df: pl.DataFrame, a: str, b: str, categories: list[str]
) -> dict[str, str | bool] | None:
    """``{value of a: value of b}`` when b is a function of a on every row (both null
    together), each of a's categories seen on enough rows; None otherwise."""
    pair = df.select(pl.col(a).cast(pl.String), pl.col(b))
    if (pair.get_column(a).is_null() != pair.get_column(b).is_null()).any():
        return None
    pair = pair.drop_nulls()
    groups = pair.group_by(a).agg(
        pl.col(b).n_unique().alias("k"), pl.col(b).first().alias("v"), pl.len().alias("n")
    )
    if groups.height != len(categories) or not set(groups.get_column(a)) <= set(categories):
        return None
    fewest = int(groups.get_column("n").min() or 0)  # type: ignore[arg-type]
    if (groups.get_column("k") != 1).any() or fewest < MIN_ROWS_PER_VALUE:
        return None
    vals = groups.get_column("v")
    if vals.dtype != pl.Boolean:
        vals = vals.cast(pl.String)
    return dict(zip(groups.get_column(a).to_list(), vals.to_list(), strict=True))
