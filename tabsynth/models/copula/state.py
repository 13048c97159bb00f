"""What a fitted copula holds, declared once for the parts of its flow that read it
(``measure.py``, ``sample.py``), with its options and its public cell domains."""

from __future__ import annotations

import numpy as np

from tabsynth.data.domain import ColumnDomain, build_domains
from tabsynth.models.base import Synthesizer
from tabsynth.models.copula.config import CopulaConfig
from tabsynth.models.copula.refine import zero_edges


class _Fitted(Synthesizer):
    """A copula's fitted state (the base of its mixins; never instantiated alone)."""

    config_: CopulaConfig
    strata_: list[str]
    others_: list[str]
    weights_: np.ndarray
    pmfs_: list[np.ndarray]
    orders_: list[np.ndarray]
    corr_: np.ndarray
    atoms_: dict[str, list[float]]
    #: edges added by the cell refinement (``refine.py``), per column
    edges_: dict[str, list[float]]
    #: the pair calibration (``pairs.py``): chosen pairs, cell -> group maps, target tables
    pairs_: list[tuple[str, str]]
    pair_groups_: dict[str, np.ndarray]
    pair_targets_: list[np.ndarray]

    def _config(self) -> CopulaConfig:
        return self._make_config(CopulaConfig, ("split",))  # type: ignore[no-any-return]

    def _domains(self, cfg: CopulaConfig | None = None) -> dict[str, ColumnDomain]:
        """Cell domains: the schema's (split near 0 with ``zero_splits``), plus the atoms
        and edges released at fit time."""
        cfg = cfg or self.config_
        edges = zero_edges(self.schema, cfg.bins, cfg.zero_splits)
        for name, more in self.edges_.items():
            edges[name] = sorted({*edges.get(name, []), *more})
        doms = build_domains(self.schema, bins=cfg.bins, extra_atoms=self.atoms_, extra_edges=edges)
        return {d.name: d for d in doms}
