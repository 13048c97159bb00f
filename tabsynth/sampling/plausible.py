"""Implausibility from DP information only: a value in a cell that the model's own DP
marginal of its column puts at zero (noise and thresholding showed no data there) is
implausible, and the critic re-draws its row. Post-processing: it reads the fitted model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl


def zero_cells(model: Any, skip: set[str]) -> dict[str, np.ndarray]:
    """Per modelled column (but ``skip``), the cells its DP marginal gives probability 0."""
    out = {}
    for col in model.schema.columns:
        if not col.modelled or col.name in skip:
            continue
        try:
            probs = model._joint([col.name])
        except (KeyError, ValueError):  # a column the model leaves to another rule
            continue
        if probs is not None and (np.asarray(probs) <= 0).any():
            out[col.name] = np.asarray(probs) <= 0
    return out


def plausibility(model: Any, skip: set[str]) -> Callable[[pl.DataFrame], np.ndarray] | None:
    """Rows -> True where no value lies in a zero cell; None when no marginal has one."""
    zeros = zero_cells(model, skip)
    if not zeros:
        return None

    def check(frame: pl.DataFrame) -> np.ndarray:
        ok = np.ones(frame.height, dtype=bool)
        for name, zero in zeros.items():
            if name in frame.columns:
                ok &= ~zero[model._cell_domain(name).encode(frame.get_column(name))[0]]
        return ok

    return check
