"""Sampling a fitted copula (post-processing): a stratum per row, correlated normal scores,
each column decoded through its DP marginal; conditions, scenarios and marginals."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import polars as pl
from scipy.special import ndtr, ndtri

from tabsynth.data.domain import ColumnDomain
from tabsynth.errors import (
    SamplingError,
)
from tabsynth.models.copula.pairs import pair_index, rake
from tabsynth.models.copula.plan import _stratum_cells
from tabsynth.models.copula.state import _Fitted


class _Sampler(_Fitted):
    """Sampling (mixed into ``CopulaSynthesizer``)."""

    def _sample(
        self,
        n: int,
        rng: np.random.Generator,
        where: dict[str, int] | None = None,
        band: tuple[str, float, float] | None = None,
        strata_weights: np.ndarray | None = None,
    ) -> pl.DataFrame:
        """Draw rows (``_sample_copula``), raked to the measured pairs when the model has
        them and the draw is unconditional (``pairs.py``)."""
        if getattr(self, "pairs_", None) and not where and band is None and strata_weights is None:
            return self._sample_calibrated(n, rng)
        return self._sample_copula(n, rng, where, band, strata_weights)

    def _sample_calibrated(self, n: int, rng: np.random.Generator) -> pl.DataFrame:
        """``pair_oversample`` x n rows of the copula, weighted to the pairs' target tables,
        then n of them drawn by weight."""
        cfg = self.config_
        m = n * cfg.pair_oversample
        big = self._sample_copula(m, rng)
        if n == 0:
            return big
        domains = self._domains()
        codes = {
            c: g[domains[c].encode(big.get_column(c))[0]] for c, g in self.pair_groups_.items()
        }
        sizes = {c: int(g.max()) + 1 for c, g in self.pair_groups_.items()}
        idx = [pair_index(codes, sizes, a, b) for a, b in self.pairs_]
        w = rake(idx, self.pair_targets_, min_ess=cfg.pair_min_ess)
        kept = big.select(list(domains))[rng.choice(m, size=n, p=w)]
        return self._add_unmodelled(kept, n)  # fresh ids for n rows

    def _sample_copula(
        self,
        n: int,
        rng: np.random.Generator,
        where: dict[str, int] | None = None,
        band: tuple[str, float, float] | None = None,
        strata_weights: np.ndarray | None = None,
    ) -> pl.DataFrame:
        """Draw rows; ``where`` maps columns to cell indices to condition on, exactly.

        Conditions on strata columns select strata. One condition on another column is
        sampled exactly too: its latent normal is drawn within the cell's interval (by the
        inverse CDF, no rejection) and the other columns from their conditional normal.
        """
        domains = self._domains()
        radices = [domains[s].n_cells for s in self.strata_]
        where = dict(where or {})
        weights = self._strata_weights(where, radices)
        if strata_weights is not None:
            weights = np.where(weights > 0, strata_weights, 0.0)
        cond = [c for c in where if c not in self.strata_]
        if band is not None:  # a quantile band of one column's latent (tails scenario)
            if cond:
                raise SamplingError(
                    f"a tails scenario cannot be combined with a condition on {cond}"
                )
            col = self.others_.index(band[0])
            lims = (np.full(weights.size, band[1]), np.full(weights.size, band[2]))
            return self._draw(n, rng, weights, col, lims, domains, radices)
        if len(cond) > 1:
            raise SamplingError(
                f"the copula conditions exactly on its strata {self.strata_} plus "
                f"one other column; got {cond}. Fix: drop all but one of them."
            )
        j = self.others_.index(cond[0]) if cond else None
        bands = self._bands(j, where[cond[0]]) if j is not None else None
        if bands is not None:
            weights = weights * (bands[1] - bands[0])
        if not weights.sum() > 0:
            asked = {c: domains[c].decode(np.array([k]), None)[0] for c, k in where.items()}
            raise SamplingError(
                f"impossible condition {asked}: the fitted model gives it probability 0 (its "
                "DP marginal put no mass there). Fix: condition on a value the model holds "
                "(model.marginal(column) lists them), or fit with a larger epsilon."
            )
        return self._draw(n, rng, weights, j, bands, domains, radices)

    def _draw(
        self,
        n: int,
        rng: np.random.Generator,
        weights: np.ndarray,
        j: int | None,
        bands: tuple[np.ndarray, np.ndarray] | None,
        domains: dict[str, ColumnDomain],
        radices: list[int],
    ) -> pl.DataFrame:
        per = rng.multinomial(n, weights / weights.sum())
        z = self._latent(per, rng, j, bands)
        perm = rng.permutation(n)
        k = np.repeat(np.arange(per.size), per)[perm]
        u = ndtr(z[:, perm], dtype=np.float64)
        np.minimum(u, 1 - 1e-9, out=u)  # so that u + k stays inside stratum k's block
        columns: dict[str, pl.Series] = {}
        for i, name in enumerate(self.others_):
            columns[name] = self._decode_column(domains[name], u[i], k, i)
        for name, cells in zip(self.strata_, _stratum_cells(k, radices), strict=True):
            columns[name] = domains[name].decode(cells, None)
        out = pl.DataFrame([columns[c] for c in domains])
        return self._add_unmodelled(out, n)

    # --- what the scenarios of ``tabsynth.sampling.scenarios`` draw from -----------------
    scenarios: ClassVar[tuple[str, ...]] = ("tails", "rare")
    # strata by their DP weights, each cell by its stratum's DP pmf: never a zero cell
    draws_in_support: ClassVar[bool] = True

    def _strata_count(self) -> int:
        """How many strata the model samples from (the rare scenario evens them out)."""
        return len(self.weights_)

    def _numeric_columns(self) -> list[str]:
        """The numerical columns whose tails the tails scenario draws (not strata)."""
        domains = self._domains()
        return [c for c in self.others_ if domains[c].is_numeric]

    def marginal(self, column: str) -> dict[Any, float]:
        """The fitted model's marginal distribution of a categorical or boolean column."""
        domains = self._domains()
        dom = domains[column]
        if column in self.strata_:
            radices = [domains[s].n_cells for s in self.strata_]
            cells = _stratum_cells(np.arange(len(self.weights_)), radices)[
                self.strata_.index(column)
            ]
            probs = np.bincount(cells, weights=self.weights_, minlength=dom.n_cells)
        else:
            probs = self.weights_ @ self.pmfs_[self.others_.index(column)]
        labels = (["<null>"] if dom.nullable else []) + list(dom.labels)
        return {label: float(p) for label, p in zip(labels, probs, strict=True)}

    def _cell_domain(self, column: str) -> ColumnDomain:
        return self._domains()[column]

    def _can_condition(self, columns: list[str]) -> bool:
        """Exact on the strata plus one other column (``_sample``)."""
        return sum(c not in self.strata_ for c in columns) <= 1

    def _joint(self, columns: list[str]) -> np.ndarray | None:
        """Exact joint pmf of strata columns and at most one other column: the stratum
        weights times that column's per-stratum pmf, summed over the other strata."""
        rest = [c for c in columns if c not in self.strata_]
        if len(rest) > 1:
            return None
        doms = self._domains()
        k = len(self.weights_)
        mass = self.weights_[:, None] * (
            self.pmfs_[self.others_.index(rest[0])] if rest else np.ones((k, 1))
        )
        m = mass.shape[1]
        cells = _stratum_cells(np.arange(k), [doms[s].n_cells for s in self.strata_])
        index = tuple(
            np.repeat(cells[self.strata_.index(c)], m)
            if c in self.strata_
            else np.tile(np.arange(m), k)
            for c in columns
        )
        out = np.zeros([doms[c].n_cells for c in columns])
        np.add.at(out, index, mass.ravel())
        return out

    def _strata_weights(self, where: dict[str, int], radices: list[int]) -> np.ndarray:
        weights = self.weights_.astype(float).copy()
        cells = _stratum_cells(np.arange(weights.size), radices)
        for name, cell_of in zip(self.strata_, cells, strict=True):
            if name in where:
                weights[cell_of != where[name]] = 0.0
        return weights

    def _bands(self, j: int, cell: int) -> tuple[np.ndarray, np.ndarray]:
        """Per stratum, the CDF interval [lo, hi) of ``cell`` of column ``j``."""
        order = self.orders_[j]
        p_ord = self.pmfs_[j][:, order]
        r = int(np.flatnonzero(order == cell)[0])
        hi = np.cumsum(p_ord, axis=1)[:, r]
        return hi - p_ord[:, r], hi

    def _latent(
        self,
        per: np.ndarray,
        rng: np.random.Generator,
        j: int | None,
        bands: tuple[np.ndarray, np.ndarray] | None,
    ) -> np.ndarray:
        """Latent normals, one row per column, strata in contiguous blocks."""
        d, n = len(self.others_), int(per.sum())
        # one row per column (contiguous per column), float32: sampling precision is ample
        z = np.empty((d, n), dtype=np.float32)
        bounds = np.concatenate([[0], np.cumsum(per)])
        for s in np.flatnonzero(per):
            block = slice(bounds[s], bounds[s + 1])
            corr = self.corr_[s]
            if j is None or bands is None:
                chol = np.linalg.cholesky(corr).astype(np.float32)
                z[:, block] = chol @ rng.standard_normal((d, per[s]), dtype=np.float32)
                continue
            lo, hi = bands[0][s], bands[1][s]
            zj = ndtri(np.clip(lo + (hi - lo) * rng.random(per[s]), 1e-12, 1 - 1e-12))
            rest = [i for i in range(d) if i != j]
            beta = corr[rest, j]
            cov = corr[np.ix_(rest, rest)] - np.outer(beta, beta)
            chol = np.linalg.cholesky(cov + 1e-9 * np.eye(len(rest)))
            z[j, block] = zj
            z[rest, block] = np.outer(beta, zj) + chol @ rng.standard_normal((len(rest), per[s]))
        return z

    def _decode_column(self, dom: ColumnDomain, u: np.ndarray, k: np.ndarray, j: int) -> pl.Series:
        """Cells and positions for uniforms ``u`` of rows in strata ``k``, in one pass.

        Stratum s's CDF is shifted by s and all are concatenated, so that one searchsorted
        of ``u + k`` finds every row's cell whatever its stratum.
        """
        order = self.orders_[j]
        m = order.size
        p_ord = self.pmfs_[j][:, order]
        cdf = np.cumsum(p_ord, axis=1)
        cdf[:, -1] = 1.0
        shifted = (cdf + np.arange(cdf.shape[0])[:, None]).ravel()
        flat = np.searchsorted(shifted, u + k, side="right")
        cells = order[flat - k * m]
        if not dom.continuous:  # categories and points need no position within the cell
            return dom.decode(cells, None)
        p = p_ord.ravel()[flat]
        lo = cdf.ravel()[flat] - p
        pos = np.clip((u - lo) / np.maximum(p, 1e-300), 0.0, 1.0)
        return dom.decode(cells, pos)
