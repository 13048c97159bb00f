"""Stress scenarios (post-processing), drawn from a model's own distribution.

* ``rare``: rows that hold a rare combination, a cell of some pair of columns with a share
  below ``below`` (1%) in the model's distribution (numbers in quartiles), are ``factor``
  times as common as in a plain sample (all rows at most); each part keeps the model's law
  given rare or not rare. Rarity is read off a large draw from the fitted model: the DP
  model's marginals, never the data.
* ``tails``: every row lies in the lowest or the highest ``share`` quantile of one
  numerical column (columns and sides in equal shares); models that draw within a latent
  quantile band (``band=``) offer it, the copula does.

A scenario is a name ("rare") or a mapping ({"name": "rare", "factor": 5}); the manifest
states it with every parameter, and what it changed.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from tabsynth.errors import SamplingError
from tabsynth.sampling.cells import cell_codes

TAIL = 0.05
POOL_ROWS = 50_000
PARAMS = {"rare": ("factor", "below"), "tails": ("share", "columns")}


@dataclass(frozen=True)
class Scenario:
    """A stress scenario and its parameters (see the module docstring)."""

    name: str
    factor: float = 5.0
    below: float = 0.01
    share: float = TAIL
    columns: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        keep = ("name", *PARAMS[self.name])
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items() if k in keep}


def parse_scenario(spec: Any) -> Scenario:
    """A ``Scenario`` from a name or a mapping, every problem named at once."""
    if isinstance(spec, Scenario):
        return spec
    d: dict[str, Any] = {"name": spec} if isinstance(spec, str) else dict(spec or {})
    name = d.get("name")
    if name not in PARAMS:
        raise SamplingError(
            f"unknown scenario {name!r}. Fix: scenario='tails' or 'rare' (or a mapping "
            "with name: rare|tails and its parameters)"
        )
    problems = [f"unknown parameter {k!r}" for k in d if k != "name" and k not in PARAMS[name]]
    if "columns" in d:
        cols = d["columns"]
        d["columns"] = tuple([cols] if isinstance(cols, str) else cols)
    try:
        sc = Scenario(**{k: v for k, v in d.items() if k == "name" or k in PARAMS[name]})
    except TypeError as err:  # pragma: no cover - guarded by the keys above
        raise SamplingError(str(err)) from None
    if not (isinstance(sc.factor, int | float) and sc.factor >= 1):
        problems.append(f"factor must be a number >= 1, got {sc.factor!r}")
    if not (isinstance(sc.below, int | float) and 0 < sc.below < 1):
        problems.append(f"below must be a share in (0, 1), got {sc.below!r}")
    if not (isinstance(sc.share, int | float) and 0 < sc.share <= 0.5):
        problems.append(f"share must be in (0, 0.5], got {sc.share!r}")
    if problems:
        raise SamplingError(f"scenario {name!r}: " + "; ".join(problems))
    return sc


def scenario_rows(
    model: Any, n: int, rng: np.random.Generator, cond: dict[str, int], sc: Scenario
) -> tuple[Any, dict[str, Any]]:
    """``n`` rows of scenario ``sc`` from ``model``, and what it changed."""
    if sc.name == "tails" and "tails" not in getattr(model, "scenarios", ()):
        raise SamplingError(f"{model.name} does not support scenario {sc.name!r} yet")
    if sc.name == "rare":
        return _rare(model, n, rng, cond, sc)
    return _tails(model, n, rng, cond, sc)


def _draw(model: Any, m: int, rng: np.random.Generator, cond: dict[str, int]) -> Any:
    return model._sample(m, rng, where=cond) if cond else model._sample(m, rng)


def rare_mask(model: Any, frame: pl.DataFrame, below: float) -> tuple[np.ndarray, int]:
    """Rows of ``frame`` (a draw from ``model``) in a cell of some pair of columns whose
    share in ``frame`` is below ``below``; and how many pairs were read."""
    cols = [c for c in frame.columns if _has_cells(model, c)]
    codes = cell_codes(model, frame, cols)
    sizes = []
    for j, c in enumerate(cols):
        if model._cell_domain(c).is_numeric:
            codes[:, j], m = _quartiles(codes[:, j], model._cell_domain(c).n_cells)
        else:
            m = model._cell_domain(c).n_cells
        sizes.append(m)
    rare = np.zeros(frame.height, dtype=bool)
    pairs = list(itertools.combinations(range(len(cols)), 2))
    for a, b in pairs:
        key = codes[:, a] * sizes[b] + codes[:, b]
        share = np.bincount(key, minlength=sizes[a] * sizes[b]) / max(frame.height, 1)
        rare |= share[key] < below
    return rare, len(pairs)


def _has_cells(model: Any, column: str) -> bool:
    col = model.schema.column(column)
    return bool(col.modelled and col.kind in ("categorical", "boolean", "numerical", "datetime"))


def _quartiles(cells: np.ndarray, m: int) -> tuple[np.ndarray, int]:
    """Ordered cells merged into four groups of about equal share (a null cell, first in
    the order, merges with the lowest values only if it is that common)."""
    share = np.bincount(cells, minlength=m) / max(cells.size, 1)
    mid = np.cumsum(share) - share / 2
    group = np.minimum((mid * 4).astype(np.int64), 3)
    return group[cells], 4


def _rare(
    model: Any, n: int, rng: np.random.Generator, cond: dict[str, int], sc: Scenario
) -> tuple[Any, dict[str, Any]]:
    pool = _draw(model, max(int(sc.factor * n * 1.2) + 1, POOL_ROWS), rng, cond)
    rare, n_pairs = rare_mask(model, pool, sc.below)
    plain = float(rare.mean())
    target = min(1.0, sc.factor * plain)
    k = int(rng.binomial(n, target)) if plain > 0 else 0
    idx_r, idx_o = np.flatnonzero(rare), np.flatnonzero(~rare)
    if k > idx_r.size or n - k > idx_o.size:  # pragma: no cover - the pool is sized for it
        raise SamplingError("the rare scenario's pool is too small; ask for fewer rows")
    pick = np.concatenate(
        [rng.choice(idx_r, k, replace=False), rng.choice(idx_o, n - k, replace=False)]
    )
    info = {
        **sc.to_dict(),
        "pairs_read": n_pairs,
        "rare_share_plain": plain,
        "rare_share": k / n if n else 0.0,
        "changed": f"rows in a pair-of-columns cell below {sc.below:.0%} of the model's "
        f"distribution (numbers in quartiles) made {sc.factor:g} times as common "
        f"(at most all rows): {plain:.1%} of a plain sample, {k / max(n, 1):.1%} here",
    }
    return pool[rng.permutation(pick).tolist()], info


def _tails(
    model: Any, n: int, rng: np.random.Generator, cond: dict[str, int], sc: Scenario
) -> tuple[Any, dict[str, Any]]:
    cols = list(sc.columns) if sc.columns else model._numeric_columns()
    bad = [c for c in cols if c not in model._numeric_columns()]
    if bad or not cols:
        raise SamplingError(
            f"the tails scenario needs numerical columns the model draws; not {bad or cols}. "
            f"Fix: use some of {model._numeric_columns()}"
        )
    bands = [(c, lo, hi) for c in cols for lo, hi in ((0.0, sc.share), (1 - sc.share, 1.0))]
    counts = rng.multinomial(n, np.full(len(bands), 1 / len(bands)))
    parts = [
        model._sample(int(m), rng, where=cond, band=b)
        for b, m in zip(bands, counts, strict=True)
        if m > 0
    ]
    out = pl.concat(parts, how="vertical_relaxed")
    info = {
        **sc.to_dict(),
        "columns": cols,
        "changed": f"every row in the lowest or highest {sc.share:.0%} of one of {cols} "
        "(columns and sides in equal shares), the rest drawn given it",
    }
    return out[rng.permutation(out.height).tolist()], info
