"""What a fitted model exposes to the sampling stage: its public schema, its name, its
marginals, and a draw from its own (conditional) distribution over public cells."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import numpy as np

from tabsynth.schema.model import Schema


class Samplable(Protocol):
    """A fitted model as the functions of ``tabsynth.sampling`` see it."""

    name: ClassVar[str]
    schema: Schema

    def marginal(self, column: str) -> dict[Any, float]:
        """The model's distribution of a categorical column (SamplingError if unknown)."""

    def _sample(self, n: int, rng: np.random.Generator, where: dict[str, int] | None = None) -> Any:
        """``n`` rows (polars, modelled columns), conditioned on ``{column: cell}``."""
