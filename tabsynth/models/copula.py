"""Stratified DP Gaussian copula: a mixture of Gaussian copulas over strata.

Design (justified with measurements in ``benchmarks/RESULTS.md``):

* Strata are the combinations of the target and protected attributes (or ``schema.strata``).
  Their list comes from the schema, so it is public. Each stratum gets its own marginals and
  its own correlation, which captures how every column depends on the target (a plain copula
  cannot) and makes conditional sampling on strata exact.
* Three measurements, all Gaussian noise on public cells, accounted in zCDP
  (add/remove-one neighbours; one record lies in exactly one stratum, so the strata are
  measured in parallel):

  1. stratum counts: L2 sensitivity 1;
  2. per-stratum histograms of every other column over its public cells: one record moves
     one cell per column, L2 sensitivity sqrt(d);
  3. per-stratum Gram matrix of normal scores (upper triangle): each record's score vector
     is scaled to norm at most C, so the sensitivity is C^2.

  The budget is split 10% / 50% / 40% of rho by default (``CopulaConfig.split``).
* Post-processing (free): stratum sizes from an inverse-variance blend of the counts and the
  histogram totals; histograms projected onto the simplex; small strata shrunk towards the
  pooled estimates in proportion to their noise; correlations projected to a valid matrix.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy.special import ndtr, ndtri

from tabsynth.data.domain import ColumnDomain, build_domains
from tabsynth.engines.stats import clip_rows  # noqa: F401 - public here too
from tabsynth.errors import (
    DataValidationError,
    PrivacyError,
    SamplingError,
)
from tabsynth.models.base import Mechanism, PrivacyInfo, Synthesizer, register
from tabsynth.privacy import NEIGHBOURING, epsilon_to_rho, gaussian_sigma, get_accountant
from tabsynth.privacy.discrete import discrete_gaussian_threshold
from tabsynth.privacy.keyed import fit_key

log = logging.getLogger(__name__)
ATOM_MECHANISM = "atom discovery (thresholded Gaussian sparse histogram)"
GRAM_MECHANISM = {
    "stratum": "per-stratum Gram matrix of clipped normal scores",
    "pooled": "Gram matrix of clipped normal scores (strata pooled)",
}


@dataclass(frozen=True, kw_only=True)
class CopulaConfig:
    """Options of the DP copula (from ``schema.model_options`` or keyword arguments).

    Attributes:
        bins: histogram bins of continuous columns without their own ``bins``.
        max_strata: most strata; strata columns beyond it are modelled inside the copula.
        split: shares of rho for (stratum counts, histograms, correlations).
        clip_factor: score vectors are clipped to squared norm ``clip_factor * d``.
        shrink_tau: prior spread of correlations between strata (shrinkage strength).
        atom_shard_rows: distinct values of continuous columns are counted in hash shards of
            about this many rows (one pass each), which bounds the memory of big fits.
        max_atom_candidates: most distinct values that point-mass discovery may noise (one
            exact discrete-Gaussian draw each, about 12 microseconds); beyond it the fit
            stops and says how to declare point masses in the schema instead.
    """

    bins: int = 32
    max_strata: int = 64
    split: tuple[float, float, float] = (0.1, 0.5, 0.4)
    clip_factor: float = 1.5
    shrink_tau: float = 0.1
    discover_atoms: bool = True
    atom_share: float = 0.1
    atom_delta_share: float = 0.1
    max_atoms: int = 32
    atom_shard_rows: int = 2_000_000
    max_atom_candidates: int = 5_000_000
    cell_threshold: float = 1.0
    tail_sds: float = 2.0
    min_stratum_rows: int = 500
    size_share: float = 0.02
    stratum_snr: float = 50.0
    correlation: str = "stratum"

    def __post_init__(self) -> None:
        if len(self.split) != 3 or any(s < 0 for s in self.split) or sum(self.split) <= 0:
            raise ValueError(f"split must be three non-negative shares, got {self.split}")
        if self.max_strata < 1 or self.bins < 2 or self.clip_factor <= 0:
            raise ValueError("need max_strata >= 1, bins >= 2 and clip_factor > 0")
        if self.correlation not in ("stratum", "pooled"):
            raise ValueError(f"correlation must be 'stratum' or 'pooled', got {self.correlation!r}")
        if not (0 <= self.atom_share < 1 and 0 < self.atom_delta_share < 1):
            raise ValueError("need 0 <= atom_share < 1 and 0 < atom_delta_share < 1")


# --- pure helpers -------------------------------------------------------------------------
def project_simplex(
    counts: np.ndarray, total: float | np.ndarray, support: np.ndarray | None = None
) -> np.ndarray:
    """Euclidean projection of each row of ``counts`` onto {p >= 0, sum p = total}.

    Cells outside ``support`` (a boolean mask over columns) are held at zero: a projection
    that must add mass would otherwise spread it over cells known to be empty.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    total_arr = np.broadcast_to(np.asarray(total, dtype=float), counts.shape[:1])
    keep = np.ones(counts.shape[1], dtype=bool) if support is None else np.asarray(support)
    out = np.zeros_like(counts)
    if not keep.any():
        return out
    for i, (row, t) in enumerate(zip(counts[:, keep], total_arr, strict=True)):
        if t <= 0:
            continue
        # the projection commutes with shifting every cell by one constant: shift so the
        # largest cell is 0, or large equal counts would swamp a small total in rounding
        row = row - row.max()
        srt = np.sort(row)[::-1]
        css = np.cumsum(srt) - t
        k = np.arange(1, row.size + 1)
        r = np.nonzero(srt - css / k > 0)[0][-1]
        p = np.maximum(row - css[r] / (r + 1), 0.0)
        out[i, keep] = p * (t / p.sum())
    return out


