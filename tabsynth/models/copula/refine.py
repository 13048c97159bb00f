"""Cell refinement: interval cells split where a DP measurement found the rows.

The schema's bounds are public and often far wider than the data (incomes bounded at
3,000,000 whose 99th percentile is 300,000; years bounded at 1000-3000): equal-width cells
over them put most rows in two or three cells, inside which the copula can only draw values
at random. That costs column shapes (the sample is flat inside the cell) and correlations
(a score jittered inside a wide cell carries little of the latent, and its correlation is
shrunk the more for it). Refinement measures one pooled histogram of every interval column
over its schema cells (the Gaussian mechanism, sensitivity sqrt(columns)) and splits each
cell into equal-width parts in proportion to its noisy count, so that a part expects about
``max(rows / bins, 3 sigma)`` rows. The split is post-processing of that noisy histogram;
the new edges are released with the model like the atoms.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tabsynth.data.domain import ColumnDomain, build_domain

if TYPE_CHECKING:
    from tabsynth.schema import Schema

REFINE_MECHANISM = "pooled histograms of interval columns (refines their cells)"


def refine_columns(domains: dict[str, ColumnDomain], others: list[str]) -> list[str]:
    """The columns refined: the non-strata ones with interval cells (public: the schema)."""
    return [c for c in others if domains[c].continuous]


def split_edges(
    dom: ColumnDomain,
    noisy: np.ndarray,
    sigma: float | None,
    bins: int,
    max_split: int,
    min_split: int = 2,
) -> list[float]:
    """Edges that split ``dom``'s interval cells by their noisy counts ``noisy`` (one per
    cell, the null cell included; ``sigma`` their noise sd, None when exact); a cell is
    split only into ``min_split`` parts or more."""
    lo, hi, pt = dom._layout
    counts = np.maximum(np.asarray(noisy, dtype=float)[int(dom.nullable) :], 0.0)
    total = float(counts.sum())
    unit = max(total / bins, 3.0 * (sigma or 0.0), 1.0)
    step = _grid_step(dom)
    out: list[float] = []
    for a, b, c, is_point in zip(lo, hi, counts, pt, strict=True):
        parts = min(int(c // unit), max_split)
        if is_point or parts < max(min_split, 2):
            continue
        if step is not None:  # a part holds at least one value of the column's grid
            parts = min(parts, int((b - a) // step))
            if parts < 2:
                continue
        cuts = a + (b - a) * np.arange(1, parts) / parts
        if step is not None:  # between two grid values, so no value sits on an edge
            cuts = np.floor(cuts / step) * step + step / 2
        out.extend(float(x) for x in np.unique(cuts) if a < x < b)
    return out


def _grid_step(dom: ColumnDomain) -> float | None:
    """The spacing of the values a column can hold (integers, fixed decimals), if any."""
    if dom.integer:
        return 1.0
    if dom.precision is not None:
        return math.pow(10.0, -dom.precision)
    return None


def zero_edges(schema: Schema, bins: int, splits: int) -> dict[str, list[float]]:
    """Edges that split the first cell ``[0, w]`` of every interval column bounded below
    at 0 at ``w / 2**k`` (k = 1..``splits``), between two values of the column's grid
    and at least one grid value from 0 (the copula's ``zero_splits``). From the schema
    alone (public): a column whose rows do not reach near 0 leaves the new cells empty,
    and the fit drops them (``margins._empty_prefix``)."""
    out: dict[str, list[float]] = {}
    if splits <= 0:
        return out
    for col in schema.modelled_columns:
        if col.kind != "numerical" or col.lower != 0 or not col.upper > 0:
            continue
        dom = build_domain(col, bins=bins)
        if not dom.intervals:
            continue
        width = col.upper / (col.bins or bins)
        cuts = width * np.power(2.0, -np.arange(1, splits + 1))
        step = _grid_step(dom)
        if step is not None:  # between two grid values, past the first one
            cuts = np.floor(cuts / step) * step + step / 2
            cuts = cuts[cuts > step]
        edges = sorted({float(x) for x in cuts if 0 < x < width})
        if edges:
            out[col.name] = edges
    return out


def zero_cells(dom: ColumnDomain, edges: list[float]) -> np.ndarray:
    """The interval cells (indices, the null cell counted) that ``edges`` (``zero_edges``)
    split the first cell of ``dom`` into: from 0 to the next edge past them."""
    lo, hi, pt = dom._layout
    if not edges:
        return np.zeros(0, dtype=int)
    past = [e for e in dom.edges if e > max(edges)]
    end = min(past) if past else math.inf
    inside = ~pt & (lo >= 0) & (hi <= end)
    return np.flatnonzero(inside) + int(dom.nullable)
