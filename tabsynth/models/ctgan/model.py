"""DP-CTGAN: a conditional tabular GAN whose discriminator is trained with DP-SGD (Opacus).

Privacy, add/remove-one neighbours, everything composed in Rényi DP (``tabsynth.privacy.rdp``):

1. **Marginals** (``marginal_share`` of the budget less the row count's ``count_share``, as
   zCDP): one noisy histogram over the public cells of every column (L2 sensitivity sqrt(d);
   OpenDP's exact discrete Gaussian). They give the conditional vector's frequencies (never
   exact counts) and the targets of the marginal calibration below.
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

Post-processing at the end of ``fit``: each column's cell logits get a bias so that the
generator's marginal matches the DP marginal (a few fixed-point steps on generated batches).

Planning: the sampling rate, steps and noise are planned from a DP row count (its own small
share of the budget, ``count_share``, taken from ``marginal_share``), never from the exact count; a refusal for too few rows
comes after that count alone and names the minimum.

Randomness: every fit-time draw comes from the OS's secure source (from the seed only with
``reproducible_noise``, which marks the model NOT FOR RELEASE); the sampling seed only seeds
``sample``. Draws that touch records (the encoding's jitter, which conditional vector a real
row gets, whether it joins a Poisson batch) are keyed hashes of the row itself
(``tabsynth.privacy.keyed``), so adding a record changes no other row's draws. DP-SGD's
Gaussian noise is Opacus' float draw from a ``torch.Generator`` seeded with 63 bits from
``secrets`` (not Opacus' ``secure_mode``, which needs a CSPRNG package); the certificate says so.
"""

from __future__ import annotations

import math
import secrets
import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy.special import ndtri

from tabsynth.data.domain import build_domains
from tabsynth.errors import (
    PrivacyError,
    SamplingError,
    require_extra,
)
from tabsynth.models.base import Mechanism, PrivacyInfo, Synthesizer, register
from tabsynth.models.copula import ATOM_MECHANISM, atom_threshold, discover_atoms
from tabsynth.models.ctgan.layout import Layout, is_scalar, uniform_to_cells
from tabsynth.privacy import NEIGHBOURING, epsilon_to_rho, gaussian_sigma
from tabsynth.privacy.keyed import PoissonBatches, fit_key, hash_uniform, row_keys, subkey

torch = require_extra("torch", "ctgan")
require_extra("opacus", "ctgan")

from opacus.grad_sample import GradSampleModuleFastGradientClipping  # noqa: E402
from opacus.optimizers import DPOptimizerFastGradientClipping  # noqa: E402
from opacus.optimizers.optimizer import _check_processed_flag, _mark_as_processed  # noqa: E402
from opacus.utils.fast_gradient_clipping_utils import DPLossFastGradientClipping  # noqa: E402

from tabsynth.models.ctgan.label import (  # noqa: E402
    LABEL_MECHANISM,
    LabelPlan,
    features,
    fit_label_model,
    plan_label,
)
from tabsynth.models.ctgan.networks import Discriminator, Generator, init_weights  # noqa: E402
from tabsynth.privacy.rdp import RDPAccountant, calibrate_sigma, sgm_rdp  # noqa: E402

SGD_MECHANISM = "DP-SGD on the discriminator (Poisson-subsampled Gaussian, Opacus)"
MARGINAL_MECHANISM = "histogram of every column over its public cells"
COUNT_MECHANISM = "row count (plans DP-SGD)"