def nearest_correlation(r: np.ndarray, floor: float = 1e-4) -> np.ndarray:
    """A valid correlation matrix near ``r``: eigenvalue clipping, then unit diagonal."""
    r = (r + r.T) / 2
    w, v = np.linalg.eigh(r)
    r = (v * np.maximum(w, floor)) @ v.T
    d = np.sqrt(np.diag(r))
    r = r / np.outer(d, d)
    np.fill_diagonal(r, 1.0)
    return r


def _tail_support(hist: np.ndarray, start: int, limit: float) -> np.ndarray:
    """False for the outermost value cells (from index ``start`` on) while the pooled noisy
    mass beyond them stays below ``limit``: such tails cannot be told from noise, and
    keeping them stretches the released range far past the data's."""
    keep = np.ones(hist.shape[1], dtype=bool)
    pooled = np.maximum(hist.sum(axis=0)[start:], 0)
    if pooled.size == 0:
        return keep
    tail = (np.cumsum(pooled) < limit) | (np.cumsum(pooled[::-1])[::-1] < limit)
    if not tail.all():
        keep[start:] = ~tail
    return keep


def _to_corr(g: np.ndarray, n: float) -> np.ndarray:
    """Correlation from a (noisy) Gram matrix; tiny or negative variances are floored."""
    diag = np.maximum(np.diag(g), max(0.5 * n, 1.0))
    return g / np.sqrt(np.outer(diag, diag))


def _upper(g: np.ndarray) -> np.ndarray:
    iu = np.triu_indices(g.shape[-1])
    return g[..., iu[0], iu[1]]


def _from_upper(v: np.ndarray, d: int) -> np.ndarray:
    iu = np.triu_indices(d)
    g = np.zeros(v.shape[:-1] + (d, d))
    g[..., iu[0], iu[1]] = v
    g[..., iu[1], iu[0]] = v
    return g


@dataclass
class _Plan:
    """How rho is split; sigma of each measurement (None when non-private)."""

    rho: float | None
    sigma_strata: float | None
    sigma_hist: float | None
    sigma_gram: float | None
    clip_norm: float
    mechanisms: list[Mechanism]
    sigma_atoms: float | None = None
    tau_atoms: float | None = None


