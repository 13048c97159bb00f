"""Ordered categories (``ordered: true``): the copula's latent runs through them in the
schema's order, so a grade that moves with a number keeps that relation."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

import tabsynth

LEVELS = ["A", "B", "C", "D", "E", "F"]
# frequencies far from the schema order: a frequency order scrambles the grades
SHARES = [0.05, 0.25, 0.08, 0.30, 0.12, 0.20]


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(len(LEVELS), size=n, p=SHARES)
    rate = 5 + 3 * g + rng.normal(0, 0.5, n)
    return pd.DataFrame({"grade": [LEVELS[i] for i in g], "rate": rate})


def _schema(ordered: bool) -> tabsynth.Schema:
    return tabsynth.Schema.from_dict(
        {
            "name": "grades",
            "columns": [
                {"name": "grade", "kind": "categorical", "categories": LEVELS, "ordered": ordered},
                {"name": "rate", "kind": "numerical", "lower": 0, "upper": 30, "precision": 2},
            ],
        }
    )


def _rank_corr(df: pd.DataFrame) -> float:
    return float(spearmanr(df["grade"].map(LEVELS.index), df["rate"]).statistic)


@pytest.mark.parametrize("epsilon", [None, 1.0])
def test_an_ordered_grade_keeps_its_relation_to_a_number(epsilon):
    df = _table(20_000, seed=0)
    real = _rank_corr(df)
    got = {}
    for ordered in (True, False):
        model = tabsynth.fit(df, _schema(ordered), "copula", epsilon=epsilon)
        got[ordered] = _rank_corr(model.sample(20_000, seed=1))
    assert real > 0.95
    assert got[True] > real - 0.08  # DP noise and the bridge cost a little
    assert got[True] > got[False] + 0.15  # a frequency order cannot carry the relation


def test_ordered_is_a_categorical_field_only():
    schema = _schema(True)
    assert schema.columns[0].ordered and not _schema(False).columns[0].ordered
    with pytest.raises(Exception, match="'ordered' is a field of categorical columns only"):
        tabsynth.Schema.from_dict(
            {
                "name": "bad",
                "columns": [
                    {"name": "x", "kind": "numerical", "lower": 0, "upper": 1, "ordered": True}
                ],
            }
        )
