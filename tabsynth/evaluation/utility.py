"""Utility: train on synthetic, test on real (TSTR), with the benchmark protocol's classifier.

HistGradientBoosting (random_state=0) with categorical features ordinal-encoded (unknown -1,
missing -2); ROC AUC, the second class in sorted order positive for a binary target, macro
one-vs-rest for a multiclass one. Needs scikit-learn (``tabsynth[report]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tabsynth.errors import require_extra


def _features(
    train: pd.DataFrame, test: pd.DataFrame, target: str
) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    feats = [c for c in train.columns if c != target]
    cat = [
        not pd.api.types.is_numeric_dtype(train[c]) or pd.api.types.is_bool_dtype(train[c])
        for c in feats
    ]
    xs = []
    for df in (train, test):
        cols = []
        for c, is_cat in zip(feats, cat, strict=True):
            if not is_cat:
                cols.append(pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float))
                continue
            cats = sorted(train[c].dropna().astype(str).unique())
            lookup = {v: i for i, v in enumerate(cats)}
            s = df[c]
            codes = s.astype(str).map(lookup).fillna(-1).to_numpy(dtype=float)
            cols.append(np.where(s.isna().to_numpy(), -2.0, codes))
        xs.append(np.column_stack(cols) if cols else np.zeros((len(df), 0)))
    return xs[0], xs[1], cat


def tstr_auc(train: Any, test: Any, target: str) -> float:
    """ROC AUC on ``test`` of the protocol's classifier trained on ``train``."""
    require_extra("sklearn", "report")
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    train, test = _pandas(train), _pandas(test)
    classes = sorted(pd.concat([train[target], test[target]]).dropna().astype(str).unique())
    y_tr, y_te = train[target].astype(str), test[target].astype(str)
    if y_tr.nunique() < 2:
        return 0.5
    x_tr, x_te, mask = _features(train, test, target)
    clf = HistGradientBoostingClassifier(random_state=0, categorical_features=mask)
    clf.fit(x_tr, y_tr)
    proba = clf.predict_proba(x_te)
    full = np.zeros((len(x_te), len(classes)))
    for j, c in enumerate(clf.classes_):
        full[:, classes.index(c)] = proba[:, j]
    if len(classes) == 2:
        return float(roc_auc_score((y_te == classes[1]).astype(int), full[:, 1]))
    full = full / np.maximum(full.sum(axis=1, keepdims=True), 1e-12)
    return float(roc_auc_score(y_te, full, multi_class="ovr", average="macro", labels=classes))


def _pandas(df: Any) -> pd.DataFrame:
    from tabsynth.data import to_polars

    return df if isinstance(df, pd.DataFrame) else to_polars(df)[0].to_pandas()
