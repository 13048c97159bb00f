"""The one measuring protocol of BENCHMARKS.md: split, SDMetrics quality, TSTR AUC.

TSTR is ``tabsynth.evaluation.utility.tstr_auc``, which implements the protocol's classifier.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from tabsynth.datasets import load_example, split
from tabsynth.evaluation.utility import tstr_auc


def prepare(name: str) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """(train, holdout, schema) of a benchmark table, as the protocol fixes them."""
    df, schema = load_example(name)
    train, holdout = split(df)
    return train, holdout, schema


def _as_strings(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == bool or str(out[c].dtype) == "boolean":
            out[c] = out[c].map({True: "True", False: "False"})
    return out


def quality(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, float]:
    """SDMetrics QualityReport with metadata detected by SDV from the real train table."""
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    real, synthetic = _as_strings(real), _as_strings(synthetic[real.columns])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = Metadata.detect_from_dataframes({"table": real}).to_dict()["tables"]["table"]
        report = QualityReport()
        report.generate(real, synthetic, meta, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {
        "quality": float(report.get_score()),
        "column_shapes": float(props["Column Shapes"]),
        "column_pair_trends": float(props["Column Pair Trends"]),
    }


__all__ = ["prepare", "quality", "tstr_auc"]
