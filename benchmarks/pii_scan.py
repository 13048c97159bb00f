"""PII scanner: column-level precision/recall per entity, and scan time on a wide, long table.

    python benchmarks/pii_scan.py            # writes PII.md and results/pii-*.json
    python benchmarks/pii_scan.py --quick    # 2 labelled tables, 20k rows

Accuracy: ``tabsynth.pii.labelled`` tables (a HealthInsurance slice plus Faker PII under
varied column names, some with no hint, and decoys), one per seed. Speed: 100,000 rows x 30
columns drawn from a labelled table, the scan's default 200-row sample, quasi-identifiers on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from tabsynth.pii import scan  # noqa: E402
from tabsynth.pii.labelled import labelled_table, precision_recall  # noqa: E402


def accuracy(seeds: int) -> dict[str, dict[str, float]]:
    totals: dict[str, list[int]] = {}
    for seed in range(seeds):
        df, labels = labelled_table(400, seed=seed)
        pred = scan(df, quasi=False).pii_columns()
        for entity, r in precision_recall(pred, labels).items():
            t = totals.setdefault(entity, [0, 0, 0])
            for i, k in enumerate(("tp", "fp", "fn")):
                t[i] += int(r[k])
    return {
        e: {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
        }
        for e, (tp, fp, fn) in sorted(totals.items())
    }


def speed(rows: int, columns: int = 30) -> dict[str, float]:
    df, _ = labelled_table(2000, seed=99)
    rng = np.random.default_rng(0)
    big = df.iloc[rng.integers(0, len(df), rows)].reset_index(drop=True)
    big = big[list(big.columns[:columns])]
    t0 = time.perf_counter()
    report = scan(big)
    return {
        "rows": rows,
        "columns": big.shape[1],
        "seconds": time.perf_counter() - t0,
        "pii_columns": len(report.pii_columns()),
    }


# what each fresh set scored the one time it was scored before any fix (sessions 11-18)
FIRST_SCORES = {"fresh": (0.970, 0.882), "fresh2": (0.991, 0.913), "real": (0.333, 0.556),
                "real4": (0.875, 0.667), "fifth": (0.919, 0.849),
                "sixth": (0.968, 0.545), "seventh": (1.000, 0.732),
                "eighth": (0.838, 0.500), "ninth": (0.780, 0.912),
                "tenth": (0.780, 0.730), "eleventh": (1.000, 0.987),
                "twelfth": (0.951, 0.935), "thirteenth": (0.957, 0.971)}  # fmt: skip


def headline() -> list[str]:
    """The evidence: the fresh corpus of ``pii_formats.py`` (never tuned on), from its JSON."""
    path = HERE / "results" / "pii-formats.json"
    if not path.exists():
        return ["Run `python benchmarks/pii_formats.py` for the accuracy on public tables.", ""]
    from pii_formats import _pr  # type: ignore[import-not-found]

    res = json.loads(path.read_text())
    lines = [
        "## Accuracy on corpora built to test it, each scored once before it was looked at",
        "",
        f"From `python benchmarks/pii_formats.py` ({res['meta']['when']}; the tables in "
        "`PII_FORMATS.md`), column level over all PII columns:",
        "",
        "| corpus | tabsynth precision | tabsynth recall | first score, untuned (P / R) | "
        "presidio-structured precision | presidio-structured recall |",
        "|---|---|---|---|---|---|",
    ]
    names = {
        "thirteenth": "thirteenth fresh set: the seven named locales, every header drawn from new "
        "spellings and every storage format from pools (scored once; its first score is the "
        "evidence; two of its three false positives are real people's names and a real death "
        "date in the public tables, which the labels called public)",
        "twelfth": "twelfth fresh set: regional locales (de_AT, de_CH, fr_CH, nl_BE, es_MX, "
        "en_IE), every header and storage format drawn at random from pools (scored once, misses "
        "then fixed; its first score is the evidence)",
        "eleventh": "eleventh fresh set: camelCase and phrase headers, middle and hyphenated "
        "names, two Spanish surnames, ISO and spreadsheet-text dates of birth, phones as floats, "
        "mixed-case e-mails, spaced and dotted ids (scored once, its one miss then fixed; its "
        "first score is the evidence)",
        "tenth": "tenth fresh set: dotted form headers, titled names, dates of birth with the "
        "month's name, tel: URIs, quoted display names, the hospital's own IBAN and fax as "
        "decoys, the seven named locales (scored once, misses then fixed; its first score is the "
        "evidence)",
        "ninth": "ninth fresh set: FHIR-style and bracketed headers, yyyymmdd and ISO dates of "
        "birth, E.164 integers, mailto: e-mails, prefixed postal codes, the seven named locales "
        "and pt_PT, pl_PL (scored once, misses then fixed; its first score is the evidence)",
        "eighth": "eighth fresh set: family-first names, particles, SAS datetimes, e-mails with "
        "display names, lower-case IBANs, six named locales and Greek (scored once, misses then "
        "fixed; its first score is the evidence)",
        "seventh": "seventh fresh set: the seven named locales, abbreviated export headers, "
        "clinicians, dates of birth as day numbers, cards as floats (scored once, misses then "
        "fixed; its first score is the evidence)",
        "sixth": "sixth fresh set: four languages beyond the supported six, fixed-width and "
        "categorical exports (scored once, misses then fixed; its first score is the evidence)",
        "fifth": "fifth fresh set: regional locales, HL7/EHR exports (scored once, misses "
        "then fixed; its first score is the evidence)",
        "real4": "fourth fresh set: other real published tables (scored once, misses then fixed)",
        "real": "third fresh set: real published tables (scored once, then its misses fixed)",
        "fresh2": "second fresh set (scored once, then its misses fixed)",
        "fresh": "first fresh set (scored once, then its misses fixed)",
        "heldout": "held-out (looked at)",
        "tuning": "tuning",
    }
    for which in names:
        if which not in res:
            continue
        row = [names[which]]
        for who in ("tabsynth", "presidio-structured"):
            tot = {x: sum(v[x] for k, v in res[which][who].items() if k.startswith("entity:"))
                   for x in ("tp", "fp", "fn")}  # fmt: skip
            row += [f"{v:.3f}" for v in _pr(tot)]
            if who == "tabsynth":
                first = FIRST_SCORES.get(which)
                row.append(f"{first[0]:.3f} / {first[1]:.3f}" if first else "-")
        lines.append("| " + " | ".join(row) + " |")
    left = [f"- {which}: {m}" for which in ("real4", "real") for m in res[which].get("misses", [])]
    if left:
        lines += ["", "Still missed in the real published sets (PII_FORMATS.md lists every set's):",
                  "", *left]  # fmt: skip
    return lines + [""]


def to_markdown(acc: dict, spd: dict, meta: dict) -> str:
    lines = [
        "# PII scan benchmark",
        "",
        *headline(),
        f"Scan of {spd['rows']:,} rows x {spd['columns']} columns: {spd['seconds']:.1f} s "
        f"({spd['pii_columns']} PII columns found).",
        "",
        "## The labelled tables the recognizers were first built with (not evidence)",
        "",
        f"Generated by `python benchmarks/pii_scan.py` on {meta['date']} ({meta['machine']}). "
        f"Accuracy over {meta['seeds']} labelled tables (column level), made with the same "
        "Faker recipe the recognizers were tuned to: it shows they still work on it.",
        "",
        "| entity | precision | recall | TP | FP | FN |",
        "|---|---|---|---|---|---|",
    ]
    for e, r in acc.items():
        lines.append(
            f"| {e} | {r['precision']:.3f} | {r['recall']:.3f} | {r['tp']} | {r['fp']} | "
            f"{r['fn']} |"
        )
    return "\n".join(lines + [""])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    seeds = 2 if args.quick else 10
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores",
        "seeds": seeds,
    }
    acc = accuracy(seeds)
    spd = speed(20_000 if args.quick else 100_000)
    stamp = "quick" if args.quick else dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M")
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    (args.out / "results" / f"pii-{stamp}.json").write_text(
        json.dumps({"meta": meta, "accuracy": acc, "speed": spd}, indent=2)
    )
    md = to_markdown(acc, spd, meta)
    (args.out / ("PII.quick.md" if args.quick else "PII.md")).write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
