"""One sampling request, start to end: conditions, drift, rebalancing or a scenario, the
constraint critic, then the PII columns a policy adds. Post-processing of a fitted model:
it reads only the model's public state (``Samplable``) and the public schema."""

from __future__ import annotations

from typing import Any

import numpy as np

from tabsynth.errors import SamplingError
from tabsynth.sampling.conditions import conditions
from tabsynth.sampling.drift import apply_shifts, drift_shares, parse_drift
from tabsynth.sampling.protocol import Samplable
from tabsynth.sampling.rebalance import rebalanced
from tabsynth.sampling.scenarios import scenario_rows

SCENARIOS = ("tails", "rare")


def draw_rows(
    model: Samplable,
    n: int,
    rng: np.random.Generator,
    *,
    where: dict[str, Any] | None = None,
    rebalance: dict[str, Any] | None = None,
    scenario: str | None = None,
    drift: list[str] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """``n`` rows (polars, schema columns) and the critic's report (its rejection rate)."""
    schema = model.schema
    cond = conditions(schema, where or {})
    shifts, shares = parse_drift(schema, drift or [])
    if shares:
        if rebalance:
            raise SamplingError(
                "drift of a category and rebalance both set the shares of "
                "a column. Fix: use one of them."
            )
        rebalance = drift_shares(model, *shares)
    if scenario is not None and (scenario not in SCENARIOS or rebalance):
        raise SamplingError(
            f"unknown scenario {scenario!r} (or combined with "
            "rebalancing). Fix: scenario='tails' or 'rare'"
        )

    def draw(m: int) -> Any:
        if scenario is not None:
            out = scenario_rows(model, m, rng, cond, scenario)
        elif rebalance:
            out = rebalanced(model, m, rng, cond, rebalance)
        else:
            out = model._sample(m, rng, where=cond) if cond else model._sample(m, rng)
        return apply_shifts(schema, out, shifts)

    report: dict[str, Any]
    if schema.constraints and n > 0:
        from tabsynth.sampling.constraints import Critic

        critic = Critic(list(schema.constraints), {c.name: c.kind for c in schema.columns})
        out, report = critic.enforce(draw, int(n))
    else:
        out, report = draw(int(n)), {"rejection_rate": 0.0}
    if any(c.pii is not None and c.pii.policy.value in ("fake", "hash") for c in schema.columns):
        from tabsynth.pii.policies import add_pii_columns

        out = add_pii_columns(schema, out, rng)
    return out, report
