"""DP-SGD through Opacus: a discriminator (or any module) wrapped for per-sample clipping
(ghost clipping) and Gaussian noise, with the noise drawn through a hook the grey-box harness
can couple; and the torch generators of fit-time randomness."""

from __future__ import annotations

import secrets
from typing import Any

from tabsynth.errors import (
    require_extra,
)

torch = require_extra("torch", "ctgan")
require_extra("opacus", "ctgan")

from opacus.grad_sample import GradSampleModuleFastGradientClipping  # noqa: E402
from opacus.optimizers import DPOptimizerFastGradientClipping  # noqa: E402
from opacus.optimizers.optimizer import _check_processed_flag, _mark_as_processed  # noqa: E402
from opacus.utils.fast_gradient_clipping_utils import DPLossFastGradientClipping  # noqa: E402

SGD_MECHANISM = "DP-SGD on the discriminator (Poisson-subsampled Gaussian, Opacus)"
MARGINAL_MECHANISM = "histogram of every column over its public cells"
COUNT_MECHANISM = "row count (plans DP-SGD)"


def _torch_generator(seed: int | None, device: Any = "cpu") -> Any:
    g = torch.Generator(device=device)
    g.manual_seed(int(seed) if seed is not None else secrets.randbits(63))
    return g


def _device_generator(cpu_gen: Any, device: Any) -> Any:
    """A generator on ``device`` seeded with 62 bits drawn from ``cpu_gen`` (DP-SGD's noise
    must be drawn where the gradients are; its seed still comes from the secure source, or
    from the seed of a reproducible-noise fit through ``cpu_gen``)."""
    return _torch_generator(int(torch.randint(0, 2**62, (1,), generator=cpu_gen)), device)


def resolve_device(spec: str) -> Any:
    """The torch device of ``spec``: ``"auto"`` is the first CUDA device when one is present,
    else the CPU; ``"cpu"``; ``"cuda"`` or ``"cuda:N"`` (refused when CUDA is absent). The
    device changes where the arithmetic runs, never the plan, the noise's scale or the
    accounting."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "cuda" or spec.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={spec!r} was asked for, but this torch has no CUDA device "
                f"(torch {torch.__version__}). Fix: device='auto' (CUDA when present, else "
                "the CPU) or device='cpu'"
            )
        return torch.device(spec)
    raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {spec!r}")


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
        noisy = hook(flat.detach().double().cpu().numpy(), std, mechanism=self.mechanism)
        start = 0
        for p in self.params:
            size = p.summed_grad.numel()
            part = torch.as_tensor(
                noisy[start : start + size], dtype=p.summed_grad.dtype, device=p.device
            )
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


def _bce(logits: Any, target: Any) -> Any:
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
