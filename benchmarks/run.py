"""Side-by-side benchmark of tabsynth against its peers, on the protocol of BENCHMARKS.md.

    python benchmarks/run.py                 # full run: writes results/*.json and RESULTS.md
    python benchmarks/run.py --quick         # smoke run on small slices (used by the tests)

Systems, per table: tabsynth's copula (epsilon 0.3, 1, 3, non-DP) and DP-CTGAN (epsilon 0.3,
1, non-DP); SDV's GaussianCopula (non-DP); with ``$SMARTNOISE_PYTHON`` set (a virtual
environment made with ``pip install torch==2.13.0 smartnoise-synth``: it pins opacus 0.14),
SmartNoise's MST, AIM and DP-CTGAN at epsilon 1, each in a subprocess with a time limit
(``--peer-timeout``), given the same public bounds as tabsynth's schema.

Needs ``pip install -e ".[bench]"`` (SDV and SDMetrics are BUSL-1.1: benchmark-only).
In-process systems run on the same split in this one process, so timings are comparable as
ratios. tabsynth's DP fits draw secure noise, so each (table, epsilon) is repeated and
averaged. Columns: SDMetrics quality, TSTR, a distance-based membership-inference AUC
(``tabsynth.evaluation.privacy``: 0.5 is a coin flip), fit and sample time, sampling speed,
and peak memory added by the fit and sample (RSS polled in-process; a subprocess's own peak).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shlex
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

from benchmarks.memory import PeakRSS  # noqa: E402
from benchmarks.peer_runs import PeerError, sdv_metadata, smartnoise_sample  # noqa: E402
from benchmarks.protocol import BENCH_TABLES, in_domain, prepare, quality, tstr_auc  # noqa: E402

# the four bundled examples, then the benchmark-only tables of benchmarks/schemas
TABLES = ["health_insurance", "doctor_contacts", "credit_data", "loans", *BENCH_TABLES]
EPSILONS: list[float | None] = [0.3, 1.0, 3.0, None]
CTGAN_EPSILONS: list[float | None] = [0.3, 1.0, 3.0, None]
SDV_CTGAN_EPOCHS = 100
PEERS = ("mst", "aim", "dpctgan")
PEER_LABELS = {"mst": "SmartNoise MST", "aim": "SmartNoise AIM", "dpctgan": "SmartNoise DPCTGAN"}
# dpmm (its own venv, named by $DPMM_PYTHON: `pip install dpmm`), given the same bounds
DPMM_PEERS = ("mst", "aim", "privbayes")
DPMM_LABELS = {"mst": "dpmm MST", "aim": "dpmm AIM", "privbayes": "dpmm PrivBayes"}
SPEED_ROWS = 1_000_000


def _time(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _score(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    syn: pd.DataFrame,
    schema: Any,
    real_auc: float,
) -> dict[str, float]:
    from tabsynth.evaluation.fidelity import fidelity
    from tabsynth.evaluation.privacy import privacy_risk

    q = quality(train, syn)
    # the schema-reading scorers see the rows in the schema's domain (all of tabsynth's)
    syn, dropped = in_domain(syn[train.columns], schema)
    auc = tstr_auc(syn, holdout, schema.target)
    mia = privacy_risk(train, syn, holdout, schema, n_boot=20, max_rows=2000)
    tvd3 = fidelity(train, syn, schema)["three_way_tvd"]
    return {
        **q,
        "three_way_tvd": tvd3,
        "tstr_auc": auc,
        "tstr_ratio": auc / real_auc,
        "mia_auc": mia["mia_auc"],
        "out_of_domain": dropped,
    }


def run_tabsynth(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Any,
    eps: float | None,
    real_auc: float,
    repeats: int,
    model_name: str = "copula",
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    import tabsynth

    runs = []
    for r in range(repeats):
        with PeakRSS() as mem:
            model, fit_s = _time(
                lambda: tabsynth.fit(train, schema, model_name, epsilon=eps, **(options or {}))
            )
            syn, sample_s = _time(lambda m=model, r=r: m.sample(len(train), seed=r))
        runs.append(
            {
                **_score(train, holdout, syn, schema, real_auc),
                "fit_s": fit_s,
                "sample_s": sample_s,
                "peak_mb": mem.added_mb,
            }
        )
    out = _mean(runs)
    out["epsilon_spent"] = model.privacy.epsilon
    rows = SPEED_ROWS if model_name == "copula" else SPEED_ROWS // 10
    big_s = statistics.median(
        _time(lambda: model.sample(rows, seed=0, as_frame="polars"))[1] for _ in range(3)
    )
    out["rows_per_s"] = rows / big_s
    return out


def run_ctgan(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Any,
    eps: float | None,
    real_auc: float,
    repeats: int,
    options: dict[str, Any],
) -> dict[str, Any]:
    """DP-CTGAN with its defaults; where it refuses (too few rows for the noise multiplier at
    this epsilon), once more with 5 epochs (less noise per step), as its error suggests."""
    from tabsynth.errors import PrivacyError

    try:
        return run_tabsynth(train, holdout, schema, eps, real_auc, repeats, "ctgan", options)
    except PrivacyError as exc:
        first = str(exc).split(". Fix")[0]
    try:
        out = run_tabsynth(
            train, holdout, schema, eps, real_auc, repeats, "ctgan", {**options, "epochs": 5}
        )
        return {**out, "note": f"5 epochs (20 refused: {first})"}
    except PrivacyError as exc:
        return {"error": f"refused: {str(exc).split('. Fix')[0]}"}


def run_sdv(
    kind: str,
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Any,
    real_auc: float,
    epochs: int | None = None,
) -> dict[str, Any]:
    """SDV's GaussianCopula (``kind="copula"``) or CTGAN with ``epochs``; no DP."""
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer

    with warnings.catch_warnings(), PeakRSS() as mem:
        warnings.simplefilter("ignore")
        meta = sdv_metadata(train, schema)
        if kind == "copula":
            synth = GaussianCopulaSynthesizer(meta)
        else:
            synth = CTGANSynthesizer(meta, epochs=epochs)
        _, fit_s = _time(lambda: synth.fit({"table": train}))  # SDV 2.x takes a dict
        syn, sample_s = _time(lambda: _table(synth.sample(len(train))))
    out = {"fit_s": fit_s, "sample_s": sample_s, "peak_mb": mem.added_mb}
    if kind == "copula":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, big_s = _time(lambda: _table(synth.sample(SPEED_ROWS // 10)))
        out["rows_per_s"] = SPEED_ROWS / 10 / big_s
    else:
        out["epochs"] = epochs
    return {**_score(train, holdout, syn, schema, real_auc), **out}


def run_smartnoise(
    python: str,
    synth: str,
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Any,
    eps: float,
    real_auc: float,
    timeout: float,
    runner: str = "smartnoise_run.py",
) -> dict[str, Any]:
    """One SmartNoise (or dpmm) fit in its own venv, given the schema's public bounds."""
    try:
        syn, times = smartnoise_sample(python, synth, train, schema, eps, timeout, runner)
    except PeerError as exc:
        return {"error": str(exc)}
    return {
        **_score(train, holdout, syn, schema, real_auc),
        "fit_s": times["fit_s"],
        "sample_s": times["sample_s"],
        "peak_mb": times.get("peak_mb", float("nan")),
        "wall_s": times["wall_s"],
    }


def _table(out: Any) -> pd.DataFrame:
    """SDV 2.x returns {"table": df} from sample; older versions a DataFrame."""
    return out["table"] if isinstance(out, dict) else out


def _mean(runs: list[dict[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {k: statistics.fmean(r[k] for r in runs) for k in runs[0]}
    if len(runs) > 1:
        for k in ("quality", "tstr_ratio", "mia_auc"):
            out[f"{k}_sd"] = statistics.stdev(r[k] for r in runs)
    out["repeats"] = len(runs)
    return out


def benchmark(
    tables: list[str],
    epsilons: list[float | None],
    repeats: int,
    quick: bool,
    *,
    ctgan_epsilons: list[float | None] | None = None,
    smartnoise: str | None = None,
    peers: tuple[str, ...] = PEERS,
    peer_timeout: float = 900.0,
    sdv_ctgan_epochs: int = SDV_CTGAN_EPOCHS,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    dpmm: str | None = None,
    dpmm_peers: tuple[str, ...] = DPMM_PEERS,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    ctgan_epsilons = CTGAN_EPSILONS if ctgan_epsilons is None else ctgan_epsilons
    for name in tables:
        train, holdout, schema = prepare(name)
        if quick:
            train, holdout = train.head(1500), holdout.head(500)
        real_auc = tstr_auc(train, holdout, schema.target)
        entry: dict[str, Any] = {"rows_train": len(train), "real_auc": real_auc, "systems": {}}
        results[name] = entry
        _table_systems(
            name, train, holdout, schema, real_auc, entry["systems"],
            lambda: checkpoint(results) if checkpoint is not None else None,
            epsilons=epsilons, ctgan_epsilons=ctgan_epsilons, repeats=repeats, quick=quick,
            smartnoise=smartnoise, peers=peers, peer_timeout=peer_timeout,
            sdv_ctgan_epochs=sdv_ctgan_epochs, dpmm=dpmm, dpmm_peers=dpmm_peers,
        )  # fmt: skip
    return results


def _table_systems(
    name: str,
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Any,
    real_auc: float,
    systems: dict[str, Any],
    save: Callable[[], None],
    *,
    epsilons: list[float | None],
    ctgan_epsilons: list[float | None],
    repeats: int,
    quick: bool,
    smartnoise: str | None,
    peers: tuple[str, ...],
    peer_timeout: float,
    sdv_ctgan_epochs: int,
    dpmm: str | None = None,
    dpmm_peers: tuple[str, ...] = (),
) -> None:
    """Every system on one table; each result is saved as soon as it is measured."""

    def record(label: str, run: Callable[[], dict[str, Any]]) -> None:
        try:
            systems[label] = run()
        except Exception as exc:  # one system's failure must not lose the others
            systems[label] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        print(name, label, _brief(systems[label]), flush=True)
        save()

    for eps in epsilons:
        label = f"tabsynth copula eps={eps}" if eps is not None else "tabsynth copula (non-DP)"
        record(label, lambda e=eps: run_tabsynth(train, holdout, schema, e, real_auc, repeats))
    for eps in ctgan_epsilons:
        label = f"tabsynth ctgan eps={eps}" if eps is not None else "tabsynth ctgan (non-DP)"
        reps = repeats if eps is not None else 1
        opts = {"epochs": 2} if quick else {}
        record(
            label,
            lambda e=eps, r=reps, o=opts: run_ctgan(train, holdout, schema, e, real_auc, r, o),
        )
    record(
        "SDV GaussianCopula (non-DP)", lambda: run_sdv("copula", train, holdout, schema, real_auc)
    )
    if sdv_ctgan_epochs:
        record(
            f"SDV CTGAN (non-DP, {sdv_ctgan_epochs} epochs)",
            lambda: run_sdv("ctgan", train, holdout, schema, real_auc, sdv_ctgan_epochs),
        )
    for peer in peers if smartnoise else ():
        record(
            f"{PEER_LABELS[peer]} eps=1.0",
            lambda p=peer: run_smartnoise(
                smartnoise, p, train, holdout, schema, 1.0, real_auc, peer_timeout
            ),
        )
    for peer in dpmm_peers if dpmm else ():
        record(
            f"{DPMM_LABELS[peer]} eps=1.0",
            lambda p=peer: run_smartnoise(
                dpmm, p, train, holdout, schema, 1.0, real_auc, peer_timeout, "dpmm_run.py"
            ),
        )


def _brief(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"error: {r['error']}"
    return (
        f"quality {r['quality']:.3f} tstr/real {r['tstr_ratio']:.3f} "
        f"mia {r['mia_auc']:.3f} fit {r['fit_s']:.2f}s sample {r['sample_s']:.2f}s "
        f"peak +{r['peak_mb']:.0f} MB"
    )


def to_markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# tabsynth benchmark results",
        "",
        f"Generated by `{meta.get('command', 'python benchmarks/run.py')}` on {meta['date']} "
        f"({meta['machine']}).",
        "Protocol: BENCHMARKS.md (80/20 split with seed 0; SDMetrics QualityReport; "
        "HistGradientBoosting TSTR). tabsynth DP rows: mean of "
        f"{meta['repeats']} fits (secure noise differs per fit; non-DP CTGAN: one fit). "
        "MIA = AUC of a distance-to-closest-synthetic-record membership attack, train vs "
        "holdout (0.5 = coin flip). 3-way TVD = tabsynth's mean total variation distance over "
        "up to 60 three-column marginals of the schema's cells (lower is better). Peak MB = "
        "resident memory added by fit + sample (in-process, polled) or the SmartNoise "
        "subprocess's own peak (includes its imports). Speed = rows/s "
        f"sampling {SPEED_ROWS:,} rows with the copula ({SPEED_ROWS // 10:,} with CTGAN and "
        "SDV), median of 3. Speed-up = SDV GaussianCopula fit+sample time / the system's, in the "
        "same run. SmartNoise peers: own venv, epsilon 1, the schema's bounds, continuous "
        f"columns in 20 bins for MST/AIM, stopped after {meta.get('peer_timeout', 0):.0f} s. "
        "Rows a system emits outside the schema's domain (an unknown category, a null where "
        "the schema has none) are counted in quality but dropped before 3-way TVD, TSTR and "
        "MIA, which read tables through the schema; their share is shown beside the name. "
        "Free-text columns (loans' emp_title) are given to and scored for no system.",
        "",
    ]
    for name, entry in results.items():
        sdv = entry["systems"].get("SDV GaussianCopula (non-DP)")
        lines += [
            f"## {name} ({entry['rows_train']} train rows, real AUC {entry['real_auc']:.3f})",
            "",
            "| system | quality | shapes | pairs | 3-way TVD | TSTR AUC | TSTR/real | MIA AUC | "
            "fit s | sample s | rows/s | peak MB | speed-up vs SDV |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for label, r in entry["systems"].items():
            if "error" in r:
                lines.append(f"| {label} | {r['error']} |" + " |" * 11)
                continue
            if "note" in r:
                label = f"{label} [{r['note'].split(' (')[0]}]"
            if r.get("out_of_domain", 0) > 0:
                label = f"{label} [{r['out_of_domain']:.1%} of rows out of domain]"
            q_sd = f" ± {r['quality_sd']:.3f}" if "quality_sd" in r else ""
            t_sd = f" ± {r['tstr_ratio_sd']:.3f}" if "tstr_ratio_sd" in r else ""
            speed = ""
            if "reused_from" in r:
                label = f"{label} [from the run of {r['reused_from']}]"
            elif sdv is not None and "fit_s" in sdv and not label.startswith("SDV"):
                speed = f"{(sdv['fit_s'] + sdv['sample_s']) / (r['fit_s'] + r['sample_s']):.1f}x"
            rps = f"{r['rows_per_s']:,.0f}" if "rows_per_s" in r else ""
            tvd3 = f"{r['three_way_tvd']:.3f}" if "three_way_tvd" in r else "n/a"
            lines.append(
                f"| {label} | {r['quality']:.3f}{q_sd} | {r['column_shapes']:.3f} | "
                f"{r['column_pair_trends']:.3f} | {tvd3} | {r['tstr_auc']:.3f} | "
                f"{r['tstr_ratio']:.3f}{t_sd} | {r['mia_auc']:.3f} | {r['fit_s']:.2f} | "
                f"{r['sample_s']:.3f} | {rps} | {r['peak_mb']:.0f} | {speed} |"
            )
        lines.append("")
    lines += _averages(results)
    lines += _goals(results)
    return "\n".join(lines) + "\n"


def reuse(results: dict[str, Any], earlier: dict[str, Any]) -> None:
    """Add, per table, the earlier run's rows of systems this run has no row for, marked with
    that run's date (their speed-up is left out: it compares timings of one run only)."""
    when = earlier["meta"]["date"]
    for name, entry in results.items():
        old = earlier["results"].get(name, {}).get("systems", {})
        for label, r in old.items():
            if label not in entry["systems"]:
                entry["systems"][label] = {**r, "reused_from": r.get("reused_from", when)}


def _averages(results: dict[str, Any]) -> list[str]:
    labels: list[str] = []
    for e in results.values():
        labels += [k for k in e["systems"] if k not in labels]
    lines = [
        "## Averages over the tables",
        "",
        "TSTR/real excludes doctor_contacts (its real AUC is inflated by repeated people, see "
        "BENCHMARKS.md). Tables where a system gave no result are left out of its average.",
        "",
        "| system | tables | quality | TSTR/real | MIA AUC |",
        "|---|---|---|---|---|",
    ]
    for label in labels:
        ok = {
            n: e["systems"][label]
            for n, e in results.items()
            if "error" not in e["systems"].get(label, {"error": 1})
        }
        if not ok:
            continue
        qs = [r["quality"] for r in ok.values()]
        ts = [r["tstr_ratio"] for n, r in ok.items() if n != "doctor_contacts"] or [float("nan")]
        ms = [r["mia_auc"] for r in ok.values()]
        lines.append(
            f"| {label} | {len(ok)} | {statistics.fmean(qs):.3f} | {statistics.fmean(ts):.3f} | "
            f"{statistics.fmean(ms):.3f} |"
        )
    return lines + [""]


#: the marginal-based peers issue 22 measures the copula's 3-way TVD against
MARGINAL_PEERS = ("SmartNoise MST", "SmartNoise AIM", "dpmm MST", "dpmm AIM", "mbi AIM")


def _goals(results: dict[str, Any]) -> list[str]:
    """Issue 22's goals at epsilon 1, per table: the copula's quality, TSTR/real and 3-way
    TVD beside the best marginal-based peer's (those that finished), and the copula's fit +
    sample time as a share of the fastest AIM's."""
    lines = [
        "## The copula against the marginal-based peers at epsilon 1 (issue 22's goals)",
        "",
        "Goals: quality >= 0.95 on average and >= 0.90 on every table; 3-way TVD at or below "
        "the best marginal-based peer's on every table where one finished; TSTR/real >= 0.95 "
        "on average; fit + sample at most 1/100 of AIM's time.",
        "",
        "| table | copula quality | copula TSTR/real | copula 3-way TVD | best peer 3-way TVD "
        "| copula s / AIM s |",
        "|---|---|---|---|---|---|",
    ]
    for name, e in results.items():
        ours = e["systems"].get("tabsynth copula eps=1.0")
        if ours is None or "error" in ours:
            continue
        peers = {
            label: r
            for label, r in e["systems"].items()
            if label.startswith(MARGINAL_PEERS) and "eps=1.0" in label and "error" not in r
        }
        best = min(peers.items(), key=lambda kv: kv[1]["three_way_tvd"], default=None)
        aims = [r["fit_s"] + r["sample_s"] for k, r in peers.items() if "AIM" in k]
        share = (ours["fit_s"] + ours["sample_s"]) / min(aims) if aims else None
        best_txt = f"{best[1]['three_way_tvd']:.3f} ({best[0].split(' eps')[0]})" if best else "-"
        lines.append(
            f"| {name} | {ours['quality']:.3f} | {ours['tstr_ratio']:.3f} | "
            f"{ours['three_way_tvd']:.3f} | {best_txt} | "
            f"{'-' if share is None else f'1/{1 / share:,.0f}'} |"
        )
    return lines + [""]


def units_section() -> str:
    """Person-level against row-level privacy (``benchmarks/units.py``'s last run), as a
    section of RESULTS.md; empty when it has not run."""
    path = HERE / "results" / "units.json"
    if not path.exists():
        return ""
    from benchmarks.units import to_markdown as units_markdown

    saved = json.loads(path.read_text())
    meta = saved.pop("meta")
    text = units_markdown(saved, meta).replace("# Person-level", "## Person-level", 1)
    return "\n" + text


def main(argv: list[str] | None = None) -> int:
    import os

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small slices, one epsilon, 1 repeat")
    ap.add_argument("--tables", nargs="*", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-ctgan", action="store_true", help="skip tabsynth's DP-CTGAN rows")
    ap.add_argument("--peers", default=",".join(PEERS), help="SmartNoise synthesizers to run")
    ap.add_argument(
        "--dpmm-peers", default=",".join(DPMM_PEERS), help="dpmm synthesizers ($DPMM_PYTHON)"
    )
    ap.add_argument("--peer-timeout", type=float, default=900.0, help="seconds per peer fit")
    ap.add_argument(
        "--sdv-ctgan-epochs", type=int, default=SDV_CTGAN_EPOCHS, help="0 skips SDV's CTGAN"
    )
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument(
        "--render",
        type=Path,
        nargs="+",
        help="only re-render RESULTS.md from results JSONs: the tables of each (the first "
        "file's where two have one), then the rows --reuse adds",
    )
    ap.add_argument(
        "--reuse",
        type=Path,
        nargs="+",
        default=[],
        help="earlier results JSONs: rows of systems this run skips (e.g. the SmartNoise "
        "peers, which take over an hour) are taken from them, the first that has one, and "
        "marked with its date",
    )
    args = ap.parse_args(argv)
    if args.quick:  # a smoke run: the rows/s column from a tenth of the rows
        global SPEED_ROWS
        SPEED_ROWS = 100_000
    if args.render:
        runs = [json.loads(p.read_text()) for p in args.render]
        merged = {"meta": dict(runs[0]["meta"]), "results": {}}
        for run in runs:
            for table, entry in run["results"].items():
                merged["results"].setdefault(table, entry)
        if len(runs) > 1 or args.reuse:  # each run's command, then this one's
            merged["meta"]["command"] = "`, `".join(
                [r["meta"]["command"] for r in runs]
                + ["python benchmarks/run.py " + shlex.join(argv or sys.argv[1:])]
            )
        for earlier in args.reuse:
            reuse(merged["results"], json.loads(earlier.read_text()))
        order = [t for t in TABLES if t in merged["results"]]
        merged["results"] = {t: merged["results"][t] for t in order}
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M")
        if len(runs) > 1:  # the merged results, so that the page has one JSON behind it
            (args.out / "results" / f"{stamp}.merged.json").write_text(json.dumps(merged, indent=2))
        md = to_markdown(merged["results"], merged["meta"]) + units_section()
        (args.out / "RESULTS.md").write_text(md)
        return 0
    tables = args.tables or (["health_insurance"] if args.quick else TABLES)
    epsilons: list[float | None] = [1.0] if args.quick else EPSILONS
    ctgan_eps: list[float | None] = (
        [] if args.no_ctgan else ([1.0] if args.quick else CTGAN_EPSILONS)
    )
    repeats = 1 if args.quick else args.repeats
    smartnoise = os.environ.get("SMARTNOISE_PYTHON")
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "repeats": repeats,
        "quick": args.quick,
        "smartnoise": bool(smartnoise),
        "dpmm": bool(os.environ.get("DPMM_PYTHON")),
        "peer_timeout": args.peer_timeout,
        "command": "python benchmarks/run.py " + shlex.join(argv or sys.argv[1:]),
        "sdv_ctgan_epochs": 2 if args.quick else args.sdv_ctgan_epochs,
    }
    if not smartnoise:
        print("SMARTNOISE_PYTHON not set: SmartNoise peers skipped", file=sys.stderr)
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    stamp = "quick" if args.quick else dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M")
    partial_path = args.out / "results" / f"{stamp}.partial.json"

    def checkpoint(so_far: dict[str, Any]) -> None:
        partial_path.write_text(json.dumps({"meta": meta, "results": so_far}, indent=2))

    results = benchmark(
        tables,
        epsilons,
        repeats,
        args.quick,
        ctgan_epsilons=ctgan_eps,
        smartnoise=smartnoise,
        peers=tuple(p for p in args.peers.split(",") if p),
        peer_timeout=args.peer_timeout,
        sdv_ctgan_epochs=(2 if args.quick else args.sdv_ctgan_epochs),
        checkpoint=checkpoint,
        dpmm=os.environ.get("DPMM_PYTHON"),
        dpmm_peers=tuple(p for p in args.dpmm_peers.split(",") if p),
    )
    partial_path.unlink(missing_ok=True)
    for earlier in args.reuse:
        reuse(results, json.loads(earlier.read_text()))
    (args.out / "results" / f"{stamp}.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2)
    )
    md = to_markdown(results, meta) + ("" if args.quick else units_section())
    (args.out / ("RESULTS.quick.md" if args.quick else "RESULTS.md")).write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
