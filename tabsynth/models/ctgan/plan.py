"""Planning a DP-CTGAN fit before anything is measured: the budget's split into its zCDP
measurements (atoms, row count, histograms) and DP-SGD, and the fewest rows a plan needs."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from tabsynth.data.domain import build_domains
from tabsynth.errors import (
    PrivacyError,
)
from tabsynth.models.atoms import ATOM_MECHANISM, atom_threshold
from tabsynth.models.ctgan.config import (
    MAX_MARGINAL_SHARE,
    MIN_MARGINAL_SHARE,
    CTGANConfig,
    _Training,
)
from tabsynth.models.ctgan.label import (
    LABEL_MECHANISM,
    plan_label,
)
from tabsynth.models.ctgan.layout import is_scalar
from tabsynth.models.ctgan.state import _Fitted
from tabsynth.privacy import epsilon_to_rho, gaussian_sigma
from tabsynth.privacy.rdp import RDPAccountant, calibrate_sigma, sgm_rdp

SGD_MECHANISM = "DP-SGD on the discriminator (Poisson-subsampled Gaussian, Opacus)"
MARGINAL_MECHANISM = "histogram of every column over its public cells"
COUNT_MECHANISM = "row count (plans DP-SGD)"


def minimum_rows(
    eps: float,
    delta: float,
    cfg: CTGANConfig,
    fixed: RDPAccountant | Callable[[float], RDPAccountant],
    label: bool = False,
) -> int:
    """Fewest rows for which DP-SGD at (``eps``, ``delta``) needs a noise multiplier of at
    most ``cfg.max_noise_multiplier`` (batch size and epochs as configured; ``label``: the
    label model's steps are part of the budget). ``fixed``: the zCDP measurements' spend, or
    a function of the row count giving it (a planned marginal share)."""
    from tabsynth.privacy.rdp import rdp_to_epsilon

    def ok(n: int) -> bool:
        fx = fixed(float(n)) if callable(fixed) else fixed
        base, left = fx.curve(), delta - fx.delta_spent
        q = min(1.0, cfg.batch_size / n)
        steps = cfg.epochs * max(1, int(1 / q))
        rdp = base + sgm_rdp(q, cfg.max_noise_multiplier, steps)
        if label:
            try:
                lp = plan_label(eps, delta, n, cfg.batch_size, cfg.label_epochs, cfg.label_share)
            except PrivacyError:  # the label model alone cannot be planned at n rows
                return False
            rdp = rdp + sgm_rdp(lp.q, lp.sigma, lp.steps)  # type: ignore[arg-type]
        return rdp_to_epsilon(rdp, left) <= eps

    lo, hi, grow = 1, max(cfg.batch_size, 2), 2.0
    if label:  # the label model only adds to the spend: start from the minimum without it
        lo = max(1, minimum_rows(eps, delta, cfg, fixed) - 1)
        hi, grow = int(lo * 1.25) + 2, 1.25
    while not ok(hi):
        lo, hi = hi, int(hi * grow) + 2
        if hi > 10**12:
            return hi
    while hi - lo > max(1, lo // 1000):
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def planned_marginal_share(n_rows: float) -> float:
    """The share of rho (less the row count's) that the column histograms get, from the DP
    row count: 0.5 up to 2,000 rows, then 0.5 * sqrt(2000 / n) down to 0.2 from 12,500.

    Small tables get few DP-SGD steps, and their histograms' noise is large against their
    counts; the histograms shape every column (the conditional vector, the calibration).
    Tuned on the bundled tables only (``benchmarks/ctgan_plan.py --shares``)."""
    share = MAX_MARGINAL_SHARE * math.sqrt(2000.0 / max(float(n_rows), 1.0))
    return float(min(MAX_MARGINAL_SHARE, max(MIN_MARGINAL_SHARE, share)))


#: the planner's candidates when epochs and batch size are left to it
PLAN_BATCHES = (500, 250, 100, 50)
PLAN_EPOCHS = (20, 10, 5, 2, 1)


class _Planning(_Fitted):
    """The budget and the DP-SGD plan (mixed into ``CTGANSynthesizer``)."""

    # --- budget ---------------------------------------------------------------------------
    def _atom_columns(self, cfg: CTGANConfig) -> list[str]:
        """Continuous columns whose point masses are discovered (none with a privacy unit
        that may hold several rows: their thresholded histogram bounds one row's count)."""
        if self.schema.max_rows_per_unit > 1:
            return []
        public = build_domains(self.schema, bins=cfg.bins)
        return [
            d.name for d in public if cfg.discover_atoms and d.kind == "numerical" and d.continuous
        ]

    def _split(
        self, eps: float, delta: float, d: int, n_atom_cols: int, cfg: CTGANConfig
    ) -> RDPAccountant:
        """The zCDP measurements' part of the budget (atoms, marginals), as an accountant
        holding it; their noise scales are set here, before anything is measured (for a
        privacy unit of up to k rows, every sensitivity k times one row's)."""
        k = self.schema.max_rows_per_unit
        delta_atoms = delta * cfg.atom_delta_share if n_atom_cols else 0.0
        rho = epsilon_to_rho(eps, delta - delta_atoms)
        acct = RDPAccountant()
        self._atom_sigma = self._atom_tau = None
        if n_atom_cols:
            r = rho * cfg.atom_share
            self._atom_sigma = gaussian_sigma(sensitivity=math.sqrt(n_atom_cols), rho=r)
            self._atom_tau = atom_threshold(self._atom_sigma, delta_atoms, n_atom_cols)
            acct.spend(mechanism=ATOM_MECHANISM, rho=r, delta=delta_atoms)
        r = rho * cfg.count_share
        acct.spend(mechanism=COUNT_MECHANISM, rho=r)
        self._count_rho, self._count_sigma = r, gaussian_sigma(sensitivity=float(k), rho=r)
        self._rho = rho
        return acct

    def _plan_marginals(
        self, acct: RDPAccountant, d: int, n_rows: float, cfg: CTGANConfig
    ) -> RDPAccountant:
        """The histograms' share, from the DP row count ``n_rows`` (already charged) unless
        configured, and their noise scale; returns ``acct`` with their spend added. The
        refusals' minimum rows re-plan the share at every row count they try."""
        front = RDPAccountant(history=list(acct.history))
        self._fixed_at = lambda n: self._marginal_spend(  # noqa: E731
            RDPAccountant(history=list(front.history)), d, n, cfg
        )[0]
        acct, self.marginal_share_, self._marginal_rho, self._marginal_sigma = self._marginal_spend(
            acct, d, n_rows, cfg
        )
        return acct

    def _marginal_spend(
        self, acct: RDPAccountant, d: int, n_rows: float, cfg: CTGANConfig
    ) -> tuple[RDPAccountant, float, float, float]:
        share = cfg.marginal_share
        if share is None:
            share = planned_marginal_share(n_rows)
        k = self.schema.max_rows_per_unit
        r = self._rho * (share - cfg.count_share)  # the count is carved out of it
        acct.spend(mechanism=MARGINAL_MECHANISM, rho=r)
        return acct, share, r, gaussian_sigma(sensitivity=k * math.sqrt(d), rho=r)

    def _minimum_fixed(self, fixed: RDPAccountant) -> Any:
        """What the refusals' minimum rows compose with: the zCDP part at each row count."""
        return getattr(self, "_fixed_at", None) or fixed

    def _choose_plan(
        self, eps: float, delta: float, n_rows: float, cfg: CTGANConfig, fixed: RDPAccountant
    ) -> tuple[CTGANConfig, _Training]:
        """The training plan, from the DP row count ``n_rows`` and public settings only.

        With ``epochs`` or ``batch_size`` given (options or the schema's model_options), the
        plan is those settings, refused if infeasible. Otherwise: the defaults (20 epochs of
        expected batch 500) when their noise multiplier stays within ``max_noise_multiplier``;
        else, of the candidates (batches 500, 250, 100, 50 x epochs 20, 10, 5, 2, 1) that take
        no more steps than the defaults would, the feasible one with the most steps, ties to
        the least noise per averaged gradient (sigma / batch). Below every candidate: a refusal
        naming the fewest rows the most lenient one needs.
        """
        given = {**self.schema.model_options, **self.options}
        if "epochs" in given or "batch_size" in given:
            plan = self._plan_sgd(eps, delta, n_rows, cfg, fixed)
            self.plan_ = {"chosen": "as configured", "epochs": cfg.epochs,
                          "batch_size": cfg.batch_size}  # fmt: skip
            return cfg, plan
        try:
            plan = self._plan_sgd(eps, delta, n_rows, cfg, fixed, explain=False)
            self.plan_ = {"chosen": "defaults", "epochs": cfg.epochs, "batch_size": cfg.batch_size}
            return cfg, plan
        except PrivacyError:
            pass
        budget = cfg.epochs * max(1, int(n_rows / cfg.batch_size))
        cands = []
        for batch in PLAN_BATCHES:
            q = min(1.0, batch / max(n_rows, 1.0))
            for epochs in PLAN_EPOCHS:
                steps = epochs * max(1, int(1 / q))
                if steps <= budget:
                    cands.append((steps, batch, epochs))
        best: tuple[tuple[int, float], CTGANConfig, _Training] | None = None
        # the most steps first: once one is feasible, only its equals in steps can beat it
        for steps, batch, epochs in sorted(cands, key=lambda c: (-c[0], -c[1])):
            if best is not None and steps < best[0][0]:
                break
            trial = dataclasses.replace(cfg, epochs=epochs, batch_size=batch)
            try:
                plan = self._plan_sgd(eps, delta, n_rows, trial, fixed, explain=False)
            except PrivacyError:
                continue
            score = (steps, -float(plan.sigma or 0.0) / batch)
            if best is None or score > best[0]:
                best = (score, trial, plan)
        if best is None:
            lenient = dataclasses.replace(cfg, epochs=PLAN_EPOCHS[-1], batch_size=PLAN_BATCHES[-1])
            need = minimum_rows(
                eps, delta, lenient, self._minimum_fixed(fixed), label=self._has_label(lenient)
            )
            raise PrivacyError(
                f"too few rows for DP-CTGAN at epsilon={eps:g}, delta={delta:g}: even its most "
                f"lenient plan (1 epoch of batch {PLAN_BATCHES[-1]}) needs at least {need} rows, "
                "and the DP row count (charged to the budget) is below that. Fix: raise "
                "epsilon, or use model='copula'."
            )
        _, cfg, plan = best
        self.plan_ = {"chosen": "planner", "epochs": cfg.epochs, "batch_size": cfg.batch_size}
        return cfg, plan

    def _has_label(self, cfg: CTGANConfig) -> bool:
        """Whether the label model runs: a target that is one-hot with few cells (decided
        from the schema's public domains, before anything is measured)."""
        t = self.schema.target
        if not cfg.label_model or t is None:
            return False
        public = {d.name: d for d in build_domains(self.schema, bins=cfg.bins)}
        dom = public.get(t)
        return dom is not None and not is_scalar(dom) and dom.n_cells <= cfg.max_target_cells

    def _plan_sgd(
        self,
        eps: float,
        delta: float,
        n_rows: float,
        cfg: CTGANConfig,
        fixed: RDPAccountant,
        explain: bool = True,
    ) -> _Training:
        """Both DP-SGD runs: the label model's noise first (its own share), then the
        discriminator's, calibrated so that everything together meets (eps, delta)."""
        q = min(1.0, cfg.batch_size / max(n_rows, 1.0))
        steps_per_epoch = max(1, int(1 / q))
        steps = cfg.epochs * steps_per_epoch
        acct = RDPAccountant(history=list(fixed.history))
        label = None
        if self._has_label(cfg):
            label = plan_label(
                eps, delta, n_rows, cfg.batch_size, cfg.label_epochs, cfg.label_share
            )
            acct.spend(mechanism=LABEL_MECHANISM, q=label.q, sigma=label.sigma, steps=label.steps)  # type: ignore[arg-type]
        try:
            sigma = calibrate_sigma(
                epsilon=eps,
                delta=delta,
                q=q,
                steps=steps,
                fixed=acct,
                max_sigma=cfg.max_noise_multiplier,
            )
        except PrivacyError:
            if not explain:  # the planner tries another candidate: no message needed
                raise
            need = minimum_rows(
                eps, delta, cfg, self._minimum_fixed(fixed), label=label is not None
            )
            raise PrivacyError(
                f"too few rows for DP-CTGAN at epsilon={eps:g}, delta={delta:g}, "
                f"epochs={cfg.epochs}, batch_size={cfg.batch_size}: this plan needs at least "
                f"{need} rows, and the DP row count (charged to the budget) is below that "
                f"(the noise multiplier would exceed max_noise_multiplier="
                f"{cfg.max_noise_multiplier:g}). Fix: raise epsilon, lower epochs or "
                "batch_size, or use model='copula'."
            ) from None
        return _Training(
            q=q, steps_per_epoch=steps_per_epoch, sigma=sigma, accountant=acct, label=label
        )
