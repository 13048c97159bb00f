"""Cross-field checks of a schema; each returns every problem, never just the first."""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any

from tabsynth.errors import Problem

MAX_CATEGORIES = 1000  # a categorical column's largest public domain

if TYPE_CHECKING:
    from tabsynth.schema.model import Schema


def consistency_problems(schema: Schema) -> list[Problem]:
    """Every inconsistency between fields of ``schema`` (empty when it is sound)."""
    from tabsynth.schema.derived import derived_problems
    from tabsynth.schema.expressions import constraint_problems

    problems: list[Problem] = []
    for name, n in Counter(schema.names).items():
        if n > 1:
            problems.append(
                Problem(f"column {name!r}", f"declared {n} times", "give each column one entry")
            )
    for col in schema.columns:
        problems += column_problems(col)
    problems += _reference_problems(schema)
    problems += _budget_problems(schema)
    problems += derived_problems(schema)
    problems += constraint_problems(
        list(schema.constraints), {c.name: c.kind for c in schema.columns}
    )
    if not schema.modelled_columns:
        problems.append(
            Problem(
                "columns",
                "no column is modelled",
                "declare at least one categorical, boolean, numerical or datetime column",
            )
        )
    return problems


def column_problems(col: Any) -> list[Problem]:
    """The problems of one column's own fields (bounds, atoms, categories)."""
    where = f"column {col.name!r}"
    problems: list[Problem] = []
    if col.missing and not col.nullable:
        problems.append(
            Problem(where, "declares `missing` words but is not nullable", "set nullable: true")
        )
    if col.kind in ("numerical", "datetime") and not (col.lower < col.upper):
        problems.append(
            Problem(
                where,
                f"lower {col.lower} is not below upper {col.upper}",
                "set public bounds with lower < upper",
            )
        )
    if col.kind == "numerical":
        for bound in (col.lower, col.upper):
            if not math.isfinite(bound):
                problems.append(
                    Problem(where, f"bound {bound} is not finite", "use finite public bounds")
                )
        bad = [a for a in col.atoms if not (col.lower <= a <= col.upper)]
        if bad:
            problems.append(
                Problem(
                    where,
                    f"atoms {bad} lie outside [{col.lower}, {col.upper}]",
                    "keep atoms within the bounds",
                )
            )
    if col.kind == "categorical":
        problems += _category_problems(col, where)
    return problems


def _category_problems(col: Any, where: str) -> list[Problem]:
    problems: list[Problem] = []
    dup = sorted(k for k, v in Counter(col.categories).items() if v > 1)
    if dup:
        problems.append(Problem(where, f"repeated categories {dup}", "list each category once"))
    if col.other is not None and col.other in col.categories:
        problems.append(
            Problem(
                where,
                f"other bucket {col.other!r} is also a category",
                "name the other bucket differently",
            )
        )
    if len(col.domain) > MAX_CATEGORIES:
        problems.append(
            Problem(
                where,
                f"{len(col.domain)} categories (more than {MAX_CATEGORIES})",
                "merge rare categories into an `other` bucket, generalise the column, or "
                "declare it kind: identifier or text (a DP histogram over that many cells "
                "is mostly noise)",
            )
        )
    return problems


def _reference_problems(schema: Schema) -> list[Problem]:
    """The target and strata: columns that exist, of a kind they can be."""
    problems: list[Problem] = []
    by_name: dict[str, Any] = {c.name: c for c in schema.columns}
    unit = schema.privacy_unit
    if unit is None and schema.max_rows_per_unit != 1:
        problems.append(
            Problem("max_rows_per_unit", "set without a privacy_unit", "set privacy_unit too")
        )
    elif unit is not None and (by_name.get(unit) is None or by_name[unit].kind != "identifier"):
        problems.append(
            Problem(
                "privacy_unit",
                f"{unit!r} is not an identifier column",
                "name the identifier column that says whom each row belongs to",
            )
        )
    if schema.target is not None:
        tgt = by_name.get(schema.target)
        if tgt is None:
            problems.append(
                Problem(
                    "target", f"{schema.target!r} is not a column", f"use one of {schema.names}"
                )
            )
        elif tgt.derived is None and (
            not tgt.modelled or tgt.kind in ("identifier", "text", "datetime")
        ):
            problems.append(
                Problem(
                    "target",
                    f"{schema.target!r} is of kind {tgt.kind}",
                    "choose a categorical, boolean or numerical column",
                )
            )
    for name in schema.strata or []:
        col = by_name.get(name)
        if col is None:
            problems.append(
                Problem("strata", f"{name!r} is not a column", f"use one of {schema.names}")
            )
        elif col.derived is None and (
            col.kind not in ("categorical", "boolean") or not col.modelled
        ):
            problems.append(
                Problem(
                    "strata",
                    f"{name!r} is of kind {col.kind}",
                    "stratify only by modelled categorical or boolean columns",
                )
            )
    return problems


def _budget_problems(schema: Schema) -> list[Problem]:
    problems: list[Problem] = []
    if schema.epsilon is not None and not (schema.epsilon > 0 and math.isfinite(schema.epsilon)):
        problems.append(
            Problem(
                "epsilon",
                f"{schema.epsilon} is not a positive number",
                "use a positive epsilon, or null for a non-private fit",
            )
        )
    if not (0 < schema.delta < 1):
        problems.append(
            Problem(
                "delta",
                f"{schema.delta} is not in (0, 1)",
                "use a small positive delta such as 1e-6",
            )
        )
    return problems


def drafted_fields(schema: Schema) -> list[tuple[str, list[str]]]:
    """(column, fields) of a schema's domains that ``schema infer`` reads from the data."""
    out = []
    for col in schema.columns:
        fields = []
        if col.kind == "categorical":
            fields.append("categories")
        if col.kind in ("numerical", "datetime"):
            fields.append("lower/upper bounds")
        if col.kind == "numerical" and getattr(col, "atoms", None):
            fields.append("atoms")
        if col.kind == "numerical" and getattr(col, "precision", None) is not None:
            fields.append("precision")
        if fields:
            out.append((col.name, fields))
    return out
