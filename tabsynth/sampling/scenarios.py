"""Stress scenarios (post-processing), drawn exactly from a model's conditionals.

* ``tails``: every row lies in the lowest or the highest ``tail`` quantile of one numerical
  column (columns and sides in equal shares);
* ``rare``: the model's strata (combinations of the target and protected attributes) in
  equal shares, so rare combinations are as common as frequent ones.

A model offers them by naming them in ``scenarios`` and drawing with ``band=(column, lo,
hi)`` (latent quantiles) and ``strata_weights=`` (``ScenarioModel``); the copula does.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import polars as pl

from tabsynth.errors import SamplingError
from tabsynth.sampling.protocol import Samplable

TAIL = 0.05


class ScenarioModel(Samplable, Protocol):
    """A model that can draw within a latent quantile band and with given strata weights."""

    scenarios: tuple[str, ...]

    def _strata_count(self) -> int: ...

    def _numeric_columns(self) -> list[str]: ...


def scenario_rows(
    model: Any, n: int, rng: np.random.Generator, cond: dict[str, int], name: str
) -> Any:
    """``n`` rows of scenario ``name`` ("tails" or "rare") from ``model``."""
    if name not in getattr(model, "scenarios", ()):
        raise SamplingError(f"{model.name} does not support scenario {name!r} yet")
    if name == "rare":
        return _rare(model, n, rng, cond)
    return _tails(model, n, rng, cond)


def _rare(model: ScenarioModel, n: int, rng: np.random.Generator, cond: dict[str, int]) -> Any:
    k = model._strata_count()
    if k < 2:
        raise SamplingError(
            "the rare scenario needs strata. Fix: declare `strata:` in the schema, or use "
            "rebalance on one column"
        )
    return model._sample(n, rng, where=cond, strata_weights=np.ones(k))  # type: ignore[call-arg]


def _tails(model: ScenarioModel, n: int, rng: np.random.Generator, cond: dict[str, int]) -> Any:
    cols = model._numeric_columns()
    if not cols:
        raise SamplingError("the tails scenario needs a numerical column")
    bands = [(c, lo, hi) for c in cols for lo, hi in ((0.0, TAIL), (1 - TAIL, 1.0))]
    counts = rng.multinomial(n, np.full(len(bands), 1 / len(bands)))
    parts = [
        model._sample(int(m), rng, where=cond, band=b)  # type: ignore[call-arg]
        for b, m in zip(bands, counts, strict=True)
        if m > 0
    ]
    out = pl.concat(parts, how="vertical_relaxed")
    return out[rng.permutation(out.height).tolist()]
