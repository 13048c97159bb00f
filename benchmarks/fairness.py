"""Fair synthetic data and stress scenarios on public tables: what they change, measured.

    python benchmarks/fairness.py     # writes results/fairness.json and FAIRNESS.md

Fairness: for each (table, protected attribute), fit the DP copula at epsilon 1 on the
protocol's train split and sample len(train) rows three ways: plain, rebalanced to equal
group shares, and fair (``fair=``: the target has the same distribution in every group).
The protocol's classifier is trained on real data and on each synthetic variant and scored
on the real holdout: AUC overall (TSTR/real) and per group, and the demographic-parity and
equal-opportunity gaps of its predictions. Means of 3 fits (secure noise differs per fit).

Stress: for each bundled table, the share of rows in rare pairs (cells of a pair of columns
holding under 1% of the REAL train rows, numbers in real quartiles) in a plain sample and
in ``scenario="rare"`` samples of the same model (factor 5 and 10). Means of 3 fits.
"""

from __future__ import annotations

import json
import statistics
import sys
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import tabsynth  # noqa: E402
from benchmarks.protocol import prepare  # noqa: E402
from tabsynth.evaluation.fairness import fairness  # noqa: E402
from tabsynth.evaluation.rarity import rare_pair_rows  # noqa: E402

# (table, protected attribute, synthetic rows: None = len(train)). Fertility: a modest
# release (20,000 rows) of a large table, whose minority group is then data-starved
CASES = [
    ("health_insurance", "ethnicity", None),
    ("credit_data", "Marital", None),
    ("fertility", "afam", 20_000),
]
STRESS_TABLES = ["health_insurance", "doctor_contacts", "credit_data", "loans"]
FACTORS = (5, 10)
METRICS = ("auc", "demographic_parity_gap", "equal_opportunity_gap")


def _protected(schema: Any, attribute: str) -> Any:
    if schema.column(attribute).protected:
        return schema
    d = schema.model_dump(mode="json")
    for c in d["columns"]:
        if c["name"] == attribute:
            c["protected"] = True
    return tabsynth.Schema.from_dict(d)


def _one(name: str, attribute: str, rows: int | None, repeats: int = 3) -> dict[str, Any]:
    train, holdout, schema = prepare(name)
    schema = _protected(schema, attribute)
    runs = []
    for r in range(repeats):
        model = tabsynth.fit(train, schema, epsilon=1.0)
        n = rows or len(train)
        syn = model.sample(n, seed=r)
        reb = model.sample(n, seed=r, rebalance={attribute: "uniform"})
        fair = model.sample(n, seed=r, fair={"target": schema.target, "protected": [attribute]})
        res = fairness(train, syn, holdout, schema, rebalanced=reb, fair=fair)
        runs.append(res["attributes"][attribute])
    out: dict[str, Any] = {"shares": runs[0]["shares"], "rows": n, "models": {}}
    for system in runs[0]["models"]:
        groups = runs[0]["models"][system]["auc_by_group"]
        entry: dict[str, Any] = {
            "auc_by_group": {
                g: statistics.fmean(r["models"][system]["auc_by_group"][g] or 0.5 for r in runs)
                for g in groups
            }
        }
        for k in METRICS:
            entry[k] = statistics.fmean(r["models"][system][k] or 0.5 for r in runs)
        out["models"][system] = entry
    out["real_auc"] = out["models"]["real"]["auc"]
    for entry in out["models"].values():
        entry["tstr_ratio"] = entry["auc"] / out["real_auc"]
    return out


def _stress(name: str, repeats: int = 3, rows: int = 20_000) -> dict[str, Any]:
    train, _, schema = prepare(name)
    acc: dict[str, list[float]] = {}
    for r in range(repeats):
        model = tabsynth.fit(train, schema, epsilon=1.0)
        plain = model.sample(rows, seed=r)
        acc.setdefault("plain", []).append(float(rare_pair_rows(train, plain, schema).mean()))
        for f in FACTORS:
            out = model.sample(rows, seed=r, scenario={"name": "rare", "factor": f})
            info = model.last_sample_report_["scenario"]
            acc.setdefault(f"model_plain_{f}", []).append(info["rare_share_plain"])
            acc.setdefault(f"model_rare_{f}", []).append(info["rare_share"])
            acc.setdefault(f"rare_{f}", []).append(float(rare_pair_rows(train, out, schema).mean()))
    return {k: statistics.fmean(v) for k, v in acc.items()}


