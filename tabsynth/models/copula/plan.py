"""Planning a copula fit before anything is measured: its options, the budget's split into
its measurements (with their sensitivities and noise scales), and the strata."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from tabsynth.data.domain import ColumnDomain
from tabsynth.models.atoms import ATOM_MECHANISM, atom_threshold
from tabsynth.models.copula.coarse import COARSE_MECHANISM, POOLED_HIST_MECHANISM
from tabsynth.models.copula.config import CopulaConfig
from tabsynth.models.copula.estimate import gram_sensitivity
from tabsynth.models.copula.pairs import PAIR_MECHANISM, PAIR_SELECT_MECHANISM
from tabsynth.models.copula.refine import REFINE_MECHANISM
from tabsynth.privacy import gaussian_sigma
from tabsynth.privacy.noise import noisy_max_scale
from tabsynth.privacy.records import Mechanism

log = logging.getLogger(__name__)


GRAM_MECHANISM = {
    "stratum": "per-stratum Gram matrix of clipped normal scores",
    "pooled": "Gram matrix of clipped normal scores (strata pooled)",
}


HIST_MECHANISM = "per-stratum histograms of each column"
#: added to a measurement's name when its strata's sum is measured beside them (``pooled``)
POOLED_SUFFIX = ", and their sum over the strata"


def gram_mechanism(cfg: CopulaConfig, pooled: bool = False) -> str:
    """The certificate's name of the Gram measurement (what it measures, as configured)."""
    name = GRAM_MECHANISM[cfg.correlation]
    name = name if cfg.gram == "full" else f"{name}, off-diagonal"
    return name + (POOLED_SUFFIX if pooled and cfg.correlation == "stratum" else "")


def hist_mechanism(pooled: bool = False) -> str:
    """The certificate's name of the histograms' measurement."""
    return HIST_MECHANISM + (POOLED_SUFFIX if pooled else "")


@dataclass
class _Plan:
    """How rho is split; sigma of each measurement (None when non-private)."""

    rho: float | None
    sigma_strata: float | None
    sigma_hist: float | None
    sigma_gram: float | None
    clip_norm: float
    mechanisms: list[Mechanism]
    sigma_atoms: float | None = None
    tau_atoms: float | None = None
    sigma_refine: float | None = None
    #: pairs to choose, the Gumbel scale of each choice and the noise sd of their counts
    n_pairs: int = 0
    scale_pairs: float | None = None
    sigma_pairs: float | None = None
    #: whether the histograms' and Gram matrices' sums over the strata are measured too
    pooled: bool = False
    #: noise sd of the per-stratum histograms over groups of cells (``coarse.py``); then
    #: ``sigma_hist`` is that of the pooled histograms, measured first on their own
    sigma_coarse: float | None = None

    def pooled_sd(self, sigma: float, n_strata: int) -> float:
        """Noise sd of a cell summed over ``n_strata`` strata each measured with ``sigma``:
        after the least-squares agreement with their measured sum when ``pooled``."""
        if self.pooled and n_strata > 1:
            return sigma * math.sqrt(n_strata / (n_strata + 1))
        return sigma * math.sqrt(n_strata)

    def stratum_sd(self, sigma: float, n_strata: int) -> float:
        """Noise sd of one stratum's cell measured with ``sigma``: less once the strata
        agree with their measured sum (``pooled``), by sqrt(S/(S+1))."""
        if self.pooled and n_strata > 1:
            return sigma * math.sqrt(n_strata / (n_strata + 1))
        return sigma


