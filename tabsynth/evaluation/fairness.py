"""Fairness of a release, per protected attribute: group shares, and how a downstream model
trained on real, synthetic, rebalanced or fair synthetic data treats each group on the real
holdout (AUC overall and per group, demographic-parity and equalized-odds gaps). Binary
targets only.
Computed from real data: a diagnostic, not part of the DP guarantee.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tabsynth.errors import DataValidationError, Problem, require_extra
from tabsynth.evaluation.utility import _features, _pandas, _rank_auc


def _gaps(y: np.ndarray, pred: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    rates, tprs, fprs = [], [], []
    for g in np.unique(groups):
        m = groups == g
        rates.append(pred[m].mean())
        if (y[m] == 1).any():
            tprs.append(pred[m & (y == 1)].mean())
        if (y[m] == 0).any():
            fprs.append(pred[m & (y == 0)].mean())

    def spread(v: list[float]) -> float:
        return float(max(v) - min(v)) if len(v) > 1 else 0.0

    return {
        "demographic_parity_gap": spread(rates),
        "equal_opportunity_gap": spread(tprs),
        "equalized_odds_gap": max(spread(tprs), spread(fprs)),
    }


def fairness(
    real: Any,
    synthetic: Any,
    holdout: Any,
    schema: Any,
    *,
    rebalanced: Any = None,
    fair: Any = None,
) -> dict[str, Any]:
    """Group shares and downstream fairness for every protected attribute of ``schema``."""
    require_extra("sklearn", "report")
    from sklearn.ensemble import HistGradientBoostingClassifier

    target = schema.target
    protected = [c.name for c in schema.columns if c.protected]
    if target is None or not protected:
        raise DataValidationError(
            [
                Problem(
                    "schema",
                    "no target or no protected attribute",
                    "set `target:` and mark columns `protected: true`",
                )
            ]
        )
    frames = {"real": _pandas(real), "synthetic": _pandas(synthetic)}
    for name, frame in (("rebalanced", rebalanced), ("fair", fair)):
        if frame is not None:
            frames[name] = _pandas(frame)
    hold = _pandas(holdout)
    classes = sorted(hold[target].dropna().astype(str).unique())
    if len(classes) != 2:
        raise DataValidationError(
            [
                Problem(
                    f"target {target!r}",
                    f"has classes {classes}",
                    "fairness gaps need a binary target",
                )
            ]
        )
    positive = classes[1]
    y = (hold[target].astype(str) == positive).to_numpy().astype(int)
    out: dict[str, Any] = {"target": target, "positive": positive, "attributes": {}}
    preds = {}
    for name, frame in frames.items():
        x_tr, x_te, mask = _features(frame, hold, target)
        clf = HistGradientBoostingClassifier(random_state=0, categorical_features=mask)
        clf.fit(np.nan_to_num(x_tr, nan=-3.0), frame[target].astype(str) == positive)
        proba = clf.predict_proba(np.nan_to_num(x_te, nan=-3.0))[:, -1]
        preds[name] = (proba, (proba >= 0.5).astype(int))
    for col in protected:
        groups = hold[col].astype(str).to_numpy()
        entry: dict[str, Any] = {"shares": {}, "models": {}}
        for name, frame in frames.items():
            entry["shares"][name] = {
                str(k): float(v)
                for k, v in frame[col].astype(str).value_counts(normalize=True).items()
            }
        for name, (proba, pred) in preds.items():
            auc = {
                str(g): _rank_auc(proba[groups == g], y[groups == g] == 1)
                for g in np.unique(groups)
            }
            entry["models"][name] = {
                "auc": _rank_auc(proba, y == 1),
                "auc_by_group": auc,
                **_gaps(y, pred, groups),
            }
        out["attributes"][col] = entry
    return out
