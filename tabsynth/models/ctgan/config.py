"""DP-CTGAN's options, its mechanisms' names, and the fixed plan of a DP-SGD run."""

from __future__ import annotations

from dataclasses import dataclass, field

from tabsynth.models.ctgan.label import (
    LabelPlan,
)
from tabsynth.privacy.rdp import RDPAccountant
from tabsynth.privacy.records import Mechanism

SGD_MECHANISM = "DP-SGD on the discriminator (Poisson-subsampled Gaussian, Opacus)"
MARGINAL_MECHANISM = "histogram of every column over its public cells"
COUNT_MECHANISM = "row count (plans DP-SGD)"
#: the planned marginal share's range (``plan.planned_marginal_share``)
MIN_MARGINAL_SHARE, MAX_MARGINAL_SHARE = 0.2, 0.5


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
    # None: planned from the DP row count (``plan.planned_marginal_share``: 0.5 up to 2,000
    # rows, falling as 1/sqrt(rows) to 0.2 from 12,500); a number: that share at every size
    marginal_share: float | None = None
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
    # where the GAN trains: "auto" is CUDA when present, else the CPU ("cpu", "cuda",
    # "cuda:N"). The plan, the noise and the accounting are the same on every device; the
    # label model (a linear regression) and sampling stay on the CPU
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2 or self.generator_steps < 1:
            raise ValueError("epochs and generator_steps must be >= 1, batch_size >= 2")
        if not 0 <= self.generator_ema < 1:
            raise ValueError("generator_ema must be in [0, 1)")
        low = MIN_MARGINAL_SHARE if self.marginal_share is None else self.marginal_share
        if not 0 < self.count_share < low < 1:
            raise ValueError(
                "need 0 < count_share < marginal_share < 1 (the row count is carved out of the "
                f"marginals' share; with the planned share, count_share < {MIN_MARGINAL_SHARE:g}"
                f"), got marginal_share={self.marginal_share} and count_share="
                f"{self.count_share}. Fix: e.g. marginal_share=0.2, count_share=0.02"
            )
        if self.max_grad_norm <= 0 or self.label_clip <= 0:
            raise ValueError(
                f"max_grad_norm and label_clip must be positive, got {self.max_grad_norm} "
                f"and {self.label_clip}. Fix: e.g. max_grad_norm=0.3, label_clip=1.0"
            )
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(
                f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {self.device!r}. "
                "Fix: device='auto' (CUDA when present, else the CPU)"
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
