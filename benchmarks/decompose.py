"""Where the DP copula's quality goes (issue 22): which measurement's noise, and which pairs.

    python benchmarks/decompose.py                  # 7 tables, epsilon 1, 4 paired fits
    python benchmarks/decompose.py --tables credit_data --repeats 8
    python benchmarks/decompose.py --sweep 2,4,8,16  # also the released fit at more epsilons

Fits the copula at epsilon 1 four ways on each table, then non-privately:

- ``dp``: as released (reproducible noise, seed = fit number: NOT FOR RELEASE);
- ``exact histograms``: the same fit with the histograms' noise taken away (the stratum
  counts, atoms and Gram matrices still noisy; every post-processing step as it is);
- ``exact Gram``: the Gram matrices' noise taken away instead;
- ``both exact``: both taken away;
- ``non-DP``: ``epsilon=None`` (exact atoms, strata and measurements);

and twice more with the real table's *support* given (``oracle_support``: every numeric
column's cells the real rows fill, and no other, in every stratum; cells the fit left
empty get the real share): ``support oracle`` (the ``dp`` fit so corrected) and ``exact +
support oracle`` (``both exact`` so corrected). No DP mechanism can learn the support of
the outermost rows (a handful of records); the gap says what the noise-calibrated choices
of range (thresholds, tails) cost in the protocol's score, and the last row what the
copula could reach with noise-free measurements and a perfect range. ``--sweep``: the
``dp`` and ``support oracle`` fits at more epsilons (``SWEEP`` in ``DECOMPOSE.md``).

Taking a measurement's noise away shifts the later noise draws, so those fits are paired
with ``dp`` only up to the Gram's noise: read the gaps against the fit-to-fit spread. This
is a diagnostic of what limits the scores; no fit of it is a release.

It also counts the column pairs SDMetrics' QualityReport scores: since sdmetrics 0.2x its
Column Pair Trends averages only the pairs whose *real* association is strong (|Pearson r|
above 0.5 between numbers, Cramer's V above 0.3 otherwise); the rest are left out (NaN).
A table's pair trends then rest on a handful of pairs, and its quality swings with them.
Each score is given twice: as the protocol computes it (numbers binned over each table's
own range) and with the synthetic numbers cut at the real table's bin edges
(``pair_bins.py``). Writes ``results/decompose-<time>.json`` and ``DECOMPOSE.md``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.ablation import paired_args, save_run  # noqa: E402
from benchmarks.pair_bins import both_bins  # noqa: E402
from benchmarks.protocol import _as_strings, prepare  # noqa: E402

FITS = (
    "dp",
    "exact histograms",
    "exact Gram",
    "both exact",
    "non-DP",
    "support oracle",
    "exact + support oracle",
)
#: fits corrected by ``oracle_support`` -> the fit they correct
ORACLE = {"support oracle": "dp", "exact + support oracle": "both exact"}


class _Exact:
    """A noise source that adds nothing (the rest delegated to the real one)."""

    def __init__(self, noise: Any) -> None:
        self._noise = noise

    def gaussian_counts(self, x: np.ndarray, sigma: float) -> np.ndarray:
        return np.asarray(x)

    def gaussian_values(self, x: np.ndarray, sigma: float) -> np.ndarray:
        return np.asarray(x, dtype=float)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._noise, name)


@contextmanager
def exact(histograms: bool, gram: bool) -> Iterator[None]:
    """Fits inside take the histograms' and/or the Gram matrices' noise away."""
    from tabsynth.models.copula.measure import _Measuring

    saved = {k: _Measuring.__dict__[k] for k in ("_measure", "_noisy_gram")}  # descriptors
    measure, noisy_gram = _Measuring._measure, _Measuring._noisy_gram

    def measure_exact(counts: Any, hists: Any, plan: Any, noise: Any) -> Any:
        counts, _ = measure(counts, [], plan, noise)  # the stratum counts stay noisy
        return counts, [h.astype(float) for h in hists]

    def gram_exact(self: Any, g: Any, sizes: Any, plan: Any, noise: Any) -> Any:
        return noisy_gram(self, g, sizes, plan, _Exact(noise))

    if histograms:
        _Measuring._measure = staticmethod(measure_exact)  # type: ignore[method-assign]
    if gram:
        _Measuring._noisy_gram = gram_exact  # type: ignore[method-assign]
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(_Measuring, k, v)


def oracle_support(model: Any, real: Any) -> None:
    """Give a fitted copula the real table's support (a diagnostic, not DP): in every
    numeric column's per-stratum pmfs, cells no real row holds are emptied and cells the
    fit left empty in all strata take the real share; each pmf renormalised (kept as it
    was where that would empty it)."""
    import polars as pl

    doms = model._domains()
    for i, c in enumerate(model.others_):
        dom = doms[c]
        if not dom.is_numeric:
            continue
        cells, _ = dom.encode(pl.from_pandas(real[[c]]).to_series())
        share = np.bincount(cells, minlength=dom.n_cells) / len(real)
        p = np.where(share[None] > 0, model.pmfs_[i], 0.0)
        missing = (share > 0) & (p.sum(axis=0) == 0)
        p[:, missing] = share[missing]
        total = p.sum(axis=1, keepdims=True)
        model.pmfs_[i] = np.where(total > 0, p / np.where(total > 0, total, 1.0), model.pmfs_[i])


def scored_pairs(real: Any) -> tuple[int, int]:
    """(pairs SDMetrics' QualityReport scores, all pairs) of a real table."""
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    real = _as_strings(real)
    meta = Metadata.detect_from_dataframes({"table": real}).to_dict()["tables"]["table"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = QualityReport()
        report.generate(real, real, meta, verbose=False)
    d = report.get_details("Column Pair Trends")
    return int(d["Meets Threshold?"].fillna(False).astype(bool).sum()), len(d)


def run(tables: list[str], epsilon: float, repeats: int) -> dict[str, Any]:
    import tabsynth

    out: dict[str, Any] = {}
    for name in tables:
        train, _, schema = prepare(name)
        rows: dict[str, list[dict[str, float]]] = {f: [] for f in FITS}
        for r in range(repeats):
            for f in FITS:
                base = ORACLE.get(f, f)
                eps = None if base == "non-DP" else epsilon
                quiet = (
                    base in ("exact histograms", "both exact"),
                    base in ("exact Gram", "both exact"),
                )
                with exact(*quiet):
                    m = tabsynth.fit(
                        train, schema, "copula", epsilon=eps, seed=r,
                        reproducible_noise=eps is not None,
                    )  # fmt: skip
                if f in ORACLE:
                    oracle_support(m, train)
                syn = m.sample(len(train), seed=r)
                rows[f].append(both_bins(train, syn))
        counted, total = scored_pairs(train)
        out[name] = {
            "pairs scored": counted,
            "pairs": total,
            "fits": {
                f: {m: float(np.mean([x[m] for x in v])) for m in v[0]} for f, v in rows.items()
            },
        }
        print(name, out[name], flush=True)
    return out


def sweep(tables: list[str], epsilons: list[float], repeats: int) -> dict[str, Any]:
    """Quality (own bins) of the ``dp`` and ``support oracle`` fits at more epsilons."""
    import tabsynth

    out: dict[str, Any] = {}
    for name in tables:
        train, _, schema = prepare(name)
        out[name] = {}
        for eps in epsilons:
            got: dict[str, list[float]] = {"dp": [], "support oracle": []}
            for r in range(repeats):
                m = tabsynth.fit(
                    train, schema, "copula", epsilon=eps, seed=r, reproducible_noise=True
                )
                got["dp"].append(both_bins(train, m.sample(len(train), seed=r))["quality own"])
                oracle_support(m, train)
                syn = m.sample(len(train), seed=r)
                got["support oracle"].append(both_bins(train, syn)["quality own"])
            out[name][str(eps)] = {k: float(np.mean(v)) for k, v in got.items()}
        print(name, "sweep", out[name], flush=True)
    return out


def sweep_markdown(swept: dict[str, Any]) -> list[str]:
    """The ``--sweep`` table: one row per table, one column per (epsilon, fit)."""
    eps = list(next(iter(swept.values())))
    head = " | ".join(f"{e}: dp / support oracle" for e in eps)
    lines = [
        "",
        "## SWEEP: quality (own bins) by epsilon",
        "",
        "The released fit (`dp`) and the same fit given the real support (a diagnostic), "
        "fits 0 to repeats - 1 with reproducible noise at each epsilon.",
        "",
        f"| table | {head} |",
        "|---|" + "---|" * len(eps),
    ]
    rows = [*swept.items(), ("**average**", None)]
    for t, r in rows:
        cells = []
        for e in eps:
            pick = [swept[x][e] for x in swept] if r is None else [r[e]]  # the average over tables
            dp = np.mean([p["dp"] for p in pick])
            orc = np.mean([p["support oracle"] for p in pick])
            cells.append(f"{dp:.3f} / {orc:.3f}")
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return lines


def to_markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Where the DP copula's quality goes",
        "",
        f"`{meta['command']}` ({meta['date']}; epsilon {meta['epsilon']}, {meta['repeats']} "
        "fits each with reproducible noise, NOT FOR RELEASE). 'exact histograms' / 'exact "
        "Gram': the same fit with that measurement's noise taken away (a diagnostic, "
        "`benchmarks/decompose.py`). Quality and pair trends as the protocol scores them "
        "(own bins) and with the synthetic numbers cut at the real table's bin edges (real "
        "bins). 'pairs scored': the column pairs SDMetrics' QualityReport averages (real "
        "|r| > 0.5 or Cramer's V > 0.3), of all pairs. 'support oracle': the named fit "
        "given the real table's support of every numeric column (a diagnostic no DP fit "
        "can reach: `oracle_support`).",
        "",
        "| table | pairs scored | fit | quality (own) | pairs (own) | quality (real bins) | "
        "pairs (real bins) |",
        "|---|---|---|---|---|---|---|",
    ]
    for t, r in results.items():
        for f, s in r["fits"].items():
            lines.append(
                f"| {t} | {r['pairs scored']} of {r['pairs']} | {f} | {s['quality own']:.3f} | "
                f"{s['pairs own']:.3f} | {s['quality real']:.3f} | {s['pairs real']:.3f} |"
            )
    for f in FITS:
        mean = {
            m: np.mean([r["fits"][f][m] for r in results.values()])
            for m in ("quality own", "pairs own", "quality real", "pairs real")
        }
        lines.append(
            f"| **average** | | {f} | {mean['quality own']:.3f} | {mean['pairs own']:.3f} | "
            f"{mean['quality real']:.3f} | {mean['pairs real']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def _epsilons(text: str) -> list[float]:
    """``--sweep``'s value: positive epsilons, comma-separated."""
    import argparse

    try:
        out = [float(e) for e in text.split(",") if e.strip()]
    except ValueError:
        out = []
    if not out or min(out) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive epsilons, e.g. 2,4,8,16")
    return out


def main(argv: list[str] | None = None) -> int:
    p = paired_args(__doc__)
    p.add_argument(
        "--sweep",
        default=[],
        type=_epsilons,
        help="comma-separated epsilons at which the dp and support oracle fits are also run",
    )
    p.set_defaults(repeats=4)
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    tables = args.tables.split(",")
    results = run(tables, args.epsilon, args.repeats)
    swept = sweep(tables, args.sweep, args.repeats) if args.sweep else {}
    meta = save_run(args, "decompose.py", "decompose", {"fits": results, "sweep": swept}, argv)
    text = to_markdown(results, meta)
    if swept:
        text += "\n".join(sweep_markdown(swept)) + "\n"
    (args.out / "DECOMPOSE.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
