"""A train/holdout split for evaluating a release: the holdout is never fitted on and is
what the report's utility and privacy-risk figures compare against.

The split is a seeded permutation (reproducible, not private: it is a step of the steward's
own evaluation). With ``by`` (e.g. the schema's ``privacy_unit``) whole units go to one side,
so no person has rows in both parts and the membership attacks are measured per person.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tabsynth.errors import DataValidationError, Problem


def split_table(
    df: pl.DataFrame, *, holdout: float = 0.2, seed: int = 0, by: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(train, holdout): ``holdout`` of the rows (or of the ``by`` units) drawn by a seeded
    permutation; both keep the table's row order."""
    if not 0 < holdout < 1:
        raise ValueError(f"holdout must be in (0, 1), got {holdout!r}. Fix: e.g. 0.2")
    rng = np.random.default_rng(seed)
    if by is None:
        keys = pl.int_range(df.height, eager=True)
    elif by not in df.columns:
        raise DataValidationError(
            [Problem(f"column {by!r}", "not in the table", f"use one of {df.columns}")]
        )
    else:
        keys = df.get_column(by).rank("dense").cast(pl.Int64) - 1
    n_keys = int(keys.max() + 1) if df.height else 0  # type: ignore[operator]
    out = np.zeros(n_keys, dtype=bool)
    out[rng.permutation(n_keys)[: int(round(holdout * n_keys))]] = True
    mask = pl.Series(out)[keys]
    return df.filter(~mask), df.filter(mask)
