"""The stratified DP copula: fit (in memory, streamed or on Dask) and its certificate; the
steps live beside it (plan, measure, estimate, sample)."""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import asdict
from typing import Any

import numpy as np
import polars as pl

from tabsynth.data.domain import ColumnDomain, build_domains
from tabsynth.engines.stats import clip_rows  # noqa: F401 - public here too
from tabsynth.errors import (
    PrivacyError,
)
from tabsynth.models.atoms import (
    ATOM_MECHANISM,
    _too_many_candidates,
    noisy_candidates,
    pick_atoms,
)
from tabsynth.models.base import check_arrays
from tabsynth.models.copula.bridge import LIMIT, blend_valid
from tabsynth.models.copula.measure import _Measuring
from tabsynth.models.copula.pairs import (
    PAIR_MECHANISM,
    PAIR_SELECT_MECHANISM,
    group_map,
    pair_counts,
    pair_scores,
    polychoric,
    trusted_targets,
)
from tabsynth.models.copula.plan import (
    CopulaConfig,
    _Plan,
    _plan,
    _stratum_cells,
)
from tabsynth.models.copula.refine import REFINE_MECHANISM, refine_columns, split_edges
from tabsynth.models.copula.sample import _Sampler
from tabsynth.models.copula.state import _Fitted
from tabsynth.models.registry import register
from tabsynth.privacy import epsilon_to_rho, get_accountant
from tabsynth.privacy.keyed import fit_key
from tabsynth.privacy.records import PrivacyInfo

log = logging.getLogger(__name__)


