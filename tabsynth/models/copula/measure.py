"""The copula's measurements: stratum counts, per-stratum histograms and Gram matrices of
clipped normal scores (each charged just before its noise is drawn), and their estimates."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tabsynth.data.domain import ColumnDomain
from tabsynth.models.copula.bridge import (
    blend_valid,
    column_coefficients,
    exact_cells,
    latent_correlation,
)
from tabsynth.models.copula.coarse import coarse_pmfs
from tabsynth.models.copula.estimate import (
    _from_upper,
    _to_corr,
    _upper,
    agree_with_sum,
    clipped_score_variance,
    learned_shrink,
    nearest_correlation,
    unclip_correlation,
)
from tabsynth.models.copula.margins import column_pmfs
from tabsynth.models.copula.plan import (
    CopulaConfig,
    _choose_strata,
    _noise_label,
    _Plan,
    gram_mechanism,
    hist_mechanism,
)
from tabsynth.models.copula.refine import zero_edges
from tabsynth.models.copula.state import _Fitted
from tabsynth.privacy import gaussian_sigma
from tabsynth.privacy.records import Mechanism


class _Measuring(_Fitted):
    """Measure and estimate (mixed into ``CopulaSynthesizer``)."""

    def _strata(
        self,
        n: int,
        public: dict[str, ColumnDomain],
        cfg: CopulaConfig,
        rho: float | None,
        noise: Any,
    ) -> tuple[list[str], Mechanism | None, float | None]:
        """Strata columns, the mechanism that sized them (if any), and the rho left.

        Declared ``schema.strata`` are used as given (up to ``max_strata`` strata). Default
        strata are the target (kept while strata average ``min_stratum_rows`` rows), then
        protected attributes, added while strata also average ``stratum_snr`` histogram
        noise sds; rows are counted with noise costing ``size_share`` of rho.
        """
        names = self.schema.resolved_strata()
        if self.schema.strata is not None or not names:
            return (
                _choose_strata(names, public, limit=cfg.max_strata, n_rows=math.inf, min_rows=0),
                None,
                rho,
            )
        if rho is None:
            return (
                _choose_strata(
                    names, public, limit=cfg.max_strata, n_rows=n, min_rows=cfg.min_stratum_rows
                ),
                None,
                None,
            )
        r, k = rho * cfg.size_share, self.schema.max_rows_per_unit
        sigma = gaussian_sigma(sensitivity=float(k), rho=r)
        self._charge(mechanism="row count (sizes the strata)", rho=r, delta=0.0)
        n_hat = float(noise.gaussian_counts(np.array([n]), sigma)[0])
        d = len(public)
        sigma_hist = gaussian_sigma(sensitivity=k * math.sqrt(d), rho=(rho - r) * cfg.split[1])
        min_rows = max(cfg.min_stratum_rows, cfg.stratum_snr * sigma_hist)
        mech = Mechanism(
            name="row count (sizes the strata)",
            sensitivity=float(k),
            sigma=sigma,
            rho=r,
            noise=_noise_label(noise.secure),
        )
        first = cfg.min_stratum_rows if self.schema.target == names[0] else None
        strata = _choose_strata(
            names,
            public,
            limit=cfg.max_strata,
            n_rows=n_hat,
            min_rows=min_rows,
            min_rows_first=first,
        )
        return strata, mech, rho - r

    @staticmethod
    def _measure(
        counts: np.ndarray, hists: list[np.ndarray], plan: _Plan, noise: Any
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Noise on the exact stratum counts and per-stratum histograms (with ``plan.pooled``
        also on each histogram's sum over the strata, in the same draw, after which the
        strata are made to agree with that noisy sum by least squares)."""
        if plan.sigma_strata is not None:
            counts = noise.gaussian_counts(counts, plan.sigma_strata)
        if plan.sigma_hist is not None and hists:
            parts_in = [h.ravel() for h in hists]
            if plan.pooled:
                parts_in += [h.sum(axis=0) for h in hists]
            flat = noise.gaussian_counts(np.concatenate(parts_in), plan.sigma_hist)
            parts = np.split(flat, np.cumsum([p.size for p in parts_in])[:-1])
            out = [a.reshape(h.shape) for a, h in zip(parts, hists, strict=False)]
            if plan.pooled:
                out = [
                    agree_with_sum(h.astype(float), s.astype(float))
                    for h, s in zip(out, parts[len(hists) :], strict=True)
                ]
            hists = out
        return counts, hists

    def _margins(
        self,
        exact: tuple[np.ndarray, list[np.ndarray]],
        doms: list[ColumnDomain],
        plan: _Plan,
        cfg: CopulaConfig,
        noise: Any,
        charged: dict[str, Mechanism],
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """Every column's per-stratum pmfs and the strata's sizes from the exact stratum
        counts and per-stratum histograms ``exact``: measured per cell beside their pooled
        sum, or (``strata_cells``) pooled first and per stratum over groups of cells
        (``coarse.py``). Each measurement is charged just before its noise is drawn."""
        zero = zero_edges(self.schema, cfg.bins, cfg.zero_splits)
        if plan.sigma_coarse is not None:
            _, pmfs, sizes = coarse_pmfs(
                doms, *exact, plan, cfg, noise, self._cell_order,
                lambda name: self._charge(charged[name]), zero,
            )  # fmt: skip
            return pmfs, sizes
        for name in ("stratum counts", hist_mechanism(plan.pooled)):
            if name in charged:
                self._charge(charged[name])
        counts, hists = self._measure(*exact, plan, noise)
        sizes = self._stratum_sizes(counts, hists, plan, exact[0].size)
        return column_pmfs(doms, hists, sizes, plan, cfg, zero), sizes

    @staticmethod
    def _stratum_sizes(
        counts: np.ndarray, hists: list[np.ndarray], plan: _Plan, n_strata: int
    ) -> np.ndarray:
        """Inverse-variance blend of the noisy counts and every histogram's total."""
        if plan.rho is None:
            return counts.astype(float)
        est, wts = [], []
        if plan.sigma_strata is not None:
            est.append(counts.astype(float))
            wts.append(1 / plan.sigma_strata**2)
        if plan.sigma_hist is not None:
            for h in hists:
                est.append(h.sum(axis=1).astype(float))
                wts.append(1 / (h.shape[1] * plan.sigma_hist**2))
        sizes = np.average(np.stack(est), axis=0, weights=np.asarray(wts))
        return np.maximum(sizes, 0.0).reshape(n_strata)

    @staticmethod
    def _cell_order(dom: ColumnDomain, pmf: np.ndarray) -> np.ndarray:
        """Cells in CDF order: numbers by value (null first), ordered categories in the
        schema's order (null first, ``other`` last), other categories by pooled frequency."""
        if dom.is_numeric or dom.ordered:
            return np.arange(dom.n_cells)
        return np.argsort(-pmf.sum(axis=0), kind="stable")

    def _correlations(
        self,
        src: Any,
        domains: dict[str, ColumnDomain],
        strata: list[str],
        others: list[str],
        pmfs: list[np.ndarray],
        orders: list[np.ndarray],
        sizes: np.ndarray,
        plan: _Plan,
        noise: Any,
        jitter_key: int,
    ) -> np.ndarray:
        from functools import partial

        from tabsynth.engines.stats import gram_sums

        d, n_strata = len(others), sizes.size
        if d < 2:
            return np.tile(np.eye(d), (n_strata, 1, 1))
        pooled_only = self._config().correlation == "pooled"
        gram = src.run(
            partial(
                gram_sums,
                domains=domains,
                strata=strata,
                others=others,
                pmfs=pmfs,
                orders=orders,
                clip_norm=plan.clip_norm if plan.rho is not None else None,
                jitter_key=jitter_key,
                pooled=pooled_only,
            ),
            self.schema,
        ).arrays["gram"]
        if plan.sigma_gram is not None:
            name = gram_mechanism(self._config(), plan.pooled)
            self._charge(next(m for m in plan.mechanisms if m.name == name))
            gram = self._noisy_gram(gram, sizes, plan, noise)
        coefs = pooled_coefs = None
        if self._config().latent_bridge:
            coefs, pooled_coefs = _coefficients([domains[c] for c in others], pmfs, orders, sizes)
        if pooled_only:
            # one correlation for every stratum: bridged once, with the pooled margins
            pooled = self._pooled_corr(gram, sizes.sum(), plan, 1, pooled_coefs)[None]
            if pooled_coefs is not None:
                pooled = nearest_correlation(
                    blend_valid(pooled[0], latent_correlation(pooled, pooled_coefs[None])[0])
                )[None]
            return np.repeat(pooled, n_strata, 0)
        corr = self._shrink(gram, sizes, plan, coefs, pooled_coefs)
        if coefs is not None:
            latent = latent_correlation(corr, coefs)
            corr = np.stack(
                [nearest_correlation(blend_valid(c, x)) for c, x in zip(corr, latent, strict=True)]
            )
        return corr

    def _unclips(self, plan: _Plan) -> bool:
        """Whether the scores were clipped (a private fit) and their pull is undone."""
        return plan.rho is not None and self._config().unclip

    def _noisy_gram(
        self, gram: np.ndarray, sizes: np.ndarray, plan: _Plan, noise: Any
    ) -> np.ndarray:
        """Noise on the Gram matrices (``plan.sigma_gram``). With ``gram="offdiag"`` only
        their off-diagonal is measured (half the sensitivity's square) and each diagonal
        is its stratum's noisy size times the clipped scores' known variance. With
        ``plan.pooled`` the strata's sum is measured in the same draw and the strata are
        made to agree with it (``estimate.agree_with_sum``)."""
        d, k = gram.shape[-1], int(self._config().gram != "full")
        pooled = plan.pooled and gram.shape[0] > 1
        flat = _upper(
            np.concatenate([gram, gram.sum(axis=0, keepdims=True)]) if pooled else gram, k
        )
        noisy = _from_upper(noise.gaussian_values(flat, plan.sigma_gram), d, k)
        if pooled:  # the strata made to agree with their noisy sum
            noisy = agree_with_sum(noisy[:-1], noisy[-1])
        if self._config().gram == "full":
            return noisy
        n_g = sizes.reshape(-1) if gram.shape[0] == sizes.size else sizes.sum(keepdims=True)
        noisy[:, np.arange(d), np.arange(d)] = n_g[:, None] * clipped_score_variance(
            d, plan.clip_norm**2
        )
        return noisy

    def _pooled_corr(
        self,
        gram: np.ndarray,
        n_total: float,
        plan: _Plan,
        n_parts: int,
        coefs: np.ndarray | None = None,
    ) -> np.ndarray:
        """The correlation of all rows from the sum of ``n_parts`` noisy Gram matrices,
        shrunk towards the identity in proportion to its noise.

        With the bridge's ``coefs`` the prior spread ``shrink_tau`` is one of latent
        correlations: a pair whose scores move little with the latent (rare booleans,
        skewed counts) is measured with less signal for the same noise, and shrunk more;
        the sampling error (variance about 1/n) then counts beside the noise, as the
        bridge amplifies both.
        """
        tau2 = self._config().shrink_tau ** 2 * _slopes(coefs, gram.shape[1])
        n_total = max(n_total, 1.0)
        pooled = _score_corr(gram.sum(axis=0), n_total, plan, self._unclips(plan))
        var = (
            0.0
            if plan.sigma_gram is None
            else (plan.pooled_sd(plan.sigma_gram, n_parts) / n_total) ** 2
        )
        var += 0.0 if coefs is None else 1 / n_total
        if var > 0 and self._config().correlation_prior in ("learned", "learned_spread"):
            # the scores' correlations under a prior learned from every pair of them
            iu = np.triu_indices(gram.shape[1], 1)
            post = learned_shrink(pooled[iu], np.full(iu[0].size, math.sqrt(var)))
            pooled = np.eye(gram.shape[1])
            pooled[iu] = pooled[iu[1], iu[0]] = post
        elif var > 0:
            lam0 = tau2 / (tau2 + var)
            pooled = lam0 * pooled + (1 - lam0) * np.eye(gram.shape[1])
        return nearest_correlation(pooled)

    def _shrink(
        self,
        gram: np.ndarray,
        sizes: np.ndarray,
        plan: _Plan,
        coefs: np.ndarray | None = None,
        pooled_coefs: np.ndarray | None = None,
    ) -> np.ndarray:
        """Correlations per stratum, shrunk towards the pooled one in proportion to noise
        (in latent units with the bridge's ``coefs``, as in ``_pooled_corr``)."""
        n_strata, d = gram.shape[0], gram.shape[1]
        tau2 = self._config().shrink_tau ** 2
        pooled = self._pooled_corr(gram, sizes.sum(), plan, n_strata, pooled_coefs)
        out = np.empty_like(gram)
        rs = [
            _score_corr(g, max(n, 1.0), plan, self._unclips(plan))
            for g, n in zip(gram, sizes, strict=True)
        ]
        variances = [
            (
                0.0
                if plan.sigma_gram is None
                else (plan.stratum_sd(plan.sigma_gram, n_strata) / max(n, 1.0)) ** 2
            )
            + (0.0 if coefs is None else 1 / max(n, 1.0))
            for n in sizes
        ]
        if self._config().correlation_prior == "learned_spread" and n_strata > 1:
            tau2 = _spread(rs, pooled, variances, sizes)
        for s in range(n_strata):
            if sizes[s] <= 1:
                out[s] = pooled
                continue
            r, var = rs[s], variances[s]
            t2 = tau2 * _slopes(None if coefs is None else coefs[s], d)
            lam = t2 / (t2 + var) if var > 0 else 1.0
            out[s] = nearest_correlation(lam * r + (1 - lam) * pooled)
        return out


def _spread(
    rs: list[np.ndarray], pooled: np.ndarray, variances: list[float], sizes: np.ndarray
) -> float:
    """The spread of the strata's correlations about the pooled one, learned from the noisy
    ones by the method of moments: the mean squared deviation less the known noise variance
    (floored at 0.05^2). Post-processing of released values only."""
    iu = np.triu_indices(pooled.shape[0], 1)
    excess = [
        float(np.mean((r[iu] - pooled[iu]) ** 2)) - v
        for r, v, n in zip(rs, variances, sizes, strict=True)
        if n > 1
    ]
    return max(float(np.mean(excess)) if excess else 0.0, 0.05**2)


def _score_corr(gram: np.ndarray, n: float, plan: _Plan, unclip: bool) -> np.ndarray:
    """The scores' correlation from a (noisy) Gram matrix; in a private fit, whose rows were
    clipped, with the clipping's pull towards 0 undone when ``unclip``
    (``estimate.unclip_correlation``)."""
    r = _to_corr(gram, n)
    return r if not unclip else unclip_correlation(r, plan.clip_norm**2)


def _coefficients(
    doms: list[ColumnDomain], pmfs: list[np.ndarray], orders: list[np.ndarray], sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The bridge's Hermite coefficients (``bridge.py``) of every column's normal score,
    per stratum (strata x columns x terms) and for the pooled pmfs (columns x terms): from
    the DP pmfs and sizes only."""
    w = sizes / sizes.sum() if sizes.sum() > 0 else np.full(sizes.size, 1 / sizes.size)
    rows = [
        np.vstack([pmf[:, order], w @ pmf[:, order]])
        for pmf, order in zip(pmfs, orders, strict=True)
    ]
    exact = [exact_cells(dom)[order] for dom, order in zip(doms, orders, strict=True)]
    coefs = column_coefficients(rows, exact)
    return coefs[:-1], coefs[-1]


def _slopes(coefs: np.ndarray | None, d: int) -> np.ndarray:
    """Squared slopes at 0 of the scores' correlation in the latent one (1 without)."""
    if coefs is None:
        return np.ones((d, d))
    a = coefs[:, 0]
    return np.outer(a, a) ** 2  # type: ignore[no-any-return]
