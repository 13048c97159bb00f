"""Person-level against row-level privacy on a panel: what protecting each person costs.

    python benchmarks/units.py          # writes results/units.json and UNITS.md
    python benchmarks/units.py --quick  # one fit each on a slice (smoke run)

The DoctorContacts panel (``doctor_contacts_panel``: 7,428 people with 1-5 yearly rows, the
person rebuilt from person-level columns) is split by person, 80/20 with seed 0, so no
person has rows on both sides. The DP copula and DP-CTGAN at epsilon 1 are each fitted twice
over: row-level
(the certificate covers one row; a person with k rows is covered at about k x epsilon) and
person-level (``privacy_unit: person_id``, at most 5 rows per person: every sensitivity x5).
Scores as in BENCHMARKS.md (SDMetrics quality, TSTR/real, 3-way TVD), plus two attacks on
the release: the row-level membership AUC, and a person-level linkage AUC, where a person's
score is minus the distance of their nearest row to the release (train people against
holdout people; 0.5 is a coin flip). Mean ± sd of 3 fits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import tabsynth  # noqa: E402
from benchmarks.protocol import quality, tstr_auc  # noqa: E402
from tabsynth.datasets import load_example  # noqa: E402
from tabsynth.evaluation.fidelity import fidelity  # noqa: E402
from tabsynth.evaluation.privacy import _auc, embed, nearest_distance, privacy_risk  # noqa: E402


def person_split(df: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    people = df["person_id"].unique()
    perm = np.random.default_rng(seed).permutation(len(people))
    train_people = set(people[perm[: int(0.8 * len(people))]])
    inside = df["person_id"].isin(train_people)
    return df[inside].reset_index(drop=True), df[~inside].reset_index(drop=True)


def linkage_auc(
    train: pd.DataFrame, holdout: pd.DataFrame, syn: pd.DataFrame, schema: Any
) -> float:
    """Train people against holdout people, each scored by minus the distance of their
    nearest row to the release (at most 2,000 people a side, seed 0)."""
    s = embed(syn, schema)

    def scores(frame: pd.DataFrame) -> np.ndarray:
        d = nearest_distance(embed(frame, schema), s)
        best = pd.Series(d).groupby(frame["person_id"].to_numpy()).min()
        return -best.to_numpy()

    rng = np.random.default_rng(0)
    a, b = scores(train), scores(holdout)
    m = min(len(a), len(b), 2000)
    return _auc(rng.choice(a, m, replace=False), rng.choice(b, m, replace=False))


def run(quick: bool, models: tuple[str, ...] = ("copula", "ctgan")) -> dict[str, Any]:
    df, unit_schema = load_example("doctor_contacts_panel")
    if quick:
        df = df[df["person_id"].isin(df["person_id"].unique()[:600])]
    train, holdout = person_split(df)
    row_schema = tabsynth.Schema.from_dict(
        {**unit_schema.model_dump(mode="json"), "privacy_unit": None, "max_rows_per_unit": 1}
    )
    model_cols = [c.name for c in unit_schema.modelled_columns]
    real_auc = tstr_auc(train[model_cols], holdout[model_cols], unit_schema.target)
    out: dict[str, Any] = {
        "rows_train": len(train),
        "people_train": int(train["person_id"].nunique()),
        "real_auc": real_auc,
        "systems": {},
    }
    cases = [
        (f"{model} {level}-level eps=1", model, schema)
        for model in models
        for level, schema in (("row", row_schema), ("person", unit_schema))
    ]
    for label, model, schema in cases:
        runs = []
        for _ in range(1 if quick else 3):
            kw = {"epochs": 1, "batch_size": 200} if quick and model == "ctgan" else {}
            m = tabsynth.fit(train, schema, model, epsilon=1.0, **kw)
            syn = m.sample(len(train), seed=0)
            runs.append(
                {
                    **{k: v for k, v in quality(train[model_cols], syn[model_cols]).items()},
                    "tstr_ratio": tstr_auc(syn[model_cols], holdout[model_cols], schema.target)
                    / real_auc,
                    "three_way_tvd": fidelity(train, syn, schema)["three_way_tvd"],
                    "mia_auc": privacy_risk(train, syn, holdout, schema, n_boot=20)["mia_auc"],
                    "linkage_auc": linkage_auc(train, holdout, syn, schema),
                }
            )
        keys = runs[0].keys()
        entry = {k: statistics.mean(r[k] for r in runs) for k in keys}
        entry |= {f"{k}_sd": statistics.pstdev(r[k] for r in runs) for k in keys}
        entry["guarantee"] = m.privacy.label()
        out["systems"][label] = entry
        print(label, {k: round(entry[k], 3) for k in keys}, flush=True)
    return out


def to_markdown(res: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Person-level privacy on a panel",
        "",
        f"Generated by `python benchmarks/units.py` on {meta['when']} ({meta['machine']}). "
        f"DoctorContacts panel split by person (80/20, seed 0): {res['rows_train']:,} train rows "
        f"of {res['people_train']:,} people; real TSTR AUC {res['real_auc']:.3f}. Epsilon 1, "
        "mean ± sd of 3 fits. Linkage AUC: train people against holdout people, "
        "each scored by the distance of their nearest row to the release (0.5 = coin flip).",
        "",
        "| guarantee | quality | TSTR/real | 3-way TVD | MIA AUC (rows) | linkage AUC (people) |",
        "|---|---|---|---|---|---|",
    ]
    for label, e in res["systems"].items():
        lines.append(
            f"| {label}: {e['guarantee']} | {e['quality']:.3f} ± {e['quality_sd']:.3f} | "
            f"{e['tstr_ratio']:.3f} ± {e['tstr_ratio_sd']:.3f} | {e['three_way_tvd']:.3f} | "
            f"{e['mia_auc']:.3f} | {e['linkage_auc']:.3f} ± {e['linkage_auc_sd']:.3f} |"
        )
    lines += [
        "",
        "Row-level epsilon 1 covers one row: a person with five yearly rows is covered only at "
        "about epsilon 5. Person-level epsilon 1 covers all of a person's rows, at the price of "
        "noise five times larger on every measurement.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--models", default="copula,ctgan", help="comma-separated models")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    res = run(args.quick, tuple(args.models.split(",")))
    meta = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    if args.quick:
        return
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "units.json").write_text(json.dumps({"meta": meta, **res}, indent=2))
    (HERE / "UNITS.md").write_text(to_markdown(res, meta))
    print(f"wrote {HERE / 'UNITS.md'}")


if __name__ == "__main__":
    main()
