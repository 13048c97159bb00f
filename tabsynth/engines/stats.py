"""Engine-agnostic pieces of a fit: functions of one batch of rows, and their reductions.

Every function here takes one batch (a pandas, polars or Arrow table) plus public or already
released parameters, and returns exact partial sums as numpy arrays. Partial sums of
different batches add up (``combine``) to the statistics of the whole table, so any engine
that can map a function over partitions and bring small results back (polars batches, Dask
partitions, Spark's ``mapInPandas``) computes the same statistics. Noise is added once, by
the model, to the reduced sums: the sensitivity of a sum does not depend on how the rows
were partitioned.

The only randomness in a pass is the jitter of the distributional transform (a uniform
within a category's CDF interval). It is a keyed hash of the row's own values
(``tabsynth.privacy.keyed``), so it depends neither on the partitioning nor on the row's
position: adding a record adds one clipped term to the Gram matrix and changes no other row's
jitter (identical rows share their jitter, which leaves the sum's expectation as it is).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from tabsynth.data.validate import DomainReport, conform
from tabsynth.errors import DataValidationError, Problem
from tabsynth.privacy.keyed import _M1, _M2, content_hashes, hash_uniform, subkey
from tabsynth.schema.model import Schema


# --- rows -------------------------------------------------------------------------------
def as_polars(batch: Any) -> pl.DataFrame:
    """A polars frame from a polars, pandas or Arrow batch."""
    if isinstance(batch, pl.DataFrame):
        return batch
    try:
        import pyarrow as pa

        if isinstance(batch, pa.Table | pa.RecordBatch):
            return pl.DataFrame(pl.from_arrow(batch))
    except ImportError:  # pragma: no cover - pyarrow comes with polars' parquet support
        pass
    return pl.from_pandas(batch)


def prepare(
    batch: Any, schema: Schema, columns: list[str] | None = None
) -> tuple[pl.DataFrame, DomainReport]:
    """One batch generalised (PII policy) and mapped into the public domain (modelled
    columns only, or just ``columns``), as ``fit`` does with a whole table."""
    frame = as_polars(batch)
    if any(c.pii is not None and c.pii.policy.value == "generalize" for c in schema.columns):
        from tabsynth.pii.policies import generalize

        frame = generalize(frame, schema)
    return conform(frame, schema, modelled_only=True, columns=columns)


def modelled_columns(schema: Schema) -> list[str]:
    return [c.name for c in schema.columns if c.modelled]


INDEX_COLUMNS = ("__null_dask_index__", "__index_level_0__")


def check_columns(names: Iterable[str], schema: Schema) -> None:
    """Missing and extra columns of a file, all at once (before any pass over the rows).
    The index columns pandas and Dask add to Parquet files are not data and are ignored."""
    names = [n for n in names if n not in INDEX_COLUMNS]
    probs = [  # derived columns are computed at sampling: never required
        Problem(
            f"column {c.name!r}", "declared in the schema but not in the data", "add the column"
        )
        for c in schema.columns
        if c.name not in names and c.derived is None
    ]
    probs += [
        Problem(
            f"column {n!r}",
            "in the data but not in the schema",
            "declare it in the schema (kind: identifier or text if it should not be "
            "modelled), or drop it before fitting",
        )
        for n in names
        if n not in schema.names
    ]
    if probs:
        raise DataValidationError(probs)


# --- partial statistics -----------------------------------------------------------------
@dataclass
class Partial:
    """Exact partial sums of one or more batches."""

    rows: int = 0
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    # distinct values and their counts, one (values, counts) pair per batch until merged
    values: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    report: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # the privacy unit's kept-row candidates (``tabsynth.privacy.units``), merged as they come
    units: pl.DataFrame | None = None
    unit: tuple[str, int] | None = None  # (unit column, k)


def combine(a: Partial, b: Partial) -> Partial:
    """The partial sums of two disjoint sets of rows."""
    arrays = dict(a.arrays)
    for k, v in b.arrays.items():
        arrays[k] = arrays[k] + v if k in arrays else v
    values = {k: list(pieces) for k, pieces in a.values.items()}
    for k, pieces in b.values.items():
        values.setdefault(k, []).extend(pieces)
    report = {key: dict(per_col) for key, per_col in a.report.items()}
    for key, per_col in b.report.items():
        into = report.setdefault(key, {})
        for col, c in per_col.items():
            into[col] = into.get(col, 0) + c
    probs = _merge_problems(a.problems + b.problems)
    units, unit = a.units, a.unit or b.unit
    if b.units is not None:
        from tabsynth.privacy.units import merge_candidates

        assert unit is not None
        units = b.units if units is None else merge_candidates([units, b.units], *unit)
    return Partial(a.rows + b.rows, arrays, values, report, probs, units, unit)


def merged_counts(part: Partial, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of column ``name`` over every batch, sorted, with their counts."""
    pieces = part.values.get(name, [])
    if not pieces:
        return np.empty(0), np.empty(0, dtype=np.int64)
    if len(pieces) == 1:
        return pieces[0]
    vals = np.concatenate([p[0] for p in pieces])
    uniq, inv = np.unique(vals, return_inverse=True)
    counts = np.bincount(inv, weights=np.concatenate([p[1] for p in pieces]))
    return uniq, counts.astype(np.int64)


