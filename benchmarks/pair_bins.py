"""How much of SDMetrics' column pair trends is the synthetic table's range (a diagnostic).

    python benchmarks/pair_bins.py                  # 7 tables, epsilon 1, 3 paired fits
    python benchmarks/pair_bins.py --tables credit_card --repeats 5

SDMetrics' ColumnPairTrends cuts every numerical column into 10 equal-width bins over the
column's own minimum and maximum, *separately* in the real and the synthetic table, before
it compares a number with a category (ContingencySimilarity). A synthetic maximum of 16.8
where the real one is 12.5 (one rare value, which DP noise cannot place) shifts every bin,
and the pair scores low though its joint distribution is close. This script scores the same
synthetic tables twice: as the protocol does (own bins), and with the synthetic numbers cut
at the *real* table's bin edges. The second is not the protocol; it says how much of the
pair-trend gap is the range and how much the joint structure. Writes
``results/pair-bins-<time>.json`` and ``PAIR_BINS.md``.
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
from benchmarks.protocol import _as_strings, prepare  # noqa: E402


def scores(real: Any, syn: Any, aligned: bool) -> dict[str, float]:
    """SDMetrics quality and pair trends; ``aligned``: synthetic numbers binned at the real
    table's edges (the protocol bins each table at its own)."""
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.reports.single_table._properties import column_pair_trends as cpt
    from sdv.metadata import Metadata

    real, syn = _as_strings(real), _as_strings(syn[real.columns])
    meta = Metadata.detect_from_dataframes({"table": real}).to_dict()["tables"]["table"]
    numeric = [c for c, m in meta["columns"].items() if m["sdtype"] == "numerical"]
    edges = {c: np.histogram_bin_edges(real[c].dropna()) for c in numeric}
    own = cpt.ColumnPairTrends._get_processed_data

    def at_real_edges(self: Any, data: Any, metadata: Any) -> Any:
        processed, discrete = own(self, data, metadata)
        for c in numeric:
            discrete[c] = np.digitize(processed[c], edges[c])
        return processed, discrete

    if aligned:
        cpt.ColumnPairTrends._get_processed_data = at_real_edges
    try:
        report = QualityReport()
        report.generate(real, syn, meta, verbose=False)
    finally:
        cpt.ColumnPairTrends._get_processed_data = own
    props = report.get_properties().set_index("Property")["Score"]
    return {"quality": float(report.get_score()), "pairs": float(props["Column Pair Trends"])}


def both_bins(real: Any, syn: Any) -> dict[str, float]:
    """``scores`` as the protocol bins (``own``) and at the real table's edges (``real``)."""
    return {
        f"{k} {w}": v for w in ("own", "real") for k, v in scores(real, syn, w == "real").items()
    }


def run(tables: list[str], epsilon: float, repeats: int) -> dict[str, Any]:
    import tabsynth

    out: dict[str, Any] = {}
    for name in tables:
        train, _, schema = prepare(name)
        rows: dict[str, list[dict[str, float]]] = {"dp": [], "non-DP": []}
        for r in range(repeats):
            m = tabsynth.fit(
                train, schema, "copula", epsilon=epsilon, reproducible_noise=True, seed=r
            )
            syn = m.sample(len(train), seed=r)
            rows["dp"].append(both_bins(train, syn))
        syn = tabsynth.fit(train, schema, "copula", epsilon=None).sample(len(train), seed=0)
        rows["non-DP"].append(both_bins(train, syn))
        out[name] = {
            k: {m: float(np.mean([x[m] for x in v])) for m in v[0]} for k, v in rows.items()
        }
        print(name, out[name], flush=True)
    return out


def to_markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# SDMetrics pair trends: own bins against the real table's bins",
        "",
        f"`{meta['command']}` ({meta['date']}; the copula at epsilon {meta['epsilon']}, "
        f"{meta['repeats']} paired fits with reproducible noise, and one non-DP fit). "
        "'own': the protocol (each table's numbers in 10 bins over its own range); 'real': "
        "the synthetic numbers cut at the real table's bin edges (a diagnostic).",
        "",
        "| table | fit | quality (own) | quality (real bins) | pairs (own) | pairs (real bins) |",
        "|---|---|---|---|---|---|",
    ]
    for t, fits in results.items():
        for f, r in fits.items():
            lines.append(
                f"| {t} | {f} | {r['quality own']:.3f} | {r['quality real']:.3f} | "
                f"{r['pairs own']:.3f} | {r['pairs real']:.3f} |"
            )
    for f in ("dp", "non-DP"):
        mean = {
            m: np.mean([r[f][m] for r in results.values()]) for m in next(iter(results.values()))[f]
        }
        lines.append(
            f"| **average** | {f} | {mean['quality own']:.3f} | {mean['quality real']:.3f} | "
            f"{mean['pairs own']:.3f} | {mean['pairs real']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = paired_args(__doc__).parse_args(argv)
    warnings.simplefilter("ignore")
    results = run(args.tables.split(","), args.epsilon, args.repeats)
    meta = save_run(args, "pair_bins.py", "pair-bins", results, argv)
    (args.out / "PAIR_BINS.md").write_text(to_markdown(results, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
