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

MAX_CATEGORIES = 250


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
            # HistGradientBoosting takes at most 255 categories: the 250 most frequent
            # training values keep their own code, the rest count as unknown
            top = train[c].dropna().astype(str).value_counts().index[:MAX_CATEGORIES]
            cats = sorted(top)
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
    # rows without a target teach and test nothing (a synthesizer may emit missing labels)
    train, test = train[train[target].notna()], test[test[target].notna()]
    classes = sorted(pd.concat([train[target], test[target]]).astype(str).unique())
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
    # macro one-vs-rest over the classes the test rows hold (a rare class absent from them has
    # no positives, so no AUC); probabilities renormalised over those classes
    present = [c for c in classes if (y_te == c).any()]
    if len(present) < 2:
        return float("nan")
    full = full[:, [classes.index(c) for c in present]]
    full = full / np.maximum(full.sum(axis=1, keepdims=True), 1e-12)
    return float(roc_auc_score(y_te, full, multi_class="ovr", average="macro", labels=present))


def _pandas(df: Any) -> pd.DataFrame:
    from tabsynth.data import to_polars

    return df if isinstance(df, pd.DataFrame) else to_polars(df)[0].to_pandas()


def _models(task: str) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: F401

    if task == "regression":
        return {
            "gradient boosting": lambda mask: HistGradientBoostingRegressor(
                random_state=0, categorical_features=mask
            ),
            "ridge": lambda mask: make_pipeline(StandardScaler(), Ridge()),
        }
    return {
        "gradient boosting": lambda mask: HistGradientBoostingClassifier(
            random_state=0, categorical_features=mask
        ),
        "logistic regression": lambda mask: make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000)
        ),
    }


def _scores(
    task: str, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None, classes: list[str]
) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, r2_score, roc_auc_score

    if task == "regression":
        return {"r2": float(r2_score(y, pred))}
    out = {
        "accuracy": float(accuracy_score(y, pred)),
        "f1": float(f1_score(y, pred, average="macro", labels=classes, zero_division=0)),
    }
    present = sorted(set(y))
    if proba is not None and len(present) > 1:
        if len(classes) == 2:
            out["auc"] = float(roc_auc_score((y == classes[1]).astype(int), proba[:, 1]))
        else:
            cols = [classes.index(c) for c in present]
            p = proba[:, cols] / np.maximum(proba[:, cols].sum(axis=1, keepdims=True), 1e-12)
            out["auc"] = float(roc_auc_score(y, p, multi_class="ovr", labels=present))
    return out


def _fit_predict(
    make: Any,
    x_tr: np.ndarray,
    y_tr: np.ndarray,
    x_te: np.ndarray,
    mask: list[bool],
    task: str,
    classes: list[str],
) -> tuple[np.ndarray, np.ndarray | None]:
    x_tr = np.nan_to_num(x_tr, nan=-3.0)
    x_te = np.nan_to_num(x_te, nan=-3.0)
    model = make(mask)
    model.fit(x_tr, y_tr)
    pred = model.predict(x_te)
    if task == "regression":
        return pred, None
    proba = np.zeros((len(x_te), len(classes)))
    for j, c in enumerate(model.classes_):
        proba[:, classes.index(c)] = model.predict_proba(x_te)[:, j]
    return pred, proba


def _rank_auc(score: np.ndarray, positive: np.ndarray) -> float | None:
    """Binary ROC AUC by the rank-sum formula (ties count half)."""
    from scipy.stats import rankdata

    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _fast_main(
    task: str, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None, classes: list[str]
) -> float | None:
    """The headline metric, quickly: R^2, or (macro one-vs-rest) AUC by ranks."""
    if task == "regression":
        ss = float(((y - y.mean()) ** 2).sum())
        return 1 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else None
    if proba is None:
        return None
    if len(classes) == 2:
        return _rank_auc(proba[:, 1], y == classes[1])
    aucs = [_rank_auc(proba[:, j], y == c) for j, c in enumerate(classes)]
    present = [a for a in aucs if a is not None]
    return float(np.mean(present)) if present else None