def _fair_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    for key, res in results.items():
        groups = list(next(iter(res["models"].values()))["auc_by_group"])
        shares = res["shares"]
        lines += [
            f"### {key} ({res['rows']:,} synthetic rows per fit, real AUC {res['real_auc']:.3f})",
            "",
            "| trained on | TSTR/real | "
            + " | ".join(f"AUC {g} ({shares['real'].get(g, 0):.1%})" for g in groups)
            + " | parity gap | equal-opportunity gap |",
            "|---|---|" + "---|" * (len(groups) + 2),
        ]
        for system, m in res["models"].items():
            lines.append(
                f"| {system} | {m['tstr_ratio']:.3f} | "
                + " | ".join(f"{m['auc_by_group'][g]:.3f}" for g in groups)
                + f" | {m['demographic_parity_gap']:.3f} | {m['equal_opportunity_gap']:.3f} |"
            )
        lines.append("")
    return lines


def _stress_lines(stress: dict[str, Any]) -> list[str]:
    head = " | ".join(f"rare x{f}: model's / real" for f in FACTORS)
    lines = [
        "| table | plain: real rare pairs | " + head + " | ratio to plain (real) |",
        "|---|---|" + "---|" * (len(FACTORS) + 1),
    ]
    for name, s in stress.items():
        cells = " | ".join(
            f"{s[f'model_plain_{f}']:.1%} -> {s[f'model_rare_{f}']:.1%} / {s[f'rare_{f}']:.1%}"
            for f in FACTORS
        )
        ratios = ", ".join(f"x{f}: {s[f'rare_{f}'] / max(s['plain'], 1e-9):.2f}" for f in FACTORS)
        lines.append(f"| {name} | {s['plain']:.1%} | {cells} | {ratios} |")
    return lines


def main() -> int:
    warnings.simplefilter("ignore")
    only = set(sys.argv[1:])
    results = {f"{t}/{a}": _one(t, a, n) for t, a, n in CASES if not only or t in only}
    stress = {t: _stress(t) for t in STRESS_TABLES if not only or t in only}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "fairness.json").write_text(
        json.dumps({"fairness": results, "stress": stress}, indent=2)
    )
    lines = [
        "# Fair synthetic data and stress scenarios (epsilon 1)",
        "",
        "Generated by `python benchmarks/fairness.py` (means of 3 fits of the DP copula on "
        "the protocol's train split).",
        "",
        "## Plain, rebalanced and fair synthetic data",
        "",
        "The protocol's classifier trained on each table, scored on the real holdout. "
        "*rebalanced*: equal shares of the protected groups; *fair*: `fair=` (the target "
        "has its overall distribution in every group, the groups keep their shares). "
        "Parity gap: spread of the predicted positive rate over the groups; "
        "equal-opportunity gap: spread of the true-positive rate.",
        "",
        *_fair_lines(results),
        "## The rare scenario",
        "",
        "Share of rows in rare pairs: a cell of some pair of columns holding under 1% of "
        "the real train rows (numbers in real quartiles; "
        "`tabsynth.evaluation.rarity.rare_pair_rows`), in a plain sample of 20,000 rows "
        "and in `scenario={'name': 'rare', 'factor': f}` samples of the same model. "
        "*model's*: rows rare in the model's own distribution, which is what the scenario "
        "reads (plain -> scenario); *real*: the same rows judged by the real table. Where "
        "a plain sample already holds a third of its rows in rare pairs, no sample can "
        "triple it; on a wide table (loans: 1,000+ pairs) every row holds some rare pair, "
        "and the scenario says so in its manifest (its share in a plain sample).",
        "",
        *_stress_lines(stress),
        "",
    ]
    text = "\n".join(lines)
    (HERE / "FAIRNESS.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
