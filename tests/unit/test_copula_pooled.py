"""Pooled measurements (``pooled=True``): each histogram and Gram matrix summed over the
strata is measured beside the strata's own, in the same Gaussian mechanism, and the strata
are made to agree with that sum by least squares (``estimate.agree_with_sum``)."""

import math

import numpy as np
import pandas as pd
import pytest

import tabsynth
from tabsynth.models.copula.estimate import agree_with_sum
from tabsynth.schema import Schema


def test_agreeing_with_a_measured_sum_cuts_its_noise_to_s_over_s_plus_1():
    """S = 8 strata and their sum, each with noise sd 1: the sum of the agreed strata has
    variance 8/9 (not 8), each stratum 8/9 (not 1), and both stay unbiased."""
    rng = np.random.default_rng(0)
    s, reps, cells = 8, 20_000, 3
    truth = rng.uniform(50, 150, (s, cells))
    parts = truth + rng.normal(0, 1, (reps, s, cells))
    total = truth.sum(axis=0) + rng.normal(0, 1, (reps, cells))
    agreed = np.stack([agree_with_sum(p, t) for p, t in zip(parts, total, strict=True)])
    err_sum = agreed.sum(axis=1) - truth.sum(axis=0)
    assert err_sum.var() == pytest.approx(s / (s + 1), rel=0.05)
    assert (parts.sum(axis=1) - truth.sum(axis=0)).var() == pytest.approx(s, rel=0.05)
    assert (agreed - truth).var(axis=0).mean() == pytest.approx(s / (s + 1), rel=0.05)
    assert np.abs(err_sum.mean()) < 0.02


def _strata_table(n: int, seed: int) -> tuple[pd.DataFrame, Schema]:
    """Eight strata (group x sex) and a skewed number whose margin is what quality reads."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c", "d"], n)
    sex = rng.choice(["f", "m"], n)
    x = np.clip(rng.gamma(2.0, 2.0, n) + (group == "a") * 3, 0, 40)
    y = x + rng.normal(0, 2, n)
    schema = Schema.from_dict(
        {
            "name": "pooled",
            "strata": ["group", "sex"],
            "columns": [
                {"name": "group", "kind": "categorical", "categories": ["a", "b", "c", "d"]},
                {"name": "sex", "kind": "categorical", "categories": ["f", "m"]},
                {"name": "x", "kind": "numerical", "lower": 0, "upper": 40},
                {"name": "y", "kind": "numerical", "lower": -10, "upper": 50},
            ],
        }
    )
    return pd.DataFrame({"group": group, "sex": sex, "x": x, "y": y}), schema


def _margin_error(model, df: pd.DataFrame) -> float:
    """L1 distance of the model's pooled margin of ``x`` from the data's, on its cells."""
    dom = model._domains(model.config_)["x"]
    cells, _ = dom.encode(__import__("polars").Series("x", df["x"].to_numpy()))
    exact = np.bincount(cells, minlength=dom.n_cells) / len(df)
    return float(np.abs(model._cell_margin("x") - exact).sum())


def test_pooled_measurements_make_the_margins_of_many_strata_less_noisy():
    """8 strata of 250 rows: the pooled margin's noise variance falls from 8 to 16/9 sigma^2
    (sigma itself sqrt(2) larger): its L1 error falls by about a third or more."""
    df, schema = _strata_table(2_000, seed=1)
    err = {}
    for pooled in (False, True):
        err[pooled] = np.mean(
            [
                _margin_error(
                    tabsynth.fit(
                        df, schema, "copula", epsilon=0.5, seed=r, reproducible_noise=True,
                        pooled=pooled, discover_atoms=False,
                    ),
                    df,
                )
                for r in range(6)
            ]
        )  # fmt: skip
    assert err[True] < 0.75 * err[False]


def test_the_certificate_names_the_pooled_measurements_and_their_sensitivity():
    df, schema = _strata_table(2_000, seed=2)
    plain = tabsynth.fit(df, schema, "copula", epsilon=1.0, discover_atoms=False, pooled=False)
    pooled = tabsynth.fit(df, schema, "copula", epsilon=1.0, discover_atoms=False, pooled=True)
    by_name = {m.name: m for m in pooled.privacy.mechanisms}
    hist = by_name["per-stratum histograms of each column, and their sum over the strata"]
    gram = by_name[
        "per-stratum Gram matrix of clipped normal scores, off-diagonal, and their sum over "
        "the strata"
    ]
    before = {m.name: m for m in plain.privacy.mechanisms}
    assert hist.sensitivity == pytest.approx(
        before["per-stratum histograms of each column"].sensitivity * math.sqrt(2)
    )
    assert gram.rho == pytest.approx(
        before["per-stratum Gram matrix of clipped normal scores, off-diagonal"].rho
    )
    assert pooled.privacy.epsilon <= 1.0 and plain.privacy.epsilon <= 1.0
    # one stratum: nothing to pool, the plain mechanisms
    one = tabsynth.fit(df, schema, "copula", epsilon=1.0, pooled=True, max_strata=1)
    assert not any("sum over the strata" in m.name for m in one.privacy.mechanisms)
