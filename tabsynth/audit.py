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
    attack: str = "blackbox"
    group_size: int = 1

    @property
    def claimed_group_epsilon(self) -> float | None:
        """What the claim allows for ``group_size`` records: k * epsilon (group privacy)."""
        return None if self.claimed_epsilon is None else self.group_size * self.claimed_epsilon

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


def group_canary(df: pl.DataFrame, schema: Any, size: int) -> pl.DataFrame:
    """``size`` copies of a record whose every modelled column sits in that column's least
    populated non-null cell among those holding at least 5% of the rows: common enough that
    no threshold drops it, rare enough that the group moves its share by almost ``size``
    rows, so a white-box attack on the released statistics sees what the group adds."""
    conformed, _ = conform(df, schema, modelled_only=True)
    row: dict[str, Any] = {}
    for dom in build_domains(schema):
        cells, _ = dom.encode(conformed.get_column(dom.name))
        counts = np.bincount(cells, minlength=dom.n_cells).astype(float)
        if dom.nullable:
            counts[0] = 0
        ok = counts >= 0.05 * len(cells)
        cell = int(np.argmin(np.where(ok, counts, np.inf))) if ok.any() else int(counts.argmax())
        pos = np.array([0.5]) if dom.continuous else None
        row[dom.name] = dom.decode(np.array([cell]), pos)[0]
    for col in schema.columns:
        if col.name not in row:
            row[col.name] = df.get_column(col.name)[0] if col.name in df.columns else None
    one = pl.DataFrame([pl.Series(c, [row[c]], dtype=df.schema[c]) for c in df.columns])
    return pl.concat([one] * size)


def whitebox_score(model: Any, real: pl.DataFrame, canary_row: pl.DataFrame) -> float:
    """How much more mass the released model puts on the canary's cells than the data
    without the canary hold, in rows, summed over columns (``real`` and ``canary_row``
    conformed). Columns are read inside the canary's stratum, so the noise of the stratum
    sizes does not blur them; the stratum's own size counts once."""
    from tabsynth.engines.stats import stratum_of

    if not hasattr(model, "pmfs_"):
        raise ValueError(
            "the white-box attack reads the copula's released statistics; for other models "
            "use attack='blackbox'"
        )
    domains = model._domains()  # noqa: SLF001 - same package
    k_real, _ = stratum_of(real, domains, model.strata_)
    s = int(stratum_of(canary_row, domains, model.strata_)[0][0])
    in_s = k_real == s
    n_s = max(int(in_s.sum()), 1)
    score = (float(model.weights_[s]) - n_s / real.height) * real.height
    for name, pmf in zip(model.others_, model.pmfs_, strict=True):
        dom = domains[name]
        target = dom.encode(canary_row.get_column(name))[0][0]
        share = float(np.mean(dom.encode(real.get_column(name).filter(in_s))[0] == target))
        score += (float(pmf[s, target]) - share) * n_s
    return score


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
    attack: str = "blackbox",
    group: int = 1,
) -> AuditResult:
    """Audit ``fit(data, epsilon) -> model`` with a canary over ``trials`` fits.

    ``attack="blackbox"`` scores the synthetic sample (one outlier canary in the emptiest
    cells); ``"whitebox"`` scores the released model's statistics (copula) with a group of
    ``group`` identical canaries in the most populated cells, and the bound is compared with
    what the claim allows a group: ``group * epsilon``, with delta ``group * e^((group-1)
    epsilon) * delta``.
    """
    if attack not in ("blackbox", "whitebox"):
        raise ValueError(f"attack must be 'blackbox' or 'whitebox', got {attack!r}")
    if group < 1 or (attack == "blackbox" and group != 1):
        raise ValueError("group canaries (group > 1) go with the white-box attack only")
    t0 = time.perf_counter()
    df, _ = to_polars(data)
    if attack == "whitebox":
        can = group_canary(df, schema, group)
        real, _ = conform(df, schema, modelled_only=True)
        can_c, _ = conform(can.head(1), schema, modelled_only=True)
    else:
        can = canary(df, schema)
        weights = canary_weights(df, can, schema)
    with_canary = pl.concat([df, can], how="vertical_relaxed")
    rng = np.random.default_rng(seed)
    member = rng.random(trials) < 0.5
    scores = np.empty(trials)
    m = max(1, int(round(sample_factor * df.height)))
    for t in range(trials):
        model = fit(with_canary if member[t] else df, epsilon)
        if attack == "whitebox":
            scores[t] = whitebox_score(model, real, can_c)
        else:
            out = model.sample(m, seed=int(rng.integers(2**31)), as_frame="polars")
            scores[t] = attack_score(out, can, schema, weights)
        if progress is not None:
            progress(t + 1)
    group_delta = delta if epsilon is None else group * math.exp((group - 1) * epsilon) * delta
    half = trials // 2
    sel_in, sel_out = scores[:half][member[:half]], scores[:half][~member[:half]]
    threshold = _best_threshold(sel_in, sel_out, group_delta, confidence)
    ev_in, ev_out = scores[half:][member[half:]], scores[half:][~member[half:]]
    bound, tpr, fpr = epsilon_bound(ev_in, ev_out, threshold, group_delta, confidence)
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
        attack=attack,
        group_size=group,
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
    attack: str = "blackbox",
    group: int = 1,
    fit: FitFn | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Audit ``model`` at ``epsilon`` and, as the positive control, the same model without DP.

    ``fit`` replaces the registered model's fit (to audit a modified mechanism). Returns
    ``{"audit": AuditResult dict, "control": ... or None, "verdict": str}``.
    """
    delta = schema.delta if delta is None else delta
    fit = fit or model_fit(model, schema, **options)
    kw = {"trials": trials, "progress": progress, "attack": attack, "group": group}
    main = run_audit(data, schema, fit, epsilon=epsilon, delta=delta, seed=seed,
                     model_name=model, **kw)  # type: ignore[arg-type]  # fmt: skip
    ctrl = None
    if control:
        ctrl = run_audit(data, schema, fit, epsilon=None, delta=delta, seed=seed + 1,
                         model_name=f"{model} (non-DP control)", **kw)  # type: ignore[arg-type]  # fmt: skip
    claim = main.claimed_group_epsilon
    what = f"claimed epsilon {epsilon:g}" + (
        f" (x{group} for a group of {group}: {claim:g})" if group > 1 else ""
    )
    if not main.consistent:
        verdict = (
            f"FAIL: the lower bound {main.epsilon_lower_bound:.2f} exceeds the {what}: "
            "the mechanism leaks more than it claims"
        )
    elif ctrl is not None and ctrl.epsilon_lower_bound <= main.epsilon_lower_bound + 0.5:
        verdict = (
            "INCONCLUSIVE: the non-private control is not clearly above the DP model; "
            "the attack is too weak to tell (raise --trials)"
        )
    else:
        verdict = (
            f"PASS: lower bound {main.epsilon_lower_bound:.2f} <= {what}; the "
            f"non-private control reaches {ctrl.epsilon_lower_bound:.2f}"
            if ctrl is not None
            else f"PASS: lower bound {main.epsilon_lower_bound:.2f} <= {what}"
        )
    return {
        "audit": main.to_dict(),
        "control": ctrl.to_dict() if ctrl is not None else None,
        "verdict": verdict,
    }
