"""Derived columns: a column that is a public function of others, computed at sampling.

Real tables hold columns that are functions of other columns: a loan's grade is the letter
of its sub-grade (``C3`` is grade ``C``), a total is the sum of its parts. A model that
learns such a column as one more variable spends budget on it and breaks the function in
its output (at epsilon 1 the copula gave 43-52% of synthetic loans a grade that disagreed
with their sub-grade). A schema that declares the function instead

    - name: grade
      kind: categorical
      categories: [A, B, C, D, E, F, G]
      derived: {source: sub_grade, map: {A1: A, A2: A, ..., G5: G}}
    - name: paid_total
      kind: numerical
      lower: 0
      upper: 50000
      derived: {formula: "paid_principal + paid_interest + paid_late_fees"}

makes the column unmodelled: no model reads its private values (so nothing is spent on it
and nothing about it is released), and every sampled row computes it from the row's own
sources, so the function holds in every synthetic row. The function is public: part of the
schema, hashed into every artifact and ledger entry. A null source gives a null.

A nullable column can also be declared present exactly where a condition holds
(``present_when: "application_type == 'joint'"``: a joint applicant's income). The model
learns it as usual; every sampled row then has it null where the condition is false, and
where it is true but the row drew a null, a value drawn from the column's values in the
sampled rows that hold the condition (post-processing, like the rest of sampling).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from tabsynth.errors import Problem

if TYPE_CHECKING:
    import polars as pl

    from tabsynth.schema.model import Schema


class Derived(BaseModel):
    """How a column is computed from others: ``source`` and ``map`` (a categorical or
    boolean column from a categorical one), or ``formula`` (a numerical column)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str | None = Field(
        default=None, description="The categorical column this one is a function of (with map)."
    )
    map: dict[str, str | bool] | None = Field(
        default=None,
        description="Each category of `source` -> this column's value (a category, or "
        "true/false for a boolean column).",
    )
    formula: str | None = Field(
        default=None,
        description="Arithmetic (+ - * /) over numerical columns, e.g. 'principal + interest'; "
        "the result is clipped to this column's bounds and rounded to its precision.",
    )

    def sources(self) -> list[str]:
        """The columns this one is computed from."""
        from tabsynth.schema.expressions import formula_columns

        if self.formula is not None:
            try:
                return formula_columns(self.formula)
            except ValueError:
                return []
        return [self.source] if self.source is not None else []


def derived_problems(schema: Schema) -> list[Problem]:
    """Every problem of the schema's derived columns (all at once)."""
    by_name = {c.name: c for c in schema.columns}
    problems: list[Problem] = []
    for col in schema.columns:
        d = getattr(col, "derived", None)
        if d is None:
            continue
        where = f"column {col.name!r}"
        problems += _role_problems(schema, col, where)
        if (d.formula is None) == (d.source is None and d.map is None):
            problems.append(
                Problem(
                    where,
                    "`derived` needs either `source` with `map`, or `formula`",
                    "write derived: {source: COLUMN, map: {...}} or derived: {formula: '...'}",
                )
            )
            continue
        if d.formula is not None:
            problems += _formula_problems(col, d.formula, by_name, where)
        else:
            problems += _map_problems(col, d, by_name, where)
    return problems + presence_problems(schema)


