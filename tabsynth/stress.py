"""Stress checks that refit models, above both the API and evaluation: model collapse (each
generation fitted on the previous one's output, scored against the real table)."""

from __future__ import annotations

from typing import Any

from tabsynth.api import fit
from tabsynth.data import to_polars
from tabsynth.errors import DataValidationError, Problem
from tabsynth.evaluation.fidelity import fidelity
from tabsynth.schema.model import Schema


def collapse(
    real: Any,
    synthetic: Any,
    schema: Schema,
    *,
    generations: int,
    model: str = "copula",
    epsilon: float | None = 1.0,
    delta: float = 1e-6,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Model-collapse check: refit on the model's own output ``generations`` times.

    Generation 0 is ``synthetic``; generation g+1 is sampled from a model fitted on
    generation g (same model, epsilon and size). Each is scored against the real table, so
    the decay shows what happens when synthetic data train the next synthesizer.
    """
    if generations < 1:
        raise DataValidationError(
            [Problem("collapse", f"{generations} generations", "ask for at least 1")]
        )
    n = to_polars(real)[0].height
    data = synthetic
    out = []
    for g in range(generations + 1):
        f = fidelity(real, data, schema, max_triples=20, seed=seed)
        out.append(
            {
                "generation": g,
                "column_shapes": f["column_shapes"],
                "pair_trends": f["pair_trends"],
                "three_way_tvd": f["three_way_tvd"],
            }
        )
        if g < generations:
            data = fit(data, schema, model, epsilon=epsilon, delta=delta).sample(
                n, seed=seed + g + 1
            )
    return out
