"""CTGAN-style networks, written for tabsynth (the ``ctgan`` package is BUSL-licensed).

The generator maps noise and a conditional vector through residual blocks (each block's output
is concatenated to its input, as in CTGAN) to one logit per cell of every column, plus one
position within the cell for continuous columns. The discriminator is a plain MLP of Linear and
LeakyReLU layers: no batch norm, dropout or packing, so that each row's gradient is its own and
Opacus can clip it per sample. Weights are initialised from an explicit ``torch.Generator``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class _Residual(nn.Module):
    def __init__(self, i: int, o: int) -> None:
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """Noise + conditional vector -> raw outputs (cell logits and position logits)."""

    def __init__(self, in_dim: int, hidden: Sequence[int], out_dim: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        dim = in_dim
        for h in hidden:
            layers.append(_Residual(dim, h))
            dim += h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))  # type: ignore[no-any-return]


class Discriminator(nn.Module):
    """Row (+ conditional vector) -> one logit. Per-sample-gradient friendly."""

    def __init__(self, in_dim: int, hidden: Sequence[int]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        dim = in_dim
        for h in hidden:
            layers += [nn.Linear(dim, h), nn.LeakyReLU(0.2)]
            dim = h
        layers.append(nn.Linear(dim, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).squeeze(1)  # type: ignore[no-any-return]


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from ``generator`` (no global RNG)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            bound = 1.0 / m.in_features**0.5
            with torch.no_grad():
                m.weight.uniform_(-bound, bound, generator=generator)
                m.bias.uniform_(-bound, bound, generator=generator)
