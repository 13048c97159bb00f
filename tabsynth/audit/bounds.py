"""From attack scores to a lower bound on epsilon: Clopper-Pearson bounds on the attack's
rates, the bound's ceiling (what a perfect attack reaches with these trials), the trials a
claim needs, and the one-run audit's bound (Steinke, Nasr and Jagielski 2023)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.stats import beta, binom


@dataclass
class AuditResult:
    model: str
    claimed_epsilon: float | None
    delta: float
    trials: int
    epsilon_lower_bound: float
    confidence: float
    attack_auc: float
    tpr: float
    fpr: float
    threshold: float
    seconds: float
    scores_in: list[float] = field(default_factory=list)
    scores_out: list[float] = field(default_factory=list)
    attack: str = "blackbox"
    group_size: int = 1
    canaries: int = 0
    guesses: int = 0
    correct: int = 0
    # the group of canaries is one privacy unit of the schema (the person-level claim)
    as_unit: bool = False

    @property
    def claimed_group_epsilon(self) -> float | None:
        """What the claim allows for ``group_size`` records: k * epsilon (group privacy), or
        epsilon itself when the group is one privacy unit (``as_unit``)."""
        if self.claimed_epsilon is None:
            return None
        return self.claimed_epsilon * (1 if self.as_unit else self.group_size)

    @property
    def consistent(self) -> bool:
        """False when the audit proves the claim wrong (bound above the claim)."""
        allowed = self.claimed_group_epsilon
        return allowed is None or self.epsilon_lower_bound <= allowed

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "claimed_group_epsilon": self.claimed_group_epsilon,
            "consistent": self.consistent,
        }


def _cp_upper(k: int, n: int, alpha: float) -> float:
    return 1.0 if k >= n else float(beta.ppf(1 - alpha, k + 1, n - k))


def _cp_lower(k: int, n: int, alpha: float) -> float:
    return 0.0 if k <= 0 else float(beta.ppf(alpha, k, n - k + 1))


def epsilon_bound(
    s_in: np.ndarray, s_out: np.ndarray, threshold: float, delta: float, confidence: float
) -> tuple[float, float, float]:
    """(epsilon lower bound, TPR, FPR) of "member if score > threshold"; both rates get
    one-sided Clopper-Pearson bounds at (1 + confidence) / 2 each (union bound)."""
    alpha = (1 - confidence) / 2
    tp, fp = int((s_in > threshold).sum()), int((s_out > threshold).sum())
    tpr_lo = _cp_lower(tp, s_in.size, alpha)
    fpr_hi = _cp_upper(fp, s_out.size, alpha)
    bound = math.log((tpr_lo - delta) / fpr_hi) if tpr_lo - delta > 0 and fpr_hi > 0 else 0.0
    return max(bound, 0.0), tp / max(s_in.size, 1), fp / max(s_out.size, 1)


def _best_threshold(s_in: np.ndarray, s_out: np.ndarray, delta: float, conf: float) -> float:
    """The threshold with the best bound on these scores, placed halfway between two
    observed scores (the same split here, and a margin either side for fresh scores)."""
    vals = np.unique(np.concatenate([s_in, s_out]))
    cands = np.concatenate([[-np.inf], (vals[:-1] + vals[1:]) / 2])
    return float(max(cands, key=lambda t: epsilon_bound(s_in, s_out, t, delta, conf)[0]))


def _auc(s_in: np.ndarray, s_out: np.ndarray) -> float:
    if s_in.size == 0 or s_out.size == 0:
        return 0.5
    gt = (s_in[:, None] > s_out[None, :]).mean()
    eq = (s_in[:, None] == s_out[None, :]).mean()
    return float(gt + 0.5 * eq)


def ceiling(result: AuditResult) -> float:
    """The bound a perfect attack would reach with this audit's trials: every member scored
    above every non-member. An audit whose ceiling does not exceed the claim cannot fail."""
    if result.attack == "one-run":
        k = result.guesses
        return one_run_epsilon_bound(result.canaries, k, k, result.delta, result.confidence)
    half = result.trials // 2
    # the evaluation half holds about half members and half non-members
    n_in, n_out = (result.trials - half + 1) // 2, (result.trials - half) // 2
    return perfect_bound(n_in, n_out, result.delta * result.group_size, result.confidence)


def perfect_bound(n_in: int, n_out: int, delta: float, confidence: float) -> float:
    """The bound of a perfect attack on ``n_in`` members and ``n_out`` non-members."""
    s_in, s_out = np.ones(max(n_in, 0)), np.zeros(max(n_out, 0))
    return epsilon_bound(s_in, s_out, 0.5, delta, confidence)[0]


def trials_needed(claim: float, delta: float, confidence: float, one_run: bool = False) -> int:
    """Fewest trials (or one-run canaries) whose perfect-attack ceiling exceeds ``claim``."""
    n = 8
    while n < 10**8:
        if one_run:
            reach = one_run_epsilon_bound(n, n, n, delta, confidence)
        else:
            half = n - n // 2
            reach = perfect_bound((half + 1) // 2, half // 2, delta, confidence)
        if reach > claim:
            return n
        n = int(n * 1.25) + 1
    return n


def one_run_p_value(m: int, r: int, v: int, epsilon: float, delta: float) -> float:
    """P[at least ``v`` of ``r`` guesses right] for an (epsilon, delta)-DP mechanism when
    each of ``m`` canaries was included by its own fair coin (Steinke, Nasr and Jagielski
    2023, Theorem 5.2): the tail of Binomial(r, e^eps / (1 + e^eps)), epsilon-DP's best
    guessing accuracy, plus 2 m delta max_i P[v - i <= Binomial < v] / i."""
    if not 0 <= v <= r <= m:
        raise ValueError(f"need 0 <= v <= r <= m, got v={v}, r={r}, m={m}")
    q = 1.0 / (1.0 + math.exp(-epsilon))
    tail = float(binom.sf(v - 1, r, q))
    if delta <= 0 or v == 0:
        return min(tail, 1.0)
    below = np.cumsum(binom.pmf(np.arange(v - 1, -1, -1), r, q))
    alpha = float(np.max(below / np.arange(1, v + 1)))
    return min(tail + 2 * m * delta * alpha, 1.0)


def one_run_epsilon_bound(m: int, r: int, v: int, delta: float, confidence: float) -> float:
    """The largest epsilon whose (epsilon, delta)-DP would make ``v`` right guesses of
    ``r`` less likely than ``1 - confidence``: a lower bound on the true epsilon, at that
    confidence, from one fit."""
    alpha = 1 - confidence
    if one_run_p_value(m, r, v, 0.0, delta) >= alpha:
        return 0.0
    lo, hi = 0.0, 1.0
    while one_run_p_value(m, r, v, hi, delta) < alpha and hi < 64:
        lo, hi = hi, hi * 2
    for _ in range(50):
        mid = (lo + hi) / 2
        if one_run_p_value(m, r, v, mid, delta) < alpha:
            lo = mid
        else:
            hi = mid
    return lo