@register
class CopulaSynthesizer(_Measuring, _Sampler, _Fitted):
    """Stratified DP Gaussian copula (see the module docstring for the mechanism)."""

    name = "copula"
    unit_rows_supported = 1000
    #: the released (noisy) row count; None for a model saved before it was kept
    rows_estimate_: float | None = None

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
        self.atoms_, self.edges_ = {}, {}
        public = self._domains(cfg)  # the schema's cells (public)
        atom_cols = self._atom_columns(public, cfg)
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
        refined = refine_columns(public, others) if cfg.refine_share > 0 else []
        plan = _plan(
            k=self.schema.max_rows_per_unit,
            rho=rho,
            d=len(others),
            n_strata=n_strata,
            cfg=cfg,
            secure=noise.secure,
            n_atom_cols=len(atom_cols),
            delta_atoms=delta_atoms,
            n_refine_cols=len(refined),
            n_pairs=self._n_pairs(public, cfg),
        )

        if size_mech is not None:
            plan.mechanisms.insert(0, size_mech)
        charged = {m.name: m for m in plan.mechanisms}
        if ATOM_MECHANISM in charged:
            self._charge(charged[ATOM_MECHANISM])
        self.atoms_ = self._atoms(src, first, atom_cols, n_shards, atoms_of, plan, noise, cfg)
        self.edges_ = {}
        domains = self._domains(cfg)
        if refined:
            self.edges_ = self._refine(src, domains, refined, plan, noise, cfg)
            domains = self._domains(cfg)
        cells = src.run(
            partial(stats.cell_counts, domains=domains, strata=strata, others=others),
            self.schema,
        )
        exact = cells.arrays["strata"], [cells.arrays[f"hist/{c}"] for c in others]
        pmfs, sizes = self._margins(exact, [domains[c] for c in others], plan, cfg, noise, charged)
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
        self._fit_pairs(src, domains, plan, noise)
        self.privacy_ = self._privacy(eps, delta, plan, noise.secure)

    def _n_pairs(self, public: dict[str, ColumnDomain], cfg: CopulaConfig) -> int:
        """How many column pairs the pair calibration chooses: ``pair_count``, or one per
        modelled column (all of them when there are fewer pairs), 0 when it is off.
        Public: the schema's."""
        d = len(public)
        k = cfg.pair_count or d
        return 0 if cfg.pair_share <= 0 or d < 2 else min(k, d * (d - 1) // 2)

    def _fit_pairs(
        self, src: Any, domains: dict[str, ColumnDomain], plan: _Plan, noise: Any
    ) -> None:
        """The pair calibration (``pairs.py``), when the plan has pairs: groups from the
        fitted margins, the fitted copula's own 2-way tables from a draw of it (keyed by
        the secure source), one pass for the data's, the pairs chosen by report-noisy-max
        and their counts measured."""
        from functools import partial

        from tabsynth.engines import stats

        self.pairs_, self.pair_groups_, self.pair_targets_ = [], {}, []
        if not plan.n_pairs:
            return
        key = fit_key(self.reproducible_noise_seed, salt=0x70616972)
        cfg = self.config_
        groups = {
            c: group_map(dom, self._cell_margin(c), cfg.pair_groups) for c, dom in domains.items()
        }
        sizes = {c: int(g.max()) + 1 for c, g in groups.items()}
        names = list(domains)
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
        draw = self._sample_copula(cfg.pair_draw_rows, np.random.default_rng(key))
        codes = {c: groups[c][domains[c].encode(draw.get_column(c))[0]] for c in names}
        model = [t / cfg.pair_draw_rows for t in pair_counts(codes, sizes, pairs)]
        part = src.run(
            partial(stats.grouped_pair_counts, domains=domains, groups=groups, pairs=pairs),
            self.schema,
            columns=names,
        )
        exact = [part.arrays[f"pair/{i}"] for i in range(len(pairs))]
        rows = float(self.rows_estimate_ or 0.0)
        chosen = self._choose_pairs(pair_scores(exact, model, rows), plan, noise)
        counts = [exact[i] for i in chosen]
        sigma = plan.sigma_pairs
        if sigma is not None:
            self._charge(next(m for m in plan.mechanisms if m.name == PAIR_MECHANISM))
            flat = noise.gaussian_counts(np.concatenate(counts), sigma)
            counts = np.split(flat, np.cumsum([c.size for c in counts])[:-1])
            counts = trusted_targets(counts, [model[i] for i in chosen], rows, sigma)
        if cfg.pair_correlation:
            self.corr_ = self._pair_corrected(
                [pairs[i] for i in chosen], counts, [model[i] for i in chosen], sizes
            )
        used = sorted({c for i in chosen for c in pairs[i]}, key=names.index)
        self.pairs_ = [pairs[i] for i in chosen]
        self.pair_groups_ = {c: groups[c] for c in used}
        self.pair_targets_ = [np.asarray(c, dtype=float) for c in counts]

    def _pair_corrected(
        self,
        pairs: list[tuple[str, str]],
        counts: list[np.ndarray],
        model: list[np.ndarray],
        sizes: dict[str, int],
    ) -> np.ndarray:
        """Every stratum's correlation of each measured pair of ordered copula columns shifted by
        the polychoric correlation of its measured table minus its model table's, then made
        valid again pair by pair (``bridge.blend_valid``; post-processing)."""
        corr = self.corr_.copy()
        doms = self._domains()
        for (a, b), c, p in zip(pairs, counts, model, strict=True):
            if a not in self.others_ or b not in self.others_:
                continue  # a stratum column: its association lives in the strata
            if not (_ordered(doms[a]) and _ordered(doms[b])):
                continue  # groups of categories have no order for a latent to cut
            shape = (sizes[a], sizes[b])
            shift = polychoric(c, shape) - polychoric(p, shape)
            i, j = self.others_.index(a), self.others_.index(b)
            corr[:, i, j] = corr[:, j, i] = np.clip(corr[:, i, j] + shift, -LIMIT, LIMIT)
        return np.stack([blend_valid(old, new) for old, new in zip(self.corr_, corr, strict=True)])

    def _choose_pairs(self, scores: np.ndarray, plan: _Plan, noise: Any) -> list[int]:
        """``plan.n_pairs`` pairs by report-noisy-max rounds without replacement (by the
        exact scores, largest first, when the fit is not private)."""
        if plan.scale_pairs is None:
            return [int(i) for i in np.argsort(-scores, kind="stable")[: plan.n_pairs]]
        self._charge(next(m for m in plan.mechanisms if m.name == PAIR_SELECT_MECHANISM))
        left = list(range(scores.size))
        chosen = []
        for _ in range(plan.n_pairs):
            chosen.append(left.pop(noise.noisy_max(scores[left], plan.scale_pairs)))
        return chosen

    def _cell_margin(self, column: str) -> np.ndarray:
        """The fitted model's margin of one column over its cells (released: public)."""
        doms = self._domains()
        if column in self.strata_:
            radices = [doms[s].n_cells for s in self.strata_]
            cells = _stratum_cells(np.arange(len(self.weights_)), radices)[
                self.strata_.index(column)
            ]
            return np.bincount(cells, weights=self.weights_, minlength=doms[column].n_cells)
        return np.asarray(self.weights_ @ self.pmfs_[self.others_.index(column)], dtype=float)

    def _refine(
        self,
        src: Any,
        domains: dict[str, ColumnDomain],
        cols: list[str],
        plan: _Plan,
        noise: Any,
        cfg: CopulaConfig,
    ) -> dict[str, list[float]]:
        """The cell refinement (``refine.py``): one pass, one pooled noisy histogram per
        interval column over its schema cells (and atoms), split where it found rows."""
        from functools import partial

        from tabsynth.engines import stats

        part = src.run(
            partial(stats.cell_counts, domains=domains, strata=[], others=cols),
            self.schema,
            columns=cols,
        )
        hists = [part.arrays[f"hist/{c}"].ravel() for c in cols]
        if plan.sigma_refine is not None:
            self._charge(next(m for m in plan.mechanisms if m.name == REFINE_MECHANISM))
            flat = noise.gaussian_counts(np.concatenate(hists), plan.sigma_refine)
            hists = np.split(flat, np.cumsum([h.size for h in hists])[:-1])
        edges = {
            c: split_edges(
                domains[c],
                h,
                plan.sigma_refine,
                cfg.bins,
                cfg.refine_max_split,
                cfg.refine_min_split,
            )  # fmt: skip
            for c, h in zip(cols, hists, strict=True)
        }
        return {c: e for c, e in edges.items() if e}

    def _atoms(
        self,
        src: Any,
        first: Any,
        atom_cols: list[str],
        n_shards: int,
        atoms_of: Any,
        plan: _Plan,
        noise: Any,
        cfg: CopulaConfig,
    ) -> dict[str, list[float]]:
        """Atoms of the continuous columns: noisy distinct-value counts, thresholded, one
        hash shard of the values per pass (``first`` is shard 0's pass)."""
        from functools import partial

        from tabsynth.engines import stats

        cands: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {c: [] for c in atom_cols}
        seen: Counter[str] = Counter()
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
        return pick_atoms(cands, cfg.max_atoms)

    def _atom_columns(self, public: dict[str, ColumnDomain], cfg: CopulaConfig) -> list[str]:
        """The columns searched for point masses, known before anything is measured:
        continuous numbers (never strata), and none when a privacy unit may hold several
        rows (its point masses then come from the schema only)."""
        if not cfg.discover_atoms or self.schema.max_rows_per_unit > 1:
            return []
        return [c for c, d in public.items() if d.kind == "numerical" and d.continuous]

    def planned_cost(self) -> dict[str, Any]:
        """Exact zCDP cost of ``fit``, from the schema alone: the plan spends all of it."""
        cost = super().planned_cost()
        cfg = self._config()
        public = {d.name: d for d in build_domains(self.schema, bins=cfg.bins)}
        atoms = bool(self._atom_columns(public, cfg))  # the fit's own rule: one place
        delta_atoms = cost["delta"] * cfg.atom_delta_share if atoms else 0.0
        rho = epsilon_to_rho(cost["epsilon"], cost["delta"] - delta_atoms)
        return {**cost, "rho": rho, "delta_approx": delta_atoms}

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
            neighbouring=self.schema.neighbouring(),
            mechanisms=tuple(plan.mechanisms),
            noise_source=plan.mechanisms[0].noise if plan.mechanisms else "none",
            releasable=secure,
            notes=(f"target epsilon {eps}",),
        )

    # --- sample ---------------------------------------------------------------------------

    # --- state ----------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            "config": asdict(self.config_),
            "strata": self.strata_,
            "others": self.others_,
            "atoms": self.atoms_,
            "edges": self.edges_,
            "rows_estimate": self.rows_estimate_,
            "pairs": [list(p) for p in self.pairs_],
        }
        arrays = {"weights": self.weights_, "corr": self.corr_}
        for c, g in self.pair_groups_.items():
            arrays[f"pair_groups/{c}"] = g
        for i, t in enumerate(self.pair_targets_):
            arrays[f"pair_target/{i}"] = t
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
        edges = meta.get("edges", {})  # none in a model saved before the refinement
        model.edges_ = {str(k): [float(v) for v in vals] for k, vals in edges.items()}
        model.others_ = list(meta["others"])
        model.weights_ = arrays["weights"]
        model.rows_estimate_ = meta.get("rows_estimate")
        model.corr_ = arrays["corr"]
        model.pmfs_ = [arrays[f"pmf/{c}"] for c in model.others_]
        model.orders_ = [arrays[f"order/{c}"].astype(np.int64) for c in model.others_]
        # none in a model saved before the pair calibration
        model.pairs_ = [(str(a), str(b)) for a, b in meta.get("pairs", [])]
        used = sorted({c for p in model.pairs_ for c in p})
        model.pair_groups_ = {c: arrays[f"pair_groups/{c}"].astype(np.int64) for c in used}
        model.pair_targets_ = [arrays[f"pair_target/{i}"] for i in range(len(model.pairs_))]
        return model

    def _check_state(self) -> None:
        """Every array has the shape the public schema (and the released atoms) implies, and
        holds finite numbers: a state that does not is refused before any use."""
        doms = self._domains()
        k = int(np.prod([doms[s].n_cells for s in self.strata_])) if self.strata_ else 1
        d = len(self.others_)
        shapes = {"weights": (self.weights_, (k,)), "corr": (self.corr_, (k, d, d))}
        for name, pmf, order in zip(self.others_, self.pmfs_, self.orders_, strict=True):
            shapes[f"pmf/{name}"] = (pmf, (k, doms[name].n_cells))
            shapes[f"order/{name}"] = (order, (doms[name].n_cells,))
        for c, g in self.pair_groups_.items():
            shapes[f"pair_groups/{c}"] = (g, (doms[c].n_cells,))
        sizes = {c: int(g.max()) + 1 if g.size else 0 for c, g in self.pair_groups_.items()}
        for i, (a, b) in enumerate(self.pairs_):
            shapes[f"pair_target/{i}"] = (self.pair_targets_[i], (sizes[a] * sizes[b],))
        check_arrays(shapes)
        for c, g in self.pair_groups_.items():
            if g.size and (g.min() < 0 or not np.array_equal(np.unique(g), np.arange(sizes[c]))):
                raise ValueError(f"pair_groups/{c} does not map cells onto 0..{sizes[c] - 1}")
        for name, order in zip(self.others_, self.orders_, strict=True):
            if not np.array_equal(np.sort(order), np.arange(order.size)):
                raise ValueError(f"order/{name} is not a permutation of its cells")


def _ordered(dom: ColumnDomain) -> bool:
    """Whether a column's pair groups are runs of ordered cells (``pairs.group_map``)."""
    return dom.is_numeric or dom.integer or dom.ordered
