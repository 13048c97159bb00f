"""DP-CTGAN's training: conditional vectors, one discriminator step (DP-SGD on real rows)
and the generator's steps (post-processing), and the loop over Poisson batches."""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np

from tabsynth.errors import (
    require_extra,
)
from tabsynth.models.ctgan.layout import Layout
from tabsynth.models.ctgan.state import _Fitted
from tabsynth.privacy.keyed import PoissonBatches, subkey

torch = require_extra("torch", "ctgan")
require_extra("opacus", "ctgan")


from tabsynth.models.ctgan.config import SGD_MECHANISM, CTGANConfig, _Training  # noqa: E402
from tabsynth.models.ctgan.dpsgd import (  # noqa: E402
    _bce,
    _device_generator,
    _torch_generator,
    private_discriminator,
    resolve_device,
)
from tabsynth.models.ctgan.networks import Discriminator, Generator, init_weights  # noqa: E402
from tabsynth.privacy.rdp import RDPAccountant  # noqa: E402


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


class _Trainer(_Fitted):
    """The GAN's training loop (mixed into ``CTGANSynthesizer``)."""

    # --- training -------------------------------------------------------------------------
    def _cond_fake(
        self, b: int, layout: Layout, pmfs: list[np.ndarray], g: Any
    ) -> tuple[Any, Any, Any]:
        """Conditional vectors for generated rows: a discrete column uniformly, one of its
        cells from the DP marginal. Returns (cond, column index, cell)."""
        disc = layout.discrete
        dev = g.device
        cond = torch.zeros(b, layout.cond_dim, device=dev)
        if not disc:
            return cond, None, None
        which = torch.multinomial(
            torch.as_tensor(self._col_probs(), device=dev), b, replacement=True, generator=g
        )
        cell = torch.empty(b, dtype=torch.long, device=dev)
        for k, j in enumerate(disc):
            sel = which == k
            m = int(sel.sum())
            if m:
                p = torch.as_tensor(pmfs[j], dtype=torch.float32, device=dev)
                cell[sel] = torch.multinomial(p, m, replacement=True, generator=g)
        offs = torch.as_tensor(layout.cond_offsets, device=dev)
        cond[torch.arange(b, device=dev), offs[which] + cell] = 1.0
        return cond, which, cell

    def _cond_real(self, cb: Any, layout: Layout, u: np.ndarray) -> Any:
        """Conditional vectors for real rows: a discrete column drawn by ``_col_probs`` from
        the row's own keyed uniform ``u``, and the row's own cell (a function of the row
        alone, so each row's clipped gradient still bounds it, and no other row's draw
        depends on which rows are in the batch)."""
        b, dev = cb.shape[0], cb.device
        cond = torch.zeros(b, layout.cond_dim, device=dev)
        disc = layout.discrete
        if not disc or b == 0:
            return cond
        cdf = np.cumsum(self._col_probs())
        which = torch.as_tensor(
            np.minimum(np.searchsorted(cdf, u, side="right"), len(disc) - 1), device=dev
        )
        own = cb[:, torch.as_tensor(disc, device=dev)].gather(1, which[:, None]).squeeze(1)
        offs = torch.as_tensor(layout.cond_offsets, device=dev)
        cond[torch.arange(b, device=dev), offs[which] + own] = 1.0
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
            u = torch.rand(block.shape, generator=g, device=g.device).clamp_(1e-10, 1 - 1e-10)
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
        groups: np.ndarray | None = None,
    ) -> Any:
        dev = resolve_device(cfg.device)
        g = _torch_generator(subkey(key, 3) >> 1)  # init, latent and generated rows' draws
        out_dim = layout.row_dim
        gen = Generator(cfg.z_dim + layout.cond_dim, cfg.generator_dims, out_dim)
        disc = Discriminator(out_dim + layout.cond_dim, cfg.discriminator_dims)
        init_weights(gen, g)
        init_weights(disc, g)
        self.device_ = str(dev)
        if dev.type != "cpu":  # the draws of training on the device, from a key of g's
            gen, disc = gen.to(dev), disc.to(dev)
            g = _device_generator(g, dev)
            priv_gen = _device_generator(priv_gen, dev)
        opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr_generator, betas=(0.5, 0.9))
        opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr_discriminator, betas=(0.5, 0.9))
        xt, ct = torch.as_tensor(x, device=dev), torch.as_tensor(cells, device=dev)
        # with a privacy unit the units are sampled, and the noise is k times one row's
        batches = PoissonBatches(keys, plan.q, subkey(key, 5), groups)
        k = self.schema.max_rows_per_unit
        d_model: Any = disc
        crit = None
        if plan.sigma is not None:
            self._charge(mechanism=SGD_MECHANISM, q=plan.q, sigma=plan.sigma,
                         steps=cfg.epochs * batches.steps_per_epoch)  # fmt: skip
            d_model, opt_d, crit = private_discriminator(
                disc, opt_d, plan.sigma * k, cfg.max_grad_norm, cfg.batch_size, priv_gen, noise
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
                    ti = torch.as_tensor(idx, dtype=torch.long, device=dev)
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
        return gen.cpu()  # sampling and the artifact read the generator on the CPU

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
        z = torch.randn(n_fake, cfg.z_dim, generator=g, device=g.device)
        with torch.no_grad():
            fake = self._activate(gen(torch.cat([z, cond], dim=1)), layout, cfg.gumbel_tau, g)
        real_in = torch.cat([xb, self._cond_real(cb, layout, u)], dim=1)
        self._d_step(real_in, torch.cat([fake, cond], dim=1), disc, opt_d, crit)

        dp = crit is not None
        if dp:
            disc.disable_hooks()
        for _ in range(cfg.generator_steps):  # generator steps are post-processing: free
            cond, which, cell = self._cond_fake(n_fake, layout, pmfs, g)
            z = torch.randn(n_fake, cfg.z_dim, generator=g, device=g.device)
            raw = gen(torch.cat([z, cond], dim=1))
            fake = self._activate(raw, layout, cfg.gumbel_tau, g)
            loss_g = _bce(disc(torch.cat([fake, cond], dim=1)), fake.new_ones(n_fake))
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
            loss = _bce(disc(real_in), real_in.new_ones(b)) + _bce(
                disc(fake_in), fake_in.new_zeros(len(fake_in))
            )
            loss.backward()
            opt_d.step()
            return float(loss.detach())
        params = [p for p in disc.parameters() if p.requires_grad]
        loss_real = 0.0
        if b:
            out = crit(disc(real_in), real_in.new_ones(b))
            out.backward()
            loss_real = float(out.detach())
        for p in params:  # an empty Poisson batch still gets its full noise
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        disc.disable_hooks()
        loss_fake = _bce(disc(fake_in), fake_in.new_zeros(len(fake_in)))
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