def shard_of(x: np.ndarray, n_shards: int) -> np.ndarray:
    """A hash shard of each (float) value: the distinct values of a column are counted one
    shard per pass, so memory holds about 1/n_shards of them."""
    bits = (np.asarray(x, dtype=np.float64) + 0.0).view(np.uint64)  # -0.0 -> 0.0
    with np.errstate(over="ignore"):
        z = (bits ^ (bits >> np.uint64(31))) * _M1
        z = (z ^ (z >> np.uint64(29))) * _M2
        z = z ^ (z >> np.uint64(32))
    return (z % np.uint64(n_shards)).astype(np.int64)


def reduce_partials(parts: Iterable[Partial]) -> Partial:
    out = Partial()
    for p in parts:
        out = combine(out, p)
    return out


def _merge_problems(probs: list[Problem]) -> list[Problem]:
    """One problem per (column, kind of problem): batches repeat the same ones."""
    seen: dict[tuple[str, str], Problem] = {}
    for p in probs:
        kind = p.what.split(" ", 1)[-1] if p.what[:1].isdigit() else p.what
        seen.setdefault((p.where, kind[:40]), p)
    return list(seen.values())


def _report(rep: DomainReport) -> dict[str, dict[str, int]]:
    return {
        "clipped": dict(rep.clipped),
        "to_other": dict(rep.to_other),
        "nan_as_null": dict(rep.nan_as_null),
        "rounded": dict(rep.rounded),
    }


def domain_report(part: Partial) -> DomainReport:
    r = part.report
    return DomainReport(
        rows=part.rows,
        clipped=r.get("clipped", {}),
        to_other=r.get("to_other", {}),
        nan_as_null=r.get("nan_as_null", {}),
        rounded=r.get("rounded", {}),
    )


def apply(
    fn: Callable[[pl.DataFrame, int], Partial],
    batch: Any,
    offset: int,
    schema: Schema,
    columns: list[str] | None = None,
    keep: np.ndarray | None = None,
) -> Partial:
    """Prepare one raw batch (``prepare``) and run ``fn`` on it; validation problems come
    back in the partial (to be reported all at once) instead of stopping the pass.
    ``keep``: the global positions of the rows a privacy unit keeps (the others skipped)."""
    if keep is not None:
        frame = as_polars(batch)
        local = keep[(keep >= offset) & (keep < offset + frame.height)] - offset
        if local.size == 0:
            return Partial()
        batch = frame[local]
    try:
        frame, rep = prepare(batch, schema, columns)
    except DataValidationError as exc:
        return Partial(rows=len(batch), problems=list(exc.problems))
    part = fn(frame, offset)
    part.report = _report(rep)
    return part


def unit_pass(
    frame: pl.DataFrame, offset: int, *, unit: str, k: int, key: int, modelled: list[str]
) -> Partial:
    """Rows, and the candidates for the rows each privacy unit keeps (``privacy/units.py``:
    per unit, its k lowest keyed uniforms of this batch, with their global positions)."""
    from tabsynth.privacy.units import hashed_columns, unit_candidates

    try:
        cols = hashed_columns(frame, unit, modelled)
        cand = unit_candidates(frame.select(cols), unit, k, key, offset)
    except DataValidationError as exc:
        return Partial(rows=frame.height, problems=list(exc.problems))
    return Partial(rows=frame.height, units=cand, unit=(unit, k))


def atom_values(
    frame: pl.DataFrame,
    offset: int,
    *,
    schema: Schema,
    cols: list[str],
    shard: int = 0,
    n_shards: int = 1,
) -> Partial:
    """Rows, and distinct-value counts (values of hash shard ``shard`` only) of the
    continuous columns that may hold point masses (exact: the model releases them only
    through its thresholded noisy histogram)."""
    del offset
    values = {}
    for name in cols:
        x = frame.get_column(name).drop_nulls().to_numpy().astype(float)
        precision = schema.column(name).precision
        x = np.round(x, precision) if precision is not None else x
        if n_shards > 1:
            x = x[shard_of(x, n_shards) == shard]
        vals, counts = np.unique(x, return_counts=True)
        values[name] = [(vals, counts.astype(np.int64))]
    return Partial(rows=frame.height, values=values)


def cell_counts(
    frame: pl.DataFrame,
    offset: int,
    *,
    domains: dict[str, Any],
    strata: list[str],
    others: list[str],
) -> Partial:
    """Rows per stratum, and per-stratum histograms of every other column over its cells."""
    del offset
    k, n_strata = stratum_of(frame, domains, strata)
    arrays = {"strata": np.bincount(k, minlength=n_strata).astype(np.int64)}
    for name in others:
        dom = domains[name]
        c = dom.encode(frame.get_column(name))[0]
        m = dom.n_cells
        arrays[f"hist/{name}"] = (
            np.bincount(k * m + c, minlength=n_strata * m).reshape(n_strata, m).astype(np.int64)
        )
    return Partial(rows=frame.height, arrays=arrays)


