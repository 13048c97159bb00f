"""DP-CTGAN: a conditional tabular GAN whose discriminator is trained with DP-SGD (Opacus).

Privacy, add/remove-one neighbours, everything composed in Rényi DP (``tabsynth.privacy.rdp``):

1. **Marginals** (``marginal_share`` of the budget less the row count's ``count_share``, as
   zCDP; by default the share is planned from the DP row count, 0.5 for small tables down to
   0.2 for large ones, ``plan.planned_marginal_share``): one noisy histogram over the public
   cells of every column (L2 sensitivity sqrt(d); OpenDP's exact discrete Gaussian). They
   give the conditional vector's frequencies (never exact counts) and the targets of the
   marginal calibration below.
2. **Discriminator** (the rest): DP-SGD with Poisson sampling (``PoissonBatches``: each row
   joins each step's batch independently, as Opacus' ``DPDataLoader`` samples)
   at rate ``q = batch_size / noisy row count``, per-sample clipping to ``max_grad_norm`` and
   Gaussian noise whose multiplier is calibrated, before training, so that both parts together
   meet the target (epsilon, delta). The generator only sees the discriminator's outputs on
   its own rows, so it is post-processing; no gradient penalty (it would need double backward
   through per-sample gradients).
3. **Label model** (with a discrete target of few cells, ``label_model``): a softmax regression
   of the target on the other columns' encoding, also DP-SGD through Opacus, whose noise alone
   would spend ``label_share`` of epsilon; its steps are composed before the discriminator's
   noise is calibrated. It draws each synthetic row's target from the generated columns
   (``label.py``).

With a privacy unit (``privacy_unit`` with ``max_rows_per_unit: k``; ``privacy/units.py``)
every sensitivity is one unit's: the count's and the histograms' are k times one row's, the
batches sample units (all of a unit's kept rows together, ``PoissonBatches(groups=...)``), and
DP-SGD's noise is k times larger for the same per-row clipping norm (a unit's clipped
gradients sum to at most k times it); atoms are off.

Post-processing at the end of ``fit``: each column's cell logits get a bias so that the
generator's marginal matches the DP marginal (a few fixed-point steps on generated batches).

Planning: the sampling rate, steps and noise are planned from a DP row count (its own small
share of the budget, ``count_share``, taken from ``marginal_share``), never from the exact
count; a refusal for too few rows comes after that count alone and names the minimum.

Randomness: every fit-time draw comes from the OS's secure source (from the seed only with
``reproducible_noise``, which marks the model NOT FOR RELEASE); the sampling seed only seeds
``sample``. Draws that touch records (the encoding's jitter, which conditional vector a real
row gets, whether it joins a Poisson batch) are keyed hashes of the row itself
(``tabsynth.privacy.keyed``), so adding a record changes no other row's draws. DP-SGD's
Gaussian noise is Opacus' float draw from a ``torch.Generator`` seeded with 63 bits from
``secrets`` (not Opacus' ``secure_mode``, which needs a CSPRNG package); the certificate says so.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict
from typing import Any

import numpy as np
import polars as pl

from tabsynth.data.domain import build_domains
from tabsynth.errors import (
    PrivacyError,
    require_extra,
)
from tabsynth.models.atoms import ATOM_MECHANISM, discover_atoms
from tabsynth.models.base import Synthesizer, check_arrays
from tabsynth.models.ctgan.config import (
    COUNT_MECHANISM,
    MARGINAL_MECHANISM,
    SGD_MECHANISM,
    CTGANConfig,
    _Training,
)
from tabsynth.models.ctgan.dpsgd import _torch_generator, resolve_device
from tabsynth.models.ctgan.layout import Layout
from tabsynth.models.ctgan.plan import _Planning
from tabsynth.models.ctgan.sample import LEVELS, _Sampler
from tabsynth.models.ctgan.train import _Trainer
from tabsynth.models.registry import register
from tabsynth.privacy import gaussian_sigma
from tabsynth.privacy.keyed import (
    PoissonBatches,
    content_hashes,
    fit_key,
    hash_uniform,
    row_keys,
    subkey,
)
from tabsynth.privacy.records import Mechanism, PrivacyInfo

torch = require_extra("torch", "ctgan")
require_extra("opacus", "ctgan")


from tabsynth.models.ctgan.label import (  # noqa: E402
    LABEL_MECHANISM,
    features,
    fit_label_model,
    plan_label,
)
from tabsynth.models.ctgan.networks import Generator  # noqa: E402
from tabsynth.privacy.rdp import RDPAccountant  # noqa: E402


@register
class CTGANSynthesizer(_Planning, _Trainer, _Sampler, Synthesizer):
    """DP-CTGAN (see the module docstring for the mechanism)."""

    name = "ctgan"
    unit_rows_supported = 1000

    def _config(self) -> CTGANConfig:
        cfg: CTGANConfig = self._make_config(CTGANConfig, ("generator_dims", "discriminator_dims"))
        try:  # before anything is measured: a device that is not there spends nothing
            resolve_device(cfg.device)
        except ValueError as exc:
            from tabsynth.errors import Problem, SchemaError

            raise SchemaError([Problem("model_options", str(exc), "device='auto'")]) from None
        return cfg

    # --- fit ------------------------------------------------------------------------------
    def _fit(self, df: pl.DataFrame) -> None:
        cfg = self._config()
        eps, delta, noise = self._budget_and_noise()
        atom_cols = self._atom_columns(cfg)
        d = len(self.schema.modelled_columns)
        rep = self.reproducible_noise_seed
        fixed = private_plan = None
        n_hat = float(df.height)  # non-private fits only; a private fit uses a DP count
        if eps is not None:
            fixed = self._split(eps, delta, d, len(atom_cols), cfg)
            self._charge(mechanism=COUNT_MECHANISM, rho=self._count_rho, delta=0.0)
            n_hat = max(1.0, float(noise.gaussian_counts(np.array([df.height]),
                                                         self._count_sigma)[0]))  # fmt: skip
            # the histograms' share and the plan (epochs, batch size, noise) from the DP
            # count only; refused below it
            fixed = self._plan_marginals(fixed, d, n_hat, cfg)
            cfg, private_plan = self._choose_plan(eps, delta, n_hat, cfg, fixed)
            self.plan_["marginal_share"] = self.marginal_share_
            logging.getLogger(__name__).info(
                "DP-CTGAN plan (%s): %d epochs of expected batch %d, %d steps at rate %.4g, "
                "noise multiplier %.3g, histograms %.3g of rho, for epsilon %g",
                self.plan_["chosen"], cfg.epochs, cfg.batch_size,
                cfg.epochs * private_plan.steps_per_epoch, private_plan.q, private_plan.sigma,
                self.marginal_share_, eps,
            )  # fmt: skip
            if atom_cols:
                h = next(h for h in fixed.history if h["mechanism"] == ATOM_MECHANISM)
                self._charge(mechanism=ATOM_MECHANISM, rho=h["rho"], delta=h["delta"])
        self.rows_estimate_ = n_hat  # the DP row count (exact only in a non-private fit)
        self.atoms_ = discover_atoms(
            df,
            atom_cols,
            self.schema,
            self._atom_sigma if eps is not None else None,
            self._atom_tau if eps is not None else None,
            cfg.max_atoms,
            noise,
        )
        layout = Layout(tuple(build_domains(self.schema, bins=cfg.bins, extra_atoms=self.atoms_)))
        self.config_ = cfg
        self.layout_ = layout
        cells, pos = layout.cells_of(df)
        if eps is not None:
            self._charge(mechanism=MARGINAL_MECHANISM, rho=self._marginal_rho, delta=0.0)
        pmfs, conds = self._marginals(cells, layout, cfg, noise, eps is not None)
        self.pmfs_ = pmfs
        self.conds_ = conds
        self.target_index_ = self._target_index(layout, cfg)
        if eps is None:
            q = min(1.0, cfg.batch_size / n_hat)
            label = None
            if self._has_label(cfg):
                label = plan_label(None, delta, n_hat, cfg.batch_size, cfg.label_epochs, 1.0)
            plan = _Training(
                q=q, steps_per_epoch=max(1, int(1 / q)), sigma=None, accountant=None, label=label
            )
        else:
            plan = private_plan  # type: ignore[assignment]
        self._delta = delta
        # every fit-time draw from the secure source (a known seed only for testing); draws
        # that touch records are keyed by the row itself, so one record moves no other's
        key = fit_key(rep)
        priv_gen = _torch_generator(None if rep is None else rep + 1)  # DP-SGD noise
        keys = row_keys(df.select(layout.names))
        unit = self.schema.privacy_unit
        groups = None if unit is None else content_hashes(df.select(unit))
        jitter = np.stack(
            [hash_uniform(subkey(key, 1, j), keys) for j in range(len(layout.cells))], axis=1
        ) if len(keys) else np.zeros((0, len(layout.cells)))  # fmt: skip
        x = layout.encode(cells, pos, pmfs, jitter)
        self.label_plan_ = plan.label
        self.label_ = self._fit_label(x, cells, plan, cfg, priv_gen, keys, key, noise, groups)
        self.net_ = self._train(
            x, cells, layout, pmfs, plan, cfg, key, keys, priv_gen, noise, groups
        )
        calib = subkey(key, 4) >> 1
        self.bias_, self.knots_ = self._calibrate(layout, pmfs, calib, cfg.calibrate)
        if self.label_ is not None:
            self.label_bias_ = self._calibrate_label(calib)
        self.privacy_ = self._privacy(eps, delta, plan, cfg, noise.secure)

    def _fit_label(
        self,
        x: np.ndarray,
        cells: np.ndarray,
        plan: _Training,
        cfg: CTGANConfig,
        priv_gen: Any,
        keys: np.ndarray,
        key: int,
        noise: Any,
        groups: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The label model's weights and intercepts (label.py), or None without one."""
        t = self.target_index_
        if plan.label is None or t is None:
            return None
        layout = self.layout_
        if plan.label.sigma is not None:
            self._charge(
                mechanism=LABEL_MECHANISM, q=plan.label.q, sigma=plan.label.sigma,
                steps=plan.label.steps,
            )  # fmt: skip
        w, b, steps = fit_label_model(
            features(x, int(layout.offsets[t]), layout.widths[t]),
            cells[:, t],
            layout.cells[t],
            plan.label,
            clip=cfg.label_clip,
            batch_size=cfg.batch_size,
            lr=cfg.label_lr,
            priv_gen=priv_gen,
            batches=PoissonBatches(keys, plan.label.q, subkey(key, 2), groups),
            noise=noise,
            group=self.schema.max_rows_per_unit,
        )
        if steps != plan.label.steps:
            raise PrivacyError(
                f"internal error: label model took {steps} steps, planned {plan.label.steps}"
            )
        return w, b

    def _target_index(self, layout: Layout, cfg: CTGANConfig) -> int | None:
        """The column whose values split the marginals: a discrete target of few cells."""
        t = self.schema.target
        if t is None or t not in layout.names:
            return None
        j = layout.names.index(t)
        ok = j in layout.discrete and layout.cells[j] <= cfg.max_target_cells
        return j if ok else None

    def _marginals(
        self, cells: np.ndarray, layout: Layout, cfg: CTGANConfig, noise: Any, private: bool
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Noisy histograms -> (pmf of each column, pmf of each column per target cell).

        With a discrete target y, every other column c is counted jointly with y: one record
        adds one to each of the d histograms, so the L2 sensitivity stays sqrt(d). The 1-way
        pmf of c sums its joint histogram over y; p(c | y) is shrunk towards it by the noise.
        """
        t = self._target_index(layout, cfg)
        m_t = layout.cells[t] if t is not None else 1
        y = cells[:, t] if t is not None else np.zeros(cells.shape[0], dtype=np.int64)
        hists = []
        for j, m in enumerate(layout.cells):
            if j == t:
                hists.append(np.bincount(cells[:, j], minlength=m).reshape(1, m))
            else:
                hists.append(np.bincount(y * m + cells[:, j], minlength=m_t * m).reshape(m_t, m))
        sigma = self._marginal_sigma if private else 0.0
        if private:
            flat = noise.gaussian_counts(np.concatenate([h.ravel() for h in hists]), sigma)
            parts = np.split(flat.astype(float), np.cumsum([h.size for h in hists])[:-1])
            hists = [a.reshape(h.shape) for a, h in zip(parts, hists, strict=True)]
        pmfs, conds = [], []
        for h in hists:
            pooled = h.sum(axis=0)
            sd = sigma * math.sqrt(h.shape[0])
            support = pooled >= cfg.cell_threshold * sd if private else pooled > 0
            if not support.any():
                support = np.ones(pooled.size, dtype=bool)
            p = np.where(support, np.maximum(pooled, 0.0), 0.0)
            p = p / p.sum() if p.sum() > 0 else support / support.sum()
            pmfs.append(p)
            rows = np.where(support, np.maximum(h, 0.0), 0.0)
            alpha = sigma * math.sqrt(h.shape[1])
            cond = (rows + alpha * p) / np.maximum(rows.sum(axis=1, keepdims=True) + alpha, 1e-12)
            cond[cond.sum(axis=1) <= 0] = p
            conds.append(cond / cond.sum(axis=1, keepdims=True))
        return pmfs, conds

    # --- privacy statement ----------------------------------------------------------------
    def _privacy(
        self, eps: float | None, delta: float, plan: _Training, cfg: CTGANConfig, secure: bool
    ) -> PrivacyInfo:
        if eps is None:
            return PrivacyInfo.non_private()
        acct = RDPAccountant(history=list(plan.accountant.history))  # type: ignore[union-attr]
        acct.spend(mechanism=SGD_MECHANISM, q=plan.q, sigma=plan.sigma, steps=self.steps_)  # type: ignore[arg-type]
        spent = acct.epsilon(delta)
        if spent > eps * (1 + 1e-9):
            raise PrivacyError(f"internal accounting error: spent {spent} > target {eps}")
        counts = "OpenDP discrete Gaussian (secure)" if secure else "seeded numpy (NOT SECURE)"
        sgd_noise = (
            "torch Gaussian, generator seeded from the OS's secure source"
            if secure
            else "torch Gaussian from a known seed (NOT SECURE)"
        )
        d = len(self.layout_.domains)
        k = self.schema.max_rows_per_unit  # every sensitivity is one unit's: k rows
        zcdp = []
        for h in plan.accountant.history:  # type: ignore[union-attr]
            if "rho" not in h:  # the label model's DP-SGD, listed below
                continue
            sens = k * {
                ATOM_MECHANISM: math.sqrt(len(self._atom_columns(cfg))),
                COUNT_MECHANISM: 1.0,
            }.get(h["mechanism"], math.sqrt(d))
            zcdp.append(
                Mechanism(
                    name=h["mechanism"],
                    sensitivity=sens,
                    sigma=gaussian_sigma(sensitivity=sens, rho=h["rho"]),
                    rho=h["rho"],
                    noise=counts,
                    delta=h["delta"],
                )
            )
        label = []
        if plan.label is not None and plan.label.sigma is not None:
            label.append(
                Mechanism(
                    name=(
                        f"{LABEL_MECHANISM}: rate {plan.label.q:.4g}, {plan.label.steps} "
                        f"steps, noise multiplier {plan.label.sigma:.4g}"
                    ),
                    sensitivity=k * cfg.label_clip,
                    sigma=float(plan.label.sigma) * k * cfg.label_clip,
                    rho=None,
                    noise=sgd_noise,
                )
            )
        mechs = (
            *zcdp,
            *label,
            Mechanism(
                name=(
                    f"{SGD_MECHANISM}: rate {plan.q:.4g}, {self.steps_} steps, "
                    f"noise multiplier {plan.sigma:.4g}"
                ),
                sensitivity=k * cfg.max_grad_norm,
                sigma=float(plan.sigma) * k * cfg.max_grad_norm,  # type: ignore[arg-type]
                rho=None,
                noise=sgd_noise,
            ),
        )
        return PrivacyInfo(
            epsilon=spent,
            delta=delta,
            rho=None,
            accountant=acct.name,
            neighbouring=self.schema.neighbouring(),
            mechanisms=mechs,
            noise_source=sgd_noise,
            releasable=secure,
            notes=self._notes(eps, plan, cfg),
        )

    def _notes(self, eps: float, plan: _Training, cfg: CTGANConfig) -> tuple[str, ...]:
        return (
            f"target epsilon {eps}",
            f"sampling rate {plan.q:.6g} = batch_size / noisy row count",
            f"training plan ({self.plan_['chosen']}): {cfg.epochs} epochs of expected batch "
            f"{cfg.batch_size}, {self.steps_} steps, noise multiplier {plan.sigma:.4g}",
            f"column histograms: {self.marginal_share_:.3g} of rho, the row count's included ("
            + ("as configured" if cfg.marginal_share is not None else "planned from the DP count")
            + ")",
            f"trained on {self.device_} (device={cfg.device!r}; the plan, noise scale and "
            "accounting do not depend on it)",
        )

    # --- state ----------------------------------------------------------------------------
    array_format = "safetensors"

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            "config": asdict(self.config_),
            "steps": self.steps_,
            "atoms": self.atoms_,
            "rows_estimate": self.rows_estimate_,
        }
        arrays = {f"net/{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}
        arrays["bias"] = self.bias_
        arrays["knots"] = self.knots_
        if self.label_ is not None:
            arrays["label/weight"], arrays["label/intercept"] = self.label_
            arrays["label/calibration"] = np.asarray(self.label_bias_, dtype=np.float64)
        for name, p, c in zip(self.layout_.names, self.pmfs_, self.conds_, strict=True):
            arrays[f"pmf/{name}"] = np.asarray(p, dtype=np.float64)
            arrays[f"cond/{name}"] = np.asarray(c, dtype=np.float64)
        return meta, arrays

    def _check_state(self) -> None:
        """Every array has the shape the public schema (and the released atoms) implies, and
        holds finite numbers (the generator's weights are checked by ``load_state_dict``)."""
        layout, t = self.layout_, self.target_index_
        m_t = layout.cells[t] if t is not None else 1
        shapes: dict[str, tuple[Any, tuple[int, ...]]] = {
            "bias": (self.bias_, (m_t, layout.row_dim)),
            "knots": (self.knots_, (m_t, len(layout.cells), LEVELS.size)),
        }
        for j, (name, p, c) in enumerate(zip(layout.names, self.pmfs_, self.conds_, strict=True)):
            m = layout.cells[j]
            shapes[f"pmf/{name}"] = (p, (m,))
            shapes[f"cond/{name}"] = (c, (1 if j == t else m_t, m))  # the target: its own pmf
        if self.label_ is not None and t is not None:
            n_in = layout.row_dim - layout.widths[t]
            shapes["label/weight"] = (self.label_[0], (layout.cells[t], n_in))
            shapes["label/intercept"] = (self.label_[1], (layout.cells[t],))
            shapes["label/calibration"] = (self.label_bias_, (layout.cells[t],))
        check_arrays(shapes)

    @classmethod
    def _from_state(
        cls, schema: Any, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> CTGANSynthesizer:
        cfg = dict(meta["config"])
        for key in ("generator_dims", "discriminator_dims"):
            cfg[key] = tuple(cfg[key])
        model = cls(schema, **cfg)
        model.config_ = CTGANConfig(**cfg)
        model.atoms_ = {str(k): [float(v) for v in vals] for k, vals in meta["atoms"].items()}
        model.layout_ = Layout(
            tuple(build_domains(schema, bins=model.config_.bins, extra_atoms=model.atoms_))
        )
        layout = model.layout_
        net = Generator(
            model.config_.z_dim + layout.cond_dim, model.config_.generator_dims, layout.row_dim
        )
        state = {
            k[len("net/") :]: torch.from_numpy(np.array(v))
            for k, v in arrays.items()
            if k.startswith("net/")
        }
        net.load_state_dict(state)
        net.eval()
        model.net_ = net
        model.steps_ = int(meta["steps"])
        model.rows_estimate_ = meta.get("rows_estimate")
        model.bias_ = np.asarray(arrays["bias"], dtype=np.float32)
        model.knots_ = np.asarray(arrays["knots"], dtype=np.float64)
        model.pmfs_ = [np.asarray(arrays[f"pmf/{c}"], dtype=np.float64) for c in layout.names]
        model.conds_ = [np.asarray(arrays[f"cond/{c}"], dtype=np.float64) for c in layout.names]
        model.target_index_ = model._target_index(layout, model.config_)
        model.label_ = None
        if "label/weight" in arrays:
            model.label_ = (
                np.asarray(arrays["label/weight"], dtype=np.float64),
                np.asarray(arrays["label/intercept"], dtype=np.float64),
            )
            model.label_bias_ = np.asarray(arrays["label/calibration"], dtype=np.float64)
        return model
