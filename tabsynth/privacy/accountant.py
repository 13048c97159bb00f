"""Privacy accounting behind one small interface, with a registry by name.

The zCDP accountant composes Gaussian mechanisms exactly (rho adds up) and converts to
(epsilon, delta) with the conversion of Canonne, Kamath and Steinke (2020), which is tighter
than Bun and Steinke's ``rho + 2 sqrt(rho log(1/delta))``. Neighbouring datasets differ by
adding or removing one record (add/remove-one), in every mechanism of tabsynth.

Models never compute epsilon themselves: they ask an accountant.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tabsynth.errors import PrivacyError

NEIGHBOURING = "add/remove one record"


def check_epsilon_delta(epsilon: float, delta: float) -> None:
    """Raise ``PrivacyError`` unless 0 < epsilon < inf and 0 < delta < 1."""
    if not (isinstance(epsilon, int | float) and math.isfinite(epsilon) and epsilon > 0):
        raise PrivacyError(
            f"epsilon must be a positive finite number, got {epsilon!r}. "
            "Fix: pass e.g. epsilon=1.0, or epsilon=None for a non-private fit."
        )
    if not (isinstance(delta, int | float) and 0 < delta < 1):
        raise PrivacyError(
            f"delta must be in (0, 1), got {delta!r}. "
            "Fix: pass a small delta such as 1e-6 (well below 1/rows)."
        )


def rho_to_epsilon(rho: float, delta: float) -> float:
    """Smallest epsilon such that rho-zCDP implies (epsilon, delta)-DP (CKS20, Prop. 12)."""
    if rho < 0:
        raise PrivacyError(f"rho must be non-negative, got {rho}")
    if rho == 0:
        return 0.0
    if math.isinf(rho):
        return math.inf
    log_inv_delta = math.log(1 / delta)

    def eps_at(log_alpha_minus_1: float) -> float:
        a = 1.0 + math.exp(log_alpha_minus_1)
        return a * rho + (log_inv_delta + (a - 1) * math.log1p(-1 / a) - math.log(a)) / (a - 1)

    # the optimum alpha lies near 1 + sqrt(log(1/delta)/rho): search in log(alpha - 1)
    centre = 0.5 * math.log(log_inv_delta / rho)
    best = _golden_min(eps_at, centre - 15, centre + 15, tol=1e-10)
    simple = rho + 2 * math.sqrt(rho * log_inv_delta)
    return float(max(0.0, min(best, simple)))


def _golden_min(f: Callable[[float], float], lo: float, hi: float, tol: float) -> float:
    """The smallest value of a unimodal ``f`` on [lo, hi] (golden-section search; pure
    Python, so that the ledger and the command line need no scipy)."""
    inv = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - inv * (b - a), a + inv * (b - a)
    fc, fd = f(c), f(d)
    while b - a > tol:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - inv * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + inv * (b - a)
            fd = f(d)
    return min(fc, fd, f((a + b) / 2))


def epsilon_to_rho(epsilon: float, delta: float) -> float:
    """Largest rho whose (epsilon, delta) conversion does not exceed ``epsilon``.

    Exact and fast at any epsilon: the bracket is closed-form (Bun and Steinke's bound
    rho + 2 sqrt(rho log(1/delta)) is at least the conversion used, so its inverse is
    feasible; rho <= epsilon always), and a bisection in log(rho) that keeps its lower end
    feasible takes at most 80 steps."""
    check_epsilon_delta(epsilon, delta)
    log_inv = math.log(1 / delta)
    lo = (math.sqrt(log_inv + epsilon) - math.sqrt(log_inv)) ** 2  # Bun-Steinke inverse
    for _ in range(8):  # rounding: make the lower end feasible
        if rho_to_epsilon(lo, delta) <= epsilon:
            break
        lo *= 1 - 1e-9
    hi = float(epsilon)
    if rho_to_epsilon(hi, delta) <= epsilon:  # cannot happen for delta < 1, but be exact
        return hi
    for _ in range(80):
        if hi / lo - 1 < 1e-12:
            break
        mid = math.sqrt(lo * hi)
        if rho_to_epsilon(mid, delta) <= epsilon:
            lo = mid
        else:
            hi = mid
    return float(lo)


def gaussian_sigma(*, sensitivity: float, rho: float) -> float:
    """Noise std of the Gaussian mechanism with L2 ``sensitivity`` costing ``rho`` zCDP."""
    if rho <= 0 or sensitivity <= 0:
        raise PrivacyError(
            f"need rho > 0 and sensitivity > 0, got rho={rho}, sensitivity={sensitivity}"
        )
    return sensitivity / math.sqrt(2 * rho)


def gaussian_rho(*, sensitivity: float, sigma: float) -> float:
    """zCDP cost of the Gaussian mechanism: sensitivity^2 / (2 sigma^2) (Bun and Steinke 2016)."""
    return sensitivity**2 / (2 * sigma**2)


class Accountant(Protocol):
    """What every accountant offers: record a spend, report epsilon, serialise."""

    name: str

    def spend(self, *, mechanism: str, **cost: float) -> None: ...

    def epsilon(self, delta: float) -> float: ...

    def state_dict(self) -> dict[str, Any]: ...


@dataclass
class ZCDPAccountant:
    """Composes mechanisms in zero-concentrated DP: the rhos add up."""

    name: str = "zcdp"
    history: list[tuple[str, float]] = field(default_factory=list)
    deltas: list[float] = field(default_factory=list)

    def spend(self, *, mechanism: str, **cost: float) -> None:
        """Record ``rho`` (and, for approximate zCDP, ``delta``) spent by ``mechanism``.

        A mechanism that is ``delta``-approximately ``rho``-zCDP (e.g. a thresholded sparse
        histogram, where ``delta`` bounds the chance of releasing a value held by one record)
        composes by adding both; see ``epsilon``.
        """
        rho = cost.get("rho")
        delta = cost.get("delta", 0.0)
        if rho is None or not rho >= 0 or not math.isfinite(rho):
            raise PrivacyError(f"{mechanism}: the zCDP accountant needs a finite rho >= 0")
        if not 0 <= delta < 1:
            raise PrivacyError(f"{mechanism}: delta must be in [0, 1), got {delta}")
        self.history.append((mechanism, float(rho)))
        self.deltas.append(float(delta))

    @property
    def rho(self) -> float:
        """Total rho spent."""
        return math.fsum(r for _, r in self.history)

    @property
    def delta_spent(self) -> float:
        """Total delta of approximate-zCDP mechanisms (added to the conversion's delta)."""
        return math.fsum(self.deltas)

    def epsilon(self, delta: float) -> float:
        """Epsilon of everything spent, at total ``delta``: rho converted at the delta left
        after the approximate mechanisms' share (inf if none is left)."""
        left = delta - self.delta_spent
        return rho_to_epsilon(self.rho, left) if left > 0 else math.inf

    def state_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "neighbouring": NEIGHBOURING,
            "rho": self.rho,
            "delta_spent": self.delta_spent,
            "history": [[m, r, d] for (m, r), d in zip(self.history, self.deltas, strict=True)],
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> ZCDPAccountant:
        hist = state.get("history", [])
        return cls(
            history=[(str(h[0]), float(h[1])) for h in hist],
            deltas=[float(h[2]) if len(h) > 2 else 0.0 for h in hist],
        )
