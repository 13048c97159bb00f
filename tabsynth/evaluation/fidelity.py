"""Fidelity: how closely a synthetic table matches the real one, column by column, in pairs
and in triples, on the schema's public cells. These read the real data: diagnostics for the
steward and the release report (not DP), never inputs to a model.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import polars as pl

from tabsynth.data import build_domains, conform, to_polars
from tabsynth.data.domain import ColumnDomain
from tabsynth.schema.derived import scored_schema
from tabsynth.schema.model import Schema


def _frame(df: Any, schema: Schema) -> pl.DataFrame:
    frame, _ = to_polars(df)
    frame, _ = conform(
        frame.select([c for c in schema.names if c in frame.columns]), schema, modelled_only=True
    )
    return frame


def _tvd(a: np.ndarray, b: np.ndarray, size: int) -> float:
    pa = np.bincount(a, minlength=size) / max(a.size, 1)
    pb = np.bincount(b, minlength=size) / max(b.size, 1)
    return float(0.5 * np.abs(pa - pb).sum())


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import ks_2samp

    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size == 0 or b.size == 0:
        return 0.0 if a.size == b.size else 1.0
    return float(ks_2samp(a, b).statistic)


def _pair(
    dom_a: ColumnDomain, dom_b: ColumnDomain, r: dict[str, Any], s: dict[str, Any]
) -> tuple[str, float]:
    if dom_a.is_numeric and dom_b.is_numeric:
        ra = _corr(r["num"][dom_a.name], r["num"][dom_b.name])
        sa = _corr(s["num"][dom_a.name], s["num"][dom_b.name])
        return "correlation", 1 - abs(ra - sa) / 2
    ma, mb = dom_a.n_cells, dom_b.n_cells
    ca, cb = r["cells"][dom_a.name], r["cells"][dom_b.name]
    da, db = s["cells"][dom_a.name], s["cells"][dom_b.name]
    return "contingency", 1 - _tvd(ca * mb + cb, da * mb + db, ma * mb)


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return 0.0
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def _prepare(df: Any, schema: Schema, doms: list[ColumnDomain]) -> dict[str, Any]:
    frame = _frame(df, schema)
    out: dict[str, Any] = {"cells": {}, "num": {}, "rows": frame.height, "frame": frame}
    for dom in doms:
        s = frame.get_column(dom.name)
        out["cells"][dom.name] = dom.encode(s)[0]
        if dom.is_numeric:
            out["num"][dom.name] = dom._to_number(s)  # noqa: SLF001 - same package
    return out


def fidelity(
    real: Any, synthetic: Any, schema: Schema, *, max_triples: int = 60, seed: int = 0
) -> dict[str, Any]:
    """Column shapes, pair trends, 3-way marginals, coverage and diversity.

    Column shapes use SDMetrics' definitions (1 - Kolmogorov-Smirnov statistic for numbers,
    1 - total variation distance for categories), except that a missing category value counts
    as one more category (SDMetrics drops it, so a model that invents or loses missing values
    is not penalised there); pair trends compare Pearson correlations
    (number pairs) or contingency tables over the schema's cells (other pairs).
    """
    schema = scored_schema(schema, real, synthetic)
    doms = build_domains(schema)
    r, s = _prepare(real, schema, doms), _prepare(synthetic, schema, doms)
    shapes = {}
    for dom in doms:
        if dom.is_numeric:
            shapes[dom.name] = 1 - _ks(r["num"][dom.name], s["num"][dom.name])
        else:
            shapes[dom.name] = 1 - _tvd(r["cells"][dom.name], s["cells"][dom.name], dom.n_cells)
    pairs = {f"{a.name}|{b.name}": _pair(a, b, r, s)[1] for a, b in combinations(doms, 2)}
    rng = np.random.default_rng(seed)
    triples = list(combinations(range(len(doms)), 3))
    if len(triples) > max_triples:
        triples = [triples[i] for i in rng.choice(len(triples), max_triples, replace=False)]
    tvd3 = []
    for i, j, k in triples:
        a, b, c = doms[i], doms[j], doms[k]
        key_r = (r["cells"][a.name] * b.n_cells + r["cells"][b.name]) * c.n_cells + r["cells"][
            c.name
        ]
        key_s = (s["cells"][a.name] * b.n_cells + s["cells"][b.name]) * c.n_cells + s["cells"][
            c.name
        ]
        _, inv = np.unique(np.concatenate([key_r, key_s]), return_inverse=True)
        tvd3.append(_tvd(inv[: key_r.size], inv[key_r.size :], int(inv.max()) + 1))
    return {
        "quality": sdmetrics_quality(doms, r, s),
        "column_shapes": float(np.mean(list(shapes.values()))) if shapes else 1.0,
        "pair_trends": float(np.mean(list(pairs.values()))) if pairs else 1.0,
        "three_way_tvd": float(np.mean(tvd3)) if tvd3 else 0.0,
        "per_column": shapes,
        "per_pair": pairs,
        "coverage": _coverage(doms, r, s),
        "correlations": _correlations(doms, r, s),
        "marginals": {dom.name: _marginal_table(dom, r, s) for dom in doms},
        "diversity": _diversity(r["frame"], s["frame"]),
        "note": "computed from the real data (not DP)",
    }


# SDMetrics' QualityReport (0.32) counts a pair only where the real data hold a strong
# association: |Pearson r| above 0.5 for two numbers, Cramer's V above 0.3 otherwise.
SDM_CORRELATION_THRESHOLD = 0.5
SDM_ASSOCIATION_THRESHOLD = 0.3


def _sdm_bins(x: np.ndarray) -> np.ndarray:
    """SDMetrics' discretisation: 10 equal-width bins over the table's own range, NaN apart."""
    finite = x[~np.isnan(x)]
    edges = np.histogram_bin_edges(finite if finite.size else np.zeros(1))
    return np.digitize(x, edges)


def _sdm_pair(
    a: ColumnDomain, b: ColumnDomain, r: dict[str, Any], s: dict[str, Any]
) -> float | None:
    """One pair's score as SDMetrics' Column Pair Trends computes it; None when the real
    association is below its threshold (or undefined), so the pair does not count."""
    from scipy.stats.contingency import association

    if a.is_numeric and b.is_numeric:
        rho = _corr(r["num"][a.name], r["num"][b.name])
        if not abs(rho) > SDM_CORRELATION_THRESHOLD:
            return None
        return 1 - abs(rho - _corr(s["num"][a.name], s["num"][b.name])) / 2

    def codes(d: ColumnDomain, side: dict[str, Any]) -> np.ndarray:
        return _sdm_bins(side["num"][d.name]) if d.is_numeric else side["cells"][d.name]

    ra, rb, sa, sb = codes(a, r), codes(b, r), codes(a, s), codes(b, s)
    ma = int(max(ra.max(initial=0), sa.max(initial=0))) + 1
    mb = int(max(rb.max(initial=0), sb.max(initial=0))) + 1
    joint = np.bincount(ra * mb + rb, minlength=ma * mb).reshape(ma, mb)
    table = joint[joint.sum(axis=1) > 0][:, joint.sum(axis=0) > 0]  # levels the real data hold
    if table.sum() == 0 or min(table.shape) < 2:
        return None
    if not association(table, method="cramer") > SDM_ASSOCIATION_THRESHOLD:
        return None
    return 1 - _tvd(ra * mb + rb, sa * mb + sb, ma * mb)


def sdmetrics_quality(doms: list[ColumnDomain], r: dict[str, Any], s: dict[str, Any]) -> dict:
    """The overall score of SDMetrics' QualityReport, computed here on the schema's columns
    (no SDMetrics import): column shapes with missing values dropped, pair trends over the
    strongly associated pairs only, each table binned by its own range. Reported beside our
    own scores so a release can be compared with SDMetrics-scored peers."""
    shapes = []
    for dom in doms:
        if dom.is_numeric:
            shapes.append(1 - _ks(r["num"][dom.name], s["num"][dom.name]))
            continue
        keep_r, keep_s = r["cells"][dom.name], s["cells"][dom.name]
        if dom.nullable:  # SDMetrics drops missing values before comparing categories
            keep_r, keep_s = keep_r[keep_r > 0], keep_s[keep_s > 0]
        if keep_r.size and keep_s.size:
            shapes.append(1 - _tvd(keep_r, keep_s, dom.n_cells))
    pairs = [_sdm_pair(a, b, r, s) for a, b in combinations(doms, 2)]
    scored = [p for p in pairs if p is not None and np.isfinite(p)]
    shape = float(np.mean(shapes)) if shapes else float("nan")
    pair = float(np.mean(scored)) if scored else float("nan")
    overall = float(np.nanmean([shape, pair])) if shapes or scored else float("nan")
    return {
        "score": overall,
        "column_shapes": shape,
        "pair_trends": pair,
        "pairs_counted": len(scored),
        "pairs": len(pairs),
        "note": "SDMetrics QualityReport's definition (strong real associations only)",
    }


def _marginal_table(
    dom: ColumnDomain, r: dict[str, Any], s: dict[str, Any], bins: int = 20
) -> dict[str, Any]:
    """Shares of real and synthetic rows per category, or per bin of the public range."""
    if dom.is_numeric and dom.integer:
        # integer-aligned bins (one value each when they fit): no bin straddles two integers
        lo, hi = round(dom.edges[0]), round(dom.edges[-1])
        width = max(1, -(-(hi - lo + 1) // bins))
        n_bins = -(-(hi - lo + 1) // width)
        shares = []
        for x in (r["num"][dom.name], s["num"][dom.name]):
            x = x[~np.isnan(x)]
            idx = np.clip((np.rint(x) - lo) // width, 0, n_bins - 1).astype(int)
            shares.append((np.bincount(idx, minlength=n_bins) / max(len(x), 1)).tolist())
        starts = [lo + i * width for i in range(n_bins)]
        labels = [str(a) if width == 1 else f"{a}-{min(a + width - 1, hi)}" for a in starts]
        return {"labels": labels, "real": shares[0], "synthetic": shares[1], "numeric": True}
    if dom.is_numeric:
        edges = np.linspace(dom.edges[0], dom.edges[-1], bins + 1)
        shares = []
        for x in (r["num"][dom.name], s["num"][dom.name]):
            x = x[~np.isnan(x)]
            counts = np.histogram(x, bins=edges)[0]
            shares.append((counts / max(len(x), 1)).tolist())
        labels = [f"{a:.4g}" for a in edges[:-1]]
        return {"labels": labels, "real": shares[0], "synthetic": shares[1], "numeric": True}
    m = dom.n_cells
    pr = np.bincount(r["cells"][dom.name], minlength=m) / max(r["rows"], 1)
    ps = np.bincount(s["cells"][dom.name], minlength=m) / max(s["rows"], 1)
    return {
        "labels": dom.cell_names(),
        "real": pr.tolist(),
        "synthetic": ps.tolist(),
        "numeric": False,
    }


def _coverage(doms: list[ColumnDomain], r: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    cats, ranges = [], []
    missing: dict[str, list[str]] = {}
    for dom in doms:
        if dom.is_numeric:
            rv, sv = r["num"][dom.name], s["num"][dom.name]
            rv, sv = rv[~np.isnan(rv)], sv[~np.isnan(sv)]
            if rv.size and sv.size and rv.max() > rv.min():
                lo, hi = max(rv.min(), sv.min()), min(rv.max(), sv.max())
                ranges.append(max(hi - lo, 0) / (rv.max() - rv.min()))
        else:
            seen = set(np.unique(r["cells"][dom.name]).tolist())
            made = set(np.unique(s["cells"][dom.name]).tolist())
            cats.append(len(seen & made) / max(len(seen), 1))
            names = dom.cell_names()
            lost = [str(names[c]) for c in sorted(seen - made)]
            if lost:
                missing[dom.name] = lost
    return {
        "category_coverage": float(np.mean(cats)) if cats else 1.0,
        "range_coverage": float(np.mean(ranges)) if ranges else 1.0,
        # categories the real table holds and the synthetic one never produces
        "missing_categories": missing,
    }


def _correlations(doms: list[ColumnDomain], r: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    """Pearson correlations of the numeric columns, real and synthetic (for the heatmaps)."""
    names = [d.name for d in doms if d.is_numeric]
    out: dict[str, Any] = {"names": names}
    for key, side in (("real", r), ("synthetic", s)):
        mat = np.eye(len(names))
        for i, j in combinations(range(len(names)), 2):
            mat[i, j] = mat[j, i] = _corr(side["num"][names[i]], side["num"][names[j]])
        out[key] = mat.tolist()
    return out


def _diversity(real: pl.DataFrame, syn: pl.DataFrame) -> dict[str, Any]:
    unique = syn.n_unique() / max(syn.height, 1)
    copies = syn.join(real.unique(), on=real.columns, how="semi", nulls_equal=True).height
    return {
        "unique_row_share": float(unique),
        "exact_copies_of_real_share": float(copies / max(syn.height, 1)),
    }


def marginal_scores(real: Any, synthetic: Any, schema: Schema) -> dict[str, Any]:
    """Short form used by the demo summary: column shapes and pair trends."""
    f = fidelity(real, synthetic, schema, max_triples=0)
    return {k: f[k] for k in ("column_shapes", "pair_trends", "per_column", "note")}
