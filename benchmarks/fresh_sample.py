"""What SDMetrics quality a fresh sample of the same population reaches (a reference).

    python benchmarks/fresh_sample.py                    # 7 tables, 5 random half splits
    python benchmarks/fresh_sample.py --tables credit_card --repeats 10

A differentially private synthesizer cannot copy the rows it was fitted on: changing one
row barely moves what it releases, so where a score rewards the table's own rare rows (its
outermost values, which set every numerical column's ten bins in SDMetrics' pair trends,
``pair_bins.py``), the best it can do is what rows it never saw would do. This script
splits the benchmark train table in two random halves A and B (``--repeats`` splits) and
scores B against A with the protocol's quality: the score of *real* rows that are not the
scored table's own, i.e. of an ideal generator that draws fresh rows from the population.
Beside it, at the same size: the copula at ``--epsilon`` and without DP, each fitted on A
and sampling ``len(A)`` rows, scored against A. Also with the synthetic numbers cut at the
real table's bin edges (``pair_bins.scores``). Not DP (a diagnostic: reproducible noise);
writes ``results/fresh_sample-<time>.json`` and ``FRESH_SAMPLE.md``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.ablation import paired_args, save_run  # noqa: E402
from benchmarks.pair_bins import both_bins  # noqa: E402
from benchmarks.protocol import prepare  # noqa: E402

#: the rows of the study, in the order shown
FITS = ("fresh half", "copula dp", "copula non-DP")


def halves(n: int, split: int) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of ``range(n)`` (the split's own seed)."""
    idx = np.random.default_rng(1000 + split).permutation(n)
    return idx[: n // 2], idx[n // 2 : 2 * (n // 2)]


def range_gaps(real: Any, other: Any, schema: Any) -> dict[str, float]:
    """How far ``other``'s maximum and minimum of each numerical column (20+ distinct real
    values) lie from ``real``'s, in shares of the real range, averaged over the columns:
    'max gap' signed (negative: the range stops short), 'range error' the mean absolute
    gap of both ends."""
    import pandas as pd

    hi, lo = [], []
    for col in schema.modelled_columns:
        if col.kind != "numerical":
            continue
        x = pd.to_numeric(real[col.name]).dropna().to_numpy(dtype=float)
        y = pd.to_numeric(other[col.name]).dropna().to_numpy(dtype=float)
        if np.unique(x).size < 20 or y.size == 0:
            continue
        span = x.max() - x.min()
        hi.append((y.max() - x.max()) / span)
        lo.append((y.min() - x.min()) / span)
    if not hi:
        return {}
    return {
        "max gap": float(np.mean(hi)),
        "range error": float(np.mean(np.abs(hi)) + np.mean(np.abs(lo))) / 2,
    }


def _scores(real: Any, other: Any, schema: Any) -> dict[str, float]:
    return both_bins(real, other) | range_gaps(real, other, schema)


def run(tables: list[str], repeats: int, epsilon: float) -> dict[str, Any]:
    import tabsynth

    out: dict[str, Any] = {}
    for name in tables:
        train, _, schema = prepare(name)
        rows: dict[str, list[dict[str, float]]] = {k: [] for k in FITS}
        for r in range(repeats):
            a_idx, b_idx = halves(len(train), r)
            a = train.iloc[a_idx].reset_index(drop=True)
            b = train.iloc[b_idx].reset_index(drop=True)
            rows["fresh half"].append(_scores(a, b, schema))
            dp = tabsynth.fit(a, schema, "copula", epsilon=epsilon, reproducible_noise=True, seed=r)
            rows["copula dp"].append(_scores(a, dp.sample(len(a), seed=r), schema))
            exact = tabsynth.fit(a, schema, "copula", epsilon=None, reproducible_noise=True, seed=r)
            rows["copula non-DP"].append(_scores(a, exact.sample(len(a), seed=r), schema))
        out[name] = {
            k: {m: float(np.mean([x[m] for x in v])) for m in v[0]} for k, v in rows.items()
        }
        out[name]["rows"] = len(train) // 2
        print(name, {k: round(out[name][k]["quality own"], 3) for k in FITS}, flush=True)
    return out


def _gap(value: float | None, spec: str) -> str:
    """A gap as the table shows it ('-': no numerical column with 20+ distinct values)."""
    return "-" if value is None else format(value, spec)


def to_markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# SDMetrics quality of a fresh sample of the same population (a reference)",
        "",
        f"`{meta['command']}` ({meta['date']}; {meta['repeats']} random half splits of each "
        "train table). 'fresh half': the real rows of half B scored against half A, i.e. "
        "rows of the same population that are not the scored table's own (what an ideal "
        "generator drawing fresh rows would score); 'copula dp' (epsilon "
        f"{meta['epsilon']}) and 'copula non-DP': fitted on A (fit-time randomness from the "
        "split's seed), sampling "
        "len(A) rows, scored against A. 'own': the protocol (each table's numbers in ten "
        "bins over its own range); 'real bins': the synthetic numbers cut at the real "
        "table's edges (`pair_bins.py`). doctor_contacts is a panel: its two halves share "
        "people (BENCHMARKS.md), so its fresh half is not wholly fresh. 'max gap': how far "
        "the rows' largest value of each numerical column (20+ distinct values) lies from "
        "A's, in shares of A's range, averaged over the columns (negative: the range stops "
        "short); 'range error': the mean absolute gap of the largest and smallest values.",
        "",
        "| table | rows per half | fit | quality (own) | pairs (own) | quality (real bins) "
        "| max gap | range error |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t, row in results.items():
        for k in FITS:
            s = row[k]
            lines.append(
                f"| {t} | {row['rows']} | {k} | {s['quality own']:.3f} | "
                f"{s['pairs own']:.3f} | {s['quality real']:.3f} | "
                f"{_gap(s.get('max gap'), '+.3f')} | {_gap(s.get('range error'), '.3f')} |"
            )
    for k in FITS:
        mean = {
            m: np.nanmean([r[k].get(m, np.nan) for r in results.values()])
            for m in ("quality own", "pairs own", "quality real", "max gap", "range error")
        }
        low = min(r[k]["quality own"] for r in results.values())
        lines.append(
            f"| **average** (lowest table {low:.3f}) | | {k} | {mean['quality own']:.3f} | "
            f"{mean['pairs own']:.3f} | {mean['quality real']:.3f} | "
            f"{mean['max gap']:+.3f} | {mean['range error']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = paired_args(__doc__)
    p.set_defaults(repeats=5)
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    results = run(args.tables.split(","), args.repeats, args.epsilon)
    meta = save_run(args, "fresh_sample.py", "fresh_sample", results, argv)
    (args.out / "FRESH_SAMPLE.md").write_text(to_markdown(results, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
