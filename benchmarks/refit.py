"""Repeat one benchmark row with more fits, to tell a real change from fit-to-fit noise.

    python benchmarks/refit.py ctgan doctor_contacts 0.3 --repeats 8

To compare with an older version, copy this file into that checkout's ``benchmarks/`` and
run it there: it imports the tabsynth of the checkout it sits in.

Same split, scorers and systems as ``benchmarks/run.py`` (tabsynth's copula or DP-CTGAN at the
given epsilon); prints one JSON line: quality, TSTR/real and 3-way TVD, mean and sd over the
fits. Running it from two checkouts compares code versions on equal terms.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.run import prepare, run_ctgan, run_tabsynth  # noqa: E402
from tabsynth.evaluation.utility import tstr_auc  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", choices=("copula", "ctgan"))
    ap.add_argument("table")
    ap.add_argument("epsilon", type=float)
    ap.add_argument("--repeats", type=int, default=8)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    train, holdout, schema = prepare(args.table)
    real = tstr_auc(train, holdout, schema.target)
    run = run_ctgan if args.model == "ctgan" else run_tabsynth
    extra = ({},) if args.model == "ctgan" else ()
    r = run(train, holdout, schema, args.epsilon, real, args.repeats, *extra)
    keys = ("quality", "quality_sd", "tstr_ratio", "tstr_ratio_sd", "three_way_tvd")
    print(json.dumps({"model": args.model, "table": args.table, "epsilon": args.epsilon,
                      "repeats": args.repeats, **{k: round(r[k], 4) for k in keys}}))  # fmt: skip


if __name__ == "__main__":
    main()
