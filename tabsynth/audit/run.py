"""Running an audit: fits with and without the canaries, the attack, the bound, and the
non-private control beside it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from tabsynth.audit.attacks import attack_score, signature_scores, whitebox_score
from tabsynth.audit.bounds import (
    AuditResult,
    _auc,
    _best_threshold,
    ceiling,
    epsilon_bound,
    one_run_epsilon_bound,
    trials_needed,
)
from tabsynth.audit.canaries import canary, canary_weights, group_canary, signature_canaries
from tabsynth.data import conform, to_polars

FitFn = Callable[[pl.DataFrame, float | None], Any]


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
    as_unit = schema.privacy_unit is not None and group <= schema.max_rows_per_unit
    group_delta = (
        delta if epsilon is None or as_unit else group * math.exp((group - 1) * epsilon) * delta
    )
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
        as_unit=as_unit,
    )


# --- one-run audit (Steinke, Nasr and Jagielski 2023) -----------------------------------


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
    what = _claim_words(main, epsilon, schema)
    top = ceiling(main)
    if not main.consistent:
        verdict = (
            f"FAIL: the lower bound {main.epsilon_lower_bound:.2f} exceeds the {what}: "
            "the mechanism leaks more than it claims"
        )
    elif claim is not None and top <= claim:
        unit = "canaries" if attack == "one-run" else "trials"
        spread = 1 if main.as_unit else group
        need = trials_needed(claim, delta * spread, main.confidence, attack == "one-run")
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


def _claim_words(main: AuditResult, epsilon: float, schema: Any) -> str:
    """The claim an audit tests, in words: epsilon, for one privacy unit or a group."""
    what, k = f"claimed epsilon {epsilon:g}", main.group_size
    if main.as_unit:
        return f"{what} (for one {schema.privacy_unit}: its {k} canary rows together)"
    if k > 1:
        return f"{what} (x{k} for a group of {k}: {main.claimed_group_epsilon:g})"
    return what