def _bootstrap(
    task: str,
    y: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray | None,
    classes: list[str],
    boot_idx: list[np.ndarray],
) -> dict[str, list[float]]:
    """95% intervals of the headline metric (and accuracy) over bootstrap resamples."""
    main = "r2" if task == "regression" else "auc"
    vals: dict[str, list[float]] = {main: [], "accuracy": []}
    if task == "classification":  # integer codes: comparisons on strings are slow
        lookup = {c: i for i, c in enumerate(classes)}
        y = np.array([lookup[v] for v in y])
        pred = np.array([lookup.get(v, -1) for v in pred])
        classes_idx: list[Any] = list(range(len(classes)))
    else:
        classes_idx = classes
    for i in boot_idx:
        v = _fast_main(task, y[i], pred[i], None if proba is None else proba[i], classes_idx)
        if v is not None:
            vals[main].append(v)
        if task == "classification":
            vals["accuracy"].append(float(np.mean(y[i] == pred[i])))
    return {
        k: [float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))]
        for k, v in vals.items()
        if v
    }


def utility(
    train: Any, synthetic: Any, holdout: Any, schema: Any, *, n_boot: int = 200, seed: int = 0
) -> dict[str, Any]:
    """Train on synthetic, test on real (TSTR) beside train-real-test-real (TRTR).

    Two models per task (gradient boosting and a linear model); AUC, accuracy and macro F1
    for a categorical target, R^2 for a numerical one; bootstrap 95% intervals over the
    holdout; the same metrics within each group of every protected attribute.
    """
    require_extra("sklearn", "report")
    from tabsynth.errors import DataValidationError, Problem

    target = schema.target
    if target is None:
        raise DataValidationError(
            [
                Problem(
                    "schema", "no target column", "set `target:` in the schema to measure utility"
                )
            ]
        )
    # features: the modelled columns (faked or hashed PII columns carry no signal)
    keep = [c.name for c in schema.modelled_columns]
    train, synthetic, holdout = (
        _pandas(d)[[c for c in keep if c in _pandas(d).columns]]
        for d in (train, synthetic, holdout)
    )
    task = "regression" if schema.column(target).kind == "numerical" else "classification"
    y = {
        k: (
            d[target].astype(float).to_numpy()
            if task == "regression"
            else d[target].astype(str).to_numpy()
        )
        for k, d in (("real", train), ("synthetic", synthetic), ("holdout", holdout))
    }
    classes = (
        sorted(set(y["real"]) | set(y["holdout"]) | set(y["synthetic"]))
        if task == "classification"
        else []
    )
    if task == "classification" and len(set(y["real"])) < 2:
        raise DataValidationError(
            [
                Problem(
                    f"target {target!r}", "has a single class", "utility needs at least two classes"
                )
            ]
        )
    rng = np.random.default_rng(seed)
    # intervals from resamples of (at most 20,000 rows of) the holdout
    size = min(len(holdout), 20_000)
    boot_idx = [rng.integers(0, len(holdout), size) for _ in range(n_boot)]
    protected = [c.name for c in schema.columns if c.protected and c.name in holdout.columns]
    out: dict[str, Any] = {"task": task, "target": target, "models": {}}
    for name, make in _models(task).items():
        entry: dict[str, Any] = {}
        for source, frame in (("real", train), ("synthetic", synthetic)):
            x_tr, x_te, mask = _features(frame, holdout, target)
            pred, proba = _fit_predict(make, x_tr, y[source], x_te, mask, task, classes)
            scores = _scores(task, y["holdout"], pred, proba, classes)
            cis = _bootstrap(task, y["holdout"], pred, proba, classes, boot_idx)
            groups = {}
            for col in protected:
                g = holdout[col].astype(str).to_numpy()
                groups[col] = {
                    v: _scores(
                        task,
                        y["holdout"][g == v],
                        pred[g == v],
                        None if proba is None else proba[g == v],
                        classes,
                    )
                    for v in sorted(set(g))
                }
            entry[source] = {"scores": scores, "ci95": cis, "by_group": groups}
        main = "auc" if task == "classification" else "r2"
        r, s = entry["real"]["scores"].get(main), entry["synthetic"]["scores"].get(main)
        entry["ratio"] = float(s / r) if r and s is not None else None
        out["models"][name] = entry
    return out
