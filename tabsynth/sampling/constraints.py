"""The critic: rejects sampled rows that violate the schema's constraints, or that are
implausible (a value in a cell the model's DP marginal puts at zero), and resamples,
reporting the rejection rate. Constraints are public and the marginals DP, so this costs
no privacy; the constraints' language is documented in ``tabsynth.schema.expressions``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from tabsynth.errors import SamplingError, SchemaError
from tabsynth.schema.expressions import compile_constraint, constraint_problems


@dataclass
class Critic:
    """Rejects rows that violate any constraint and tells which constraint and how often."""

    constraints: list[str]
    columns: set[str] | dict[str, str]
    #: rows -> True where plausible (``plausible.plausibility``); None checks nothing
    plausible: Callable[[pl.DataFrame], np.ndarray] | None = field(default=None)

    def __post_init__(self) -> None:
        problems = constraint_problems(self.constraints, self.columns)
        if problems:
            raise SchemaError(problems)
        self._exprs = [compile_constraint(c, self.columns) for c in self.constraints]

    def masks(self, df: pl.DataFrame) -> np.ndarray:
        """(rows, constraints) booleans: True where the row satisfies the constraint (a
        null anywhere in an expression counts as satisfied: nulls are their own state)."""
        if not self._exprs:
            return np.ones((df.height, 0), dtype=bool)
        out = df.select([e.fill_null(True).alias(f"c{i}") for i, e in enumerate(self._exprs)])
        return out.to_numpy().astype(bool)

    def enforce(
        self, draw: Any, n: int, *, max_rounds: int = 50, min_acceptance: float = 1e-3
    ) -> tuple[pl.DataFrame, dict[str, Any]]:
        """Rows from ``draw(m)`` until ``n`` satisfy every constraint.

        Returns:
            The rows and a report: rejection rate, and the share of drawn rows violating
            each constraint.

        Raises:
            SamplingError: the constraints (with the model) accept almost nothing: they are
                contradictory or far from what the data look like.
        """
        kept: list[pl.DataFrame] = []
        have = drawn = 0
        violations = np.zeros(len(self._exprs))
        implausible = 0
        batch = n
        for _ in range(max_rounds):
            if have >= n:
                break
            rows = draw(max(batch, 16))
            ok = self.masks(rows)
            drawn += rows.height
            violations += (~ok).sum(axis=0)
            good = ok.all(axis=1)
            if self.plausible is not None:
                fits = self.plausible(rows)
                implausible += int((~fits).sum())
                good &= fits
            kept.append(rows.filter(pl.Series(good)))
            have += int(good.sum())
            rate = have / max(drawn, 1)
            if drawn >= 10_000 and rate < min_acceptance:
                break
            batch = int((n - have) / max(rate, min_acceptance) * 1.2) + 16
        if have < n:
            worst = self.constraints[int(np.argmax(violations))] if self._exprs else "?"
            raise SamplingError(
                f"the constraints accept {have} of {drawn} drawn rows; they look contradictory "
                f"or far from the data (most violated: {worst!r}). Fix: check the schema's "
                "`constraints`."
            )
        out = pl.concat(kept, how="vertical_relaxed").head(n)
        report = {
            "rejection_rate": 1 - have / drawn,
            "rows_drawn": drawn,
            "implausible_rate": implausible / drawn,
            "violations": {
                c: float(v / drawn) for c, v in zip(self.constraints, violations, strict=True)
            },
        }
        return out, report


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One critic report from those of several parts (rates weighted by rows drawn)."""
    drawn = sum(r["rows_drawn"] for r in reports)
    if not drawn:
        return {"rejection_rate": 0.0}

    def rate(key: str) -> float:
        return sum(x[key] * x["rows_drawn"] for x in reports) / drawn

    return {
        "rejection_rate": rate("rejection_rate"),
        "rows_drawn": drawn,
        "implausible_rate": rate("implausible_rate"),
        "violations": {
            c: sum(x["violations"][c] * x["rows_drawn"] for x in reports) / drawn
            for c in reports[0]["violations"]
        },
    }