def _plan(
    *,
    rho: float | None,
    d: int,
    n_strata: int,
    cfg: CopulaConfig,
    secure: bool,
    n_atom_cols: int = 0,
    delta_atoms: float = 0.0,
    k: int = 1,
    n_refine_cols: int = 0,
    n_pairs: int = 0,
) -> _Plan:
    """Split ``rho`` over the measurements and calibrate each one's noise from its share;
    ``k``: rows per privacy unit, a factor on every sensitivity (``privacy/units.py``)."""
    clip = math.sqrt(cfg.clip_factor * max(d, 1))
    gram_sens = gram_sensitivity(clip**2, d) if cfg.gram == "offdiag" else clip**2
    pooled = cfg.pooled and n_strata > 1
    if rho is None:
        return _Plan(None, None, None, None, clip, [], n_pairs=n_pairs)
    # the strata's sum measured beside them: one record moves one more cell of each
    both = math.sqrt(2.0) if pooled else 1.0
    both_gram = both if cfg.correlation == "stratum" else 1.0
    s_strata, s_hist, s_gram = cfg.split
    s_strata = 0.0 if n_strata == 1 else s_strata  # one stratum: size from the histograms
    s_gram = 0.0 if d < 2 else s_gram
    s_hist = 0.0 if d == 0 else s_hist
    s_atoms = cfg.atom_share if n_atom_cols else 0.0
    s_refine = cfg.refine_share if n_refine_cols else 0.0
    s_pairs = cfg.pair_share if n_pairs else 0.0
    scale = (1 - s_atoms - s_refine - s_pairs) / (s_strata + s_hist + s_gram)
    noise = _noise_label(secure)
    mechs: list[Mechanism] = []
    sig: dict[str, float | None] = dict.fromkeys(
        ("atoms", "refine", "strata", "hist", "coarse", "gram")
    )
    hist = _hist_measurements(s_hist * scale, d, pooled, cfg)
    for key, share, sens, what in (
        ("atoms", s_atoms, math.sqrt(n_atom_cols), ATOM_MECHANISM),
        ("refine", s_refine, math.sqrt(n_refine_cols), REFINE_MECHANISM),
        ("strata", s_strata * scale, 1.0, "stratum counts"),
        *hist,
        ("gram", s_gram * scale, gram_sens * both_gram, gram_mechanism(cfg, pooled)),
    ):
        if share <= 0:
            continue
        r, sens = rho * share, sens * k
        sigma = gaussian_sigma(sensitivity=sens, rho=r)
        sig[key] = sigma
        dl = delta_atoms if key == "atoms" else 0.0
        mechs.append(
            Mechanism(name=what, sensitivity=sens, sigma=sigma, rho=r, noise=noise, delta=dl)
        )
    scale_pairs = sigma_pairs = None
    if s_pairs > 0:
        r_sel, r_meas = (
            rho * s_pairs * cfg.pair_select_share,
            rho * s_pairs * (1 - cfg.pair_select_share),
        )
        scale_pairs = noisy_max_scale(float(k), r_sel / n_pairs)  # one choice per pair
        sigma_pairs = gaussian_sigma(sensitivity=math.sqrt(n_pairs) * k, rho=r_meas)
        mechs += [
            Mechanism(name=PAIR_SELECT_MECHANISM, sensitivity=float(k), sigma=scale_pairs,
                      rho=r_sel, noise=_choice_label(secure)),
            Mechanism(name=PAIR_MECHANISM, sensitivity=math.sqrt(n_pairs) * k,
                      sigma=sigma_pairs, rho=r_meas, noise=noise),
        ]  # fmt: skip
    tau = None
    if sig["atoms"] is not None:
        # a value held by one record is released only if 1 + noise > tau: with probability
        # at most delta_atoms / n_atom_cols per column (union bound over the columns)
        tau = atom_threshold(sig["atoms"], delta_atoms, n_atom_cols)
    return _Plan(
        rho, sig["strata"], sig["hist"], sig["gram"], clip, mechs, sig["atoms"], tau,
        sig["refine"], n_pairs, scale_pairs, sigma_pairs, pooled, sig["coarse"],
    )  # fmt: skip


def _hist_measurements(
    share: float, d: int, pooled: bool, cfg: CopulaConfig
) -> tuple[tuple[str, float, float, str], ...]:
    """(key, share of rho, sensitivity, name) of the histograms' measurements: per stratum
    beside their pooled sum in one draw (a record moves one more cell of each column:
    sqrt(2) times ``sqrt(d)``), or with ``strata_cells`` the pooled ones and then the
    strata's over groups of cells, ``sqrt(d)`` each (``coarse.py``)."""
    if pooled and cfg.strata_cells > 0:
        f = cfg.strata_cells_share
        return (
            ("hist", share * f, math.sqrt(d), POOLED_HIST_MECHANISM),
            ("coarse", share * (1 - f), math.sqrt(d), COARSE_MECHANISM),
        )
    both = math.sqrt(2.0) if pooled else 1.0
    return (("hist", share, math.sqrt(d) * both, hist_mechanism(pooled)),)


def _noise_label(secure: bool) -> str:
    return "OpenDP discrete Gaussian (secure)" if secure else "seeded numpy (NOT FOR RELEASE)"


def _choice_label(secure: bool) -> str:
    return "OpenDP noisy max, Gumbel (secure)" if secure else "seeded numpy (NOT FOR RELEASE)"


def _choose_strata(
    names: list[str],
    domains: dict[str, ColumnDomain],
    *,
    limit: int,
    n_rows: float,
    min_rows: float,
    min_rows_first: float | None = None,
) -> list[str]:
    """Strata columns in order while there are at most ``limit`` strata and, on average,
    at least ``min_rows`` rows per stratum (``min_rows_first`` for the first column, the
    target). ``n_rows`` is a DP estimate when the fit is private."""
    chosen: list[str] = []
    size = 1
    for i, name in enumerate(names):
        cells = domains[name].n_cells
        need = min_rows_first if i == 0 and min_rows_first is not None else min_rows
        if size * cells <= limit and n_rows / (size * cells) >= need:
            chosen.append(name)
            size *= cells
        else:
            log.info(
                "stratum column %s left to the copula (%d strata, %.0f rows each)",
                name,
                size * cells,
                n_rows / (size * cells),
            )
    return chosen


def _stratum_cells(k: np.ndarray, radices: list[int]) -> list[np.ndarray]:
    out = []
    for r in reversed(radices):
        out.append(k % r)
        k = k // r
    return out[::-1]