def _plan(
    *,
    rho: float | None,
    d: int,
    n_strata: int,
    cfg: CopulaConfig,
    secure: bool,
    n_atom_cols: int = 0,
    delta_atoms: float = 0.0,
) -> _Plan:
    """Split ``rho`` over the measurements and calibrate each one's noise from its share."""
    clip = math.sqrt(cfg.clip_factor * max(d, 1))
    if rho is None:
        return _Plan(None, None, None, None, clip, [])
    s_strata, s_hist, s_gram = cfg.split
    s_strata = 0.0 if n_strata == 1 else s_strata  # one stratum: size from the histograms
    s_gram = 0.0 if d < 2 else s_gram
    s_hist = 0.0 if d == 0 else s_hist
    s_atoms = cfg.atom_share if n_atom_cols else 0.0
    scale = (1 - s_atoms) / (s_strata + s_hist + s_gram)
    noise = _noise_label(secure)
    mechs: list[Mechanism] = []
    sig: dict[str, float | None] = {"atoms": None, "strata": None, "hist": None, "gram": None}
    for key, share, sens, what in (
        ("atoms", s_atoms, math.sqrt(n_atom_cols), ATOM_MECHANISM),
        ("strata", s_strata * scale, 1.0, "stratum counts"),
        ("hist", s_hist * scale, math.sqrt(d), "per-stratum histograms of each column"),
        ("gram", s_gram * scale, clip**2, GRAM_MECHANISM[cfg.correlation]),
    ):
        if share <= 0:
            continue
        r = rho * share
        sigma = gaussian_sigma(sensitivity=sens, rho=r)
        sig[key] = sigma
        dl = delta_atoms if key == "atoms" else 0.0
        mechs.append(
            Mechanism(name=what, sensitivity=sens, sigma=sigma, rho=r, noise=noise, delta=dl)
        )
    tau = None
    if sig["atoms"] is not None:
        # a value held by one record is released only if 1 + noise > tau: with probability
        # at most delta_atoms / n_atom_cols per column (union bound over the columns)
        tau = atom_threshold(sig["atoms"], delta_atoms, n_atom_cols)
    return _Plan(rho, sig["strata"], sig["hist"], sig["gram"], clip, mechs, sig["atoms"], tau)


def _noise_label(secure: bool) -> str:
    return "OpenDP discrete Gaussian (secure)" if secure else "seeded numpy (NOT FOR RELEASE)"


def _choose_strata(
    names: list[str],
    domains: dict[str, ColumnDomain],
    *,
    limit: int,
    n_rows: float,
    min_rows: float,
    min_rows_first: float | None = None,
) -> list[str]:
    """Strata columns in order while there are at most ``limit`` strata and, on average,
    at least ``min_rows`` rows per stratum (``min_rows_first`` for the first column, the
    target). ``n_rows`` is a DP estimate when the fit is private."""
    chosen: list[str] = []
    size = 1
    for i, name in enumerate(names):
        cells = domains[name].n_cells
        need = min_rows_first if i == 0 and min_rows_first is not None else min_rows
        if size * cells <= limit and n_rows / (size * cells) >= need:
            chosen.append(name)
            size *= cells
        else:
            log.info(
                "stratum column %s left to the copula (%d strata, %.0f rows each)",
                name,
                size * cells,
                n_rows / (size * cells),
            )
    return chosen


def _stratum_cells(k: np.ndarray, radices: list[int]) -> list[np.ndarray]:
    out = []
    for r in reversed(radices):
        out.append(k % r)
        k = k // r
    return out[::-1]


# --- the model ----------------------------------------------------------------------------
def discover_atoms(
    df: pl.DataFrame,
    cols: list[str],
    schema: Any,
    sigma: float | None,
    tau: float | None,
    max_atoms: int,
    noise: Any,
) -> dict[str, list[float]]:
    """Point masses of the continuous columns ``cols`` of an in-memory table (see
    ``noisy_candidates``)."""
    from tabsynth.engines.stats import atom_values, merged_counts

    part = atom_values(df, 0, schema=schema, cols=cols)
    cands = {
        c: [noisy_candidates(*merged_counts(part, c), sigma, tau, noise, df.height)] for c in cols
    }
    return pick_atoms(cands, max_atoms)


