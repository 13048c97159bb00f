"""Run one SmartNoise synthesizer in SmartNoise's own virtual environment (opacus 0.14).

    python smartnoise_run.py SPEC.json

SPEC holds: train (CSV path), out (CSV path to write), synth ("dpctgan", "mst" or "aim"),
epsilon, delta, categorical and continuous column lists, public bounds of the continuous
ones, rows to sample, and options. Writes the sample to ``out`` and ``out + ".json"`` with
the fit and sample times and the process's peak memory. This file
imports nothing from tabsynth: it runs with SmartNoise's dependencies only.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
from snsynth import Synthesizer
from timed import fit_and_sample  # beside this file (the script's folder is on sys.path)


def main(spec_path: str) -> int:
    spec = json.loads(open(spec_path).read())
    df = pd.read_csv(spec["train"], keep_default_na=False, na_values=[""])
    cats, conts = spec["categorical"], spec["continuous"]
    for c in cats:
        df[c] = df[c].astype(str)
    name = spec["synth"]
    opts = dict(spec.get("options", {}))
    if name == "dpctgan":
        opts.setdefault("cuda", False)
        opts.setdefault("verbose", False)
    if name in ("mst", "aim") and "delta" in spec:
        opts.setdefault("delta", spec["delta"])
    synth = Synthesizer.create(name, epsilon=spec["epsilon"], **opts)
    nullable = bool(df[cats + conts].isna().any().any())
    fit_kw: dict = {"categorical_columns": cats, "continuous_columns": conts}
    bounds = spec.get("bounds", {})
    if bounds and name in ("dpctgan", "mst", "aim"):
        # the same public bounds that tabsynth's schema gives it (no budget spent on them):
        # DPCTGAN scales continuous columns into them; the marginal-based MST and AIM need
        # discrete columns, so theirs are binned over them
        from snsynth.transform import BinTransformer, MinMaxTransformer
        from snsynth.transform.table import TableTransformer

        def constraint(lo: float, hi: float):
            if name == "dpctgan":
                return MinMaxTransformer(lower=lo, upper=hi, nullable=nullable)
            return BinTransformer(bins=spec.get("bins", 20), lower=lo, upper=hi, nullable=nullable)

        fit_kw["transformer"] = TableTransformer.create(
            df[cats + conts],
            style="gan" if name == "dpctgan" else "cube",
            nullable=nullable,
            categorical_columns=cats,
            continuous_columns=conts,
            constraints={c: constraint(lo, hi) for c, (lo, hi) in bounds.items()},
        )
    elif conts:
        fit_kw["preprocessor_eps"] = spec["epsilon"] * spec.get("preprocessor_share", 0.1)
        fit_kw["nullable"] = nullable
    fit_and_sample(
        lambda: synth.fit(df[cats + conts], **fit_kw),
        lambda: synth.sample(spec["rows"]),
        spec["out"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