def presence_problems(schema: Schema) -> list[Problem]:
    """Every problem of the schema's ``present_when`` conditions."""
    from tabsynth.schema.expressions import compile_constraint, formula_columns

    kinds: dict[str, str] = {c.name: c.kind for c in schema.columns}
    problems = []
    for col in schema.columns:
        cond = getattr(col, "present_when", None)
        if cond is None:
            continue
        where = f"column {col.name!r}"
        if not col.nullable:
            problems.append(
                Problem(where, "has present_when but is not nullable", "set nullable: true")
            )
        if not (col.modelled or col.derived is not None) or col.kind not in (
            "categorical",
            "boolean",
            "numerical",
            "datetime",
        ):
            problems.append(
                Problem(where, f"a {col.kind} column cannot have present_when", "drop it")
            )
        try:
            compile_constraint(cond, kinds)
            names = formula_columns(cond)
        except ValueError as exc:
            problems.append(
                Problem(where, f"present_when: {exc}", "write a condition on other columns")
            )
            continue
        released = {c.name for c in schema.columns if c.modelled or c.derived is not None}
        bad = [n for n in names if n == col.name or n not in released]
        if bad:
            problems.append(
                Problem(
                    where,
                    f"present_when reads {bad}: itself or an unmodelled column",
                    "condition on other modelled or derived columns",
                )
            )
        if schema.target == col.name or col.name in (schema.strata or []):
            problems.append(
                Problem(where, "has present_when and is the target or a stratum", "drop one")
            )
    return problems


def present(frame: pl.DataFrame, schema: Schema, rng: Any) -> pl.DataFrame:
    """``frame`` with every ``present_when`` column null where its condition is false, and
    given a value where it is true but the row drew a null: one drawn (with ``rng``) from
    the column's values in the rows that hold the condition and a value (else from any row
    with a value). Post-processing of sampled rows."""
    import numpy as np
    import polars as pl

    from tabsynth.schema.expressions import compile_constraint

    kinds: dict[str, str] = {c.name: c.kind for c in schema.columns}
    for col in schema.columns:
        cond = getattr(col, "present_when", None)
        if cond is None or col.name not in frame.columns:
            continue
        ok = frame.select(compile_constraint(cond, kinds).fill_null(False)).to_series().to_numpy()
        values = frame.get_column(col.name)
        has = values.is_not_null().to_numpy()
        donors = np.flatnonzero(ok & has)
        donors = donors if donors.size else np.flatnonzero(has)
        need = np.flatnonzero(ok & ~has)
        idx = np.arange(frame.height)
        if need.size and donors.size:
            idx[need] = rng.choice(donors, need.size)
        filled = values.gather(idx)
        frame = frame.with_columns(
            pl.when(pl.Series(ok)).then(filled).otherwise(None).alias(col.name)
        )
    return frame


def _role_problems(schema: Schema, col: Any, where: str) -> list[Problem]:
    """A derived column is not the target, a stratum, PII, nor of a kind one can compute."""
    out = []
    if col.kind not in ("categorical", "boolean", "numerical"):
        out.append(
            Problem(
                where,
                f"a {col.kind} column cannot be derived",
                "derive categorical, boolean or numerical columns only",
            )
        )
    roles = [
        ("the target", schema.target == col.name),
        ("a stratum", col.name in (schema.strata or [])),
        ("PII", col.pii is not None),
    ]
    for role, hit in roles:
        if hit:
            out.append(
                Problem(
                    where,
                    f"is derived and {role}",
                    "model its source instead (make the source the target or stratum), or "
                    "drop `derived`",
                )
            )
    return out


def _source_problem(name: str, by_name: dict[str, Any], where: str) -> Problem | None:
    src = by_name.get(name)
    if src is None:
        return Problem(where, f"derived from {name!r}, not a column", f"use one of {list(by_name)}")
    if getattr(src, "derived", None) is not None or not src.modelled:
        return Problem(
            where,
            f"derived from {name!r}, which is not modelled (derived, identifier, text or "
            "dropped PII)",
            "derive from modelled columns only",
        )
    return None


def _formula_problems(col: Any, formula: str, by_name: dict[str, Any], where: str) -> list[Problem]:
    from tabsynth.schema.expressions import compile_formula, formula_columns

    if col.kind != "numerical":
        return [Problem(where, "a formula gives numbers", "use source and map for categories")]
    try:
        names = formula_columns(formula)
        compile_formula(formula, {c.name: c.kind for c in by_name.values()})
    except ValueError as exc:
        return [Problem(where, f"formula: {exc}", "use + - * / over numerical columns")]
    out = [p for n in names if (p := _source_problem(n, by_name, where)) is not None]
    nullable = [n for n in names if by_name[n].nullable]
    if nullable and not col.nullable:
        out.append(
            Problem(
                where, f"computed from nullable {nullable}, so can be null", "set nullable: true"
            )
        )
    return out


