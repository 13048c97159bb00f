"""The leak check of every release: no real value of a PII column may appear in the output.

Values are compared exactly and normalised (lower case, only letters and digits), so that
``John.Smith@x.org`` and ``john smith x org`` collide. Faked and hashed columns whose values
happen to collide with a real one are re-drawn (the fakes never saw the data); a modelled PII
column (``keep``/``generalize``) that reproduces a real value fails the release. A generalized
column's values at the policy's grain (1970-01-01 for a year of birth) are not leaks: they
equal a real value only when a real one sits on the grain's edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from tabsynth.errors import PIILeakError


def normalise(value: Any) -> str:
    return re.sub(r"[^0-9a-z]", "", str(value).lower())


def _values(s: pl.Series) -> tuple[set[str], set[str]]:
    vals = s.drop_nulls().cast(pl.String)
    exact = set(vals.unique().to_list())
    norm = set(vals.str.to_lowercase().str.replace_all(r"[^0-9a-z]", "").unique().to_list()) - {""}
    return exact, norm


@dataclass
class LeakReport:
    checked: list[str]
    leaks: dict[str, int] = field(default_factory=dict)
    redrawn: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.leaks

    def to_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "leaks": self.leaks, "redrawn": self.redrawn}


def _hits(col: pl.Series, exact: set[str], norm: set[str]) -> np.ndarray:
    s = col.cast(pl.String)
    e = s.is_in(list(exact)).fill_null(False).to_numpy()
    n = (
        s.str.to_lowercase()
        .str.replace_all(r"[^0-9a-z]", "")
        .is_in(list(norm))
        .fill_null(False)
        .to_numpy()
    )
    return e | n  # type: ignore[no-any-return]


def _as_dates(s: pl.Series, col: Any) -> pl.Series:
    """Day numbers (``format: days since ...``) as the dates they are, so that a real date
    of birth is found in the output whether it comes back as a number or a date."""
    from tabsynth.data.validate import day_numbers

    fmt = getattr(col, "format", None)
    if not (fmt and fmt.startswith(("days since", "seconds since"))):
        return s
    days = day_numbers(s, fmt)
    if days is not None:
        return days.cast(pl.Date)
    return s.cast(pl.Date) if s.dtype in (pl.Date, pl.Datetime) or s.dtype == pl.Datetime else s


def _at_grain(one: pl.DataFrame, schema: Any, name: str) -> np.ndarray:
    """Which values of a generalized column are already at the policy's grain (a year, a
    ZIP3, a 5-unit band): those equal a real value only because the grain is coarse (a real
    birthday on 1 January), so they carry no finer real value and are not leaks."""
    from tabsynth.pii.policies import generalize

    coarse = generalize(one, schema).get_column(name)
    same = one.get_column(name).cast(pl.String) == coarse.cast(pl.String)
    return same.fill_null(False).to_numpy()  # type: ignore[no-any-return]


def leak_check(
    real: Any, synthetic: Any, schema: Any, *, rng: np.random.Generator | None = None
) -> tuple[Any, LeakReport]:
    """Check (and for faked/hashed columns, repair) ``synthetic`` against ``real``.

    Returns the (possibly repaired) synthetic table, same type as given, and the report.
    Raises ``PIILeakError`` naming every column that still holds a real PII value.
    """
    from tabsynth.data import from_polars, to_polars
    from tabsynth.pii.policies import fake_values, pii_key, pseudonym

    rng = rng or np.random.default_rng()
    real_pl, _ = to_polars(real)
    syn_pl, kind = to_polars(synthetic)
    report = LeakReport(checked=[])
    for col in schema.columns:
        if col.pii is None or col.name not in real_pl.columns or col.name not in syn_pl.columns:
            continue
        report.checked.append(col.name)
        exact, norm = _values(_as_dates(real_pl.get_column(col.name), col))
        hit = _hits(_as_dates(syn_pl.get_column(col.name), col), exact, norm)
        policy = col.pii.policy.value
        if hit.any() and policy in ("fake", "hash"):
            k = int(hit.sum())
            new = fake_values(col.pii.entity, k, rng, col.pii.locale, exclude=exact)
            if policy == "hash":
                key = pii_key()
                new = [pseudonym(v, key) for v in new]
            vals = syn_pl.get_column(col.name).cast(pl.String).to_numpy().astype(object)
            vals[hit] = [str(v) for v in new]
            syn_pl = syn_pl.with_columns(pl.Series(col.name, vals.tolist(), dtype=pl.String))
            report.redrawn[col.name] = k
            hit = _hits(syn_pl.get_column(col.name), exact, norm)
        if hit.any() and policy == "generalize":
            hit &= ~_at_grain(syn_pl.select(col.name), schema, col.name)
        if hit.any():
            report.leaks[col.name] = int(hit.sum())
    if report.leaks:
        detail = ", ".join(f"{c}: {k} row(s)" for c, k in report.leaks.items())
        raise PIILeakError(
            f"the release holds real values of PII columns ({detail}). Fix: use the drop, "
            "fake or hash policy for these columns, or generalize them further."
        )
    return from_polars(syn_pl, kind), report
