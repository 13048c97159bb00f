"""Every column's per-stratum pmf over its cells, from the noisy histograms (post-processing).

Numeric columns' ordered cells are smoothed first: by a Whittaker smoother of the counts
(``estimate.smooth_counts``) or, with ``log_margins``, by a penalised fit of the smooth
*log*-density (``log_smooth_counts``). The second matters in the tails: at epsilon 1 a
cell's noise sd is a few per cent of a thousand rows, so the rare values past the bulk
cannot be told from noise cell by cell. Keeping every cell whose noisy count clears a
threshold leaves isolated noise spikes far out (a synthetic maximum anywhere up to the
schema's bound), cutting them all leaves the range too short; a log-density whose second
differences are penalised continues the bulk's decay into the tail (a geometric tail past
the last cells the data fill), so the released range follows the data's own decay.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tabsynth.data.domain import ColumnDomain
from tabsynth.models.copula.estimate import (
    _tail_support,
    project_simplex,
    smooth_counts,
    smooth_runs,
)

if TYPE_CHECKING:
    from tabsynth.models.copula.config import CopulaConfig
    from tabsynth.models.copula.plan import _Plan

#: penalties tried by ``log_smooth_counts``, largest first (each fit starts from the last)
_LOG_LAMBDAS = np.logspace(4, -2, 9)
#: log-density limits (in noise sds per cell) that keep exp() finite
_ETA_FLOOR = -40.0
#: a Gauss-Newton fit stops when no log-count moves by more than this in a step
_GN_TOL = 1e-3
#: no cells (``marginal``'s default ``group``)
_NO_CELLS = np.zeros(0, dtype=int)


def log_smooth_counts(
    hist: np.ndarray,
    cells: np.ndarray,
    widths: np.ndarray,
    sigma: float,
    iters: int = 40,
    df_weight: float = 2.0,
) -> np.ndarray:
    """Noisy counts of ordered cells replaced by a smooth positive fit ``w * exp(g)``:
    ``g`` (the log-density) minimises ``||y - w exp(g)||^2 / sigma^2 + lam ||D2 g||^2``
    (Gauss-Newton steps with step halving), one penalty per column chosen by Stein's
    unbiased risk estimate with the fit's linearised degrees of freedom (summed over the
    strata), weighted ``df_weight`` (2: the unbiased estimate; more: a smoother fit,
    ``CopulaConfig.smooth_df``). Where the data vanish the penalty alone shapes ``g``:
    linear, the bulk's decay carried on. Each stratum's fit is scaled to its cells' noisy
    total (floored at a tiny positive size, which keeps the fit's shape). Free
    post-processing of the noisy ``hist`` (strata x cells)."""
    y = np.asarray(hist, dtype=float)[:, cells] / sigma
    m = cells.size
    d2 = np.diff(np.eye(m), n=2, axis=0)
    pen = d2.T @ d2
    logw = np.log(widths)
    start = smooth_counts(hist, cells, widths, sigma)[:, cells] / sigma
    eta = np.log(np.maximum(start, 0.05))
    cap = math.log(max(float(np.abs(y).max()), 1.0) * 10)
    best: tuple[float, np.ndarray] | None = None
    for lam in _LOG_LAMBDAS:
        eta = _gauss_newton(y, eta, logw, lam * pen, iters, cap)
        g = np.exp(eta)
        h = g[:, :, None] ** 2 * np.eye(m) + lam * pen + 1e-9 * np.eye(m)
        df = (g**2 * np.diagonal(np.linalg.inv(h), axis1=1, axis2=2)).sum()
        risk = float(((y - g) ** 2).sum() + df_weight * df)
        if best is None or risk < best[0]:
            best = (risk, eta.copy())
    assert best is not None
    fit = np.exp(best[1])
    # the run's total is measured far better than its cells: where thin counts made the fit
    # collapse towards 0 (a risk the fit may prefer when no cell clears the noise), or
    # drift from it, the fit keeps the measured total (the counts' smoother if collapsed).
    # A total the noise made negative keeps the fit's shape at a tiny size: a long run's
    # noisy sum (sd sigma * sqrt(cells)) can fall below 0 though its first cells clearly
    # hold rows, and ``_rescaled`` sizes the run from the other cells anyway (scaled to 0,
    # the run was drawn flat: counts of 106, 39, 19, ... as 10 rows in each of 11 cells)
    total = np.maximum(y.sum(axis=1, keepdims=True), 0.0)
    fit = np.where(fit.sum(axis=1, keepdims=True) > 1e-6 * total, fit, np.maximum(start, 0.0))
    have = fit.sum(axis=1, keepdims=True)
    fit = fit * np.where(have > 0, np.maximum(total, 1e-9) / np.where(have > 0, have, 1.0), 0.0)
    out = np.asarray(hist, dtype=float).copy()
    out[:, cells] = fit * sigma
    return out


def _gauss_newton(
    y: np.ndarray, eta: np.ndarray, logw: np.ndarray, pen: np.ndarray, iters: int, cap: float
) -> np.ndarray:
    """Minimise ``||y - exp(eta)||^2 + (eta - logw)' pen (eta - logw)`` per row of ``y``,
    until no cell's fitted count moves by more than 0.1% in a step (``_GN_TOL``: at 1e-5
    half the fit time of a small table went into steps that changed its pmfs by less than
    1e-5; credit_card's fit 0.27 -> 0.21 s)."""
    m = y.shape[1]

    def loss(e: np.ndarray) -> np.ndarray:
        b = e - logw
        return ((y - np.exp(e)) ** 2).sum(axis=1) + np.einsum("si,ij,sj->s", b, pen, b)

    f = loss(eta)
    for _ in range(iters):
        g = np.exp(eta)
        grad = -(y - g) * g + (eta - logw) @ pen
        h = g[:, :, None] ** 2 * np.eye(m) + pen + 1e-9 * np.eye(m)
        step = -np.linalg.solve(h, grad[..., None])[..., 0]
        t = np.ones(y.shape[0])
        new = eta
        for _ in range(30):
            new = np.clip(eta + t[:, None] * step, _ETA_FLOOR, cap)
            f_new = loss(new)
            worse = f_new > f + 1e-12 * (1 + np.abs(f))
            if not worse.any():
                break
            t = np.where(worse, t / 2, t)
        keep = f_new <= f + 1e-12 * (1 + np.abs(f))
        moved = np.abs(np.where(keep[:, None], new - eta, 0.0)).max()
        eta = np.where(keep[:, None], new, eta)
        f = np.where(keep, f_new, f)
        if moved < _GN_TOL:
            break
    return eta


def smoothed(
    dom: ColumnDomain, hist: np.ndarray, sigma: float, log: bool = False, df_weight: float = 2.0
) -> np.ndarray:
    """A numeric column's noisy histogram with its ordered cells smoothed (``estimate``;
    ``log``: ``log_smooth_counts`` with ``df_weight``)."""
    return smooth_over(hist, smooth_runs(dom), sigma, log, df_weight)


def smooth_over(
    hist: np.ndarray,
    runs: tuple[np.ndarray, np.ndarray] | None,
    sigma: float,
    log: bool,
    df_weight: float,
) -> np.ndarray:
    """``hist`` with the cells of ``runs`` (cells, widths) smoothed as ``smoothed`` does."""
    if runs is None:
        return hist
    if log:
        return log_smooth_counts(hist, *runs, sigma, df_weight=df_weight)
    return smooth_counts(hist, *runs, sigma)


def null_cell(dom: ColumnDomain) -> int | None:
    """The cell of nulls in a continuous column's histogram (None for discrete columns)."""
    return int(dom.nullable) if dom.continuous else None


def column_pmfs(
    doms: list[ColumnDomain],
    hists: list[np.ndarray],
    sizes: np.ndarray,
    plan: _Plan,
    cfg: CopulaConfig,
    zero: dict[str, list[float]] | None = None,
) -> list[np.ndarray]:
    """Every column's per-stratum pmfs from its noisy histogram, numeric ones smoothed
    first (``smooth_margins``; the support is still decided on the raw counts, except
    over the cells a log-density fit covers, ``log_margins``). ``zero``: per column, the
    edges ``zero_splits`` added (``refine.zero_edges``): of the cells they split the
    first schema cell into, those nearest 0 that the data do not clearly reach are taken
    as empty (``marginal``'s ``group``, ``_empty_prefix``)."""
    from tabsynth.models.copula.refine import zero_cells

    zero = zero or {}
    n_strata = sizes.size
    sigma = (  # None: not private
        plan.stratum_sd(plan.sigma_hist, n_strata)
        if cfg.smooth_margins and plan.sigma_hist is not None
        else None
    )
    pooled = plan.pooled and n_strata > 1 and plan.sigma_hist is not None
    psd = (
        plan.pooled_sd(plan.sigma_hist, n_strata)
        if pooled and sigma is not None and plan.sigma_hist is not None
        else None
    )
    log = cfg.log_margins != "none" and sigma is not None

    def pooled_hist(
        dom: ColumnDomain, h: np.ndarray, r: tuple[np.ndarray, np.ndarray] | None
    ) -> np.ndarray | None:
        """The strata's measured sum, smoothed with its own noise sd (``pooled``)."""
        if not pooled:
            return None
        total = h.sum(axis=0, keepdims=True)
        return total if psd is None else smooth_over(total, r, psd, log, cfg.smooth_df)

    def free(runs: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray | None:
        return None if runs is None or not log else runs[0]

    def runs_of(dom: ColumnDomain, h: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if sigma is None or cfg.heap_sds <= 0 or plan.sigma_hist is None:
            return smooth_runs(dom)
        sd = plan.pooled_sd(plan.sigma_hist, n_strata)
        return heapless_runs(dom, h.sum(axis=0), sd, cfg.heap_sds)

    runs = [runs_of(dom, h) for dom, h in zip(doms, hists, strict=True)]
    return [
        marginal(
            h if sigma is None else smooth_over(h, r, sigma, log and not pooled, cfg.smooth_df),
            sizes,
            plan,
            cfg.cell_threshold,
            null_cell(dom),
            cfg.tail_sds,
            raw=None if sigma is None else h,
            pooled_hist=pooled_hist(dom, h, r),
            free=free(r),
            extend=cfg.log_margins == "extend",
            anchors=cfg.support_anchors,
            gap=cfg.support_gap,
            group=zero_cells(dom, zero.get(dom.name, [])),
        )
        for dom, h, r in zip(doms, hists, runs, strict=True)
    ]


def heapless_runs(
    dom: ColumnDomain, total: np.ndarray, sd: float, z: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """An integer grid's cells to smooth (``smooth_runs``) without its heaps: the values
    whose noisy count ``total`` (summed over the strata, noise sd ``sd``) stands more than
    ``z`` sds of the difference above the median of their neighbours (two on each side,
    where the grid has them). Loan terms pile up at multiples of 6 months, hours at 40,
    years of schooling at 12 and 16: a smooth fit either spreads their rows over the values
    between or, choosing a rough fit to follow them, follows the noise there too (loans of
    11 and 33-35 months, none in the data); a heap keeps its own noisy count instead, as a
    point mass does, and the fit smooths the rest (with fewer than 5 values left, none).
    A neighbour's median ignores one heap beside it, and a smooth density's peak barely
    clears it. Continuous columns find theirs as atoms. Post-processing of noisy counts."""
    runs = smooth_runs(dom)
    if runs is None or dom.intervals:
        return runs
    cells, widths = runs
    y = np.asarray(total, dtype=float)[cells]
    pad = np.pad(y, 2, constant_values=np.nan)
    near = np.stack([pad[k : k + y.size] for k in (0, 1, 3, 4)])
    have = np.isfinite(near).sum(axis=0)
    base = np.nanmedian(near, axis=0)
    # the variance of the median of k independent noises, in noise variances (k = 2, 3, 4)
    var_median = np.select([have >= 4, have == 3], [0.298, 0.449], 0.5)
    heap = y - base > z * sd * np.sqrt(1 + var_median)
    if (~heap).sum() < 5:
        return None
    return cells[~heap], widths[~heap]


def marginal(
    hist: np.ndarray,
    sizes: np.ndarray,
    plan: _Plan,
    threshold: float,
    numeric_from: int | None = None,
    tail_sds: float = 0.0,
    raw: np.ndarray | None = None,
    pooled_hist: np.ndarray | None = None,
    free: np.ndarray | None = None,
    extend: bool = False,
    anchors: float = 0.0,
    gap: int = 1,
    group: np.ndarray = _NO_CELLS,
) -> np.ndarray:
    """Per-stratum pmfs over cells, shrunk towards the pooled pmf by their noise.

    ``pooled_hist``: the strata's sum as measured with pooled measurements (smoothed
    with its own, smaller noise sd): the pooled pmf is projected from it once, and the
    strata's pmfs are raked so that their mixture is that pmf (``rake_to_margin``).

    Cells whose pooled noisy count is below ``threshold`` pooled noise sds are taken as
    empty in every stratum: otherwise noise alone scatters mass over cells, and ranges,
    that the data never reach. ``raw``: the histogram before smoothing
    (``estimate.smooth_counts``), on which the support is decided as without it:
    smoothing spreads mass thinly (a thin column would lose every cell to the
    threshold) and past the last cells the data reach (the tails). ``free``: cells whose
    (pooled) counts a log-density fit gave: kept as ``_fitted_support`` says, with the
    fit's small tail masses as they are (rescaled, not shifted by a projection onto the
    simplex); ``anchors`` and ``gap``: how far that run reaches (``_fitted_support``).
    ``group``: cells split from one (``zero_splits``), the first of them taken as empty
    as ``_empty_prefix`` says (no noise spike added where the data never reach)."""
    support = None
    if plan.sigma_hist is not None:
        pooled_sd = plan.pooled_sd(plan.sigma_hist, hist.shape[0])
        measured = hist if raw is None else raw
        counts = measured.sum(axis=0)
        support = counts >= threshold * pooled_sd
        if numeric_from is not None and tail_sds > 0:
            support &= _tail_support(measured, numeric_from, tail_sds * pooled_sd)
        support[_empty_prefix(counts, group, pooled_sd)] = False
        if free is not None:
            fit = (hist if pooled_hist is None else pooled_hist).sum(axis=0)
            support = _fitted_support(
                support, free, counts, fit, pooled_sd, extend, anchors=anchors, gap=gap
            )
        if not support.any():
            support = None
    fitted = (support, free) if free is not None and support is not None else None
    proj = (
        _rescaled(hist, sizes, *fitted)
        if fitted is not None and pooled_hist is None
        else project_simplex(hist, sizes, support)
    )
    # with pooled measurements the strata's sum is the better measured: projected once,
    # before each stratum's projection adds its own bias
    pooled_measured = pooled_hist is not None
    if pooled_hist is not None:
        total = sizes.sum(keepdims=True)
        pooled = (
            _rescaled(pooled_hist, total, *fitted)
            if fitted is not None
            else project_simplex(pooled_hist, total, support)
        )[0]
    else:
        pooled = proj.sum(axis=0)
    pooled = (
        pooled / pooled.sum() if pooled.sum() > 0 else np.full(hist.shape[1], 1 / hist.shape[1])
    )
    alpha = (
        0.0
        if plan.sigma_hist is None
        else plan.stratum_sd(plan.sigma_hist, hist.shape[0]) * math.sqrt(hist.shape[1])
    )
    denom = sizes[:, None] + alpha
    pmf = (proj + alpha * pooled) / np.where(denom > 0, denom, 1.0)
    empty = denom[:, 0] <= 0
    pmf[empty] = pooled
    pmf = pmf / pmf.sum(axis=1, keepdims=True)
    return rake_to_margin(pmf, sizes, pooled) if pooled_measured else pmf


def _empty_prefix(counts: np.ndarray, group: np.ndarray, sd: float, z: float = 2.0) -> np.ndarray:
    """The first cells of ``group`` (cells in increasing order, split from one) up to the
    last whose noisy sum from the group's start is under ``z`` noise sds of that sum: the
    nested intervals from the group's start that the data do not clearly reach. Each such
    sum is one noisy count, so that an empty stretch of k cells is kept whole or in part
    only when its sum clears ``z * sd * sqrt(k)`` (2.3% at z = 2), where cell by cell
    each of its cells would clear the threshold with 16% chance."""
    sums = np.cumsum(counts[group])
    under = np.flatnonzero(sums < z * sd * np.sqrt(np.arange(1, group.size + 1)))
    return group[: under[-1] + 1] if under.size else group[:0]


def _fitted_support(
    support: np.ndarray,
    free: np.ndarray,
    raw: np.ndarray,
    fit: np.ndarray,
    sd: float,
    extend: bool,
    z: float = 2.0,
    anchors: float = 0.0,
    gap: int = 1,
) -> np.ndarray:
    """The cells a log-density fit keeps: every fitted cell of the run's extent (isolated
    noise spikes inside it get the fit's small masses), and with ``extend`` each tail past
    it whose noisy sum ``raw`` is consistent with the fit's (not more than ``z`` noise sds
    below it: a sharp edge, such as an age limit, is kept sharp).

    The extent: with ``anchors`` 0, from the first to the last cell the thresholds keep.
    Otherwise from the outermost *anchors*, the kept cells whose noisy count clears
    ``isf(anchors / m)`` noise sds (m: the run's cells, so that about ``anchors`` of them
    would clear it on noise alone if all were empty), grown outward through kept cells
    that lie at most ``gap`` cells apart (``_anchored_extent``). A threshold of one noise sd
    is cleared by 16% of empty cells: the run's cells past the data (a bound at 2.0 over
    incomes that end at 1.5) then almost surely hold one, and the released range reached
    to it whatever the epsilon."""
    out = support.copy()
    kept = support[free]
    if not kept.any():
        return out
    if anchors > 0:
        from scipy.stats import norm

        strong = kept & (raw[free] >= norm.isf(min(anchors / free.size, 0.5)) * sd)
        lo, hi = _anchored_extent(kept, strong, raw[free], gap)
    else:
        on = np.flatnonzero(kept)
        lo, hi = int(on[0]), int(on[-1])
    keep = np.zeros(free.size, dtype=bool)
    keep[lo : hi + 1] = True
    for tail in (np.arange(lo), np.arange(hi + 1, free.size)):
        cells = free[tail]
        consistent = raw[cells].sum() >= fit[cells].sum() - z * sd * math.sqrt(tail.size)
        if extend and tail.size and consistent:
            keep[tail] = True
    out[free] = keep
    return out


def _anchored_extent(
    kept: np.ndarray, strong: np.ndarray, raw: np.ndarray, gap: int
) -> tuple[int, int]:
    """The first and last cell of a run's extent: from its outermost ``strong`` cells (the
    largest kept one when none is), outward through ``kept`` cells that lie at most ``gap``
    cells apart. A kept cell past a longer stretch of cells the thresholds dropped is taken
    as noise (the data's own tails thin out cell by cell)."""
    on = np.flatnonzero(kept)
    anchors = np.flatnonzero(strong)
    if anchors.size == 0:
        anchors = on[[int(np.argmax(raw[on]))]]
    lo, hi = int(anchors[0]), int(anchors[-1])
    step = np.diff(on) > gap + 1  # a break between on[i] and on[i + 1]
    if on[-1] > hi:
        first = int(np.searchsorted(on, hi))  # index of hi in on (hi is kept)
        breaks = np.flatnonzero(step[first:])
        hi = int(on[first + breaks[0]]) if breaks.size else int(on[-1])
    if on[0] < lo:
        last = int(np.searchsorted(on, lo))  # index of lo in on
        breaks = np.flatnonzero(step[:last])
        lo = int(on[breaks[-1] + 1]) if breaks.size else int(on[0])
    return lo, hi


def _rescaled(
    hist: np.ndarray, sizes: np.ndarray, support: np.ndarray, free: np.ndarray
) -> np.ndarray:
    """Each row's counts floored at 0 and set to 0 outside ``support``; the other cells (a
    null cell, point masses: each measured on its own) keep their counts, and the fitted
    run of ``free`` cells holds what they leave of the row's size, in the fit's shape.

    The run's total is known far better from the few other cells than from the sum of its
    own noisy cells (a column with 15% values spread over 32 cells: the null cell's noise
    sd against sqrt(32) of them), and can then not vanish while the others leave room."""
    h = np.where(support[None], np.maximum(np.atleast_2d(hist), 0.0), 0.0)
    run = np.zeros(h.shape[1], dtype=bool)
    run[free] = True
    run &= support
    size = np.asarray(sizes, dtype=float).reshape(-1, 1)
    room = np.maximum(size - h[:, ~run].sum(axis=1, keepdims=True), 0.0)
    have = h[:, run].sum(axis=1, keepdims=True)
    flat = np.full((h.shape[0], int(run.sum())), 1.0 / max(int(run.sum()), 1))
    h[:, run] = np.where(have > 0, h[:, run] / np.where(have > 0, have, 1.0), flat) * room
    tot = h.sum(axis=1, keepdims=True)
    return np.where(tot > 0, h / np.where(tot > 0, tot, 1.0), 0.0) * size


def rake_to_margin(
    pmf: np.ndarray, sizes: np.ndarray, target: np.ndarray, iters: int = 50
) -> np.ndarray:
    """Per-stratum pmfs rescaled so that their mixture (weights ``sizes``) is ``target``,
    each still summing to 1: iterative proportional fitting of the strata x cells table
    to its two margins (post-processing). Cells the target leaves empty empty out."""
    w = np.maximum(sizes, 0.0)
    if w.sum() <= 0:
        return pmf
    table = pmf * (w / w.sum())[:, None]
    rows = w / w.sum()
    for _ in range(iters):
        col = table.sum(axis=0)
        table *= np.where(col > 0, target / np.where(col > 0, col, 1.0), 0.0)[None]
        row = table.sum(axis=1)
        table *= np.where(row > 0, rows / np.where(row > 0, row, 1.0), 0.0)[:, None]
        if np.abs(table.sum(axis=0) - target).max() < 1e-9:
            break
    out = table / np.maximum(table.sum(axis=1, keepdims=True), 1e-300)
    bad = table.sum(axis=1) <= 0
    out[bad] = pmf[bad]
    return out