def _map_problems(col: Any, d: Derived, by_name: dict[str, Any], where: str) -> list[Problem]:
    if d.source is None or d.map is None:
        return [Problem(where, "`map` needs `source` (and `source` needs `map`)", "give both")]
    if col.kind not in ("categorical", "boolean"):
        return [Problem(where, "a map gives categories", "use formula for a numerical column")]
    bad = _source_problem(d.source, by_name, where)
    if bad is not None:
        return [bad]
    src = by_name[d.source]
    if src.kind != "categorical":
        return [Problem(where, f"mapped from {d.source!r} of kind {src.kind}", "map a categorical")]
    out = []
    missing = [c for c in src.domain if c not in d.map]
    extra = [k for k in d.map if k not in src.domain]
    if missing or extra:
        out.append(
            Problem(
                where,
                f"map keys differ from {d.source!r}'s categories (missing {missing[:10]}, "
                f"unknown {extra[:10]})",
                f"give every category of {d.source!r} exactly one value",
            )
        )
    want: type = bool if col.kind == "boolean" else str
    wrong = [v for v in d.map.values() if not isinstance(v, want)]
    if col.kind == "categorical":
        wrong += [v for v in d.map.values() if isinstance(v, str) and v not in col.domain]
    if wrong:
        out.append(
            Problem(
                where,
                f"map values {sorted(set(map(str, wrong)))[:10]} are not in this column's domain",
                "map to its categories" if col.kind == "categorical" else "map to true/false",
            )
        )
    if src.nullable and not col.nullable:
        out.append(
            Problem(where, f"mapped from nullable {d.source!r}: can be null", "set nullable: true")
        )
    return out


def derive(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """``frame`` with every derived column (re)computed from its sources (post-processing of
    sampled rows; a column whose sources the frame lacks is left out)."""
    import polars as pl

    exprs = []
    for col in schema.columns:
        d = getattr(col, "derived", None)
        if d is None or not set(d.sources()) <= set(frame.columns):
            continue
        if d.formula is not None:
            exprs.append(_numeric(col, d.formula, schema).alias(col.name))
        else:
            dtype = pl.Boolean if col.kind == "boolean" else pl.String
            keys = list(d.map)
            expr = (
                pl.col(d.source)
                .cast(pl.String)
                .replace_strict(keys, [d.map[k] for k in keys], default=None, return_dtype=dtype)
            )
            exprs.append(expr.alias(col.name))
    return frame.with_columns(exprs) if exprs else frame


def _numeric(col: Any, formula: str, schema: Schema) -> pl.Expr:
    """The formula's value, clipped to the column's bounds, as its integers or decimals."""
    import polars as pl

    from tabsynth.schema.expressions import compile_formula

    kinds: dict[str, str] = {c.name: c.kind for c in schema.columns}
    expr = compile_formula(formula, kinds).cast(pl.Float64)
    expr = pl.when(expr.is_finite()).then(expr).otherwise(None).clip(col.lower, col.upper)
    if col.integer:
        return expr.round(0).cast(pl.Int64)
    return expr.round(col.precision) if col.precision is not None else expr


def scored_schema(schema: Schema, *frames: Any) -> Schema:
    """``schema`` for measuring released tables: derived columns that every frame holds are
    scored like modelled ones (they are part of the output), the others left out. Not
    validated again (a constraint may name a column left out; scoring reads none)."""
    if not any(getattr(c, "derived", None) is not None for c in schema.columns):
        return schema
    have = [set(f.columns) for f in frames]
    cols = [
        c if c.derived is None else c.model_copy(update={"derived": None})
        for c in schema.columns
        if c.derived is None or all(c.name in h for h in have)
    ]
    return schema.model_copy(update={"columns": cols})
