"""Pair calibration (issue 22): the copula's sample raked to noisy 2-way marginals.

The copula carries the joint structure through one latent correlation per pair of columns;
what it cannot express (count columns with point masses, categories whose association is
not monotone) shows as pairs whose 2-way marginals it gets wrong. After the copula is
fitted, the fit

1. groups every column's cells into at most ``pair_groups`` groups, from the *model's*
   margins (released, so public): ordered cells into runs of about equal mass, categories
   as the most likely ones plus one group for the rest;
2. scores every pair of columns by the L1 distance between the data's grouped 2-way counts
   and the model's (estimated from a draw of the fitted model, scaled by the released row
   count): adding or removing one record moves each score by at most 1;
3. selects ``k`` pairs (k = the number of modelled columns, public) in ``k`` rounds of
   report-noisy-max (Gumbel noise: the exponential mechanism; OpenDP's ``make_noisy_max``
   in zCDP), without replacement;
4. measures the selected pairs' grouped 2-way counts with the Gaussian mechanism (each
   record adds 1 to one cell of each: L2 sensitivity sqrt(k)).

Where both columns of a chosen pair are modelled inside the copula (not strata), the latent
correlation is corrected first (``pair_correlation``; post-processing): the polychoric
correlation of the measured table minus that of the model's own table, both at their own
margins, is added to the pair's correlation in every stratum, so that near-functional pairs
(a grade and its sub-grade) that the noisy Gram attenuated get their rows back.

Sampling (post-processing) draws ``pair_oversample`` times the rows asked for from the
copula, weights them by iterative proportional fitting to the noisy counts (each count
first pulled towards the model's by one noise sd: a difference smaller than the noise is
not trusted), tempers the weights when they would leave fewer than ``pair_min_ess`` of the
draws effectively in use, and resamples the rows asked for by weight. Conditions,
rebalancing and scenarios sample the copula alone (their targets are not the unconditional
marginals the pairs measured).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from tabsynth.data.domain import ColumnDomain
from tabsynth.models.copula.bridge import _POWERS, GRID, TERMS, _hermite_table

PAIR_SELECT_MECHANISM = "choice of column pairs (report-noisy-max, Gumbel)"
PAIR_MECHANISM = "2-way marginals of the chosen column pairs (grouped cells)"


def group_map(dom: ColumnDomain, margin: np.ndarray, n_groups: int) -> np.ndarray:
    """Cell -> group of one column, from its (public) model margin: ordered cells in runs
    of about equal mass (ordered categories too), other categories as the likeliest
    ``n_groups - 1`` plus the rest. A column with at most ``n_groups`` cells keeps them."""
    m = margin.size
    if m <= n_groups:
        return np.arange(m, dtype=np.int64)
    p = np.clip(margin, 0.0, None)
    p = p / p.sum() if p.sum() > 0 else np.full(m, 1 / m)
    if dom.is_numeric or dom.integer or dom.ordered:  # the model's ``_ordered``
        cum = np.cumsum(p) - p / 2  # each cell by its middle
        g = np.minimum((cum * n_groups).astype(np.int64), n_groups - 1)
        return np.unique(np.maximum.accumulate(g), return_inverse=True)[1].astype(np.int64)
    out = np.full(m, n_groups - 1, dtype=np.int64)
    out[np.argsort(-p, kind="stable")[: n_groups - 1]] = np.arange(n_groups - 1)
    return out


def pair_index(codes: dict[str, np.ndarray], sizes: dict[str, int], a: str, b: str) -> np.ndarray:
    """Each row's cell of the grouped (a, b) table."""
    return codes[a] * sizes[b] + codes[b]


