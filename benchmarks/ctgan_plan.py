"""DP-CTGAN's training planner across table sizes and budgets: what it chose, what it gave.

    python benchmarks/ctgan_plan.py            # the size x epsilon table -> CTGAN.md
    python benchmarks/ctgan_plan.py --table fertility   # the same grid up to 20,000 rows
    python benchmarks/ctgan_plan.py --shares   # the histograms' share, planned vs 0.2
    python benchmarks/ctgan_plan.py --quick    # two cells (smoke run)

Size x epsilon: DoctorContacts (the benchmark split of ``benchmarks/run.py``: 80/20, seed 0),
DP-CTGAN with every training option left to the planner, fitted on seeded samples of 500,
1,000, 2,000, 5,000 and 16,148 (the whole training part) rows at epsilon 0.5, 1 and 3 (delta
1e-6), ``--repeats`` fits each (default 2), scored against the same 20% holdout: the plan
(epochs, expected batch, steps, noise multiplier, histograms' share), fit seconds, SDMetrics
quality, TSTR/real (gradient boosting) and mean 3-way TVD, with the DP copula on the same
rows beside it. ``--table fertility`` runs the same grid on AER's Fertility (1980 US Census,
254,654 rows, 8 columns; benchmark-only, schema in ``benchmarks/schemas``) with 20,000 rows as
the largest cell, which DoctorContacts (20,186 rows in all) cannot give.

``--shares``: the planned share of the column histograms against the fixed 0.2 of earlier
versions, on the three bundled tables with a target (credit_data, doctor_contacts,
health_insurance) at 500 to 5,000 rows, epsilon 1, ``--repeats`` fits each: the ablation the
rule was chosen from (bundled tables only).

Both write their section of ``CTGAN.md`` (between markers; the rest of the file is
``ctgan_peers.py``'s) and ``results/ctgan-plan.json`` / ``results/ctgan-shares.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import tabsynth  # noqa: E402
from benchmarks.protocol import quality  # noqa: E402
from benchmarks.run import prepare  # noqa: E402
from tabsynth.evaluation.fidelity import fidelity  # noqa: E402
from tabsynth.evaluation.utility import tstr_auc  # noqa: E402

SIZES = (500, 1000, 2000, 5000, 20000)  # capped at the training part's size
EPSILONS = (0.5, 1.0, 3.0)
SHARE_TABLES = ("credit_data", "doctor_contacts", "health_insurance")
SHARE_SIZES = (500, 1000, 2000, 5000)
METRICS = ("quality", "tstr_ratio", "three_way_tvd")


def score(part: Any, holdout: Any, schema: Any, model: Any, real: float, seed: int) -> dict:
    cols = [c.name for c in schema.modelled_columns]
    syn = model.sample(len(part), seed=seed, as_frame="pandas")
    return {
        "quality": quality(part[cols], syn[cols])["quality"],
        "tstr_ratio": tstr_auc(syn[cols], holdout[cols], schema.target) / real,
        "three_way_tvd": fidelity(part, syn, schema)["three_way_tvd"],
    }


def fit_one(part: Any, holdout: Any, schema: Any, model: str, eps: float, real: float,
            seed: int, **opts: Any) -> dict:  # fmt: skip
    t0 = time.perf_counter()
    try:
        m = tabsynth.fit(part, schema, model, epsilon=eps, **opts)
    except tabsynth.PrivacyError as exc:
        return {"refused": str(exc)[:160]}
    out: dict[str, Any] = {"fit_s": time.perf_counter() - t0}
    out.update(score(part, holdout, schema, m, real, seed))
    if model == "ctgan":
        sgd = next(x for x in m.privacy.mechanisms if x.name.startswith("DP-SGD on the disc"))
        out.update(plan=m.plan_["chosen"], epochs=m.config_.epochs, steps=m.steps_,
                   batch_size=m.config_.batch_size, share=m.plan_["marginal_share"],
                   noise_multiplier=sgd.sigma / sgd.sensitivity)  # fmt: skip
    return out


def mean_of(fits: list[dict]) -> dict:
    ok = [f for f in fits if "refused" not in f]
    if not ok:
        return fits[0]
    out = {k: v for k, v in ok[0].items() if k not in METRICS and k != "fit_s"}
    for k in (*METRICS, "fit_s"):
        vals = [f[k] for f in ok]
        out[k] = statistics.fmean(vals)
        out[k + "_sd"] = statistics.stdev(vals) if len(vals) > 1 else 0.0
    out["fits"] = len(ok)
    return out


def size_grid(table: str, repeats: int, quick: bool) -> list[dict]:
    train, holdout, schema = prepare(table)
    cols = [c.name for c in schema.modelled_columns]
    real = tstr_auc(train[cols], holdout[cols], schema.target)
    grid = [(500, 1.0), (2000, 3.0)] if quick else [(n, e) for e in EPSILONS for n in SIZES]
    rows = []
    for n, eps in grid:
        part = train.sample(min(n, len(train)), random_state=0).reset_index(drop=True)
        row = {"rows": len(part), "epsilon": eps}
        for model in ("ctgan", "copula"):
            fits = [fit_one(part, holdout, schema, model, eps, real, r) for r in range(repeats)]
            row[model] = mean_of(fits)
        rows.append(row)
        print(json.dumps(row, default=lambda v: round(v, 3)), flush=True)
    return rows


def share_grid(repeats: int) -> list[dict]:
    rows = []
    for table in SHARE_TABLES:
        train, holdout, schema = prepare(table)
        cols = [c.name for c in schema.modelled_columns]
        real = tstr_auc(train[cols], holdout[cols], schema.target)
        for n in SHARE_SIZES:
            part = train.sample(min(n, len(train)), random_state=0).reset_index(drop=True)
            row: dict[str, Any] = {"table": table, "rows": len(part), "epsilon": 1.0}
            for name, opts in (("planned", {}), ("fixed 0.2", {"marginal_share": 0.2})):
                fits = [fit_one(part, holdout, schema, "ctgan", 1.0, real, r, **opts)
                        for r in range(repeats)]  # fmt: skip
                row[name] = mean_of(fits)
            rows.append(row)
            print(json.dumps(row, default=lambda v: round(v, 3)), flush=True)
    return rows


def _m(r: dict, k: str) -> str:
    return f"{r[k]:.3f} ± {r[k + '_sd']:.3f}" if r.get("fits", 1) > 1 else f"{r[k]:.3f}"


TABLE_TEXT = {
    "doctor_contacts": ("", "DoctorContacts", "The largest cell is the whole training part "
                        "(16,148 rows; the table has no 20,000 training rows)."),
    "fertility": (" on 20,000 rows", "AER's Fertility (1980 US Census, benchmark-only)",
                  "Seeded samples of its 203,723 training rows."),
}  # fmt: skip


def size_markdown(rows: list[dict], meta: dict) -> str:
    title, table, note = TABLE_TEXT[meta["table"]]
    flag = "" if meta["table"] == "doctor_contacts" else f" --table {meta['table']}"
    lines = [
        f"## The training planner by table size and epsilon{title}",
        "",
        f"Generated by `python benchmarks/ctgan_plan.py{flag}` on {meta['when']} "
        f"({meta['machine']}). {table}, every DP-CTGAN option left to the planner, mean ± sd of "
        f"{meta['repeats']} fits per cell, scored on the benchmark holdout "
        f"({meta['holdout']:,} rows); the DP copula on the same rows beside it. {note}",
        "",
        "| rows | epsilon | plan: epochs x batch, steps, noise multiplier, histograms | fit s "
        "| quality | TSTR/real | 3-way TVD | copula quality | copula TSTR/real "
        "| copula 3-way TVD |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c, p = r["ctgan"], r["copula"]
        if "refused" in c:
            lines.append(f"| {r['rows']:,} | {r['epsilon']:g} | refused: {c['refused']} |"
                         " | | | | | | |")  # fmt: skip
            continue
        plan = (f"{c['plan']}: {c['epochs']} x {c['batch_size']}, {c['steps']}, "
                f"{c['noise_multiplier']:.2f}, {c['share']:.2f}")  # fmt: skip
        lines.append(
            f"| {r['rows']:,} | {r['epsilon']:g} | {plan} | {c['fit_s']:.1f} | {_m(c, 'quality')} "
            f"| {_m(c, 'tstr_ratio')} | {c['three_way_tvd']:.3f} | {p['quality']:.3f} "
            f"| {p['tstr_ratio']:.3f} | {p['three_way_tvd']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def share_markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        "## The column histograms' share: planned from the DP row count, or a fixed 0.2",
        "",
        f"Generated by `python benchmarks/ctgan_plan.py --shares` on {meta['when']} "
        f"({meta['machine']}). Bundled tables, epsilon 1, mean ± sd of {meta['repeats']} fits "
        "per cell, everything else left to the planner.",
        "",
        "| table | rows | planned share | quality (planned) | quality (0.2) | TSTR/real (planned) "
        "| TSTR/real (0.2) | 3-way TVD (planned) | 3-way TVD (0.2) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        a, b = r["planned"], r["fixed 0.2"]
        if "refused" in a or "refused" in b:
            lines.append(f"| {r['table']} | {r['rows']:,} | refused | | | | | | |")
            continue
        lines.append(
            f"| {r['table']} | {r['rows']:,} | {a['share']:.2f} | {_m(a, 'quality')} "
            f"| {_m(b, 'quality')} | {_m(a, 'tstr_ratio')} | {_m(b, 'tstr_ratio')} "
            f"| {a['three_way_tvd']:.3f} | {b['three_way_tvd']:.3f} |"
        )
    ok = [r for r in rows if "refused" not in r["planned"] and "refused" not in r["fixed 0.2"]]
    if ok:
        avg = {
            (v, k): statistics.fmean(r[v][k] for r in ok)
            for v in ("planned", "fixed 0.2")
            for k in METRICS
        }
        lines.append(
            f"| **mean** | | | **{avg['planned', 'quality']:.3f}** | "
            f"{avg['fixed 0.2', 'quality']:.3f} | **{avg['planned', 'tstr_ratio']:.3f}** | "
            f"{avg['fixed 0.2', 'tstr_ratio']:.3f} | **{avg['planned', 'three_way_tvd']:.3f}** "
            f"| {avg['fixed 0.2', 'three_way_tvd']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def write_section(path: Path, name: str, text: str) -> None:
    """Replace (or append) the section between ``<!-- name -->`` markers in ``path``."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    old = path.read_text() if path.exists() else ""
    block = f"{start}\n{text}{end}\n"
    if start in old and end in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end) + 1 :]
    else:
        new = old.rstrip("\n") + "\n\n" + block
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new)
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="two cells, nothing written")
    ap.add_argument("--shares", action="store_true", help="the histograms' share ablation")
    ap.add_argument("--repeats", type=int, default=2, help="fits per cell (default 2)")
    ap.add_argument("--table", choices=sorted(TABLE_TEXT), default="doctor_contacts",
                    help="the size grid's table (default doctor_contacts)")  # fmt: skip
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    meta = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "repeats": args.repeats,
    }
    if args.shares:
        rows, name, md = share_grid(args.repeats), "shares", share_markdown
    else:
        rows, md = size_grid(args.table, args.repeats, args.quick), size_markdown
        name = "plan" if args.table == "doctor_contacts" else f"plan-{args.table}"
        meta.update(table=args.table, holdout=len(prepare(args.table)[1]))
    if args.quick:
        return
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / f"ctgan-{name}.json"
    out.write_text(json.dumps({"meta": meta, "rows": rows}))
    write_section(HERE / "CTGAN.md", f"ctgan-{name}", md(rows, meta))
    print(f"wrote {HERE / 'CTGAN.md'} and {out}")


if __name__ == "__main__":
    main()