@dataclass(frozen=True, kw_only=True)
class CTGANConfig:
    """Training options (``model_options`` in the schema, or keyword arguments to ``fit``)."""

    epochs: int = 20
    batch_size: int = 500
    z_dim: int = 64
    generator_dims: tuple[int, ...] = (256, 256)
    discriminator_dims: tuple[int, ...] = (256, 256)
    lr_generator: float = 1e-3
    # a small clipping norm with a larger step: on credit_data at epsilon 1 (27 fits against
    # 15), SDMetrics quality 0.85 -> 0.92; TSTR/real about the same (0.865 against 0.855)
    lr_discriminator: float = 3e-3
    generator_steps: int = 1
    generator_ema: float = 0.0
    max_grad_norm: float = 0.3
    marginal_share: float = 0.2
    # the DP row count that plans training (sampling rate, refusal), carved out of
    # marginal_share so that DP-SGD's part is what it was before the count: a 2% share gives
    # a standard deviation of about 35 rows at epsilon 1
    count_share: float = 0.02
    bins: int = 32
    cell_threshold: float = 1.5
    calibrate: bool = True
    max_noise_multiplier: float = 10.0
    gumbel_tau: float = 0.2
    target_share: float = 0.5
    max_target_cells: int = 16
    discover_atoms: bool = True
    atom_share: float = 0.1
    atom_delta_share: float = 0.1
    max_atoms: int = 32
    # the target drawn by a DP softmax regression on the other columns (label.py). At
    # epsilon 1, TSTR/real without -> with it (10 label epochs): credit_data 0.810 +- 0.029
    # (6 fits) -> 0.961 +- 0.020 (14 fits), HealthInsurance 0.943 +- 0.030 -> 0.964 +- 0.012
    # (5 fits each); 5 label epochs gave 0.949 and 0.931, shares 0.1 and 0.3 about 0.93
    label_model: bool = True
    label_share: float = 0.2
    label_epochs: int = 10
    label_lr: float = 0.5
    label_clip: float = 1.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2 or self.generator_steps < 1:
            raise ValueError("epochs and generator_steps must be >= 1, batch_size >= 2")
        if not 0 <= self.generator_ema < 1:
            raise ValueError("generator_ema must be in [0, 1)")
        if not 0 < self.count_share < self.marginal_share < 1:
            raise ValueError(
                "need 0 < count_share < marginal_share < 1 (the row count is carved out of the "
                f"marginals' share), got marginal_share={self.marginal_share} and "
                f"count_share={self.count_share}. Fix: e.g. marginal_share=0.2, count_share=0.02"
            )
        if self.max_grad_norm <= 0 or self.label_clip <= 0:
            raise ValueError(
                f"max_grad_norm and label_clip must be positive, got {self.max_grad_norm} "
                f"and {self.label_clip}. Fix: e.g. max_grad_norm=0.3, label_clip=1.0"
            )
        if not 0 < self.label_share < 1 or self.label_epochs < 1:
            raise ValueError(
                f"label_share must be in (0, 1) and label_epochs >= 1, got "
                f"label_share={self.label_share}, label_epochs={self.label_epochs}. Fix: e.g. "
                "label_share=0.2, label_epochs=10, or label_model=False for no label model"
            )


@dataclass
class _Training:
    """What the DP-SGD run uses, fixed before it starts."""

    q: float
    steps_per_epoch: int
    sigma: float | None
    accountant: RDPAccountant | None
    mechanisms: list[Mechanism] = field(default_factory=list)
    label: LabelPlan | None = None


class _Average:
    """Exponential moving average of the generator's weights and batch-norm statistics
    (post-processing of the private training: it reads only the generator)."""

    def __init__(self, net: Any, decay: float) -> None:
        self.decay = decay
        self.state = {
            k: v.detach().clone() for k, v in net.state_dict().items() if v.is_floating_point()
        }

    def update(self, net: Any) -> None:
        with torch.no_grad():
            for k, v in net.state_dict().items():
                if k in self.state:
                    self.state[k].mul_(self.decay).add_(v.detach(), alpha=1 - self.decay)

    def copy_to(self, net: Any) -> None:
        net.load_state_dict({**net.state_dict(), **self.state})


def _torch_generator(seed: int | None) -> Any:
    g = torch.Generator()
    g.manual_seed(int(seed) if seed is not None else secrets.randbits(63))
    return g


