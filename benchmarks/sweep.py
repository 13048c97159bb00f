"""A copula option on the seven benchmark tables, in paired fits (where options are tuned).

    python benchmarks/sweep.py --option smooth_df --values 2,4
    python benchmarks/sweep.py --option zero_splits --values 0,8 --tables credit_data

The fits and scores of ``heldout.py`` (reproducible noise, seed k in fit k whatever the
value: paired, NOT FOR RELEASE; SDMetrics quality with the protocol's bins and at the real
table's bins, 3-way TVD), on the benchmark tables' train splits (``protocol.prepare``)
instead of the held-out tables. A quick look at an option before ``ablation.py`` gives it a
row; a default is judged on ``heldout.py`` too, since these are the tables it was tuned on.
Writes ``results/sweep-<time>.json`` and ``SWEEP.md`` (the latest run of each option).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.ablation import paired_args, save_run  # noqa: E402
from benchmarks.heldout import report, run  # noqa: E402
from benchmarks.protocol import prepare  # noqa: E402

TITLE = "A copula option on the seven benchmark tables"


def train_table(name: str) -> tuple[Any, Any]:
    """A benchmark table's train split (the rows the protocol fits and scores) and schema."""
    train, _, schema = prepare(name)
    return train, schema


def main(argv: list[str] | None = None) -> int:
    p = paired_args(__doc__)
    p.set_defaults(repeats=4)
    p.add_argument("--option", required=True)
    p.add_argument("--values", required=True, help="comma-separated values of the option")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    names = args.tables.split(",")
    values = args.values.split(",")
    results = run(names, args.option, values, args.epsilon, args.repeats, load=train_table)
    save_run(args, "sweep.py", "sweep", results, argv)
    (args.out / "SWEEP.md").write_text(report(args.out / "results", "sweep", TITLE))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
