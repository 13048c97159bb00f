"""Structural declarations on the loans table: declared (computed at sampling) or modelled.

    python benchmarks/derived.py                      # loans, epsilon 1, 3 paired fits
    python benchmarks/derived.py --repeats 5 --epsilon 0.3

The loans schema declares ``grade`` a public map of ``sub_grade`` (Lending Club's grades
A1-G5 roll up to A-G) and ``paid_total`` the sum of principal, interest and late fees paid
(``tabsynth.schema.derived``), and ``annual_income_joint`` and ``debt_to_income_joint``
present exactly on joint applications (``present_when``). This fits the copula with all of
them, with the derived columns only, and with none (the columns then modelled like any
other), fit *k* of each drawing its noise from seed *k* (NOT FOR RELEASE; the schemas have
different columns, so the noise is not paired cell by cell). Scores: the share of synthetic
rows whose grade is not their sub-grade's letter, whose paid_total is off the sum by more
than a cent, and whose joint fields are present where the application is not joint or
missing where it is; SDMetrics quality and pair trends; 3-way TVD; fit + sample seconds.
Writes
``results/derived-<time>.json`` and ``DERIVED.md``.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.ablation import paired_args, save_run  # noqa: E402
from benchmarks.protocol import prepare, quality  # noqa: E402

PARTS = ["paid_principal", "paid_interest", "paid_late_fees"]


JOINT = ["annual_income_joint", "debt_to_income_joint"]


def undeclared(schema: Any, keys: tuple[str, ...] = ("derived", "present_when")) -> Any:
    """``schema`` with the declarations ``keys`` removed (the columns modelled as any other)."""
    cols = [c.model_copy(update=dict.fromkeys(keys)) for c in schema.columns]
    return schema.model_copy(update={"columns": cols})


def broken(syn: Any) -> dict[str, float]:
    """Shares of rows breaking the loans table's two functions."""
    grade = float((syn["grade"] != syn["sub_grade"].astype(str).str[0]).mean())
    total = syn[PARTS].astype(float).sum(axis=1).clip(0, 50_000)
    paid = float(((syn["paid_total"].astype(float) - total).abs() > 0.011).mean())
    joint = syn["application_type"] == "joint"
    present = float(sum((syn[c].notna() != joint).mean() for c in JOINT) / len(JOINT))
    return {"grade_broken": grade, "paid_total_broken": paid, "presence_broken": present}


def run(epsilon: float, repeats: int) -> dict[str, Any]:
    import tabsynth
    from tabsynth.evaluation.fidelity import fidelity

    train, _, schema = prepare("loans")
    out: dict[str, Any] = {}
    variants = (
        ("declared", schema),
        ("derived only", undeclared(schema, ("present_when",))),
        ("modelled", undeclared(schema)),
    )
    for label, sch in variants:
        rows = []
        for r in range(repeats):
            t0 = time.perf_counter()
            m = tabsynth.fit(train, sch, "copula", epsilon=epsilon, seed=r, reproducible_noise=True)
            syn = m.sample(len(train), seed=r, as_frame="pandas")
            seconds = time.perf_counter() - t0
            q = quality(train, syn)
            rows.append(
                broken(syn)
                | {
                    "quality": q["quality"],
                    "pairs": q["column_pair_trends"],
                    "three_way_tvd": fidelity(train, syn, schema)["three_way_tvd"],
                    "seconds": seconds,
                }
            )
        out[label] = {k: statistics.fmean(x[k] for x in rows) for k in rows[0]}
        print(label, {k: round(v, 3) for k, v in out[label].items()}, flush=True)
    return out


def to_markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Structural declarations on loans: derived columns and present_when",
        "",
        f"`{meta['command']}` ({meta['date']}; the copula at epsilon {meta['epsilon']}, "
        f"{meta['repeats']} fits each, reproducible noise). 'grade broken': synthetic rows "
        "whose grade is not their sub-grade's letter; 'paid_total broken': off the sum of "
        "principal, interest and late fees by more than a cent; 'joint fields broken': "
        "annual_income_joint and debt_to_income_joint present off a joint application or "
        "missing on one (their mean).",
        "",
        "| schema | grade broken | paid_total broken | joint fields broken | quality | pairs | "
        "3-way TVD | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, r in results.items():
        lines.append(
            f"| {label} | {r['grade_broken']:.1%} | {r['paid_total_broken']:.1%} | "
            f"{r['presence_broken']:.1%} | "
            f"{r['quality']:.3f} | {r['pairs']:.3f} | {r['three_way_tvd']:.3f} | "
            f"{r['seconds']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = paired_args(__doc__)
    p.set_defaults(tables="loans")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    results = run(args.epsilon, args.repeats)
    meta = save_run(args, "derived.py", "derived", results, argv)
    (args.out / "DERIVED.md").write_text(to_markdown(results, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
