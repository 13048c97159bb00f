"""DP-CTGAN beside SmartNoise's DPCTGAN and SDV's CTGANSynthesizer, on the BENCHMARKS.md protocol.

    python benchmarks/ctgan_peers.py            # writes CTGAN.md and results/ctgan-*.json
    python benchmarks/ctgan_peers.py --quick    # small slices, a smoke run
    SMARTNOISE_PYTHON=/path/venv/bin/python python benchmarks/ctgan_peers.py

SmartNoise pins opacus 0.14, so it runs in its own virtual environment, given by
``$SMARTNOISE_PYTHON`` (made with ``pip install torch==2.13.0 smartnoise-synth``); each of its
runs is a subprocess on the same split, its sample scored here. Per-epoch time compares
tabsynth's DP training with the same network trained without DP, in the same process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.peer_runs import PeerError, sdv_metadata, smartnoise_sample  # noqa: E402
from benchmarks.protocol import prepare, quality, tstr_auc  # noqa: E402

TABLES = ["health_insurance", "credit_data"]
EPSILONS = [1.0, 3.0]
SDV_EPOCHS = 100


def _score(train: pd.DataFrame, holdout: pd.DataFrame, syn: pd.DataFrame, target: str, real: float):
    q = quality(train, syn[train.columns])
    auc = tstr_auc(syn[train.columns], holdout, target)
    return {**q, "tstr_auc": auc, "tstr_ratio": auc / real}


def run_tabsynth(train, holdout, schema, eps, real, repeats, epochs=None) -> dict[str, Any]:
    import tabsynth

    opts = {} if epochs is None else {"epochs": epochs}
    runs = []
    for r in range(repeats):
        t0 = time.perf_counter()
        model = tabsynth.fit(train, schema, "ctgan", epsilon=eps, **opts)
        fit_s = time.perf_counter() - t0
        syn = model.sample(len(train), seed=r)
        runs.append({**_score(train, holdout, syn, schema.target, real), "fit_s": fit_s})
    out = {k: statistics.fmean(r[k] for r in runs) for k in runs[0]}
    if repeats > 1:
        out["quality_sd"] = statistics.stdev(r["quality"] for r in runs)
        out["tstr_ratio_sd"] = statistics.stdev(r["tstr_ratio"] for r in runs)
    out["epochs"] = model.config_.epochs
    out["steps"] = model.steps_
    out["epsilon_spent"] = model.privacy.epsilon
    out["repeats"] = repeats
    return out


def per_epoch_ratio(train, schema, epochs: int = 5) -> dict[str, float]:
    """Seconds per epoch of the same network, DP (epsilon 3) and non-private."""
    import tabsynth

    times = {}
    for label, eps in (("dp", 3.0), ("non_dp", None)):
        model = tabsynth.fit(train, schema, "ctgan", epsilon=eps, epochs=epochs)
        times[label] = model.train_seconds_ / epochs
    times["ratio"] = times["dp"] / times["non_dp"]
    return times


def run_sdv_ctgan(train, holdout, schema, real) -> dict[str, Any]:
    from sdv.single_table import CTGANSynthesizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = CTGANSynthesizer(sdv_metadata(train, schema), epochs=SDV_EPOCHS)
        t0 = time.perf_counter()
        synth.fit({"table": train})
        fit_s = time.perf_counter() - t0
        syn = synth.sample(len(train))
    syn = syn["table"] if isinstance(syn, dict) else syn
    return {
        **_score(train, holdout, syn, schema.target, real),
        "fit_s": fit_s,
        "epochs": SDV_EPOCHS,
    }


def run_smartnoise(python: str, synth: str, train, holdout, schema, eps, real) -> dict[str, Any]:
    """One SmartNoise fit in its own venv; categorical and continuous columns from the schema."""
    try:
        syn, times = smartnoise_sample(python, synth, train, schema, eps)
    except PeerError as exc:
        return {"error": str(exc)}
    return {**_score(train, holdout, syn, schema.target, real), "fit_s": times["fit_s"]}


def benchmark(tables, epsilons, repeats, quick, smartnoise) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in tables:
        train, holdout, schema = prepare(name)
        if quick:
            train, holdout = train.head(1500), holdout.head(500)
        real = tstr_auc(train, holdout, schema.target)
        entry: dict[str, Any] = {"rows_train": len(train), "real_auc": real, "systems": {}}
        systems = entry["systems"]
        for eps in epsilons:
            systems[f"tabsynth ctgan eps={eps}"] = run_tabsynth(
                train, holdout, schema, eps, real, repeats, epochs=2 if quick else None
            )
            if smartnoise:
                systems[f"SmartNoise DPCTGAN eps={eps}"] = run_smartnoise(
                    smartnoise, "dpctgan", train, holdout, schema, eps, real
                )
            _print(name, systems)
        systems["tabsynth ctgan (non-DP)"] = run_tabsynth(
            train, holdout, schema, None, real, 1, epochs=2 if quick else None
        )
        if not quick:
            systems[f"SDV CTGAN (non-DP, {SDV_EPOCHS} epochs)"] = run_sdv_ctgan(
                train, holdout, schema, real
            )
        entry["per_epoch_s"] = per_epoch_ratio(train, schema, epochs=2 if quick else 5)
        _print(name, systems)
        results[name] = entry
    return results


def _print(name: str, systems: dict[str, Any]) -> None:
    label, r = list(systems.items())[-1]
    print(name, label, {k: round(v, 3) for k, v in r.items() if isinstance(v, float)}, flush=True)


def to_markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# DP-CTGAN benchmark",
        "",
        f"Generated by `python benchmarks/ctgan_peers.py` on {meta['date']} ({meta['machine']}); "
        f"protocol of BENCHMARKS.md. tabsynth DP rows: mean ± sd of {meta['repeats']} fits. "
        "SmartNoise DPCTGAN: its defaults (up to 300 epochs, stopping when epsilon is spent), "
        "given the schema's public bounds, in its own venv with opacus 0.14.",
        "",
    ]
    for name, entry in results.items():
        lines += [
            f"## {name} ({entry['rows_train']} train rows, real AUC {entry['real_auc']:.3f})",
            "",
            "| system | quality | shapes | pairs | TSTR/real | fit s |",
            "|---|---|---|---|---|---|",
        ]
        for label, r in entry["systems"].items():
            if "error" in r:
                lines.append(f"| {label} | failed: {r['error']} | | | | |")
                continue
            q_sd = f" ± {r['quality_sd']:.3f}" if "quality_sd" in r else ""
            t_sd = f" ± {r['tstr_ratio_sd']:.3f}" if "tstr_ratio_sd" in r else ""
            lines.append(
                f"| {label} | {r['quality']:.3f}{q_sd} | {r['column_shapes']:.3f} | "
                f"{r['column_pair_trends']:.3f} | {r['tstr_ratio']:.3f}{t_sd} | "
                f"{r['fit_s']:.1f} |"
            )
        pe = entry["per_epoch_s"]
        lines += [
            "",
            f"Per epoch, same network: DP {pe['dp']:.3f} s, non-DP {pe['non_dp']:.3f} s "
            f"(ratio {pe['ratio']:.2f}x).",
            "",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    smartnoise = os.environ.get("SMARTNOISE_PYTHON")
    tables = ["health_insurance"] if args.quick else TABLES
    repeats = 1 if args.quick else args.repeats
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores",
        "repeats": repeats,
        "smartnoise": bool(smartnoise),
    }
    results = benchmark(tables, [1.0] if args.quick else EPSILONS, repeats, args.quick, smartnoise)
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    stamp = "quick" if args.quick else dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M")
    (args.out / "results" / f"ctgan-{stamp}.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2)
    )
    md = to_markdown(results, meta)
    path = args.out / ("CTGAN.quick.md" if args.quick else "CTGAN.md")
    old = path.read_text() if path.exists() else ""
    if "<!-- ctgan-" in old:  # ctgan_plan.py's sections stay
        md = md.rstrip("\n") + "\n\n" + old[old.index("<!-- ctgan-") :]
    path.write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
