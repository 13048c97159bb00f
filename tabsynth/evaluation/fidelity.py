"""Fidelity measured on the schema's public cells: 1-way and 2-way total variation distance.

These compare real and synthetic data; they read the real table and are therefore not DP.
They are diagnostics for the steward (and the release report), never model inputs.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from tabsynth.data import build_domains, conform, to_polars
from tabsynth.schema.model import Schema


def _cells(df: Any, schema: Schema) -> dict[str, tuple[np.ndarray, int]]:
    frame, _ = to_polars(df)
    frame, _ = conform(frame.select([c for c in schema.names if c in frame.columns]), schema)
    out = {}
    for dom in build_domains(schema):
        cells, _ = dom.encode(frame.get_column(dom.name))
        out[dom.name] = (cells, dom.n_cells)
    return out


def _tvd(a: np.ndarray, b: np.ndarray, size: int) -> float:
    pa = np.bincount(a, minlength=size) / max(a.size, 1)
    pb = np.bincount(b, minlength=size) / max(b.size, 1)
    return float(0.5 * np.abs(pa - pb).sum())


def marginal_scores(real: Any, synthetic: Any, schema: Schema) -> dict[str, Any]:
    """Per-column 1 - TVD and the mean over column pairs of 1 - 2-way TVD."""
    r, s = _cells(real, schema), _cells(synthetic, schema)
    shapes = {c: 1 - _tvd(r[c][0], s[c][0], r[c][1]) for c in r}
    pairs = {}
    for a, b in combinations(list(r), 2):
        size = r[a][1] * r[b][1]
        pairs[f"{a}|{b}"] = 1 - _tvd(r[a][0] * r[b][1] + r[b][0], s[a][0] * s[b][1] + s[b][0], size)
    return {
        "column_shapes": float(np.mean(list(shapes.values()))) if shapes else 1.0,
        "pair_trends": float(np.mean(list(pairs.values()))) if pairs else 1.0,
        "per_column": shapes,
        "note": "1 - total variation distance over the schema's cells; computed from real "
        "data (not DP)",
    }