def noisy_candidates(
    vals: np.ndarray,
    counts: np.ndarray,
    sigma: float | None,
    tau: float | None,
    noise: Any,
    n_rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The values whose noisy count passes the threshold, with their noisy counts.

    Atoms are released by a thresholded noisy histogram of distinct-value counts: every
    distinct value's count gets Gaussian noise of std ``sigma``; values whose noisy count
    exceeds ``tau`` become point cells. A value held by a single record passes only with a
    small probability (charged as approximate zCDP by the caller, see ``_plan``). Non-private
    fits (``sigma`` None) keep values held by at least 0.2% of the rows. The distinct values
    may come in several shards (one call each): each value gets its own noise either way.
    """
    if counts.size == 0:
        return vals[:0], np.empty(0)
    if sigma is not None and tau is not None:
        noisy = noise.gaussian_counts(counts, sigma, keys=vals).astype(float)
    else:
        noisy, tau = counts.astype(float), max(5.0, 0.002 * n_rows) - 0.5
    keep = noisy > tau
    return vals[keep], noisy[keep]


def pick_atoms(
    cands: dict[str, list[tuple[np.ndarray, np.ndarray]]], max_atoms: int
) -> dict[str, list[float]]:
    """At most ``max_atoms`` values per column: those with the largest noisy counts (ties
    broken by value, so the shards' order does not matter)."""
    found: dict[str, list[float]] = {}
    for name, parts in cands.items():
        if not parts:
            continue
        vals = np.concatenate([p[0] for p in parts])
        noisy = np.concatenate([p[1] for p in parts])
        keep = np.lexsort((vals, -noisy))[:max_atoms]  # ties: smaller value first
        if keep.size:
            found[name] = sorted(float(v) for v in vals[keep])
    return found


def _too_many_candidates(seen: Counter[str], limit: int) -> DataValidationError:
    """Point-mass discovery would noise more distinct values than ``limit``.

    The refusal names the columns (public) and the limit (public), never a count read from
    the data: the number of distinct values is private."""
    from tabsynth.errors import Problem

    return DataValidationError(
        [
            Problem(
                f"column {name!r}",
                f"point-mass discovery would add one secure noise draw per distinct value, "
                f"and the atom columns together hold more than max_atom_candidates="
                f"{limit:,} distinct values (about 12 microseconds per draw)",
                "declare the column's public point masses (e.g. `atoms: [0]`) and set "
                "`model_options: {discover_atoms: false}`, or raise `max_atom_candidates`",
            )
            for name in sorted(seen)
        ]
    )


def atom_threshold(sigma: float, delta_atoms: float, n_cols: int) -> float:
    """The release threshold: a value held by one record passes (1 + noise > tau) with
    probability at most ``delta_atoms / n_cols`` per column (union bound over the columns).

    The noise is OpenDP's discrete Gaussian, so the threshold comes from its exact tail
    (``tabsynth.privacy.discrete``): the smallest integer k with P[noise >= k] within the
    budget, and tau = k + 1/2, so that 1 + noise > tau exactly when noise >= k."""
    k = discrete_gaussian_threshold(sigma, delta_atoms / n_cols)
    return k + 0.5


@register
class CopulaSynthesizer(Synthesizer):
    """Stratified DP Gaussian copula (see the module docstring for the mechanism)."""

    name = "copula"
    #: the released (noisy) row count; None for a model saved before it was kept
    rows_estimate_: float | None = None

    def _config(self) -> CopulaConfig:
        return self._make_config(CopulaConfig, ("split",))  # type: ignore[no-any-return]

    # --- fit ------------------------------------------------------------------------------
    def _fit(self, df: pl.DataFrame) -> None:
        from tabsynth.engines.sources import FrameSource

        self._fit_source(FrameSource(df))

    def _fit_source(self, src: Any) -> None:
        """Fit in three passes over ``src`` (in memory, streamed or on Dask): distinct
        values and rows; cell counts; Gram matrices. Each pass reduces exact partial sums
        and the noise is added once, here, to the totals."""
        from functools import partial

        from tabsynth.engines import stats

        cfg = self._config()
        eps, delta, noise = self._budget_and_noise()
        # the jitter's key: secure, or from the seed with reproducible noise (testing only)
        jitter_key = fit_key(self.reproducible_noise_seed)
        public = {d.name: d for d in build_domains(self.schema, bins=cfg.bins)}
        # continuous numbers are never strata (those are categorical), so the atom columns
        # and their share of delta are known before anything is measured
        atom_cols = [
            c
            for c in public
            if cfg.discover_atoms and public[c].kind == "numerical" and public[c].continuous
        ]
        delta_atoms = delta * cfg.atom_delta_share if atom_cols and eps is not None else 0.0
        rho = epsilon_to_rho(eps, delta - delta_atoms) if eps is not None else None
        # distinct values are counted one hash shard per pass: memory holds ~1/n_shards
        n_shards = max(1, math.ceil(src.rows() / cfg.atom_shard_rows)) if atom_cols else 1
        atoms_of = partial(stats.atom_values, schema=self.schema, cols=atom_cols, n_shards=n_shards)
        first = src.run(partial(atoms_of, shard=0), self.schema)
        strata, size_mech, rho = self._strata(first.rows, public, cfg, rho, noise)
        others = [n for n in public if n not in strata]
        radices = [public[s].n_cells for s in strata]
        n_strata = int(np.prod(radices)) if radices else 1
        plan = _plan(
            rho=rho,
            d=len(others),
            n_strata=n_strata,
            cfg=cfg,
            secure=noise.secure,
            n_atom_cols=len(atom_cols),
            delta_atoms=delta_atoms,
        )

        if size_mech is not None:
            plan.mechanisms.insert(0, size_mech)
        cands: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {c: [] for c in atom_cols}
        seen: Counter[str] = Counter()
        charged = {m.name: m for m in plan.mechanisms}
        if ATOM_MECHANISM in charged:
            self._charge(charged[ATOM_MECHANISM])
        for shard in range(n_shards):
            part = (
                first
                if shard == 0
                else src.run(partial(atoms_of, shard=shard), self.schema, columns=atom_cols)
            )
            seen += {c: len(stats.merged_counts(part, c)[0]) for c in atom_cols}
            if sum(seen.values()) > cfg.max_atom_candidates:
                raise _too_many_candidates(seen, cfg.max_atom_candidates)
            for c in atom_cols:
                cands[c].append(
                    noisy_candidates(
                        *stats.merged_counts(part, c),
                        plan.sigma_atoms,
                        plan.tau_atoms,
                        noise,
                        first.rows,
                    )
                )
            part.values = {}
        self.atoms_ = pick_atoms(cands, cfg.max_atoms)
        domains = self._domains(cfg)
        cells = src.run(
            partial(stats.cell_counts, domains=domains, strata=strata, others=others),
            self.schema,
        )
        for name in ("stratum counts", "per-stratum histograms of each column"):
            if name in charged:
                self._charge(charged[name])
        counts, hists = self._measure(
            cells.arrays["strata"], [cells.arrays[f"hist/{c}"] for c in others], plan, noise
        )
        sizes = self._stratum_sizes(counts, hists, plan, n_strata)
        pmfs = [
            self._marginal(
                h,
                sizes,
                plan,
                cfg.cell_threshold,
                int(domains[c].nullable) if domains[c].continuous else None,
                cfg.tail_sds,
            )
            for c, h in zip(others, hists, strict=True)
        ]
        orders = [self._cell_order(domains[c], p) for c, p in zip(others, pmfs, strict=True)]
        corr = self._correlations(
            src, domains, strata, others, pmfs, orders, sizes, plan, noise, jitter_key
        )

        self.config_ = cfg
        self.strata_ = strata
        self.others_ = others
        total = sizes.sum()
        self.weights_ = sizes / total if total > 0 else np.full(n_strata, 1 / n_strata)
        # the released estimate of the row count (post-processing of the noisy sizes)
        self.rows_estimate_ = float(total)
        self.pmfs_ = pmfs
        self.orders_ = orders
        self.corr_ = corr
        self.privacy_ = self._privacy(eps, delta, plan, noise.secure)

    def planned_cost(self) -> dict[str, Any]:
        """Exact zCDP cost of ``fit``, from the schema alone: the plan spends all of it."""
        cost = super().planned_cost()
        cfg = self._config()
        public = build_domains(self.schema, bins=cfg.bins)
        atoms = cfg.discover_atoms and any(d.kind == "numerical" and d.continuous for d in public)
        delta_atoms = cost["delta"] * cfg.atom_delta_share if atoms else 0.0
        rho = epsilon_to_rho(cost["epsilon"], cost["delta"] - delta_atoms)
        return {**cost, "rho": rho, "delta_approx": delta_atoms}

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
        r = rho * cfg.size_share
        sigma = gaussian_sigma(sensitivity=1.0, rho=r)
        self._charge(mechanism="row count (sizes the strata)", rho=r, delta=0.0)
        n_hat = float(noise.gaussian_counts(np.array([n]), sigma)[0])
        d = len(public)
        sigma_hist = gaussian_sigma(sensitivity=math.sqrt(d), rho=(rho - r) * cfg.split[1])
        min_rows = max(cfg.min_stratum_rows, cfg.stratum_snr * sigma_hist)
        mech = Mechanism(
            name="row count (sizes the strata)",
            sensitivity=1.0,
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
        """Noise on the exact stratum counts and per-stratum histograms."""
        if plan.sigma_strata is not None:
            counts = noise.gaussian_counts(counts, plan.sigma_strata)
        if plan.sigma_hist is not None and hists:
            flat = noise.gaussian_counts(
                np.concatenate([h.ravel() for h in hists]), plan.sigma_hist
            )
            parts = np.split(flat, np.cumsum([h.size for h in hists])[:-1])
            hists = [a.reshape(h.shape) for a, h in zip(parts, hists, strict=True)]
        return counts, hists

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
    def _marginal(
        hist: np.ndarray,
        sizes: np.ndarray,
        plan: _Plan,
        threshold: float,
        numeric_from: int | None = None,
        tail_sds: float = 0.0,
    ) -> np.ndarray:
        """Per-stratum pmfs over cells, shrunk towards the pooled pmf by their noise.

        Cells whose pooled noisy count is below ``threshold`` pooled noise sds are taken as
        empty in every stratum: otherwise noise alone scatters mass over cells, and ranges,
        that the data never reach.
        """
        support = None
        if plan.sigma_hist is not None:
            pooled_sd = plan.sigma_hist * math.sqrt(hist.shape[0])
            support = hist.sum(axis=0) >= threshold * pooled_sd
            if numeric_from is not None and tail_sds > 0:
                support &= _tail_support(hist, numeric_from, tail_sds * pooled_sd)
            if not support.any():
                support = None
        proj = project_simplex(hist, sizes, support)
        pooled = proj.sum(axis=0)
        pooled = (
            pooled / pooled.sum() if pooled.sum() > 0 else np.full(hist.shape[1], 1 / hist.shape[1])
        )
        alpha = 0.0 if plan.sigma_hist is None else plan.sigma_hist * math.sqrt(hist.shape[1])
        denom = sizes[:, None] + alpha
        pmf = (proj + alpha * pooled) / np.where(denom > 0, denom, 1.0)
        empty = denom[:, 0] <= 0
        pmf[empty] = pooled
        return pmf / pmf.sum(axis=1, keepdims=True)

    @staticmethod
    def _cell_order(dom: ColumnDomain, pmf: np.ndarray) -> np.ndarray:
        """Cells in CDF order: numbers by value (null first), categories by pooled frequency."""
        if dom.is_numeric:
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
            self._charge(next(m for m in plan.mechanisms if m.name in GRAM_MECHANISM.values()))
            gram = _from_upper(noise.gaussian_values(_upper(gram), plan.sigma_gram), d)
        if pooled_only:
            return np.repeat(self._pooled_corr(gram, sizes.sum(), plan, 1)[None], n_strata, 0)
        return self._shrink(gram, sizes, plan)

    def _pooled_corr(
        self, gram: np.ndarray, n_total: float, plan: _Plan, n_parts: int
    ) -> np.ndarray:
        """The correlation of all rows from the sum of ``n_parts`` noisy Gram matrices,
        shrunk towards the identity in proportion to its noise."""
        tau2 = self._config().shrink_tau ** 2
        n_total = max(n_total, 1.0)
        pooled = _to_corr(gram.sum(axis=0), n_total)
        if plan.sigma_gram is not None:
            lam0 = tau2 / (tau2 + (plan.sigma_gram * math.sqrt(n_parts) / n_total) ** 2)
            pooled = lam0 * pooled + (1 - lam0) * np.eye(gram.shape[1])
        return nearest_correlation(pooled)

    def _shrink(self, gram: np.ndarray, sizes: np.ndarray, plan: _Plan) -> np.ndarray:
        """Correlations per stratum, shrunk towards the pooled one in proportion to noise."""
        n_strata = gram.shape[0]
        tau2 = self._config().shrink_tau ** 2
        pooled = self._pooled_corr(gram, sizes.sum(), plan, n_strata)
        out = np.empty_like(gram)
        for s in range(n_strata):
            if sizes[s] <= 1:
                out[s] = pooled
                continue
            r = _to_corr(gram[s], sizes[s])
            noise_sd = 0.0 if plan.sigma_gram is None else plan.sigma_gram / sizes[s]
            lam = tau2 / (tau2 + noise_sd**2) if plan.rho is not None else 1.0
            out[s] = nearest_correlation(lam * r + (1 - lam) * pooled)
        return out

    def _privacy(self, eps: float | None, delta: float, plan: _Plan, secure: bool) -> PrivacyInfo:
        if eps is None:
            return PrivacyInfo.non_private()
        acct = get_accountant("zcdp")
        for m in plan.mechanisms:
            acct.spend(mechanism=m.name, rho=m.rho, delta=m.delta)
        spent = acct.epsilon(delta)
        if spent > eps * (1 + 1e-9):
            raise PrivacyError(f"internal accounting error: spent {spent} > target {eps}")
        return PrivacyInfo(
            epsilon=spent,
            delta=delta,
            rho=acct.rho,
            accountant=acct.name,
            neighbouring=NEIGHBOURING,
            mechanisms=tuple(plan.mechanisms),
            noise_source=plan.mechanisms[0].noise if plan.mechanisms else "none",
            releasable=secure,
            notes=(f"target epsilon {eps}",),
        )

    # --- sample ---------------------------------------------------------------------------
    def _domains(self, cfg: CopulaConfig | None = None) -> dict[str, ColumnDomain]:
        """Cell domains: the schema's, plus the atoms released at fit time."""
        cfg = cfg or self.config_
        doms = build_domains(self.schema, bins=cfg.bins, extra_atoms=self.atoms_)
        return {d.name: d for d in doms}

    def _sample(
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
            raise SamplingError(
                f"impossible condition {where}: the fitted model gives it "
                "probability 0. Fix: condition on a value the data can hold."
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

    def _scenario(
        self, n: int, rng: np.random.Generator, cond: dict[str, int], name: str, tail: float = 0.05
    ) -> pl.DataFrame:
        """Stress scenarios. ``tails``: every row lies in the lowest or highest ``tail``
        quantile of one numerical column (columns and sides in equal shares), drawn exactly
        from the model's conditional. ``rare``: strata (combinations of the target and
        protected attributes) in equal shares, so rare combinations are as common as
        frequent ones."""
        if name == "rare":
            if len(self.weights_) < 2:
                raise SamplingError(
                    "the rare scenario needs strata. Fix: declare `strata:` "
                    "in the schema, or use rebalance on one column"
                )
            return self._sample(n, rng, where=cond, strata_weights=np.ones(len(self.weights_)))
        domains = self._domains()
        cols = [c for c in self.others_ if domains[c].is_numeric]
        if not cols:
            raise SamplingError("the tails scenario needs a numerical column")
        bands = [(c, lo, hi) for c in cols for lo, hi in ((0.0, tail), (1 - tail, 1.0))]
        counts = rng.multinomial(n, np.full(len(bands), 1 / len(bands)))
        parts = [
            self._sample(int(m), rng, where=cond, band=b)
            for b, m in zip(bands, counts, strict=True)
            if m > 0
        ]
        out = pl.concat(parts, how="vertical_relaxed")
        return out[rng.permutation(out.height).tolist()]

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

    # --- state ----------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            "config": asdict(self.config_),
            "strata": self.strata_,
            "others": self.others_,
            "atoms": self.atoms_,
            "rows_estimate": self.rows_estimate_,
        }
        arrays = {"weights": self.weights_, "corr": self.corr_}
        for name, pmf, order in zip(self.others_, self.pmfs_, self.orders_, strict=True):
            arrays[f"pmf/{name}"] = pmf
            arrays[f"order/{name}"] = order
        return meta, arrays

    @classmethod
    def _from_state(
        cls, schema: Any, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> CopulaSynthesizer:
        cfg = dict(meta["config"])
        cfg["split"] = tuple(cfg["split"])
        model = cls(schema, **cfg)
        model.config_ = CopulaConfig(**cfg)
        model.strata_ = list(meta["strata"])
        model.atoms_ = {str(k): [float(v) for v in vals] for k, vals in meta["atoms"].items()}
        model.others_ = list(meta["others"])
        model.weights_ = arrays["weights"]
        model.rows_estimate_ = meta.get("rows_estimate")
        model.corr_ = arrays["corr"]
        model.pmfs_ = [arrays[f"pmf/{c}"] for c in model.others_]
        model.orders_ = [arrays[f"order/{c}"].astype(np.int64) for c in model.others_]
        return model