def grouped_pair_counts(
    frame: pl.DataFrame,
    offset: int,
    *,
    domains: dict[str, Any],
    groups: dict[str, np.ndarray],
    pairs: list[tuple[str, str]],
) -> Partial:
    """Counts of every pair's 2-way table over grouped cells (``groups``: cell -> group of
    each column), one array ``pair/<i>`` per pair."""
    del offset
    codes = {c: groups[c][domains[c].encode(frame.get_column(c))[0]] for c in groups}
    sizes = {c: int(g.max()) + 1 for c, g in groups.items()}
    arrays = {
        f"pair/{i}": np.bincount(
            codes[a] * sizes[b] + codes[b], minlength=sizes[a] * sizes[b]
        ).astype(np.int64)
        for i, (a, b) in enumerate(pairs)
    }
    return Partial(rows=frame.height, arrays=arrays)


def stratum_of(
    frame: pl.DataFrame, domains: dict[str, Any], strata: list[str]
) -> tuple[np.ndarray, int]:
    idx = np.zeros(frame.height, dtype=np.int64)
    n = 1
    for s in strata:
        dom = domains[s]
        idx = idx * dom.n_cells + dom.encode(frame.get_column(s))[0]
        n *= dom.n_cells
    return idx, n


def clip_rows(z: np.ndarray, max_norm: float) -> np.ndarray:
    """Scale each row of ``z`` to L2 norm at most ``max_norm``."""
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    return z * np.minimum(1.0, max_norm / np.maximum(norms, 1e-300))  # type: ignore[no-any-return]


def normal_scores(
    cells: np.ndarray,
    pos: np.ndarray,
    pmf: np.ndarray,
    order: np.ndarray,
    k: np.ndarray,
    jitter: np.ndarray,
) -> np.ndarray:
    """Normal scores of one column: the distributional transform through its per-stratum
    CDF (cells in ``order``); ``jitter`` places rows without a position inside their cell.

    A row in a cell the (noisy) pmf leaves empty past either end of its support is scored
    as the middle of the outermost cell the pmf holds: at the CDF's end itself its score
    would be about +-6 (36 times a typical square in the Gram matrix), a few such rows
    pulling every correlation of the column towards 0."""
    from scipy.special import ndtri

    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    p_ord = pmf[:, order]
    cum = np.cumsum(p_ord, axis=1)
    cdf_lo = cum - p_ord
    r = rank[cells]
    frac = np.where(np.isnan(pos), jitter, pos)
    u = cdf_lo[k, r] + p_ord[k, r] * frac
    held = p_ord > 1e-9  # a cell of a log-density's far tail (1e-20) holds nothing
    first = np.argmax(held, axis=1)
    last = p_ord.shape[1] - 1 - np.argmax(held[:, ::-1], axis=1)
    rows = np.arange(p_ord.shape[0])
    lo = cdf_lo[rows, first] + p_ord[rows, first] / 2
    hi = cdf_lo[rows, last] + p_ord[rows, last] / 2
    u = np.where(r < first[k], lo[k], np.where(r > last[k], hi[k], u))
    return ndtri(np.clip(u, 1e-9, 1 - 1e-9))  # type: ignore[no-any-return]


def gram_sums(
    frame: pl.DataFrame,
    offset: int,
    *,
    domains: dict[str, Any],
    strata: list[str],
    others: list[str],
    pmfs: list[np.ndarray],
    orders: list[np.ndarray],
    clip_norm: float | None,
    jitter_key: int,
    pooled: bool,
) -> Partial:
    """Per-stratum (or pooled) Gram matrices of the rows' clipped normal-score vectors."""
    k, n_strata = stratum_of(frame, domains, strata)
    n, d = frame.height, len(others)
    rows = content_hashes(frame.select(sorted(domains)))  # the row's values, not its place
    z = np.empty((n, d))
    for j, name in enumerate(others):
        cells, pos = domains[name].encode(frame.get_column(name))
        jit = hash_uniform(subkey(jitter_key, j), rows)  # one key per column
        z[:, j] = normal_scores(cells, pos, pmfs[j], orders[j], k, jit)
    if clip_norm is not None:
        z = clip_rows(z, clip_norm)
    groups = np.zeros(n, dtype=np.int64) if pooled else k
    g = np.zeros((1 if pooled else n_strata, d, d))
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(g.shape[0] + 1))
    zs = z[order]
    for s in range(g.shape[0]):
        if bounds[s + 1] > bounds[s]:
            block = zs[bounds[s] : bounds[s + 1]]
            g[s] = block.T @ block
    return Partial(rows=n, arrays={"gram": g})
