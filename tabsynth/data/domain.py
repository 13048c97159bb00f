"""Public cell domains: every modelled column becomes a list of cells built from the schema alone.

A cell is a category, a null state, a point (an atom such as 0, a bound, or one integer), or
an open interval between two edges. Models count records per cell (a histogram whose
sensitivity is one record per column) and map cells back to values. Nothing here looks at
private data, so the cell layout itself costs no privacy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from tabsynth.schema.model import Schema

DEFAULT_BINS = 32
MAX_INTEGER_CELLS = 128
_EPOCH = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class ColumnDomain:
    """The cells of one modelled column, derived from its schema entry only.

    Attributes:
        name: column name.
        kind: "categorical", "boolean", "numerical" or "datetime".
        labels: category labels (categorical/boolean), in schema order.
        edges: sorted edges of the numeric cells (numeric kinds).
        points: which edges are point cells (atoms, bounds, or every integer).
        intervals: whether the open intervals between edges are cells.
        nullable: whether a null cell is the first cell.
        ordered: categories in a natural order (the schema's ``ordered``).
    """

    name: str
    kind: str
    labels: tuple[Any, ...] = ()
    edges: tuple[float, ...] = ()
    points: tuple[bool, ...] = ()
    intervals: bool = True
    nullable: bool = False
    integer: bool = False
    precision: int | None = None
    resolution: str = "day"
    ordered: bool = False

    # --- layout ---------------------------------------------------------------------------
    @property
    def continuous(self) -> bool:
        """Numeric with interval cells (as opposed to a grid of integer points)."""
        return self.is_numeric and self.intervals

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("numerical", "datetime")

    @cached_property
    def _layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lo, hi, is_point) per non-null cell, in increasing order of value."""
        e = np.asarray(self.edges, dtype=float)
        lo: list[float] = []
        hi: list[float] = []
        pt: list[bool] = []
        for i, edge in enumerate(e):
            if self.points[i]:
                lo.append(edge)
                hi.append(edge)
                pt.append(True)
            if self.intervals and i + 1 < len(e):
                lo.append(edge)
                hi.append(float(e[i + 1]))
                pt.append(False)
        return np.array(lo), np.array(hi), np.array(pt, dtype=bool)

    @property
    def n_cells(self) -> int:
        """Number of cells, the null cell included."""
        base = len(self.labels) if not self.is_numeric else len(self._layout[0])
        return base + int(self.nullable)

    def cell_names(self) -> list[str]:
        """Human-readable name of each cell (for reports)."""
        names = ["<null>"] if self.nullable else []
        if not self.is_numeric:
            return names + [str(label) for label in self.labels]
        lo, hi, pt = self._layout
        return names + [
            f"={a:g}" if p else f"({a:g}, {b:g})" for a, b, p in zip(lo, hi, pt, strict=True)
        ]

    # --- values <-> numbers ---------------------------------------------------------------
    def _to_number(self, s: pl.Series) -> np.ndarray:
        if self.kind == "datetime":
            unit = 86_400.0 if self.resolution == "day" else 1.0
            secs = s.cast(pl.Datetime("us")).dt.epoch("us").cast(pl.Float64) / 1e6
            return (secs / unit).to_numpy().astype(float)
        return s.cast(pl.Float64).to_numpy().astype(float)

    def _from_number(self, x: np.ndarray, null: np.ndarray) -> pl.Series:
        if self.kind == "datetime":
            unit = 86_400.0 if self.resolution == "day" else 1.0
            us = np.round(x * unit * 1e6)
            if self.resolution == "day":
                us = np.floor(x) * 86_400e6
            vals = pl.Series(self.name, us.astype(np.int64)).cast(pl.Datetime("us"))
            if self.resolution == "day":
                vals = vals.cast(pl.Date)
        else:
            if self.integer:
                x = np.round(x)
            elif self.precision is not None:
                x = np.round(x, self.precision)
            vals = pl.Series(self.name, x)
            if self.integer:
                vals = vals.cast(pl.Int64)
        if null.any():
            vals = pl.select(pl.when(pl.Series(null)).then(None).otherwise(vals)).to_series()
        return vals.alias(self.name)

    # --- encode / decode ------------------------------------------------------------------
    def encode(self, s: pl.Series) -> tuple[np.ndarray, np.ndarray]:
        """Cell index of each value, and its position in [0, 1) within an interval cell.

        The position is NaN for point, category and null cells (models jitter those).
        Values must already be conformed to the domain (see ``conform``).
        """
        null = s.is_null().to_numpy()
        off = int(self.nullable)
        pos = np.full(len(s), np.nan)
        if not self.is_numeric:
            lookup = {label: i for i, label in enumerate(self.labels)}
            keys = s.cast(pl.String) if self.kind == "categorical" else s
            codes = keys.replace_strict(
                {(str(k) if self.kind == "categorical" else k): v for k, v in lookup.items()},
                default=-1,
                return_dtype=pl.Int32,
            ).to_numpy()
            codes = np.where(null, -1, codes).astype(np.int64) + off
            codes = np.where(null, 0, codes)
            return codes, pos
        x = np.nan_to_num(self._to_number(s), nan=self.edges[0])
        lo, hi, pt = self._layout
        point_vals = lo[pt]
        point_idx = np.flatnonzero(pt)
        cell = np.zeros(len(x), dtype=np.int64)
        is_pt = np.zeros(len(x), dtype=bool)
        if len(point_vals):
            # values are released at the column's precision, so atoms (and bounds such as
            # 0.30000000000000004, which release as 0.3) match at it too
            x_pt, at = x, point_vals
            if self.precision is not None:
                x_pt, at = np.round(x, self.precision), np.round(point_vals, self.precision)
            j = np.clip(np.searchsorted(at, x_pt), 0, len(at) - 1)
            is_pt = at[j] == x_pt
            cell[is_pt] = point_idx[j[is_pt]]
        if self.intervals:
            iv_idx = np.flatnonzero(~pt)
            iv_lo = lo[~pt]
            iv_hi = hi[~pt]
            k = np.clip(np.searchsorted(iv_lo, x, side="right") - 1, 0, len(iv_lo) - 1)
            rest = ~is_pt
            cell[rest] = iv_idx[k[rest]]
            width = iv_hi[k] - iv_lo[k]
            p = np.clip((x - iv_lo[k]) / np.where(width > 0, width, 1.0), 0.0, np.nextafter(1, 0))
            pos = np.where(rest, p, np.nan)
        else:
            # integer grid: every value is a point (non-integers were rounded by conform)
            j = np.clip(np.searchsorted(point_vals, x), 0, len(point_vals) - 1)
            cell = point_idx[j]
        cell = np.where(null, 0, cell + off)
        pos = np.where(null, np.nan, pos)
        return cell.astype(np.int64), pos

    def decode(self, cells: np.ndarray, pos: np.ndarray | None) -> pl.Series:
        """Values for cell indices (and positions within interval cells; None: their left
        edge, which is the value of every point cell)."""
        off = int(self.nullable)
        null = cells < off if self.nullable else np.zeros(len(cells), dtype=bool)
        idx = np.clip(cells - off, 0, None)
        if not self.is_numeric:
            idx = np.minimum(idx, len(self.labels) - 1)
            if self.kind == "boolean":
                series = pl.Series(self.name, idx.astype(bool))
            else:
                series = pl.Series(self.name, list(self.labels), dtype=pl.String).gather(idx)
            if null.any():
                series = pl.select(
                    pl.when(pl.Series(null)).then(None).otherwise(series)
                ).to_series()
            return series.alias(self.name)
        lo, hi, _ = self._layout
        idx = np.minimum(idx, len(lo) - 1)
        x = lo[idx] if pos is None else lo[idx] + np.nan_to_num(pos, nan=0.0) * (hi[idx] - lo[idx])
        if pos is not None and self.intervals and self._step is not None:
            x = self._grid_within(idx, np.nan_to_num(pos, nan=0.0), x, self._step)
        return self._from_number(x, null)

    @property
    def _step(self) -> float | None:
        """The grid values are released on: 1 for integers, 10**-precision, else None."""
        if self.integer:
            return 1.0
        return None if self.precision is None else 10.0 ** (-self.precision)

    def _grid_within(
        self, idx: np.ndarray, pos: np.ndarray, x: np.ndarray, step: float
    ) -> np.ndarray:
        """Values on the release grid (integers, or the column's precision) inside each
        interval cell, spread by ``pos``: rounding a position near an edge would move the
        value into the neighbouring cell, or onto a point cell's value (cells the model
        may give probability 0)."""
        lo, hi, pt = self._layout

        def val(k: np.ndarray) -> np.ndarray:  # the value released for grid index k
            return k if self.integer else np.round(k * step, int(self.precision or 0))

        first = np.ceil(lo / step - 1e-6)
        first += (val(first) < lo).astype(float)
        # that edge value is its own point cell
        first += ((val(first) == lo) & np.isin(lo, lo[pt]) & ~pt).astype(float)
        last = np.floor(hi / step + 1e-6)
        last -= (val(last) >= hi).astype(float)
        last -= (val(last) >= hi).astype(float)
        count = last - first + 1
        iv = ~pt[idx]
        inside = iv & (count[idx] >= 1)
        v = first[idx] + np.minimum(np.floor(pos * count[idx]), count[idx] - 1)
        # a cell narrower than the grid holds no value of its own: its left edge (rounded:
        # the point there, where there is one) rather than a value in the next cell
        return np.where(inside, v * step, np.where(iv, lo[idx], x))


def _numeric_domain(
    col: Any, bins: int, extra_atoms: Sequence[float] = (), extra_edges: Sequence[float] = ()
) -> ColumnDomain:
    if col.kind == "datetime":
        unit = 86_400.0 if col.resolution == "day" else 1.0
        lower = (col.lower.replace(tzinfo=None) - _EPOCH).total_seconds() / unit
        upper = (col.upper.replace(tzinfo=None) - _EPOCH).total_seconds() / unit
        atoms: list[float] = []
        integer = col.resolution == "day"
    else:
        lower, upper, atoms, integer = col.lower, col.upper, list(col.atoms), col.integer
    atoms += [float(a) for a in extra_atoms if lower <= a <= upper]
    n_bins = col.bins if getattr(col, "bins", None) else bins
    span = upper - lower
    if integer and span + 1 <= max(MAX_INTEGER_CELLS, n_bins):
        grid = np.arange(np.ceil(lower), np.floor(upper) + 1)
        return ColumnDomain(
            name=col.name,
            kind=col.kind,
            edges=tuple(grid.tolist()),
            points=(True,) * len(grid),
            intervals=False,
            nullable=col.nullable,
            integer=True,
            resolution=getattr(col, "resolution", "day"),
        )
    edges = set(np.linspace(lower, upper, n_bins + 1).tolist()) | set(atoms)
    edges |= {float(e) for e in extra_edges if lower < e < upper}
    # public atoms, and the bounds (where clipped values pile up), are point cells
    pts = set(atoms) | {lower, upper}
    if lower < 0 < upper:
        edges.add(0.0)
        pts.add(0.0)
    ordered = sorted(edges)
    return ColumnDomain(
        name=col.name,
        kind=col.kind,
        edges=tuple(ordered),
        points=tuple(e in pts for e in ordered),
        intervals=True,
        nullable=col.nullable,
        integer=integer,
        precision=getattr(col, "precision", None),
        resolution=getattr(col, "resolution", "day"),
    )


def build_domain(
    col: Any,
    *,
    bins: int = DEFAULT_BINS,
    extra_atoms: Sequence[float] = (),
    extra_edges: Sequence[float] = (),
) -> ColumnDomain:
    """The cell domain of one schema column.

    ``extra_atoms`` are point masses released by a DP mechanism (see the copula's atom
    discovery); they are added to the schema's public atoms. ``extra_edges`` split interval
    cells where a DP mechanism found the rows (the copula's cell refinement).
    """
    if col.kind == "categorical":
        return ColumnDomain(
            name=col.name,
            kind="categorical",
            labels=tuple(col.domain),
            nullable=col.nullable,
            ordered=col.ordered,
        )
    if col.kind == "boolean":
        return ColumnDomain(
            name=col.name, kind="boolean", labels=(False, True), nullable=col.nullable
        )
    if col.kind in ("numerical", "datetime"):
        return _numeric_domain(col, bins, extra_atoms, extra_edges)
    raise ValueError(f"column {col.name!r} of kind {col.kind} has no cell domain")


def build_domains(
    schema: Schema,
    *,
    bins: int = DEFAULT_BINS,
    extra_atoms: Mapping[str, Sequence[float]] | None = None,
    extra_edges: Mapping[str, Sequence[float]] | None = None,
) -> list[ColumnDomain]:
    """Cell domains of every modelled column, in schema order."""
    extra, more = extra_atoms or {}, extra_edges or {}
    return [
        build_domain(
            c, bins=bins, extra_atoms=extra.get(c.name, ()), extra_edges=more.get(c.name, ())
        )
        for c in schema.modelled_columns
    ]
