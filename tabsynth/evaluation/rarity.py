"""Rare combinations as the REAL table holds them: rows of a (synthetic) table in a cell of
some pair of columns that holds under ``below`` of the real rows (numbers in quartiles of
the real values). The yardstick of the rare scenario, independent of any model; it reads
the real data, so it is a diagnostic, never an input to a model."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd


def _codes(real: pd.Series, other: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Cells of ``real`` and ``other``: real quartiles for numbers with more than four
    values, real categories otherwise (an unseen or missing value is its own cell)."""
    if pd.api.types.is_numeric_dtype(real) and real.nunique() > 4:
        edges = np.unique(np.quantile(real.dropna(), [0.25, 0.5, 0.75]))

        def cut(s: pd.Series) -> np.ndarray:
            x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            return np.where(np.isnan(x), edges.size + 1, np.searchsorted(edges, x, "right"))

        return cut(real), cut(other)
    cats = {v: i for i, v in enumerate(sorted(real.dropna().astype(str).unique()))}

    def code(s: pd.Series) -> np.ndarray:
        mapped = s.astype(str).where(s.notna(), None).map(cats)
        return mapped.fillna(len(cats)).to_numpy().astype(np.int64)

    return code(real), code(other)


def rare_pair_rows(real: Any, frame: Any, schema: Any, below: float = 0.01) -> np.ndarray:
    """Booleans over ``frame``'s rows: True where the row lies in a pair-of-columns cell
    that holds under ``below`` of ``real``'s rows (a cell the real table never holds too)."""
    from tabsynth.evaluation.utility import _pandas

    real, frame = _pandas(real), _pandas(frame)
    cols = [c.name for c in schema.modelled_columns if c.name in real and c.name in frame]
    codes = {c: _codes(real[c], frame[c]) for c in cols}
    rare = np.zeros(len(frame), dtype=bool)
    for a, b in itertools.combinations(cols, 2):
        (ra, fa), (rb, fb) = codes[a], codes[b]
        mb = int(max(rb.max(initial=0), fb.max(initial=0))) + 1
        ma = int(max(ra.max(initial=0), fa.max(initial=0))) + 1
        share = np.bincount(ra * mb + rb, minlength=ma * mb) / max(len(real), 1)
        rare |= share[fa * mb + fb] < below
    return rare
