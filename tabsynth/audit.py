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
from scipy.stats import beta, binom

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
    canaries: int = 0
    guesses: int = 0
    correct: int = 0

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


# --- one-run audit (Steinke, Nasr and Jagielski 2023) -----------------------------------
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


@dataclass(frozen=True)
class Signature:
    """A canary's own cell: (column, cell) of a discrete column that no other canary
    touches."""

    column: str
    cell: int


def _discrete(schema: Any) -> dict[str, Any]:
    """The modelled columns whose public cells are single values (categories, booleans,
    integer grids): the same cells in every fit, whatever atoms a fit discovers."""
    return {d.name: d for d in build_domains(schema) if not d.continuous}


def signature_canaries(
    df: pl.DataFrame, schema: Any, m: int, rng: np.random.Generator
) -> tuple[pl.DataFrame, list[Signature]]:
    """Up to ``m`` canaries for the one-run white-box audit, one per signature cell. Each
    canary copies the first training row, then takes in every discrete column that
    column's most common cell (the filler, never scored) except in its signature column,
    where it takes its own cell. Signature cells are all distinct, so a released statistic
    of a signature cell moves only with its canary, whichever strata a fit chooses."""
    real, _ = conform(df, schema, modelled_only=True)
    domains = _discrete(schema)
    cands: list[Signature] = []
    filler: dict[str, int] = {}
    for c, dom in domains.items():
        counts = np.bincount(dom.encode(real.get_column(c))[0], minlength=dom.n_cells)
        if dom.nullable:
            counts[0] = -1  # the null cell is neither filler nor signature
        filler[c] = int(np.argmax(counts))
        first = int(dom.nullable)
        cands += [Signature(c, j) for j in range(first, dom.n_cells) if j != filler[c]]
    if len(cands) < 2:
        raise ValueError("the table has too few discrete cells for a one-run audit")
    pick = np.sort(rng.choice(len(cands), size=min(m, len(cands)), replace=False))
    sigs = [cands[i] for i in pick]
    rows = []
    for sig in sigs:
        row = df.row(0, named=True)
        for c, dom in domains.items():
            cell = sig.cell if c == sig.column else filler[c]
            row[c] = dom.decode(np.array([cell]), None)[0]
        rows.append(row)
    return pl.DataFrame(rows, schema=df.schema, orient="row"), sigs


def signature_scores(
    model: Any, real: pl.DataFrame, canaries: pl.DataFrame, sigs: list[Signature]
) -> np.ndarray:
    """Released rows in each canary's signature cell beyond the training rows there, read
    in the canary's stratum: pmf x the stratum's released size - the real count, or for a
    strata column the stratum's released size - its real size (``real`` and ``canaries``
    conformed). Without noise this is exactly 1 for a canary that is in, 0 for one out."""
    from tabsynth.engines.stats import stratum_of

    if not hasattr(model, "pmfs_") or getattr(model, "rows_estimate_", None) is None:
        raise ValueError(
            "the one-run audit reads the copula's released statistics; for other models "
            "use attack='blackbox'"
        )
    domains = model._domains()  # noqa: SLF001 - same package
    public = _discrete(model.schema)
    if any(domains[c].n_cells != public[c].n_cells for c in {s.column for s in sigs}):
        raise ValueError("the model's cells of a discrete column differ from the schema's")
    k_real, _ = stratum_of(real, domains, model.strata_)
    k_can, _ = stratum_of(canaries, domains, model.strata_)
    out = np.empty(len(sigs))
    for i, sig in enumerate(sigs):
        s = int(k_can[i])
        in_s = k_real == s
        size = float(model.weights_[s]) * float(model.rows_estimate_)
        if sig.column in model.strata_:
            out[i] = size - int(in_s.sum())
            continue
        cells = domains[sig.column].encode(real.get_column(sig.column).filter(in_s))[0]
        pmf = model.pmfs_[model.others_.index(sig.column)]
        out[i] = float(pmf[s, sig.cell]) * size - int(np.count_nonzero(cells == sig.cell))
    return out


