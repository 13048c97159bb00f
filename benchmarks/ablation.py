"""Ablation of the copula's fidelity pieces (issue 22): each piece alone, then all together.

    python benchmarks/ablation.py                    # 7 tables, epsilon 1, 3 fits each
    python benchmarks/ablation.py --tables credit_data --repeats 5

Writes ``results/ablation-<time>.json`` and ``ABLATION.md``. Every variant of one (table,
fit) pair draws the *same* privacy noise (``reproducible_noise`` with seed = fit number): a
paired comparison, so that a piece's effect is not lost in the fit-to-fit spread of secure
noise. Such fits are NOT FOR RELEASE (the certificate says so); releases draw secure noise.
A variant that adds a measurement (the cell refinement, the pair calibration) draws the
later mechanisms' noise from a shifted stream, so its pairing with the others is lost: read
its gaps against the quality sd. Scores are those of ``run.py`` (SDMetrics quality and pair
trends, 3-way TVD on the schema's cells, TSTR/real), plus fit + sample seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.protocol import prepare, tstr_auc  # noqa: E402
from benchmarks.run import TABLES, _score  # noqa: E402

#: variant label -> copula options, all explicit (defaults change); the first is the
#: baseline (the copula before issue 22); today's default is the latest labelled one
#: ("smoother tails, integer heaps kept (2026-12-07 night default)")
_OFF = {
    "latent_bridge": False,
    "shrink_tau": 0.1,
    "smooth_margins": False,
    "gram": "full",
    "unclip": False,
    "refine_share": 0.0,
    "pair_share": 0.0,
    "correlation_prior": "normal",
    "pooled": False,
    "log_margins": "none",
    "strata_cells": 0,
    "support_anchors": 0.0,
    "zero_splits": 0,
    "smooth_df": 2.0,
    "heap_sds": 0.0,
}
_S15 = {"latent_bridge": True, "shrink_tau": 0.2, "smooth_margins": True}
_ALL5 = _S15 | {
    "gram": "offdiag",
    "unclip": True,
    "refine_share": 0.0,
    "pooled": False,
    "log_margins": "none",
    "support_anchors": 0.0,
    "zero_splits": 0,
    "smooth_df": 2.0,
    "heap_sds": 0.0,
}
#: the pair calibration as first measured (no latent correction), and its budget taken from
#: the Gram's share so that strata and histograms keep their default shares
_PAIRS = {"pair_share": 0.3, "pair_correlation": False}
_FROM_GRAM = {"split": (0.15, 0.75, 0.1)}
_COARSE = {
    "pooled": True,
    "log_margins": "within",
    "strata_cells": 8,
    "strata_cells_snr": 2.0,
    "strata_cells_share": 0.7,
}
VARIANTS: dict[str, dict[str, Any]] = {
    "copula before (scores' correlations)": _OFF,
    "+ latent bridge": _OFF | {"latent_bridge": True},
    "shrink_tau 0.2 alone": _OFF | {"shrink_tau": 0.2},
    "smoothed margins alone": _OFF | {"smooth_margins": True},
    "+ latent bridge, shrink_tau 0.2": _OFF | {"latent_bridge": True, "shrink_tau": 0.2},
    "+ latent bridge, smoothed margins": _OFF | {"latent_bridge": True, "smooth_margins": True},
    "all three (2026-12-03 default)": _OFF | _S15,
    "all three + off-diagonal Gram": _OFF | _S15 | {"gram": "offdiag"},
    "all three + unclipped correlations": _OFF | _S15 | {"unclip": True},
    "all five (2026-12-04 default)": _ALL5,
    "all five, split 0.1/0.4/0.5": _ALL5 | {"split": (0.1, 0.4, 0.5)},
    "all five, split 0.1/0.3/0.6": _ALL5 | {"split": (0.1, 0.3, 0.6)},
    "all five, no strata": _ALL5 | {"max_strata": 1},
    "all five, strata of >= 1500 rows": _ALL5 | {"min_stratum_rows": 1500},
    "all five, strata of >= 3000 rows": _ALL5 | {"min_stratum_rows": 3000},
    "all five + cell refinement 0.05": _ALL5 | {"refine_share": 0.05},
    "all five + cell refinement 0.1": _ALL5 | {"refine_share": 0.1},
    "all five + refinement 0.05, heavy cells (>= 4 parts)": _ALL5
    | {"refine_share": 0.05, "refine_min_split": 4},
    "all five + refinement 0.05, heavy cells (>= 8 parts)": _ALL5
    | {"refine_share": 0.05, "refine_min_split": 8},
    "all five + refinement 0.02, heavy cells (>= 4 parts)": _ALL5
    | {"refine_share": 0.02, "refine_min_split": 4},
    "all five + pair calibration 0.3": _ALL5 | _PAIRS,
    "all five + pair calibration 0.3, untempered weights": _ALL5 | _PAIRS | {"pair_min_ess": 0.0},
    # the pairs' rho taken from the Gram's: strata and histograms keep their default shares
    "all five + pair calibration 0.3 from the Gram": _ALL5 | _PAIRS | _FROM_GRAM,
    "all five + pair calibration 0.2 from the Gram": _ALL5
    | _PAIRS
    | {"pair_share": 0.2, "split": (0.9 / 7, 4.5 / 7, 1.6 / 7)},
    "all five + pair calibration 0.3 from the Gram, weights kept to a tenth": _ALL5
    | _PAIRS
    | _FROM_GRAM
    | {"pair_min_ess": 0.1},
    "all five + pair calibration 0.3 from the Gram, latent correction": _ALL5
    | _PAIRS
    | _FROM_GRAM
    | {"pair_correlation": True},
    "all five + pair calibration 0.3, latent correction": _ALL5
    | _PAIRS
    | {"pair_correlation": True},
    # the pairs in place of the strata: the target's pairs are then the copula's worst, so
    # they are chosen and measured
    "all five, no strata + pair calibration 0.3, latent correction": _ALL5
    | _PAIRS
    | {"pair_correlation": True, "max_strata": 1},
    "all five, strata of >= 1500 rows + pair calibration 0.3, latent correction": _ALL5
    | _PAIRS
    | {"pair_correlation": True, "min_stratum_rows": 1500},
    "all five + pairs 0.3 from the Gram, latent correction, weights kept to a tenth": _ALL5
    | _PAIRS
    | _FROM_GRAM
    | {"pair_correlation": True, "pair_min_ess": 0.1},
    # the pooled correlations shrunk under a prior learned from all of them (session 21)
    "all five + learned prior": _ALL5 | {"correlation_prior": "learned"},
    "all five, no strata + learned prior": _ALL5
    | {"correlation_prior": "learned", "max_strata": 1},
    "all five + learned prior and strata spread": _ALL5 | {"correlation_prior": "learned_spread"},
    # the same options on the code and schemas of session 22: the nearest correlation matrix
    # by Higham's projections, ordered grades and health ratings, precision as the data's
    "all five, Higham projection, ordered grades": _ALL5,
    # the strata's sums measured beside them, the strata made to agree with them
    "all five + pooled measurements (2026-12-07 default)": _ALL5 | {"pooled": True},
    "pooled, split 0.1/0.6/0.3": _ALL5 | {"pooled": True, "split": (0.1, 0.6, 0.3)},
    "pooled, split 0.1/0.4/0.5": _ALL5 | {"pooled": True, "split": (0.1, 0.4, 0.5)},
    "pooled + pair calibration 0.3, untempered weights": _ALL5
    | _PAIRS
    | {"pooled": True, "pair_min_ess": 0.0},
    # numeric margins as smooth log-densities: isolated noise spikes in the tails get the
    # fit's small masses (SDMetrics bins each table's numbers on its own range, session 23)
    "pooled + log-density margins (2026-12-07 pm default)": _ALL5
    | {"pooled": True, "log_margins": "within"},
    "pooled + log-density margins, tails extended": _ALL5
    | {"pooled": True, "log_margins": "extend"},
    # clipping takes more than the Gaussian model's share from real rows (their Gram
    # diagonals read 0.8-1.0 of the assumed one on credit_data): less of it, more noise
    "pooled + log-density margins, clip 2.0 d": _ALL5
    | {"pooled": True, "log_margins": "within", "clip_factor": 2.0},
    "pooled + log-density margins, clip 2.5 d": _ALL5
    | {"pooled": True, "log_margins": "within", "clip_factor": 2.5},
    # the pair calibration on the log-density margins: as first measured, and with fewer
    # pairs (sqrt(k) sensitivity, less weight on the raking)
    "log-density margins + pair calibration 0.3, untempered weights": _ALL5
    | _PAIRS
    | {"pooled": True, "log_margins": "within", "pair_min_ess": 0.0},
    "log-density margins + 6 pairs 0.2, untempered weights": _ALL5
    | _PAIRS
    | {
        "pooled": True,
        "log_margins": "within",
        "pair_min_ess": 0.0,
        "pair_share": 0.2,
        "pair_count": 6,
    },
    "log-density margins + 6 pairs 0.2": _ALL5
    | _PAIRS
    | {"pooled": True, "log_margins": "within", "pair_share": 0.2, "pair_count": 6},
    # session 24: knobs of today's default (pooled + log-density margins) against the
    # synthetic range (SDMetrics' own bins) and the correlations' pull towards 0
    "log-density margins, cell threshold 1.5 sd": _ALL5
    | {"pooled": True, "log_margins": "within", "cell_threshold": 1.5},
    "log-density margins, 16 bins": _ALL5 | {"pooled": True, "log_margins": "within", "bins": 16},
    "log-density margins, full Gram (diagonal measured)": _ALL5
    | {"pooled": True, "log_margins": "within", "gram": "full"},
    "log-density margins, no strata": _ALL5
    | {"pooled": True, "log_margins": "within", "max_strata": 1},
    # session 25: the strata's histograms over 8 groups of cells chosen from the pooled ones
    # (0.7 of the histograms' rho to the pooled ones), every column's cell noise measured
    # once per stratum group instead of once per cell
    "log-density margins, strata over 8 groups of cells": _ALL5 | _COARSE,
    "log-density margins, strata over 8 groups of cells, learned prior": _ALL5
    | _COARSE
    | {"correlation_prior": "learned"},
    "log-density margins, strata over 4 groups of cells": _ALL5 | _COARSE | {"strata_cells": 4},
    # the histograms' noise costs the most quality (DECOMPOSE.md): more of rho to them
    "log-density margins, split 0.1/0.6/0.3": _ALL5
    | {"pooled": True, "log_margins": "within", "split": (0.1, 0.6, 0.3)},
    "log-density margins, split 0.05/0.6/0.35": _ALL5
    | {"pooled": True, "log_margins": "within", "split": (0.05, 0.6, 0.35)},
    "log-density margins, atoms 0.05 of rho": _ALL5
    | {"pooled": True, "log_margins": "within", "atom_share": 0.05},
    # session 26: a numeric range reaches from the cells that clear the noise by a margin
    # (about 2 of a column's cells would on noise alone) through kept cells 1 apart, not
    # to any cell past the data that a noise spike lifts over one sd (held out: worse)
    "log-density margins, range from anchors": _ALL5
    | {"pooled": True, "log_margins": "within", "support_anchors": 2.0, "support_gap": 1},
    # the range's other knobs, for the record (session 26): finer schema cells, and the
    # tail test (the outermost cells cut while the noisy mass beyond them is below this
    # many noise sds) at 1 sd
    "log-density margins, 64 bins": _ALL5 | {"pooled": True, "log_margins": "within", "bins": 64},
    "log-density margins, tails cut below 1 sd": _ALL5
    | {"pooled": True, "log_margins": "within", "tail_sds": 1.0},
    # session 27: the first cell of columns bounded at 0 split at w/2 ... w/256 (public:
    # amounts and ratios pile up near 0 at scales finer than a cell of generous bounds)
    "log-density margins, first cell split 8 times toward 0": _ALL5
    | {"pooled": True, "log_margins": "within", "zero_splits": 8},
    # session 28: the log-density fit's penalty chosen with its degrees of freedom weighted
    # 4 instead of Stein's 2 (the linearised df undercounts how a fit follows noise spikes
    # in thin tails, which the unbiased estimate then rewards)
    "log-density margins, smoother tails (2026-12-07 evening default)": _ALL5
    | {"pooled": True, "log_margins": "within", "smooth_df": 4.0},
    # session 29: an integer grid's heaps (values 4.5 sds above their neighbours' median,
    # such as loan terms at multiples of 6) keep their own counts, the rest is smoothed
    "smoother tails, integer heaps kept (2026-12-07 night default)": _ALL5
    | {"pooled": True, "log_margins": "within", "smooth_df": 4.0, "heap_sds": 4.5},
}
#: labels renamed since an earlier results file was written (read with --reuse)
RENAMED = {
    "pooled + log-density margins": "pooled + log-density margins (2026-12-07 pm default)",
    "all five (2026-12-07 default)": "all five, Higham projection, ordered grades",
    "all five + pooled measurements": "all five + pooled measurements (2026-12-07 default)",
    "all five (today's default)": "all five (2026-12-04 default)",
    # a "%" in a label broke --help (argparse formats it)
    "all five + pair calibration 0.3 from the Gram, weights kept to 10%": "all five + pair "
    "calibration 0.3 from the Gram, weights kept to a tenth",
}
METRICS = ("quality", "column_pair_trends", "three_way_tvd", "tstr_ratio", "seconds")


def run(
    tables: list[str], epsilon: float, repeats: int, variants: list[str] | None = None
) -> dict[str, Any]:
    import tabsynth

    out: dict[str, Any] = {}
    for table in tables:
        train, holdout, schema = prepare(table)
        real_auc = tstr_auc(train, holdout, schema.target)
        out[table] = {}
        for label, options in VARIANTS.items():
            if variants is not None and label not in variants:
                continue
            runs = []
            for r in range(repeats):
                t0 = time.perf_counter()
                model = tabsynth.fit(
                    train, schema, "copula", epsilon=epsilon, seed=r, reproducible_noise=True,
                    **options,
                )  # fmt: skip
                syn = model.sample(len(train), seed=r)
                seconds = time.perf_counter() - t0
                runs.append({**_score(train, holdout, syn, schema, real_auc), "seconds": seconds})
            out[table][label] = {m: statistics.fmean(x[m] for x in runs) for m in METRICS} | {
                "quality_sd": statistics.stdev(x["quality"] for x in runs) if repeats > 1 else 0.0
            }
            print(table, label, {k: round(v, 3) for k, v in out[table][label].items()}, flush=True)
    return out


def to_markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Ablation of the copula's fidelity pieces",
        "",
        f"`{meta['command']}` ({meta['date']}; epsilon {meta['epsilon']}, delta 1e-6; "
        f"{meta['repeats']} paired fits per cell: every variant of fit *k* draws the same noise).",
        "Columns: SDMetrics quality (± sd over fits) and column pair trends, mean 3-way TVD on "
        "the schema's cells (lower is better), TSTR AUC over the real-data AUC, fit + sample "
        "seconds. Rows of variants not run by this command come from earlier runs (`--reuse`), "
        "on the code and schemas of their day: loans declares grade and paid_total derived, "
        "and its joint fields present_when, since 2026-12-07 (session 24), so its rows of "
        "earlier variants model them.",
        "",
        "| table | variant | quality | pairs | 3-way TVD | TSTR/real | s |",
        "|---|---|---|---|---|---|---|",
    ]
    avg: dict[str, dict[str, list[float]]] = {}
    for table, variants in results.items():
        for label, r in variants.items():
            lines.append(
                f"| {table} | {label} | {r['quality']:.3f} ± {r['quality_sd']:.3f} | "
                f"{r['column_pair_trends']:.3f} | {r['three_way_tvd']:.3f} | "
                f"{r['tstr_ratio']:.3f} | {r['seconds']:.2f} |"
            )
            for m in METRICS:
                avg.setdefault(label, {}).setdefault(m, []).append(r[m])
    lines += ["", f"Averages over the {len(results)} tables:", ""]
    lines += [
        "| variant | quality | pairs | 3-way TVD | TSTR/real | s |",
        "|---|---|---|---|---|---|",
    ]
    for label, ms in avg.items():
        v = {m: statistics.fmean(x) for m, x in ms.items()}
        lines.append(
            f"| {label} | {v['quality']:.3f} | {v['column_pair_trends']:.3f} | "
            f"{v['three_way_tvd']:.3f} | {v['tstr_ratio']:.3f} | {v['seconds']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def paired_args(doc: str) -> argparse.ArgumentParser:
    """The options of a paired-fit study (this one, ``pair_bins.py``)."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--tables", default=",".join(TABLES))
    p.add_argument("--epsilon", type=float, default=1.0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", type=Path, default=HERE)
    return p


def save_run(
    args: argparse.Namespace, script: str, prefix: str, results: Any, argv: list[str] | None
) -> dict[str, Any]:
    """Write ``results/<prefix>-<time>.json`` with the command that made it; its meta."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M")
    meta = {
        "command": f"python benchmarks/{script}" + "".join(f" {a}" for a in (argv or sys.argv[1:])),
        "date": stamp,
        "epsilon": args.epsilon,
        "repeats": args.repeats,
    }
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    (args.out / "results" / f"{prefix}-{stamp}.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=1)
    )
    return meta


def main(argv: list[str] | None = None) -> int:
    p = paired_args(__doc__)
    p.add_argument(
        "--reuse",
        type=Path,
        help="an earlier results/ablation-*.json: its rows of variants not run now are kept "
        "(same paired noise, so still paired when the code of those variants is unchanged)",
    )
    p.add_argument(
        "--variants",
        help="comma-separated numbers of the variants to run (0 = the first), default all: "
        + "; ".join(f"{i} {label}" for i, label in enumerate(VARIANTS)),
    )
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    chosen = None
    if args.variants:
        labels = list(VARIANTS)
        chosen = [labels[int(i)] for i in args.variants.split(",")]
    results = run(args.tables.split(","), args.epsilon, args.repeats, chosen)
    if args.reuse:
        old = json.loads(args.reuse.read_text())["results"]
        old = {t: {RENAMED.get(v, v): r for v, r in rows.items()} for t, rows in old.items()}
        # the rows run now replace an earlier file's rows of the same variant
        results = {
            t: {
                v: (old.get(t, {}) | results[t])[v]
                for v in VARIANTS
                if v in old.get(t, {}) | results[t]
            }
            for t in results
        }
    meta = save_run(args, "ablation.py", "ablation", results, argv)
    (args.out / "ABLATION.md").write_text(to_markdown(results, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
