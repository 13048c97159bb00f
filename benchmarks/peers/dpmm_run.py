"""Run one dpmm synthesizer (MST, AIM or PrivBayes) in dpmm's own virtual environment.

    python dpmm_run.py SPEC.json

SPEC holds: train (CSV path), out (CSV path to write), synth ("mst", "aim" or "privbayes"),
epsilon, delta, categorical and continuous column lists, the schema's categories and public
bounds, rows to sample, and the number of uniform bins over the bounds (no budget is spent on
binning: the same public information tabsynth's schema gives it). Writes the sample to
``out`` and ``out + ".json"`` with the fit and sample times and the process's peak memory.
This file imports nothing from tabsynth: it runs with dpmm's dependencies only.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
from dpmm.pipelines import AIMPipeline, MSTPipeline, PrivBayesPipeline
from timed import fit_and_sample  # beside this file (the script's folder is on sys.path)

PIPELINES = {"mst": MSTPipeline, "aim": AIMPipeline, "privbayes": PrivBayesPipeline}


def main(spec_path: str) -> int:
    spec = json.loads(open(spec_path).read())
    df = pd.read_csv(spec["train"], keep_default_na=False, na_values=[""])
    cats, conts = spec["categorical"], spec["continuous"]
    for c in cats:
        df[c] = df[c].astype(str).where(df[c].notna(), None)
    domain = {c: {"categories": [str(v) for v in spec["categories"][c]]} for c in cats}
    domain |= {c: {"lower": lo, "upper": hi} for c, (lo, hi) in spec["bounds"].items()}
    pipe = PIPELINES[spec["synth"]](
        epsilon=spec["epsilon"],
        delta=spec["delta"],
        binner_type="uniform",
        proc_epsilon=None,
        n_bins=spec.get("bins", 20),
        n_jobs=1,
    )
    fit_and_sample(
        lambda: pipe.fit(df[cats + conts], domain=domain),
        lambda: pipe.generate(n_records=spec["rows"]),
        spec["out"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