def run_one_run_audit(
    data: Any,
    schema: Any,
    fit: FitFn,
    *,
    epsilon: float | None,
    delta: float,
    canaries: int = 200,
    guess_share: float = 0.5,
    confidence: float = 0.95,
    seed: int = 0,
    model_name: str = "custom",
    progress: Callable[[int], None] | None = None,
    runs: int = 1,
) -> AuditResult:
    """Audit with one training run (Steinke, Nasr and Jagielski 2023): up to ``canaries``
    signature canaries, each joining the data by its own fair coin; one fit; the attack
    guesses "in" for the ``guess_share / 2`` highest-scoring canaries and "out" for as
    many lowest, abstaining on the rest; the right guesses give the bound. The canaries
    use discrete columns only, whose cells every fit shares, so a table has only so many
    (the sum over them of cells - 1). ``runs`` repeats the fit with fresh coins and pools
    the guesses: each (run, canary) slot changes one fit only, so the runs together are
    as private towards it as one, and the theorem applies to all ``runs x canaries``."""
    if not 0 < guess_share <= 1:
        raise ValueError("guess_share must be in (0, 1]")
    if runs < 1:
        raise ValueError("runs must be >= 1")
    t0 = time.perf_counter()
    df, _ = to_polars(data)
    rng = np.random.default_rng(seed)
    can, sigs = signature_canaries(df, schema, canaries, rng)
    real, _ = conform(df, schema, modelled_only=True)
    can_c, _ = conform(can, schema, modelled_only=True)
    members, score_parts = [], []
    for run in range(runs):
        coin = rng.random(len(sigs)) < 0.5
        data_run = pl.concat([df, can.filter(pl.Series(coin))], how="vertical_relaxed")
        score_parts.append(signature_scores(fit(data_run, epsilon), real, can_c, sigs))
        members.append(coin)
        if progress is not None:
            progress(run + 1)
    member, scores = np.concatenate(members), np.concatenate(score_parts)
    m = member.size
    k = max(1, int(guess_share * m / 2))
    order = np.lexsort((rng.random(m), scores))  # ascending score, ties at random
    g_in, g_out = order[-k:], order[:k]
    v = int(member[g_in].sum() + (~member[g_out]).sum())
    bound = one_run_epsilon_bound(m, 2 * k, v, delta, confidence)
    return AuditResult(
        model=model_name,
        claimed_epsilon=epsilon,
        delta=delta,
        trials=runs,
        epsilon_lower_bound=bound,
        confidence=confidence,
        attack_auc=_auc(scores[member], scores[~member]),
        tpr=float(member[g_in].sum() / max(member.sum(), 1)),
        fpr=float((~member[g_in]).sum() / max((~member).sum(), 1)),
        threshold=float(scores[g_in].min()),
        seconds=time.perf_counter() - t0,
        scores_in=scores[member].tolist(),
        scores_out=scores[~member].tolist(),
        attack="one-run",
        canaries=m,
        guesses=2 * k,
        correct=v,
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
    canaries: int = 200,
    runs: int = 10,
    **options: Any,
) -> dict[str, Any]:
    """Audit ``model`` at ``epsilon`` and, as the positive control, the same model without DP.

    ``attack`` is ``"blackbox"`` (one canary, ``trials`` fits, the synthetic sample scored),
    ``"whitebox"`` (the copula's released statistics, a group of ``group`` canaries,
    ``trials`` fits) or ``"one-run"`` (the copula's released statistics, up to ``canaries``
    signature canaries per fit, ``runs`` fits pooled; Steinke, Nasr and Jagielski 2023).

    ``fit`` replaces the registered model's fit (to audit a modified mechanism). Returns
    ``{"audit": AuditResult dict, "control": ... or None, "verdict": str}``.
    """
    delta = schema.delta if delta is None else delta
    fit = fit or model_fit(model, schema, **options)

    def one(eps: float | None, seed: int, name: str) -> AuditResult:
        if attack == "one-run":
            if group != 1:
                raise ValueError("the one-run audit uses single-record canaries (group 1)")
            return run_one_run_audit(data, schema, fit, epsilon=eps, delta=delta,
                                     canaries=canaries, runs=runs, seed=seed, model_name=name,
                                     progress=progress)  # fmt: skip
        return run_audit(data, schema, fit, epsilon=eps, delta=delta, seed=seed,
                         model_name=name, trials=trials, progress=progress, attack=attack,
                         group=group)  # fmt: skip

    main = one(epsilon, seed, model)
    ctrl = one(None, seed + 1, f"{model} (non-DP control)") if control else None
    claim = main.claimed_group_epsilon
    what = f"claimed epsilon {epsilon:g}" + (
        f" (x{group} for a group of {group}: {claim:g})" if group > 1 else ""
    )
    top = ceiling(main)
    if not main.consistent:
        verdict = (
            f"FAIL: the lower bound {main.epsilon_lower_bound:.2f} exceeds the {what}: "
            "the mechanism leaks more than it claims"
        )
    elif claim is not None and top <= claim:
        unit = "canaries" if attack == "one-run" else "trials"
        need = trials_needed(claim, delta * group, main.confidence, attack == "one-run")
        verdict = (
            f"INCONCLUSIVE: with these {unit} even a perfect attack reaches only "
            f"{top:.2f} (the ceiling), at or below the {what}, so this audit cannot fail; "
            f"about {need} {unit} would be needed"
        )
    elif ctrl is not None and ctrl.epsilon_lower_bound <= main.epsilon_lower_bound + 0.5:
        verdict = (
            "INCONCLUSIVE: the non-private control is not clearly above the DP model; "
            "the attack is too weak to tell (raise --trials)"
        )
    else:
        verdict = (
            f"PASS: lower bound {main.epsilon_lower_bound:.2f} <= {what} (ceiling "
            f"{top:.2f}); the non-private control reaches {ctrl.epsilon_lower_bound:.2f}"
            if ctrl is not None
            else f"PASS: lower bound {main.epsilon_lower_bound:.2f} <= {what} (ceiling {top:.2f})"
        )
    return {
        "ceiling": top,
        "audit": main.to_dict(),
        "control": ctrl.to_dict() if ctrl is not None else None,
        "verdict": verdict,
    }
