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
    # a feature the training rows never hold (a synthetic column that came out all null)
    # teaches nothing, and HistGradientBoosting cannot bin it: left out
    feats = [c for c in train.columns if c != target and train[c].notna().any()]
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
    if task == "regression":
        return model.predict(x_te), None
    fitted = model.predict_proba(x_te)  # once: predict() would run every tree again
    pred = np.asarray(model.classes_)[np.argmax(fitted, axis=1)]
    proba = np.zeros((len(x_te), len(classes)))
    proba[:, [classes.index(c) for c in model.classes_]] = fitted
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


def _boot_aucs(score: np.ndarray, positive: np.ndarray, boot_idx: list[np.ndarray]) -> np.ndarray:
    """ROC AUC (ties count half) of each bootstrap resample, NaN where a resample holds one
    class. Scores are ranked once; each resample only counts positives and negatives per
    distinct score, so a resample costs O(rows), not a sort."""
    _, group = np.unique(score, return_inverse=True)
    size = int(group.max(initial=0)) + 1
    out = np.full(len(boot_idx), np.nan)
    for b, i in enumerate(boot_idx):
        g, p = group[i], positive[i]
        pos = np.bincount(g[p], minlength=size)
        neg = np.bincount(g[~p], minlength=size)
        n_pos, n_neg = int(pos.sum()), int(neg.sum())
        if n_pos and n_neg:
            below = np.cumsum(neg) - neg
            out[b] = float((pos * (below + 0.5 * neg)).sum()) / (n_pos * n_neg)
    return out


def _bootstrap(
    task: str,
    y: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray | None,
    classes: list[str],
    boot_idx: list[np.ndarray],
) -> dict[str, list[float]]:
    """95% intervals of the headline metric (R^2, or macro one-vs-rest AUC over the classes
    each resample holds) and accuracy over bootstrap resamples of the holdout."""
    vals: dict[str, np.ndarray] = {}
    if task == "regression":
        r2 = []
        for i in boot_idx:
            ss = float(((y[i] - y[i].mean()) ** 2).sum())
            if ss > 0:
                r2.append(1 - float(((y[i] - pred[i]) ** 2).sum()) / ss)
        vals["r2"] = np.array(r2)
    else:
        if proba is not None:
            cols = [1] if len(classes) == 2 else range(len(classes))
            per_class = np.array([_boot_aucs(proba[:, j], y == classes[j], boot_idx) for j in cols])
            ok = ~np.isnan(per_class).all(axis=0)
            vals["auc"] = np.nanmean(per_class[:, ok], axis=0)
        hit = y == pred
        vals["accuracy"] = np.array([hit[i].mean() for i in boot_idx])
    return {
        k: [float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))]
        for k, v in vals.items()
        if v.size
    }


def _by_group(
    task: str,
    holdout: Any,
    protected: list[str],
    y: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray | None,
    classes: list[Any],
) -> dict[str, Any]:
    """The scores within each group of every protected attribute."""
    groups = {}
    for col in protected:
        g = holdout[col].astype(str).to_numpy()
        groups[col] = {
            v: {
                **_scores(
                    task, y[g == v], pred[g == v], None if proba is None else proba[g == v], classes
                ),
                "n": int((g == v).sum()),  # holdout rows of the group
            }
            for v in sorted(set(g))
        }
    return groups


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
    # features: the modelled columns, and the derived ones every table holds (faked or
    # hashed PII columns carry no signal)
    from tabsynth.schema.derived import scored_schema

    keep = [c.name for c in scored_schema(schema, train, synthetic, holdout).modelled_columns]
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
            groups = _by_group(task, holdout, protected, y["holdout"], pred, proba, classes)
            entry[source] = {"scores": scores, "ci95": cis, "by_group": groups}
        main = "auc" if task == "classification" else "r2"
        r, s = entry["real"]["scores"].get(main), entry["synthetic"]["scores"].get(main)
        entry["ratio"] = float(s / r) if r and s is not None else None
        out["models"][name] = entry
    return out