def pair_counts(
    codes: dict[str, np.ndarray],
    sizes: dict[str, int],
    pairs: list[tuple[str, str]],
    weights: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Grouped 2-way counts of every pair (weighted when ``weights`` is given)."""
    return [
        np.bincount(pair_index(codes, sizes, a, b), weights, minlength=sizes[a] * sizes[b])
        for a, b in pairs
    ]


def pair_scores(exact: list[np.ndarray], model: list[np.ndarray], rows: float) -> np.ndarray:
    """L1 distance of each pair's exact counts from the model's pmf times ``rows`` (the
    released row count): one record more or less moves each score by at most 1."""
    return np.array([np.abs(e - rows * p).sum() for e, p in zip(exact, model, strict=True)])


def rake(
    idx: list[np.ndarray],
    targets: list[np.ndarray],
    *,
    iters: int = 20,
    min_ess: float = 0.3,
) -> np.ndarray:
    """Weights of the drawn rows (``idx``: each row's cell of each pair) whose weighted
    2-way tables match ``targets`` (iterative proportional fitting, ratios kept within
    1/1000 and 1000), tempered as ``w ** t`` with the largest t in [0, 1] that keeps an
    effective sample size of at least ``min_ess`` of the rows. Sums to 1."""
    n = idx[0].size if idx else 0
    w = np.ones(n)
    for _ in range(iters):
        for j, y in zip(idx, targets, strict=True):
            cur = np.bincount(j, w, minlength=y.size)
            goal = y / y.sum() * w.sum() if y.sum() > 0 else cur
            ratio = np.where(cur > 0, goal / np.maximum(cur, 1e-300), 1.0)
            w *= np.clip(ratio, 1e-3, 1e3)[j]
            w /= w.mean()
    logw = np.log(np.maximum(w, 1e-300))
    logw -= logw.max()
    if _ess(logw) < min_ess:
        lo, hi = 0.0, 1.0
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _ess(mid * logw) >= min_ess else (lo, mid)
        logw = lo * logw
    w = np.exp(logw)
    return w / w.sum()


def _ess(logw: np.ndarray) -> float:
    """Effective sample size of weights exp(logw), as a share of their number."""
    w = np.exp(logw - logw.max())
    return float(w.sum() ** 2 / (w**2).sum() / w.size)


def trusted_targets(
    noisy: list[np.ndarray], model: list[np.ndarray], rows: float, sigma: float
) -> list[np.ndarray]:
    """Each noisy count pulled towards the model's by one noise sd (soft thresholding of
    the difference), then floored at 0: differences within the noise are not trusted."""
    out = []
    for y, p in zip(noisy, model, strict=True):
        base = rows * p
        diff = y - base
        out.append(np.maximum(base + np.sign(diff) * np.maximum(np.abs(diff) - sigma, 0.0), 0))
    return out


def _band_coefficients(p: np.ndarray) -> np.ndarray:
    """``int phi He_k / sqrt(k!)`` over each group's latent band (k = 1..TERMS), the
    bands cut at the normal quantiles of the cumulative ``p``: groups x terms."""
    cdf = np.concatenate([[0.0], np.cumsum(p)])
    cdf[-1] = 1.0
    h = _hermite_table(ndtri(np.clip(cdf, 0.0, 1.0)), TERMS - 1)  # (terms, groups + 1)
    k = np.arange(1, TERMS + 1)[:, None]
    return ((h[:, :-1] - h[:, 1:]) / np.sqrt(k)).T


def polychoric(table: np.ndarray, shape: tuple[int, int]) -> float:
    """The latent correlation (on the bridge's grid) under which a bivariate normal, cut at
    the table's own margins, gives the grouped 2-way ``table`` the highest likelihood.
    Mehler's series: P_ij(r) = p_i q_j + sum_k r^k a_ik b_jk."""
    t = np.maximum(np.asarray(table, dtype=float).reshape(shape), 0.0)
    if t.sum() <= 0:
        return 0.0
    t = t / t.sum()
    p, q = t.sum(axis=1), t.sum(axis=0)
    a, b = _band_coefficients(p), _band_coefficients(q)
    series = (a[:, None, :] * b[None, :, :]).reshape(-1, TERMS) @ _POWERS  # (pq cells, grid)
    probs = np.outer(p, q)[..., None] + series.reshape(p.size, q.size, -1)
    loglik = (t[..., None] * np.log(np.maximum(probs, 1e-12))).sum(axis=(0, 1))
    return float(GRID[int(np.argmax(loglik))])
