"""Run anonymeter's three risk evaluators in anonymeter's own environment.

    python anonymeter_run.py SPEC.json

anonymeter pins numpy below 1.27, so it lives in a separate virtual environment; this file
imports nothing from tabsynth. SPEC holds the paths of the training, synthetic and control
(holdout) CSV files, the secret column for the inference attack, the two auxiliary column
sets for the linkability attack, the number of attacks, a seed, and the path of the JSON
result it writes: per evaluator, the risk with its 95% interval and the attack, baseline and
control rates.
"""

from __future__ import annotations

import json
import sys
import warnings


def _rates(evaluator, confidence: float) -> dict:  # type: ignore[no-untyped-def]
    risk = evaluator.risk(confidence_level=confidence)
    res = evaluator.results(confidence_level=confidence)
    return {
        "risk": float(risk.value),
        "risk_ci": [float(risk.ci[0]), float(risk.ci[1])],
        "attack_rate": float(res.attack_rate.value),
        "baseline_rate": float(res.baseline_rate.value),
        "control_rate": float(res.control_rate.value) if res.control_rate is not None else None,
    }


def main(spec_path: str) -> int:
    import pandas as pd
    from anonymeter.evaluators import (
        InferenceEvaluator,
        LinkabilityEvaluator,
        SinglingOutEvaluator,
    )

    with open(spec_path) as fh:
        spec = json.load(fh)
    read = {"keep_default_na": False, "na_values": [""]}
    ori = pd.read_csv(spec["train"], **read)
    syn = pd.read_csv(spec["synthetic"], **read)
    ctl = pd.read_csv(spec["control"], **read)
    n, conf, seed = spec["n_attacks"], spec.get("confidence", 0.95), spec.get("seed", 0)
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        so = SinglingOutEvaluator(ori=ori, syn=syn, control=ctl, n_attacks=n, seed=seed)
        so.evaluate(mode="multivariate")
        out["singling_out"] = _rates(so, conf)
        link = LinkabilityEvaluator(
            ori=ori,
            syn=syn,
            control=ctl,
            n_attacks=n,
            aux_cols=(spec["aux_a"], spec["aux_b"]),
            n_neighbors=10,
        )
        link.evaluate(n_jobs=1)
        out["linkability"] = _rates(link, conf)
        secret = spec["secret"]
        inf = InferenceEvaluator(
            ori=ori,
            syn=syn,
            control=ctl,
            aux_cols=[c for c in ori.columns if c != secret],
            secret=secret,
            regression=bool(spec.get("regression", False)),
            n_attacks=n,
        )
        inf.evaluate(n_jobs=1)
        out["inference"] = {"secret": secret, **_rates(inf, conf)}
    with open(spec["result"], "w") as fh:
        json.dump(out, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
