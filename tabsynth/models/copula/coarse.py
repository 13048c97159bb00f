"""Per-stratum margins over groups of cells (``strata_cells``): two measurements in place
of the per-stratum histograms and their pooled sum.

Each column's histogram is first measured pooled over the strata (one record moves one
cell of each column: L2 sensitivity ``sqrt(d)``). Its noisy pmf, post-processed as every
margin is (``margins.column_pmfs``), then chooses each column's *groups*: runs of cells of
about equal pooled mass, in the column's CDF order (the null cell alone). The per-stratum
histograms are then measured over those groups only (again sensitivity ``sqrt(d)``: a
record moves one group of each column), and each stratum's pmf over the cells is the
pooled pmf's shape within a group times the stratum's noisy share of the group.

At epsilon 1 a cell's noise sd is some 30 rows whatever its count: a stratum of a
thousand rows measured over 40 cells has most of its margin in noise, while over 8 groups
its share of each group is measured five times better. What the groups give up is the
strata's own shape *within* a group, which the pooled margin supplies instead. The choice
of groups reads the released pooled histogram only (adaptive composition: the second
measurement's sensitivity does not depend on it), so the two measurements cost what the
one they replace did at the same noise.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from tabsynth.data.domain import ColumnDomain
from tabsynth.models.copula.estimate import project_simplex
from tabsynth.models.copula.margins import column_pmfs, rake_to_margin

if TYPE_CHECKING:
    from tabsynth.models.copula.config import CopulaConfig
    from tabsynth.models.copula.plan import _Plan

#: the certificate's names of the two measurements
POOLED_HIST_MECHANISM = "histograms of each column (strata pooled)"
COARSE_MECHANISM = (
    "per-stratum histograms of each column over groups of its cells (groups chosen from "
    "the pooled histograms)"
)


def n_groups(cap: int, sizes: np.ndarray, sigma: float, snr: float) -> int:
    """Groups per column: as many as keep a median stratum's average group ``snr`` noise
    sds above 0, at least 2 and at most ``cap``. Reads the noisy sizes only."""
    typical = float(np.median(np.maximum(sizes, 0.0)))
    return int(min(cap, max(2, math.floor(typical / (snr * sigma)))))


def cell_groups(
    dom: ColumnDomain, pooled: np.ndarray, order: np.ndarray, groups: int
) -> np.ndarray:
    """Each cell's group: runs of cells in CDF ``order`` holding about ``1/groups`` of the
    pooled pmf each (a cell joins the run its mass's midpoint falls in), the null cell in a
    group of its own. Post-processing of the released pooled pmf."""
    if dom.n_cells <= groups:
        return np.arange(dom.n_cells)
    seq = [c for c in order if not (dom.nullable and c == 0)]
    p = pooled[seq]
    total = p.sum()
    mid = (np.cumsum(p) - p / 2) / (total if total > 0 else 1.0)
    slot = np.minimum((mid * groups).astype(int), groups - 1)
    slot = np.maximum.accumulate(slot)  # runs stay contiguous in CDF order
    _, run = np.unique(slot, return_inverse=True)
    out = np.zeros(dom.n_cells, dtype=np.int64)
    out[seq] = run + int(dom.nullable)
    return out


def coarse_pmfs(
    doms: list[ColumnDomain],
    counts: np.ndarray,
    hists: list[np.ndarray],
    plan: _Plan,
    cfg: CopulaConfig,
    noise: Any,
    order_of: Any,
    charge: Any,
    zero: dict[str, list[float]] | None = None,
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Noisy stratum counts, per-stratum pmfs over every column's cells, and the strata's
    sizes, from the exact per-stratum histograms ``hists`` (strata x cells): pooled
    histograms, then per-stratum ones over groups chosen from them (module docstring).
    ``order_of(dom, pmf)`` gives a column's CDF order; ``charge(name)`` charges a
    measurement just before its noise is drawn; ``zero``: the edges ``zero_splits`` added
    (``margins.column_pmfs``)."""
    assert plan.sigma_hist is not None and plan.sigma_coarse is not None
    n_strata = counts.size
    if plan.sigma_strata is not None:
        charge("stratum counts")
        counts = noise.gaussian_counts(counts, plan.sigma_strata)
    charge(POOLED_HIST_MECHANISM)
    flat = noise.gaussian_counts(np.concatenate([h.sum(axis=0) for h in hists]), plan.sigma_hist)
    pooled_h = np.split(flat.astype(float), np.cumsum([h.shape[1] for h in hists])[:-1])
    # the total: the noisy counts' sum, or (strata counts unmeasured) the columns' totals
    total = (
        float(counts.sum())
        if plan.sigma_strata is not None
        else float(np.mean([h.sum() for h in pooled_h]))
    )
    first = (
        np.maximum(counts.astype(float), 0.0)
        if plan.sigma_strata is not None
        else np.full(n_strata, max(total, 0.0) / n_strata)
    )
    single = replace(plan, sigma_strata=None, sigma_gram=None, sigma_coarse=None, pooled=False)
    pooled = [
        p[0]
        for p in column_pmfs(
            doms, [h[None] for h in pooled_h], np.array([max(total, 0.0)]), single, cfg, zero
        )
    ]
    k = n_groups(cfg.strata_cells, first, plan.sigma_coarse, cfg.strata_cells_snr)
    maps = [
        cell_groups(dom, p, order_of(dom, p[None]), k) for dom, p in zip(doms, pooled, strict=True)
    ]
    grouped = [_aggregate(h, g) for h, g in zip(hists, maps, strict=True)]
    charge(COARSE_MECHANISM)
    flat = noise.gaussian_counts(np.concatenate([g.ravel() for g in grouped]), plan.sigma_coarse)
    parts = np.split(flat.astype(float), np.cumsum([g.size for g in grouped])[:-1])
    noisy = [a.reshape(g.shape) for a, g in zip(parts, grouped, strict=True)]
    sizes = _sizes(counts, noisy, plan, [g.shape[1] for g in grouped]).reshape(n_strata)
    pmfs = [
        _stratum_pmfs(y, p, g, sizes, plan.sigma_coarse)
        for y, p, g in zip(noisy, pooled, maps, strict=True)
    ]
    return counts, pmfs, sizes


def _aggregate(hist: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per-stratum counts summed over each group of cells (exact; noised afterwards)."""
    out = np.zeros((hist.shape[0], int(groups.max()) + 1), dtype=np.int64)
    np.add.at(out.T, groups, hist.T)
    return out


def _sizes(
    counts: np.ndarray, noisy: list[np.ndarray], plan: _Plan, widths: list[int]
) -> np.ndarray:
    """Inverse-variance blend of the noisy stratum counts and every grouped histogram's
    per-stratum totals (``widths`` groups each, noise ``plan.sigma_coarse`` per group)."""
    est, wts = [], []
    if plan.sigma_strata is not None:
        est.append(counts.astype(float))
        wts.append(1 / plan.sigma_strata**2)
    for y, w in zip(noisy, widths, strict=True):
        assert plan.sigma_coarse is not None
        est.append(y.sum(axis=1))
        wts.append(1 / (w * plan.sigma_coarse**2))
    return np.maximum(np.average(np.stack(est), axis=0, weights=np.asarray(wts)), 0.0)


def _stratum_pmfs(
    noisy: np.ndarray, pooled: np.ndarray, groups: np.ndarray, sizes: np.ndarray, sigma: float
) -> np.ndarray:
    """Per-stratum pmfs over the cells: each stratum's noisy group shares (projected onto
    the simplex, shrunk towards the pooled shares by their noise, raked so that the
    strata's mixture is the pooled pmf), spread over a group's cells in the pooled shape."""
    q = np.bincount(groups, weights=pooled, minlength=noisy.shape[1])
    support = q > 0
    proj = project_simplex(noisy, sizes, support if support.any() else None)
    alpha = sigma * math.sqrt(noisy.shape[1])
    denom = sizes[:, None] + alpha
    share = (proj + alpha * q[None]) / denom
    share = share / share.sum(axis=1, keepdims=True)
    share = rake_to_margin(share, sizes, q)
    ratio = np.where(q > 0, share / np.where(q > 0, q, 1.0), 0.0)
    pmf = pooled[None] * ratio[:, groups]
    tot = pmf.sum(axis=1, keepdims=True)
    return np.where(tot > 0, pmf / np.where(tot > 0, tot, 1.0), pooled[None])  # type: ignore[no-any-return]
