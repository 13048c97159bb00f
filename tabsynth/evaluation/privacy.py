"""Empirical privacy risk of a synthetic table: distances to real records and a membership
inference attack. These read the real data, so they are diagnostics (not DP); they measure
what an attacker could do with the release, complementing the DP guarantee.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tabsynth.data import build_domains, conform, to_polars
from tabsynth.schema.model import Schema


def embed(df: Any, schema: Schema) -> np.ndarray:
    """Rows as points in [0, 1]^k: numbers scaled by their public bounds, categories one-hot
    (times 1/sqrt 2, so two different categories are at distance 1), nulls as their own
    category. Uses the schema only, never the data, to scale."""
    frame, _ = to_polars(df)
    frame, _ = conform(
        frame.select([c for c in schema.names if c in frame.columns]), schema, modelled_only=True
    )
    parts = []
    for dom in build_domains(schema):
        s = frame.get_column(dom.name)
        if dom.is_numeric:
            lo, hi = dom.edges[0], dom.edges[-1]
            x = dom._to_number(s)  # noqa: SLF001 - same package
            x = np.nan_to_num((x - lo) / max(hi - lo, 1e-12), nan=-1.0)
            parts.append(x[:, None])
        else:
            cells, _ = dom.encode(s)
            onehot = np.zeros((len(cells), dom.n_cells))
            onehot[np.arange(len(cells)), cells] = 1 / np.sqrt(2)
            parts.append(onehot)
    return np.hstack(parts) if parts else np.zeros((frame.height, 0))


def nearest_distance(queries: np.ndarray, points: np.ndarray, *, batch: int = 2048) -> np.ndarray:
    """Euclidean distance of each query to its nearest point (exact, batched)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    out = np.empty(len(queries))
    for i in range(0, len(queries), batch):
        out[i : i + batch] = tree.query(queries[i : i + batch], k=1)[0]
    return out


def _row_keys(x: np.ndarray) -> np.ndarray:
    """Each row as one opaque value, so that equal rows are equal keys (-0.0 made 0.0)."""
    x = np.ascontiguousarray(x, dtype=np.float64) + 0.0
    return x.view(np.dtype((np.void, x.dtype.itemsize * max(x.shape[1], 1)))).ravel()


def copy_share(queries: np.ndarray, points: np.ndarray) -> float:
    """Share of query rows identical to some row of `points` (exact, by sorting)."""
    if len(queries) == 0 or queries.shape[1] == 0:
        return 0.0
    return float(np.mean(np.isin(_row_keys(queries), _row_keys(points))))


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC of scores (higher = more likely a member), with ties counted half."""
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([pos, neg]))
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def privacy_risk(
    train: Any,
    synthetic: Any,
    holdout: Any,
    schema: Schema,
    *,
    max_rows: int = 5000,
    n_boot: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Distance to closest record, exact copies and a distance-based membership attack.

    * DCR share: of the synthetic rows, the share closer to a train row than to any holdout
      row (with train and holdout of equal size). About 0.5 means the synthetic data are no
      closer to the people it was fitted on than to fresh people.
    * Exact copies: the share of synthetic rows identical to some train row, beside the
      share identical to some holdout row (the base rate of naturally repeated rows); also
      against equal-size samples of both (``exact_copies_equal_size``), the fair comparison.
    * Membership inference: the attacker scores a candidate by minus its distance to the
      nearest synthetic row; AUC of telling train members from holdout non-members, with a
      bootstrap 95% interval. 0.5 is no better than a coin; a copy of the data gives ~1.
    """
    from tabsynth.schema.derived import scored_schema

    rng = np.random.default_rng(seed)
    schema = scored_schema(schema, train, synthetic, holdout)
    tr, syn, ho = (embed(x, schema) for x in (train, synthetic, holdout))
    syn = syn[rng.choice(len(syn), min(len(syn), max_rows), replace=False)]
    copies = copy_share(syn, tr)  # against the whole train table
    base = copy_share(syn, ho)
    m = min(len(tr), len(ho), max_rows)
    tr = tr[rng.choice(len(tr), m, replace=False)]
    ho = ho[rng.choice(len(ho), m, replace=False)]
    # copies against equal-size samples of train and holdout: a fair base rate
    copies_m, base_m = copy_share(syn, tr), copy_share(syn, ho)
    d_tr = nearest_distance(syn, tr)
    d_ho = nearest_distance(syn, ho)
    closer = float(np.mean(d_tr < d_ho) + 0.5 * np.mean(d_tr == d_ho))
    member = -nearest_distance(tr, syn)
    non_member = -nearest_distance(ho, syn)
    auc = _auc(member, non_member)
    boots = []
    for _ in range(n_boot):
        i, j = rng.integers(0, m, m), rng.integers(0, m, m)
        boots.append(_auc(member[i], non_member[j]))
    top = float(np.quantile(np.concatenate([d_tr, d_ho]), 0.99)) or 1.0
    edges = np.linspace(0, top, 31)
    return {
        "rows_compared": m,
        "distance_histogram": {
            "edges": edges.tolist(),
            "to_train": np.histogram(d_tr, edges)[0].tolist(),
            "to_holdout": np.histogram(d_ho, edges)[0].tolist(),
        },
        "dcr_share_closer_to_train": closer,
        "dcr_median_train": float(np.median(d_tr)),
        "dcr_median_holdout": float(np.median(d_ho)),
        "exact_copies_of_train": copies,
        "exact_matches_of_holdout": base,
        "exact_copies_equal_size": {
            "synthetic_rows": int(len(syn)),
            "real_rows_each": int(m),
            "train": copies_m,
            "holdout": base_m,
        },
        "mia_auc": auc,
        "mia_auc_ci95": [float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))],
        "note": "computed from the real data; a diagnostic, not part of the DP guarantee",
    }
