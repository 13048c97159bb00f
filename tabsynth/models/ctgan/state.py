"""What a fitted DP-CTGAN holds, declared once for the parts of its flow (``plan.py``,
``train.py``, ``sample.py``) that read it, and the conditioning shares they all use."""

from __future__ import annotations

from typing import Any

import numpy as np

from tabsynth.models.base import Synthesizer
from tabsynth.models.ctgan.config import CTGANConfig
from tabsynth.models.ctgan.layout import Layout


class _Fitted(Synthesizer):
    """A DP-CTGAN's fitted state (the base of its mixins; never instantiated alone)."""

    layout_: Layout
    config_: CTGANConfig
    pmfs_: list[np.ndarray]
    conds_: list[np.ndarray]
    target_index_: int | None
    label_: tuple[np.ndarray, np.ndarray] | None
    label_bias_: np.ndarray
    bias_: np.ndarray
    knots_: np.ndarray
    net_: Any
    steps_: int
    _delta: float

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
