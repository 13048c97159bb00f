"""What ``schema infer`` guessed, column by column, and why: the table the steward reviews."""

from __future__ import annotations

from typing import Any

WHY = {
    "numerical": "numbers; bounds = the data's min/max: set public ones",
    "datetime": "dates; bounds = the data's first/last: set public ones",
    "categorical": "few distinct values, read from the data: use the code list",
    "boolean": "two values (true/false, yes/no, 1/0)",
    "identifier": "an identifier: not modelled, fresh ids generated",
    "text": "free text: not modelled",
}


def _domain(col: Any) -> str:
    if getattr(col, "derived", None) is not None:
        return f"derived from {', '.join(col.derived.sources())}"
    if col.kind == "categorical":
        return f"{len(col.categories)} categories" + (f" + {col.other!r}" if col.other else "")
    if col.kind == "numerical":
        return f"[{col.lower:g}, {col.upper:g}]" + (" integers" if col.integer else "")
    if col.kind == "datetime":
        return f"[{col.lower:%Y-%m-%d}, {col.upper:%Y-%m-%d}]"
    if col.kind == "boolean":
        return "true/false"
    return "—"


def guesses(schema: Any) -> list[dict[str, str]]:
    """One row per column: column, kind, domain, PII entity, policy, why."""
    rows = []
    for col in schema.columns:
        note = (col.description or "").removeprefix("DRAFT: ").removeprefix("review. ")
        why = note.split(". Review")[0] if note else WHY.get(col.kind, "")
        rows.append(
            {
                "column": col.name,
                "kind": col.kind,
                "domain": _domain(col),
                "pii": col.pii.entity if col.pii else "—",
                "policy": col.pii.policy.value if col.pii else "—",
                "why": why,
            }
        )
    if schema.privacy_unit is not None:
        rows.append(
            {
                "column": schema.privacy_unit,
                "kind": "privacy unit",
                "domain": f"at most {schema.max_rows_per_unit} rows each",
                "pii": "—",
                "policy": "—",
                "why": "its values repeat: several rows per person",
            }
        )
    return rows


def guess_table(schema: Any, width: int = 100) -> str:
    """The guesses as aligned text lines, the reason cut to fit ``width``."""
    rows = guesses(schema)
    cols = ("column", "kind", "domain", "pii", "policy")
    sizes = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    used = sum(sizes.values()) + 2 * len(cols)
    room = max(20, width - used)

    def line(r: dict[str, str]) -> str:
        why = r["why"] if len(r["why"]) <= room else r["why"][: room - 1] + "…"
        return "  ".join(r[c].ljust(sizes[c]) for c in cols) + "  " + why

    head = {**{c: c for c in cols}, "why": "why"}
    return "\n".join([line(head), *(line(r) for r in rows)])
