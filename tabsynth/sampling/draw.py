"""One sampling request, start to end: conditions, drift, rebalancing, fair sampling or a
scenario, the critic (constraints and implausible values), then the PII columns a policy
adds. Post-processing of a fitted model: it reads only the model's public state
(``Samplable``) and the public schema."""

from __future__ import annotations

from typing import Any

import numpy as np

from tabsynth.errors import SamplingError
from tabsynth.sampling.conditions import conditions
from tabsynth.sampling.constraints import merge_reports
from tabsynth.sampling.drift import apply_shifts, drift_shares, parse_drift
from tabsynth.sampling.fair import fair_rows, parse_fair
from tabsynth.sampling.protocol import Samplable
from tabsynth.sampling.rebalance import rebalanced
from tabsynth.sampling.scenarios import parse_scenario, scenario_rows
from tabsynth.schema.derived import derive, present

SCENARIOS = ("tails", "rare")


def draw_rows(
    model: Samplable,
    n: int,
    rng: np.random.Generator,
    *,
    where: dict[str, Any] | None = None,
    rebalance: dict[str, Any] | None = None,
    scenario: Any = None,
    drift: list[str] | None = None,
    fair: Any = None,
) -> tuple[Any, dict[str, Any]]:
    """``n`` rows (polars, schema columns) and the report: the critic's rejection rates,
    and what fair sampling or a scenario changed."""
    schema = model.schema
    _refuse_derived(schema, where, rebalance, drift, fair)
    cond = conditions(schema, where or {})
    shifts, shares = parse_drift(schema, drift or [])
    if shares:
        if rebalance:
            raise SamplingError(
                "drift of a category and rebalance both set the shares of "
                "a column. Fix: use one of them."
            )
        rebalance = drift_shares(model, *shares)
    sc = parse_scenario(scenario) if scenario is not None else None
    fr = parse_fair(schema, fair) if fair is not None else None
    asked = [k for k, v in (("rebalance", rebalance), ("scenario", sc), ("fair", fr)) if v]
    if len(asked) > 1 or (fr is not None and cond):
        raise SamplingError(
            f"{' and '.join(asked + (['where'] if fr is not None and cond else []))} cannot "
            "be combined: each sets the distribution of the rows drawn. Fix: use one of them."
        )
    changed: dict[str, Any] = {}

    def draw(m: int) -> Any:
        if sc is not None:
            out, changed["scenario"] = scenario_rows(model, m, rng, cond, sc)
        elif fr is not None:
            out, changed["fair"] = fair_rows(model, m, rng, fr)
        elif rebalance:
            out = rebalanced(model, m, rng, cond, rebalance)
        else:
            out = model._sample(m, rng, where=cond) if cond else model._sample(m, rng)
        return shifted(out)

    def shifted(frame: Any) -> Any:  # derived columns follow their shifted sources
        frame = derive(apply_shifts(schema, frame, shifts), schema) if shifts else frame
        return present(frame, schema, rng)

    critic = _critic(model, set(shifts))
    if n > 0 and rebalance and (critic.constraints or critic.plausible is not None):
        # each rebalanced part through the critic on its own: its rejections are redrawn
        # with the same value, so the shares stay as asked
        reports: list[dict[str, Any]] = []

        def enforce(part: Any, m: int) -> Any:
            rows, rep = critic.enforce(lambda k: shifted(part(k)), m)
            reports.append(rep)
            return rows

        out = rebalanced(model, int(n), rng, cond, rebalance, enforce)
        report = merge_reports(reports)
    elif n > 0 and (critic.constraints or critic.plausible is not None):
        out, report = critic.enforce(draw, int(n))
    else:
        out, report = draw(int(n)), {"rejection_rate": 0.0}
    if critic.plausible is None:
        report["implausible_check"] = (
            f"not needed: {model.name} draws every cell within its DP marginals' support"
            if getattr(model, "draws_in_support", False)
            else "no cell of a DP marginal is zero"
        )
    report.update(changed)
    if any(c.pii is not None and c.pii.policy.value in ("fake", "hash") for c in schema.columns):
        from tabsynth.pii.policies import add_pii_columns

        out = add_pii_columns(schema, out, rng)
    return out, report


def _critic(model: Samplable, shifted: set[str]) -> Any:
    """The critic: the schema's constraints, and implausible values (cells the model's DP
    marginals put at zero) in every column a drift did not move on purpose."""
    from tabsynth.sampling.constraints import Critic
    from tabsynth.sampling.plausible import plausibility

    schema = model.schema
    in_support = getattr(model, "draws_in_support", False)
    return Critic(
        list(schema.constraints),
        {c.name: c.kind for c in schema.columns},
        plausible=None if in_support else plausibility(model, shifted),
    )


def _refuse_derived(
    schema: Any, where: Any, rebalance: Any, drift: list[str] | None, fair: Any
) -> None:
    """A clear error where a request names a derived column (computed from its sources in
    every row, so its distribution is set through them)."""
    import re

    named: set[str] = set(where or {}) | set(rebalance or {})
    for spec in drift or []:
        named.add(re.split(r"[=+\-]", spec, maxsplit=1)[0].strip())
    if isinstance(fair, dict):
        named |= {fair.get("target") or ""} | set(fair.get("protected") or [])
    elif isinstance(fair, str):
        named |= {p.strip() for p in re.split(r"[:,]", fair)}
    held = {c.name for c in schema.columns if c.present_when is not None}
    if held & (set(where or {}) | set(rebalance or {})):
        raise SamplingError(
            f"{sorted(held & (set(where or {}) | set(rebalance or {})))} hold a value exactly "
            "where their present_when condition does (schema). Fix: condition or rebalance on "
            "the columns of that condition instead"
        )
    bad = sorted(n for n in named if n in schema.names and schema.column(n).derived is not None)
    if bad:
        src = {n: schema.column(n).derived.sources() for n in bad}
        raise SamplingError(
            f"{bad} are derived columns (computed from {src} in every row). Fix: condition, "
            "rebalance, drift or group by their sources instead"
        )