@register
class CTGANSynthesizer(Synthesizer):
    """DP-CTGAN (see the module docstring for the mechanism)."""

    name = "ctgan"

    def _config(self) -> CTGANConfig:
        return self._make_config(CTGANConfig, ("generator_dims", "discriminator_dims"))  # type: ignore[no-any-return]

    # --- budget ---------------------------------------------------------------------------
    def _atom_columns(self, cfg: CTGANConfig) -> list[str]:
        public = build_domains(self.schema, bins=cfg.bins)
        return [
            d.name for d in public if cfg.discover_atoms and d.kind == "numerical" and d.continuous
        ]

    def _split(
        self, eps: float, delta: float, d: int, n_atom_cols: int, cfg: CTGANConfig
    ) -> RDPAccountant:
        """The zCDP measurements' part of the budget (atoms, marginals), as an accountant
        holding it; their noise scales are set here, before anything is measured."""
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
        self._count_rho, self._count_sigma = r, gaussian_sigma(sensitivity=1.0, rho=r)
        r = rho * (cfg.marginal_share - cfg.count_share)  # the count is carved out of it
        acct.spend(mechanism=MARGINAL_MECHANISM, rho=r)
        self._marginal_rho = r
        self._marginal_sigma = gaussian_sigma(sensitivity=math.sqrt(d), rho=r)
        return acct

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
        self, eps: float, delta: float, n_rows: float, cfg: CTGANConfig, fixed: RDPAccountant
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
            need = minimum_rows(eps, delta, cfg, fixed, label=label is not None)
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
            private_plan = self._plan_sgd(eps, delta, n_hat, cfg, fixed)  # refused: count only
            if atom_cols:
                h = next(h for h in fixed.history if h["mechanism"] == ATOM_MECHANISM)
                self._charge(mechanism=ATOM_MECHANISM, rho=h["rho"], delta=h["delta"])
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
        jitter = np.stack(
            [hash_uniform(subkey(key, 1, j), keys) for j in range(len(layout.cells))], axis=1
        ) if len(keys) else np.zeros((0, len(layout.cells)))  # fmt: skip
        x = layout.encode(cells, pos, pmfs, jitter)
        self.label_plan_ = plan.label
        self.label_ = self._fit_label(x, cells, plan, cfg, priv_gen, keys, key, noise)
        self.net_ = self._train(x, cells, layout, pmfs, plan, cfg, key, keys, priv_gen, noise)
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
            batches=PoissonBatches(keys, plan.label.q, subkey(key, 2)),
            noise=noise,
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

    # --- training -------------------------------------------------------------------------
    def _col_probs(self) -> np.ndarray:
        """How often each discrete column is the conditioned one: the target gets
        ``target_share`` on top of an equal share for every column (the same for real and
        generated rows, so the conditional vectors alone cannot tell them apart)."""
        layout = self.layout_
        disc = layout.discrete
        p = np.full(len(disc), 1 / max(len(disc), 1))
        target = self.schema.target
        if target in layout.names and layout.names.index(target) in disc:
            share = self.config_.target_share
            p = (1 - share) * p
            p[disc.index(layout.names.index(target))] += share
        return p / p.sum()  # type: ignore[no-any-return]

    def _cond_fake(
        self, b: int, layout: Layout, pmfs: list[np.ndarray], g: Any
    ) -> tuple[Any, Any, Any]:
        """Conditional vectors for generated rows: a discrete column uniformly, one of its
        cells from the DP marginal. Returns (cond, column index, cell)."""
        disc = layout.discrete
        cond = torch.zeros(b, layout.cond_dim)
        if not disc:
            return cond, None, None
        which = torch.multinomial(
            torch.as_tensor(self._col_probs()), b, replacement=True, generator=g
        )
        cell = torch.empty(b, dtype=torch.long)
        for k, j in enumerate(disc):
            sel = which == k
            m = int(sel.sum())
            if m:
                p = torch.as_tensor(pmfs[j], dtype=torch.float32)
                cell[sel] = torch.multinomial(p, m, replacement=True, generator=g)
        offs = torch.as_tensor(layout.cond_offsets)
        cond[torch.arange(b), offs[which] + cell] = 1.0
        return cond, which, cell

    def _cond_real(self, cb: Any, layout: Layout, u: np.ndarray) -> Any:
        """Conditional vectors for real rows: a discrete column drawn by ``_col_probs`` from
        the row's own keyed uniform ``u``, and the row's own cell (a function of the row
        alone, so each row's clipped gradient still bounds it, and no other row's draw
        depends on which rows are in the batch)."""
        b = cb.shape[0]
        cond = torch.zeros(b, layout.cond_dim)
        disc = layout.discrete
        if not disc or b == 0:
            return cond
        cdf = np.cumsum(self._col_probs())
        which = torch.as_tensor(np.minimum(np.searchsorted(cdf, u, side="right"), len(disc) - 1))
        own = cb[:, torch.as_tensor(disc)].gather(1, which[:, None]).squeeze(1)
        cond[torch.arange(b), torch.as_tensor(layout.cond_offsets)[which] + own] = 1.0
        return cond

    def _activate(self, raw: Any, layout: Layout, tau: float, g: Any) -> Any:
        """Generator output as a row vector: Gumbel-softmax per one-hot column, scores as
        they are."""
        parts = []
        start = 0
        for w, sc in zip(layout.widths, layout.scalar, strict=True):
            block = raw[:, start : start + w]
            start += w
            if sc:
                parts.append(block)
                continue
            u = torch.rand(block.shape, generator=g).clamp_(1e-10, 1 - 1e-10)
            parts.append(torch.softmax((block - torch.log(-torch.log(u))) / tau, dim=1))
        return torch.cat(parts, dim=1)

    def _train(
        self,
        x: np.ndarray,
        cells: np.ndarray,
        layout: Layout,
        pmfs: list[np.ndarray],
        plan: _Training,
        cfg: CTGANConfig,
        key: int,
        keys: np.ndarray,
        priv_gen: Any,
        noise: Any,
    ) -> Any:
        g = _torch_generator(subkey(key, 3) >> 1)  # init, latent and generated rows' draws
        out_dim = layout.row_dim
        gen = Generator(cfg.z_dim + layout.cond_dim, cfg.generator_dims, out_dim)
        disc = Discriminator(out_dim + layout.cond_dim, cfg.discriminator_dims)
        init_weights(gen, g)
        init_weights(disc, g)
        opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr_generator, betas=(0.5, 0.9))
        opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr_discriminator, betas=(0.5, 0.9))
        xt, ct = torch.as_tensor(x), torch.as_tensor(cells)
        batches = PoissonBatches(keys, plan.q, subkey(key, 5))
        d_model: Any = disc
        crit = None
        if plan.sigma is not None:
            self._charge(mechanism=SGD_MECHANISM, q=plan.q, sigma=plan.sigma,
                         steps=cfg.epochs * batches.steps_per_epoch)  # fmt: skip
            d_model, opt_d, crit = private_discriminator(
                disc, opt_d, plan.sigma, cfg.max_grad_norm, cfg.batch_size, priv_gen, noise
            )
        self._batches = batches
        nets = (gen, d_model, opt_g, opt_d, crit)
        bar = self._progress(cfg.epochs)
        steps = 0
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # Opacus' hooks on a first layer whose input needs no gradient: harmless
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
            ema = _Average(gen, cfg.generator_ema) if cfg.generator_ema > 0 else None
            for _epoch in range(cfg.epochs):
                losses = []
                for _ in range(batches.steps_per_epoch):
                    idx = batches.batch(steps)
                    ti = torch.as_tensor(idx, dtype=torch.long)
                    u = batches.uniforms(steps, idx, 0)
                    losses.append(self._train_step(xt[ti], ct[ti], u, *nets, layout, pmfs, cfg, g))
                    steps += 1
                    if ema is not None:
                        ema.update(gen)
                if bar is not None:
                    self._report(bar, losses, plan, steps)
        self.train_seconds_ = time.perf_counter() - t0
        if bar is not None:
            bar.close()
        self.steps_ = steps
        if ema is not None:
            ema.copy_to(gen)
        gen.eval()
        return gen

    def _report(self, bar: Any, losses: list[float], plan: Any, steps: int) -> None:
        # the generator's loss only: it reads generated rows through the already private
        # discriminator (post-processing); the discriminator's loss is on private batches
        lg = float(np.mean(losses)) if losses else math.nan
        post = {"loss_g": f"{lg:.3f}"}
        if plan.accountant is not None and plan.sigma is not None:
            post["eps"] = f"{self._eps_so_far(plan, steps):.3f}"
        bar.set_postfix(post)
        bar.update(1)

    def _eps_so_far(self, plan: _Training, steps: int) -> float:
        acct = RDPAccountant(history=list(plan.accountant.history))  # type: ignore[union-attr]
        acct.spend(mechanism="sgd", q=plan.q, sigma=plan.sigma, steps=steps)  # type: ignore[arg-type]
        return acct.epsilon(float(self._delta))

    def _progress(self, total: int) -> Any:
        if not self.verbose:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc="DP-CTGAN", unit="epoch")

    def _train_step(
        self,
        xb: Any,
        cb: Any,
        u: np.ndarray,
        gen: Any,
        disc: Any,
        opt_g: Any,
        opt_d: Any,
        crit: Any,
        layout: Layout,
        pmfs: list[np.ndarray],
        cfg: CTGANConfig,
        g: Any,
    ) -> float:
        """One discriminator step and one generator step; returns the generator's loss. As
        many generated rows as the public expected batch size."""
        n_fake = cfg.batch_size
        cond, _, _ = self._cond_fake(n_fake, layout, pmfs, g)
        z = torch.randn(n_fake, cfg.z_dim, generator=g)
        with torch.no_grad():
            fake = self._activate(gen(torch.cat([z, cond], dim=1)), layout, cfg.gumbel_tau, g)
        real_in = torch.cat([xb, self._cond_real(cb, layout, u)], dim=1)
        self._d_step(real_in, torch.cat([fake, cond], dim=1), disc, opt_d, crit)

        dp = crit is not None
        if dp:
            disc.disable_hooks()
        for _ in range(cfg.generator_steps):  # generator steps are post-processing: free
            cond, which, cell = self._cond_fake(n_fake, layout, pmfs, g)
            z = torch.randn(n_fake, cfg.z_dim, generator=g)
            raw = gen(torch.cat([z, cond], dim=1))
            fake = self._activate(raw, layout, cfg.gumbel_tau, g)
            loss_g = _bce(disc(torch.cat([fake, cond], dim=1)), torch.ones(n_fake))
            if which is not None:
                loss_g = loss_g + self._cond_loss(raw, layout, which, cell)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
        if dp:
            disc.enable_hooks()
        return float(loss_g.detach())

    @staticmethod
    def _d_step(real_in: Any, fake_in: Any, disc: Any, opt_d: Any, crit: Any) -> float:
        """Discriminator update. Private: the real rows' gradient is Opacus' (each row clipped
        by ghost clipping, summed, Gaussian noise added, divided by the expected batch size);
        the generated rows' gradient depends only on the networks, which are already the
        output of earlier private steps, so it is added unclipped (post-processing)."""
        b = real_in.shape[0]
        opt_d.zero_grad(set_to_none=True)
        if crit is None:
            loss = _bce(disc(real_in), torch.ones(b)) + _bce(
                disc(fake_in), torch.zeros(len(fake_in))
            )
            loss.backward()
            opt_d.step()
            return float(loss.detach())
        params = [p for p in disc.parameters() if p.requires_grad]
        loss_real = 0.0
        if b:
            out = crit(disc(real_in), torch.ones(b))
            out.backward()
            loss_real = float(out.detach())
        for p in params:  # an empty Poisson batch still gets its full noise
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        disc.disable_hooks()
        loss_fake = _bce(disc(fake_in), torch.zeros(len(fake_in)))
        fake_grads = torch.autograd.grad(loss_fake, params)
        disc.enable_hooks()
        if opt_d.pre_step():
            for p, fg in zip(params, fake_grads, strict=True):
                p.grad.add_(fg)
            opt_d.original_optimizer.step()
        return loss_real + float(loss_fake.detach())

    @staticmethod
    def _cond_loss(raw: Any, layout: Layout, which: Any, cell: Any) -> Any:
        """Cross-entropy of the generator's logits for the conditioned column (CTGAN's)."""
        total = raw.new_zeros(())
        offs = layout.offsets
        for k, j in enumerate(layout.discrete):
            sel = which == k
            if sel.any():
                logits = raw[sel, offs[j] : offs[j] + layout.cells[j]]
                total = total + torch.nn.functional.cross_entropy(
                    logits, cell[sel], reduction="sum"
                )
        return total / raw.shape[0]

    # --- post-processing ------------------------------------------------------------------
    def _generate(
        self,
        n: int,
        rng: np.random.Generator,
        column: int | None = None,
        cells: np.ndarray | None = None,
    ) -> np.ndarray:
        """Raw generator outputs (n, row width), from numpy randomness.

        ``column``/``cells``: condition row i on cell ``cells[i]`` of one-hot column
        ``column``; otherwise the conditional vector is drawn as in training.
        """
        layout = self.layout_
        cond = np.zeros((n, layout.cond_dim), dtype=np.float32)
        disc = layout.discrete
        if column is not None and cells is not None:
            cond[np.arange(n), layout.cond_offsets[disc.index(column)] + cells] = 1.0
        elif disc and n:
            which = rng.choice(len(disc), size=n, p=self._col_probs())
            u = rng.random(n)
            pick = np.empty(n, dtype=np.int64)
            for k, j in enumerate(disc):
                sel = which == k
                c = np.cumsum(self.pmfs_[j])
                pick[sel] = np.minimum(np.searchsorted(c, u[sel], side="right"), c.size - 1)
            cond[np.arange(n), layout.cond_offsets[which] + pick] = 1.0
        z = rng.standard_normal((n, self.config_.z_dim), dtype=np.float32)
        with torch.no_grad():
            out = self.net_(torch.from_numpy(np.concatenate([z, cond], axis=1)))
        return out.numpy()  # type: ignore[no-any-return]

    def _calibrate(
        self, layout: Layout, pmfs: list[np.ndarray], seed: int, calibrate: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Post-processing that makes each column's generated distribution given the target
        match its DP estimate: per-cell logit biases for one-hot columns, and for score
        columns the generated scores' quantiles (a monotone map to uniforms, which keeps the
        scores' ranks, hence their dependence). One row per target cell."""
        rng = np.random.default_rng(seed)
        t = self.target_index_
        m_t = layout.cells[t] if t is not None else 1
        bias = np.zeros((m_t, layout.row_dim), dtype=np.float64)
        knots = np.tile(ndtri(np.clip(LEVELS, 1e-6, 1 - 1e-6)), (m_t, len(layout.cells), 1))
        per = max(2000, 20_000 // m_t)
        for k in range(m_t):
            if t is not None:
                raw = self._generate(per, rng, t, np.full(per, k))
            else:
                raw = self._generate(per, rng)
            for j, (off, w, sc) in enumerate(
                zip(layout.offsets, layout.widths, layout.scalar, strict=True)
            ):
                if sc:
                    knots[k, j] = _monotone(np.quantile(raw[:, off], LEVELS))
                elif j != t and calibrate:
                    target = self.conds_[j][k if t is not None else 0]
                    bias[k, off : off + w] = _fit_bias(raw[:, off : off + w].astype(float), target)
        if t is not None and calibrate:  # the target's own logits, when conditioning elsewhere
            raw = self._generate(per, rng)
            off, w = layout.offsets[t], layout.widths[t]
            bias[:, off : off + w] = _fit_bias(raw[:, off : off + w].astype(float), pmfs[t])
        return bias.astype(np.float32), knots

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
        zcdp = []
        for h in plan.accountant.history:  # type: ignore[union-attr]
            if "rho" not in h:  # the label model's DP-SGD, listed below
                continue
            sens = {
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
                    sensitivity=cfg.label_clip,
                    sigma=float(plan.label.sigma) * cfg.label_clip,
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
                sensitivity=cfg.max_grad_norm,
                sigma=float(plan.sigma) * cfg.max_grad_norm,  # type: ignore[arg-type]
                rho=None,
                noise=sgd_noise,
            ),
        )
        return PrivacyInfo(
            epsilon=spent,
            delta=delta,
            rho=None,
            accountant=acct.name,
            neighbouring=NEIGHBOURING,
            mechanisms=mechs,
            noise_source=sgd_noise,
            releasable=secure,
            notes=(
                f"target epsilon {eps}",
                f"sampling rate {plan.q:.6g} = batch_size / noisy row count",
            ),
        )

    # --- sample ---------------------------------------------------------------------------
    def _sample(
        self, n: int, rng: np.random.Generator, where: dict[str, int] | None = None
    ) -> pl.DataFrame:
        layout = self.layout_
        where = dict(where or {})
        if len(where) > 1:
            raise SamplingError(
                f"ctgan conditions on one column at a time through its conditional vector; "
                f"got {sorted(where)}. Fix: keep one condition."
            )
        column = cell = None
        if where:
            ((name, cell),) = where.items()
            column = layout.names.index(name)
            if column not in layout.discrete:
                raise SamplingError(
                    f"ctgan conditions on categorical, boolean or small-integer columns "
                    f"(at most 16 values); {name!r} is not one"
                )
            if self.pmfs_[column][cell] <= 0:
                raise SamplingError(
                    f"impossible condition {where}: the fitted model gives it probability 0. "
                    "Fix: condition on a value the data can hold."
                )
        chunks = [
            self._sample_chunk(min(CHUNK, n - start), rng, column, cell)
            for start in range(0, max(n, 1), CHUNK)
        ]
        cells = np.concatenate([c for c, _ in chunks])[:n]
        pos = np.concatenate([p for _, p in chunks])[:n]
        return self._add_unmodelled(layout.decode(cells, pos), n)

    def _sample_chunk(
        self, n: int, rng: np.random.Generator, column: int | None, cell: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cells and positions of ``n`` rows. With a target, each row's target cell is fixed
        first (drawn from its DP marginal, or by the condition), the generator is conditioned
        on it, and the other columns are decoded with that target cell's calibration."""
        layout = self.layout_
        t = self.target_index_
        asked_target = column is not None and column == t
        fixed = np.full(n, cell) if column is not None else None
        if t is not None and column is None:
            c = np.cumsum(self.pmfs_[t])
            fixed = np.minimum(np.searchsorted(c, rng.random(n), side="right"), c.size - 1)
            column = t
        raw = self._generate(n, rng, column, fixed)
        cells = np.empty((n, len(layout.cells)), dtype=np.int64)
        pos = np.full((n, len(layout.cells)), 0.5)
        offs, widths = layout.offsets, layout.widths
        y = np.zeros(n, dtype=np.int64)
        if t is not None:
            if column == t:
                y = fixed  # type: ignore[assignment]
            else:
                sl = slice(offs[t], offs[t] + widths[t])
                y = _draw(raw[:, sl] + self.bias_[0, sl], rng)
            cells[:, t] = y
        for j, sc in enumerate(layout.scalar):
            if j == t:
                continue
            sl = slice(offs[j], offs[j] + widths[j])
            if not sc:
                cells[:, j] = _draw(raw[:, sl] + self.bias_[y, sl], rng)
                continue
            for k in np.unique(y):
                rows = np.flatnonzero(y == k)
                u = np.interp(raw[rows, offs[j]], self.knots_[k, j], LEVELS)
                cells[rows, j], pos[rows, j] = uniform_to_cells(u, self.conds_[j][k])
        if column is not None and fixed is not None:
            cells[:, column] = fixed
        if self.label_ is not None and t is not None and not asked_target:
            cells[:, t] = _draw(self._label_logits(cells, pos, rng) + self.label_bias_, rng)
        return cells, pos

    def _label_logits(self, cells: np.ndarray, pos: np.ndarray, rng: Any) -> np.ndarray:
        """The label model's logits for rows given as cells and positions."""
        layout, t = self.layout_, self.target_index_
        x = layout.encode(cells, pos, self.pmfs_, rng)
        w, b = self.label_  # type: ignore[misc]
        return features(x, int(layout.offsets[t]), layout.widths[t]) @ w.T + b  # type: ignore[no-any-return, arg-type, index]

    def _calibrate_label(self, seed: int) -> np.ndarray:
        """Bias on the label model's logits that makes the generated target marginal match
        its DP estimate (post-processing, on generated rows)."""
        t = self.target_index_
        self.label_bias_ = np.zeros(self.layout_.cells[t])  # type: ignore[index]
        rng = np.random.default_rng([seed, 1])
        cells, pos = self._sample_chunk(20_000, rng, None, None)
        logits = self._label_logits(cells, pos, rng)
        return _fit_bias(logits, self.pmfs_[t])  # type: ignore[index]

    def marginal(self, column: str) -> dict[Any, float]:
        """The DP marginal the sampler is calibrated to, for a categorical or boolean column."""
        layout = self.layout_
        j = layout.names.index(column)
        dom = layout.domains[j]
        labels = (["<null>"] if dom.nullable else []) + list(dom.labels)
        return {label: float(p) for label, p in zip(labels, self.pmfs_[j], strict=True)}

    # --- state ----------------------------------------------------------------------------
    array_format = "safetensors"

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {"config": asdict(self.config_), "steps": self.steps_, "atoms": self.atoms_}
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


CHUNK = 65_536


def private_discriminator(
    disc: Any,
    opt: Any,
    sigma: float,
    max_grad_norm: float,
    batch_size: int,
    generator: Any,
    noise: Any = None,
) -> tuple[Any, Any, Any]:
    """Opacus' DP-SGD around a discriminator (binary cross-entropy on logits)."""
    return private_module(
        disc,
        opt,
        sigma,
        max_grad_norm,
        batch_size,
        generator,
        torch.nn.BCEWithLogitsLoss(reduction="mean"),
        noise=noise,
        mechanism=SGD_MECHANISM,
    )


class _DPOptimizer(DPOptimizerFastGradientClipping):  # type: ignore[misc]
    """Opacus' optimizer; its Gaussian noise is Opacus' own draw from ``generator`` unless the
    noise source offers ``gaussian_gradient`` (the grey-box harness, which couples the noisy
    sums of neighbouring runs and checks their pre-noise distance against the clipping norm)."""

    noise_source: Any = None
    mechanism: str = ""

    def add_noise(self) -> None:
        hook = getattr(self.noise_source, "gaussian_gradient", None)
        if hook is None:
            super().add_noise()
            return
        for p in self.params:
            _check_processed_flag(p.summed_grad)
        flat = torch.cat([p.summed_grad.reshape(-1) for p in self.params])
        std = self.noise_multiplier * self.max_grad_norm
        noisy = hook(flat.detach().double().numpy(), std, mechanism=self.mechanism)
        start = 0
        for p in self.params:
            size = p.summed_grad.numel()
            part = torch.as_tensor(noisy[start : start + size], dtype=p.summed_grad.dtype)
            p.grad = part.view_as(p)
            start += size
            _mark_as_processed(p.summed_grad)


def private_module(
    net: Any,
    opt: Any,
    sigma: float,
    max_grad_norm: float,
    batch_size: int,
    generator: Any,
    loss: Any,
    noise: Any = None,
    mechanism: str = "",
) -> tuple[Any, Any, Any]:
    """Opacus' DP-SGD around a network and its loss: ghost clipping (exact per-sample
    gradient norms without materialising per-sample gradients), Gaussian noise of std
    ``sigma * max_grad_norm`` from ``generator``, the sum divided by the public
    ``batch_size``."""
    module = GradSampleModuleFastGradientClipping(
        net, max_grad_norm=max_grad_norm, use_ghost_clipping=True
    )
    dp_opt = _DPOptimizer(
        opt,
        noise_multiplier=sigma,
        max_grad_norm=max_grad_norm,
        expected_batch_size=int(batch_size),
        generator=generator,
    )
    dp_opt.noise_source, dp_opt.mechanism = noise, mechanism
    crit = DPLossFastGradientClipping(module, dp_opt, loss)
    return module, dp_opt, crit


LEVELS = np.linspace(0.0, 1.0, 257)


def _monotone(q: np.ndarray) -> np.ndarray:
    """Strictly increasing knots (ties broken by a tiny step), for ``np.interp``."""
    return q + np.arange(q.size) * 1e-9 * max(1.0, float(np.abs(q).max()))


def _draw(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One cell per row, drawn from softmax(``logits``) (Gumbel-max)."""
    u = rng.random(logits.shape, dtype=np.float32).clip(1e-12, 1 - 1e-7)
    return np.argmax(logits - np.log(-np.log(u)), axis=1)  # type: ignore[no-any-return]


def _fit_bias(logits: np.ndarray, target: np.ndarray, iters: int = 50) -> np.ndarray:
    """Bias b with mean(softmax(logits + b)) = target (cells of target 0 get -1e9)."""
    ok = target > 0
    b = np.where(ok, 0.0, -1e9)
    for _ in range(iters):
        cur = _softmax(logits + b).mean(axis=0)
        b[ok] += np.log(target[ok] / np.maximum(cur[ok], 1e-12))
        b[ok] -= b[ok].max()
    return b


def _bce(logits: Any, target: Any) -> Any:
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, target)


def _softmax(a: np.ndarray) -> np.ndarray:
    a = a - a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def minimum_rows(
    eps: float, delta: float, cfg: CTGANConfig, fixed: RDPAccountant, label: bool = False
) -> int:
    """Fewest rows for which DP-SGD at (``eps``, ``delta``) needs a noise multiplier of at
    most ``cfg.max_noise_multiplier`` (batch size and epochs as configured; ``label``: the
    label model's steps are part of the budget)."""
    from tabsynth.privacy.rdp import rdp_to_epsilon

    base = fixed.curve()
    left = delta - fixed.delta_spent

    def ok(n: int) -> bool:
        q = min(1.0, cfg.batch_size / n)
        steps = cfg.epochs * max(1, int(1 / q))
        rdp = base + sgm_rdp(q, cfg.max_noise_multiplier, steps)
        if label:
            lp = plan_label(eps, delta, n, cfg.batch_size, cfg.label_epochs, cfg.label_share)
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
