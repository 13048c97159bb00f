"""What SDMetrics quality is left when a synthesizer knows everything but the outermost rows.

    python benchmarks/ceiling.py                      # 7 tables, q = 0, 0.001, 0.002, 0.005, 0.01
    python benchmarks/ceiling.py --tables credit_card --repeats 5 --shares 0,0.005

A DP release cannot place a value held by a handful of records: at epsilon 1 each cell of
the copula's histograms carries noise of sd 0.2-3.1% of a benchmark table's rows (the
'noise/cell' column), so on most tables the outermost 0.5% of a column are below one noise
sd wherever they sit. But
SDMetrics' column pair trends bin every numerical column over its *own* minimum and maximum
(``pair_bins.py``): one far value in the real table moves all ten bins. This script fits
the *non-private* copula on the train table with every numerical column winsorized at its
q and 1 - q quantiles (clipped there: it learns everything exactly except where the
outermost q-share of each column lies) and scores its samples against the unclipped table
with the protocol's quality. The gap to q = 0 is what the outermost rows alone are worth
in that score; the noise share per cell is shown beside (histogram noise sd of the DP
copula at epsilon 1 over the table's rows). Not DP (a diagnostic of the metric); writes
``results/ceiling-<time>.json`` and ``CEILING.md``.
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
from benchmarks.protocol import prepare, quality  # noqa: E402


def winsorized(train: Any, schema: Any, q: float) -> Any:
    """``train`` with every numerical column clipped to its q and 1 - q quantiles."""
    import pandas as pd

    out = train.copy()
    if q <= 0:
        return out
    for col in schema.modelled_columns:
        if col.kind != "numerical":
            continue
        x = pd.to_numeric(out[col.name])
        lo, hi = np.nanquantile(x, q), np.nanquantile(x, 1 - q)
        out[col.name] = x.clip(lo, hi)
    return out


def noise_share(train: Any, schema: Any, epsilon: float) -> float:
    """The DP copula's histogram noise sd per cell over the table's rows (epsilon given)."""
    import tabsynth

    m = tabsynth.fit(train, schema, "copula", epsilon=epsilon, reproducible_noise=True, seed=0)
    hist = next(x for x in m.privacy_.mechanisms if "histograms of each" in x.name)
    return float(hist.sigma) / len(train)


def run(tables: list[str], shares: list[float], repeats: int, epsilon: float) -> dict[str, Any]:
    import tabsynth

    out: dict[str, Any] = {}
    for name in tables:
        train, _, schema = prepare(name)
        row: dict[str, Any] = {"noise_share": noise_share(train, schema, epsilon)}
        for q in shares:
            scores = []
            for r in range(repeats):
                m = tabsynth.fit(winsorized(train, schema, q), schema, "copula", epsilon=None)
                scores.append(quality(train, m.sample(len(train), seed=r)))
            row[str(q)] = {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
        out[name] = row
        print(name, {k: v if isinstance(v, float) else round(v["quality"], 3)
                     for k, v in row.items()}, flush=True)  # fmt: skip
    return out


def to_markdown(results: dict[str, Any], meta: dict[str, Any], shares: list[float]) -> str:
    head = " | ".join(f"q = {q:g}" for q in shares)
    lines = [
        "# SDMetrics quality without the outermost rows (a ceiling diagnostic)",
        "",
        f"`{meta['command']}` ({meta['date']}; the non-private copula fitted on the train "
        f"table with every numerical column clipped at its q and 1 - q quantiles, "
        f"{meta['repeats']} samples each, scored against the unclipped table). 'noise/cell': "
        f"the DP copula's histogram noise sd at epsilon {meta['epsilon']} over the table's "
        "rows. Pairs in brackets: SDMetrics column pair trends.",
        "",
        f"| table | noise/cell | {head} |",
        "|---|---|" + "---|" * len(shares),
    ]
    for t, row in results.items():
        cells = " | ".join(
            f"{row[str(q)]['quality']:.3f} ({row[str(q)]['column_pair_trends']:.3f})"
            for q in shares
        )
        lines.append(f"| {t} | {row['noise_share']:.2%} | {cells} |")
    avg = " | ".join(
        f"{np.mean([r[str(q)]['quality'] for r in results.values()]):.3f}" for q in shares
    )
    lines.append(f"| **average** | | {avg} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = paired_args(__doc__)
    p.add_argument("--shares", default="0,0.001,0.002,0.005,0.01")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    shares = [float(x) for x in args.shares.split(",")]
    results = run(args.tables.split(","), shares, args.repeats, args.epsilon)
    meta = save_run(args, "ceiling.py", "ceiling", results, argv)
    (args.out / "CEILING.md").write_text(to_markdown(results, meta, shares))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
