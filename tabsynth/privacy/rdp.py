"""Rényi-DP accounting for models trained with DP-SGD (the ``rdp`` accountant).

DP-SGD's subsampled Gaussian mechanism has no finite zCDP bound, so models that use it compose
in Rényi DP: a rho-zCDP mechanism is (alpha, rho * alpha)-RDP at every order alpha, and Opacus'
maintained analysis (Mironov, Talwar and Zhang 2019) gives the RDP curve of Poisson-subsampled
Gaussian steps. The curves add; the total converts to (epsilon, delta) with Balle et al.'s
(2020) conversion, also from Opacus. Approximate-zCDP mechanisms add their delta on top.

Everything here imports Opacus lazily: only the ``ctgan`` extra needs it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tabsynth.errors import PrivacyError, require_extra
from tabsynth.privacy.accountant import NEIGHBOURING, check_epsilon_delta

# Opacus' default orders, extended for small epsilons
ORDERS: tuple[float, ...] = tuple(
    [1.01, 1.02, 1.03, 1.05, 1.07]
    + [1 + x / 10.0 for x in range(1, 100)]
    + list(range(12, 64))
    + [80, 128, 256]
)


def _analysis() -> Any:
    require_extra("opacus", "ctgan")
    from opacus.accountants.analysis import rdp

    return rdp


# the integer orders: Opacus computes them in closed form, far faster than fractional ones
_INTEGER = np.array([float(a).is_integer() for a in ORDERS])


def sgm_rdp(q: float, sigma: float, steps: int, orders: tuple[float, ...] = ORDERS) -> np.ndarray:
    """RDP curve (at ``orders``) of ``steps`` Poisson-subsampled Gaussian steps."""
    if not 0 < q <= 1:
        raise PrivacyError(f"sampling rate must be in (0, 1], got {q}")
    if sigma <= 0 or steps < 0:
        raise PrivacyError(f"need sigma > 0 and steps >= 0, got {sigma}, {steps}")
    rdp = _analysis().compute_rdp(q=q, noise_multiplier=sigma, steps=int(steps), orders=orders)
    return np.asarray(rdp, dtype=float)


def rdp_to_epsilon(rdp: np.ndarray, delta: float, orders: tuple[float, ...] = ORDERS) -> float:
    """Smallest epsilon over the orders (Balle et al. 2020's conversion, via Opacus)."""
    if not np.any(rdp > 0):
        return 0.0
    eps, _ = _analysis().get_privacy_spent(orders=list(orders), rdp=list(rdp), delta=delta)
    return float(eps)


@dataclass
class RDPAccountant:
    """Composes zCDP mechanisms and subsampled-Gaussian steps in Rényi DP."""

    name: str = "rdp"
    history: list[dict[str, Any]] = field(default_factory=list)

    def spend(self, *, mechanism: str, **cost: float) -> None:
        """Record ``rho`` (zCDP, optionally with an approximate ``delta``) or a DP-SGD run
        given as ``q`` (Poisson sampling rate), ``sigma`` (noise multiplier), ``steps``."""
        delta = float(cost.get("delta", 0.0))
        if not 0 <= delta < 1:
            raise PrivacyError(f"{mechanism}: delta must be in [0, 1), got {delta}")
        if "rho" in cost:
            rho = float(cost["rho"])
            if not (rho >= 0 and math.isfinite(rho)):
                raise PrivacyError(f"{mechanism}: rho must be finite and >= 0")
            self.history.append({"mechanism": mechanism, "rho": rho, "delta": delta})
        elif {"q", "sigma", "steps"} <= set(cost):
            sgm_rdp(float(cost["q"]), float(cost["sigma"]), int(cost["steps"]))  # validates
            self.history.append(
                {
                    "mechanism": mechanism,
                    "q": float(cost["q"]),
                    "sigma": float(cost["sigma"]),
                    "steps": int(cost["steps"]),
                    "delta": delta,
                }
            )
        else:
            raise PrivacyError(f"{mechanism}: give rho, or q, sigma and steps")

    def curve(self) -> np.ndarray:
        """The total RDP curve at ``ORDERS``."""
        total = np.zeros(len(ORDERS))
        alphas = np.asarray(ORDERS)
        for h in self.history:
            if "rho" in h:
                total += h["rho"] * alphas
            else:
                total += sgm_rdp(h["q"], h["sigma"], h["steps"])
        return total

    @property
    def delta_spent(self) -> float:
        return math.fsum(h["delta"] for h in self.history)

    @property
    def rho(self) -> None:
        """No single rho describes a DP-SGD run."""
        return None

    def epsilon(self, delta: float) -> float:
        left = delta - self.delta_spent
        return rdp_to_epsilon(self.curve(), left) if left > 0 else math.inf

    def state_dict(self) -> dict[str, Any]:
        return {"name": self.name, "neighbouring": NEIGHBOURING, "history": self.history}


def calibrate_sigma(
    *,
    epsilon: float,
    delta: float,
    q: float,
    steps: int,
    fixed: RDPAccountant | None = None,
    max_sigma: float = 1e3,
) -> float:
    """Smallest noise multiplier (to 0.1%) whose ``steps`` DP-SGD steps at rate ``q``, composed
    with what ``fixed`` already holds, stay within (``epsilon``, ``delta``).

    Raises ``PrivacyError`` when even ``max_sigma`` does not fit.
    """
    check_epsilon_delta(epsilon, delta)
    base = fixed.curve() if fixed is not None else np.zeros(len(ORDERS))
    left = delta - (fixed.delta_spent if fixed is not None else 0.0)
    if left <= 0:
        raise PrivacyError("no delta left for DP-SGD")

    coarse = tuple(a for a, i in zip(ORDERS, _INTEGER, strict=True) if i)

    def eps_at(sigma: float, orders: tuple[float, ...] = ORDERS) -> float:
        b = base[[ORDERS.index(a) for a in orders]]
        with warnings.catch_warnings():  # the search probes sigmas far from the answer
            warnings.filterwarnings("ignore", message="Optimal order is the")
            return rdp_to_epsilon(b + sgm_rdp(q, sigma, steps, orders), left, orders)

    if eps_at(max_sigma) > epsilon:
        raise PrivacyError(
            f"no noise multiplier up to {max_sigma:g} reaches epsilon {epsilon:g} "
            f"with sampling rate {q:.4g} over {steps} steps"
        )
    # 1. the integer orders alone (fast in Opacus); 2. the orders around the best order
    # there. A minimum over fewer orders bounds epsilon from above, so either search's sigma
    # is at least the exact one: the result never overshoots, and it is tight where the
    # best order is
    lo, hi = 1e-2, max_sigma
    while hi / lo > 1.001:
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if eps_at(mid, coarse) > epsilon else (lo, mid)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Optimal order is the")
        _, best = _analysis().get_privacy_spent(
            orders=list(ORDERS), rdp=list(base + sgm_rdp(q, hi, steps)), delta=left
        )
    k = ORDERS.index(best) if best in ORDERS else len(ORDERS) - 1
    near = ORDERS[max(0, k - 6) : k + 7]
    top = hi
    while eps_at(top, near) > epsilon and top < max_sigma:
        top = min(top * 1.05, max_sigma)
    lo, hi = top / 1.25, top
    while lo > 1e-2 and eps_at(lo, near) <= epsilon:
        hi, lo = lo, lo / 1.25
    while hi / lo > 1.001:
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if eps_at(mid, near) > epsilon else (lo, mid)
    return hi
