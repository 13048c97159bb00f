"""Side-by-side benchmark of tabsynth against its peers, on the protocol of BENCHMARKS.md.

    python benchmarks/run.py                 # full run: writes results/*.json and RESULTS.md
    python benchmarks/run.py --quick         # smoke run on small slices (used by the tests)

Needs ``pip install -e ".[bench]"`` (SDV and SDMetrics are BUSL-1.1: benchmark-only).
Every system runs in this one process on the same split, so timings are comparable as ratios.
tabsynth's DP fits draw secure noise, so each (table, epsilon) is repeated and averaged.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.protocol import prepare, quality, tstr_auc  # noqa: E402

TABLES = ["health_insurance", "doctor_contacts", "credit_data"]
EPSILONS: list[float | None] = [0.3, 1.0, 3.0, None]
SPEED_ROWS = 1_000_000


def _time(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _score(
    train: pd.DataFrame, holdout: pd.DataFrame, syn: pd.DataFrame, target: str, real_auc: float
) -> dict[str, float]:
    q = quality(train, syn)
    auc = tstr_auc(syn[train.columns], holdout, target)
    return {**q, "tstr_auc": auc, "tstr_ratio": auc / real_auc}


def run_tabsynth(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Any,
    eps: float | None,
    real_auc: float,
    repeats: int,
) -> dict[str, Any]:
    import tabsynth

    runs = []
    for r in range(repeats):
        model, fit_s = _time(lambda: tabsynth.fit(train, schema, epsilon=eps))
        syn, sample_s = _time(lambda m=model, r=r: m.sample(len(train), seed=r))
        runs.append(
            {
                **_score(train, holdout, syn, schema.target, real_auc),
                "fit_s": fit_s,
                "sample_s": sample_s,
            }
        )
    out = _mean(runs)
    out["epsilon_spent"] = model.privacy.epsilon
    big_s = statistics.median(
        _time(lambda: model.sample(SPEED_ROWS, seed=0, as_frame="polars"))[1] for _ in range(3)
    )
    out["rows_per_s"] = SPEED_ROWS / big_s
    return out


def run_sdv_copula(
    train: pd.DataFrame, holdout: pd.DataFrame, target: str, real_auc: float
) -> dict[str, Any]:
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = Metadata.detect_from_dataframes({"table": train})
        synth = GaussianCopulaSynthesizer(meta)
        _, fit_s = _time(lambda: synth.fit({"table": train}))  # SDV 2.x takes a dict
        syn, sample_s = _time(lambda: _table(synth.sample(len(train))))
        _, big_s = _time(lambda: _table(synth.sample(SPEED_ROWS // 10)))
    return {
        **_score(train, holdout, syn, target, real_auc),
        "fit_s": fit_s,
        "sample_s": sample_s,
        "rows_per_s": SPEED_ROWS / 10 / big_s,
    }


def _table(out: Any) -> pd.DataFrame:
    """SDV 2.x returns {"table": df} from sample; older versions a DataFrame."""
    return out["table"] if isinstance(out, dict) else out


def _mean(runs: list[dict[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {k: statistics.fmean(r[k] for r in runs) for k in runs[0]}
    if len(runs) > 1:
        for k in ("quality", "tstr_ratio"):
            out[f"{k}_sd"] = statistics.stdev(r[k] for r in runs)
    out["repeats"] = len(runs)
    return out


def benchmark(
    tables: list[str], epsilons: list[float | None], repeats: int, quick: bool
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in tables:
        train, holdout, schema = prepare(name)
        if quick:
            train, holdout = train.head(1500), holdout.head(500)
        real_auc = tstr_auc(train, holdout, schema.target)
        entry: dict[str, Any] = {"rows_train": len(train), "real_auc": real_auc, "systems": {}}
        for eps in epsilons:
            label = f"tabsynth copula eps={eps}" if eps is not None else "tabsynth copula (non-DP)"
            entry["systems"][label] = run_tabsynth(train, holdout, schema, eps, real_auc, repeats)
            print(name, label, _brief(entry["systems"][label]), flush=True)
        entry["systems"]["SDV GaussianCopula (non-DP)"] = run_sdv_copula(
            train, holdout, schema.target, real_auc
        )
        print(name, "SDV", _brief(entry["systems"]["SDV GaussianCopula (non-DP)"]), flush=True)
        results[name] = entry
    return results


def _brief(r: dict[str, Any]) -> str:
    return (
        f"quality {r['quality']:.3f} tstr/real {r['tstr_ratio']:.3f} "
        f"fit {r['fit_s']:.2f}s sample {r['sample_s']:.2f}s"
    )


def to_markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# tabsynth benchmark results",
        "",
        f"Generated by `python benchmarks/run.py` on {meta['date']} ({meta['machine']}).",
        f"Protocol: BENCHMARKS.md (80/20 split with seed 0; SDMetrics QualityReport; "
        f"HistGradientBoosting TSTR). tabsynth DP rows: mean of {meta['repeats']} fits "
        "(secure noise differs per fit). Speed = rows/s when sampling "
        f"{SPEED_ROWS:,} rows, median of 3 (SDV: {SPEED_ROWS // 10:,}, once). Speed-up = SDV "
        "fit+sample time "
        "/ tabsynth fit+sample time, in the same run.",
        "",
    ]
    for name, entry in results.items():
        sdv = entry["systems"].get("SDV GaussianCopula (non-DP)")
        lines += [
            f"## {name} ({entry['rows_train']} train rows, real AUC {entry['real_auc']:.3f})",
            "",
            "| system | quality | shapes | pairs | TSTR AUC | TSTR/real | fit s | "
            "sample s | rows/s | speed-up vs SDV |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for label, r in entry["systems"].items():
            q_sd = f" ± {r['quality_sd']:.3f}" if "quality_sd" in r else ""
            t_sd = f" ± {r['tstr_ratio_sd']:.3f}" if "tstr_ratio_sd" in r else ""
            speed = ""
            if sdv is not None and not label.startswith("SDV"):
                speed = f"{(sdv['fit_s'] + sdv['sample_s']) / (r['fit_s'] + r['sample_s']):.1f}x"
            lines.append(
                f"| {label} | {r['quality']:.3f}{q_sd} | {r['column_shapes']:.3f} | "
                f"{r['column_pair_trends']:.3f} | {r['tstr_auc']:.3f} | "
                f"{r['tstr_ratio']:.3f}{t_sd} | {r['fit_s']:.2f} | {r['sample_s']:.3f} | "
                f"{r['rows_per_s']:,.0f} | {speed} |"
            )
        lines.append("")
    lines += _averages(results)
    return "\n".join(lines) + "\n"


def _averages(results: dict[str, Any]) -> list[str]:
    labels = list(next(iter(results.values()))["systems"])
    lines = ["## Averages over the tables", "", "| system | quality | TSTR/real |", "|---|---|---|"]
    for label in labels:
        qs = [e["systems"][label]["quality"] for e in results.values()]
        ts = [e["systems"][label]["tstr_ratio"] for e in results.values()]
        lines.append(f"| {label} | {statistics.fmean(qs):.3f} | {statistics.fmean(ts):.3f} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small slices, one epsilon, 1 repeat")
    ap.add_argument("--tables", nargs="*", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--render", type=Path, help="only re-render RESULTS.md from a results JSON")
    args = ap.parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text())
        (args.out / "RESULTS.md").write_text(to_markdown(saved["results"], saved["meta"]))
        return 0
    tables = args.tables or (["health_insurance"] if args.quick else TABLES)
    epsilons: list[float | None] = [1.0] if args.quick else EPSILONS
    repeats = 1 if args.quick else args.repeats
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "repeats": repeats,
        "quick": args.quick,
    }
    results = benchmark(tables, epsilons, repeats, args.quick)
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    stamp = "quick" if args.quick else dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M")
    (args.out / "results" / f"{stamp}.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2)
    )
    md = to_markdown(results, meta)
    (args.out / ("RESULTS.quick.md" if args.quick else "RESULTS.md")).write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
