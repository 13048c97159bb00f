"""The label model: a DP softmax regression of the schema's target on the other columns.

A GAN whose discriminator is trained under DP-SGD learns how the target depends on the other
columns only roughly: on credit_data at epsilon 1, a classifier trained on its rows reached
0.81-0.89 of the real-trained AUC (batches of 5-12 fits), with a spread of 0.03-0.06 between
fits. The target is the one column
the schema says people will predict, so tabsynth spends a small part of the budget on it
directly: a linear model of the target on the generator's own row encoding (one-hots and normal
scores through the DP marginals), trained with DP-SGD (Opacus, Poisson sampling, per-sample
clipping, Gaussian noise). At sampling time the generator draws the other columns and the label
model draws the target from them; a bias on its logits, fitted on generated rows, keeps the
target's marginal at its DP estimate (post-processing).

Its noise multiplier is the one that would spend ``label_share * epsilon`` on its own; its
steps are composed with everything else in Rényi DP, and the discriminator's noise is
calibrated afterwards for what is left.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from tabsynth.privacy.rdp import calibrate_sigma

LABEL_MECHANISM = "DP-SGD on the label model (Poisson-subsampled Gaussian, Opacus)"


@dataclass(frozen=True)
class LabelPlan:
    """Sampling rate, steps and noise multiplier of the label model, fixed before training."""

    q: float
    steps_per_epoch: int
    epochs: int
    sigma: float | None

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch


def plan_label(
    eps: float | None, delta: float, n_rows: float, batch_size: int, epochs: int, share: float
) -> LabelPlan:
    """The label model's DP-SGD: rate ``batch_size / n_rows`` and the noise multiplier whose
    steps alone would spend (``share * eps``, ``delta``)."""
    q = min(1.0, batch_size / max(n_rows, 1.0))
    per = max(1, int(1 / q))
    if eps is None:
        return LabelPlan(q=q, steps_per_epoch=per, epochs=epochs, sigma=None)
    sigma = calibrate_sigma(epsilon=eps * share, delta=delta, q=q, steps=epochs * per)
    return LabelPlan(q=q, steps_per_epoch=per, epochs=epochs, sigma=sigma)


def features(x: np.ndarray, start: int, width: int) -> np.ndarray:
    """The label model's inputs: the encoded row without the target's own block."""
    return np.delete(x, np.arange(start, start + width), axis=1)


def fit_label_model(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    plan: LabelPlan,
    *,
    clip: float,
    batch_size: int,
    lr: float,
    priv_gen: Any,
    batches: Any = None,
    noise: Any = None,
    group: int = 1,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Weights (n_classes, d), intercepts (n_classes,) and the number of steps taken.

    Batches are Poisson samples at ``plan.q`` (``batches``, a ``PoissonBatches`` keyed by the
    rows; by default keyed by row number with a key drawn from ``priv_gen``); with a noise
    multiplier, each row's gradient is clipped to ``clip`` (ghost clipping), Gaussian noise of
    std ``sigma * clip`` is added to the sum, which is divided by the public ``batch_size``.
    ``group``: rows per privacy unit (the batches sample units; the noise is ``group`` times
    larger, since a unit's clipped gradients sum to at most ``group * clip``). The weights
    start at zero, so nothing but the private steps sets them.
    """
    import torch

    from tabsynth.models.ctgan.dpsgd import private_module
    from tabsynth.privacy.keyed import PoissonBatches

    lin = torch.nn.Linear(x.shape[1], n_classes)
    with torch.no_grad():
        lin.weight.zero_()
        lin.bias.zero_()
    opt: Any = torch.optim.SGD(lin.parameters(), lr=lr)
    xt, yt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)
    if batches is None:
        key = int(torch.randint(0, 2**62, (1,), generator=priv_gen))
        batches = PoissonBatches(np.arange(len(y), dtype=np.uint64), plan.q, key)
    if batches.steps_per_epoch != plan.steps_per_epoch:
        raise ValueError("the batches' steps per epoch differ from the plan's")
    model: Any = lin
    crit = None
    if plan.sigma is not None:
        model, opt, crit = private_module(
            lin,
            opt,
            plan.sigma * group,
            clip,
            batch_size,
            priv_gen,
            torch.nn.CrossEntropyLoss(reduction="mean"),
            noise=noise,
            mechanism=LABEL_MECHANISM,
        )
    steps = 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        for _ in range(plan.epochs):
            for _ in range(plan.steps_per_epoch):
                idx = torch.as_tensor(batches.batch(steps), dtype=torch.long)
                label_step(model, opt, crit, xt[idx], yt[idx])
                steps += 1
    w = lin.weight.detach().numpy().astype(np.float64)
    b = lin.bias.detach().numpy().astype(np.float64)
    return w, b, steps


def label_step(model: Any, opt: Any, crit: Any, xb: Any, yb: Any) -> None:
    """One step; a private step on an empty Poisson batch still adds its full noise."""
    import torch

    opt.zero_grad(set_to_none=True)
    empty = xb is None or len(xb) == 0
    if crit is None:
        if not empty:
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
        return
    if not empty:
        crit(model(xb), yb).backward()
    for p in model.parameters():
        if p.requires_grad and p.grad is None:
            p.grad = torch.zeros_like(p)
    if opt.pre_step():
        opt.original_optimizer.step()
