"""Empirical privacy audit: a lower bound on epsilon from canary membership inference.

Protocol (Jagielski, Ullman and Oprea 2020; the usual "audit by canaries" of DP-SGD):

1. Build a canary from the schema's public domain: in every modelled column the cell that
   holds the fewest training records (an extreme bound, a rare category), so that together
   the canary is an outlier.
2. Run ``trials`` fits; in each, a fair coin decides whether the canary joins the training
   data. Every fit is sampled, and the attack scores the release: how many synthetic values
   fall in the canary's cells, summed over columns (a density attack on exactly what the
   canary can change).
3. The scores of the first half of the trials choose the threshold; on the second half, the
   attack's true- and false-positive rates get Clopper-Pearson bounds at ``confidence``, and
   any (epsilon, delta)-DP mechanism must satisfy TPR <= e^epsilon FPR + delta, so

       epsilon >= ln((TPR_lower - delta) / FPR_upper)

   is a lower bound on the true epsilon that holds with that confidence.
4. A positive control runs the same pipeline without DP: if its bound is not clearly higher,
   the attack is too weak to say anything.

A bound below the claim does not prove the claim (audits are lower bounds); a bound above it
proves the mechanism broken, whatever the reason.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy.stats import beta

from tabsynth.data import build_domains, conform, to_polars

FitFn = Callable[[pl.DataFrame, float | None], Any]


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

    @property
    def consistent(self) -> bool:
        """False when the audit proves the claim wrong (bound above the claim)."""
        return self.claimed_epsilon is None or self.epsilon_lower_bound <= self.claimed_epsilon

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "consistent": self.consistent}


def canary(df: pl.DataFrame, schema: Any) -> pl.DataFrame:
    """One record whose every modelled column sits in that column's emptiest cell."""
    conformed, _ = conform(df, schema, modelled_only=True)
    row: dict[str, Any] = {}
    for dom in build_domains(schema):
        cells, _ = dom.encode(conformed.get_column(dom.name))
        counts = np.bincount(cells, minlength=dom.n_cells)
        if dom.nullable:
            counts[0] = np.iinfo(np.int64).max  # a null canary is not an outlier
        cell = int(np.argmin(counts))
        pos = np.array([0.5]) if dom.continuous else None
        row[dom.name] = dom.decode(np.array([cell]), pos)[0]
    for col in schema.columns:
        if col.name not in row:
            row[col.name] = df.get_column(col.name)[0] if col.name in df.columns else None
    return pl.DataFrame([pl.Series(c, [row[c]], dtype=df.schema[c]) for c in df.columns])


def canary_weights(df: pl.DataFrame, canary_row: pl.DataFrame, schema: Any) -> dict[str, float]:
    """Per column, 1 / (1 + training records in the canary's cell): a cell the data leave
    empty carries the canary's whole signal, a common one almost none."""
    real, _ = conform(df, schema, modelled_only=True)
    can, _ = conform(canary_row, schema, modelled_only=True)
    out = {}
    for dom in build_domains(schema):
        target = dom.encode(can.get_column(dom.name))[0][0]
        count = int(np.count_nonzero(dom.encode(real.get_column(dom.name))[0] == target))
        out[dom.name] = 1.0 / (1.0 + count)
    return out


def attack_score(
    synthetic: pl.DataFrame, canary_row: pl.DataFrame, schema: Any, weights: dict[str, float]
) -> float:
    """Synthetic values in the canary's cells, weighted per column and summed."""
    syn, _ = conform(synthetic, schema, modelled_only=True)
    can, _ = conform(canary_row, schema, modelled_only=True)
    score = 0.0
    for dom in build_domains(schema):
        target = dom.encode(can.get_column(dom.name))[0][0]
        cells = dom.encode(syn.get_column(dom.name))[0]
        score += weights[dom.name] * float(np.count_nonzero(cells == target))
    return score


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
    cands = np.unique(np.concatenate([s_in, s_out, [-np.inf]]))
    return float(max(cands, key=lambda t: epsilon_bound(s_in, s_out, t, delta, conf)[0]))


def _auc(s_in: np.ndarray, s_out: np.ndarray) -> float:
    if s_in.size == 0 or s_out.size == 0:
        return 0.5
    gt = (s_in[:, None] > s_out[None, :]).mean()
    eq = (s_in[:, None] == s_out[None, :]).mean()
    return float(gt + 0.5 * eq)


def run_audit(
    data: Any,
    schema: Any,
    fit: FitFn,
    *,
    epsilon: float | None,
    delta: float,
    trials: int = 200,
    sample_factor: float = 5.0,
    confidence: float = 0.95,
    seed: int = 0,
    model_name: str = "custom",
    progress: Callable[[int], None] | None = None,
) -> AuditResult:
    """Audit ``fit(data, epsilon) -> model`` with a canary over ``trials`` fits."""
    t0 = time.perf_counter()
    df, _ = to_polars(data)
    can = canary(df, schema)
    weights = canary_weights(df, can, schema)
    with_canary = pl.concat([df, can], how="vertical_relaxed")
    rng = np.random.default_rng(seed)
    member = rng.random(trials) < 0.5
    scores = np.empty(trials)
    m = max(1, int(round(sample_factor * df.height)))
    for t in range(trials):
        model = fit(with_canary if member[t] else df, epsilon)
        out = model.sample(m, seed=int(rng.integers(2**31)), as_frame="polars")
        scores[t] = attack_score(out, can, schema, weights)
        if progress is not None:
            progress(t + 1)
    half = trials // 2
    sel_in, sel_out = scores[:half][member[:half]], scores[:half][~member[:half]]
    threshold = _best_threshold(sel_in, sel_out, delta, confidence)
    ev_in, ev_out = scores[half:][member[half:]], scores[half:][~member[half:]]
    bound, tpr, fpr = epsilon_bound(ev_in, ev_out, threshold, delta, confidence)
    return AuditResult(
        model=model_name,
        claimed_epsilon=epsilon,
        delta=delta,
        trials=trials,
        epsilon_lower_bound=bound,
        confidence=confidence,
        attack_auc=_auc(scores[member], scores[~member]),
        tpr=tpr,
        fpr=fpr,
        threshold=threshold,
        seconds=time.perf_counter() - t0,
        scores_in=scores[member].tolist(),
        scores_out=scores[~member].tolist(),
    )


def model_fit(model: str, schema: Any, **options: Any) -> FitFn:
    """A fit function for a registered model (secure noise, as in a release)."""
    import warnings

    import tabsynth

    def fit(df: pl.DataFrame, epsilon: float | None) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return tabsynth.fit(df, schema, model, epsilon=epsilon, **options)

    return fit


def audit(
    data: Any,
    schema: Any,
    model: str = "copula",
    *,
    epsilon: float,
    delta: float | None = None,
    trials: int = 200,
    control: bool = True,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Audit ``model`` at ``epsilon`` and, as the positive control, the same model without DP.

    Returns ``{"audit": AuditResult dict, "control": ... or None, "verdict": str}``.
    """
    delta = schema.delta if delta is None else delta
    fit = model_fit(model, schema, **options)
    main = run_audit(data, schema, fit, epsilon=epsilon, delta=delta, trials=trials,
                     seed=seed, model_name=model, progress=progress)  # fmt: skip
    ctrl = None
    if control:
        ctrl = run_audit(data, schema, fit, epsilon=None, delta=delta, trials=trials,
                         seed=seed + 1, model_name=f"{model} (non-DP control)",
                         progress=progress)  # fmt: skip
    if not main.consistent:
        verdict = (
            f"FAIL: the lower bound {main.epsilon_lower_bound:.2f} exceeds the claimed "
            f"epsilon {epsilon:g}: the mechanism leaks more than it claims"
        )
    elif ctrl is not None and ctrl.epsilon_lower_bound <= main.epsilon_lower_bound + 0.5:
        verdict = (
            "INCONCLUSIVE: the non-private control is not clearly above the DP model; "
            "the attack is too weak to tell (raise --trials)"
        )
    else:
        verdict = (
            f"PASS: lower bound {main.epsilon_lower_bound:.2f} <= claimed {epsilon:g}; the "
            f"non-private control reaches {ctrl.epsilon_lower_bound:.2f}"
            if ctrl is not None
            else f"PASS: lower bound {main.epsilon_lower_bound:.2f} <= claimed {epsilon:g}"
        )
    return {
        "audit": main.to_dict(),
        "control": ctrl.to_dict() if ctrl is not None else None,
        "verdict": verdict,
    }
