"""Smoothed margins (``estimate.smooth_counts``): a Whittaker smoother of the noisy
histograms of numeric columns whose strength Stein's unbiased risk estimate picks from the
known noise. It must lower the error where densities are smooth, leave rough ones about
alone, and keep a fitted column's null share and range."""

import numpy as np
import pandas as pd
from scipy.stats import norm

import tabsynth
from tabsynth.data.domain import build_domain
from tabsynth.models.copula.estimate import smooth_counts, smooth_runs
from tabsynth.schema import Schema

SIGMA = 25.0


def _mse(truth, draws):
    return float(np.mean([(d - truth) ** 2 for d in draws]))


def _smooth_truth(m=30, strata=3):
    x = np.linspace(-3, 3, m)
    return np.stack([600 * norm.pdf(x, loc=0.5 * s - 0.5) for s in range(strata)])


def test_smooth_density_loses_most_of_its_noise():
    rng = np.random.default_rng(0)
    truth = _smooth_truth()
    cells, widths = np.arange(truth.shape[1]), np.ones(truth.shape[1])
    noisy = [truth + rng.normal(0, SIGMA, truth.shape) for _ in range(40)]
    smoothed = [smooth_counts(y, cells, widths, SIGMA) for y in noisy]
    assert _mse(truth, smoothed) < 0.35 * _mse(truth, noisy)


def test_rough_counts_are_left_about_alone():
    rng = np.random.default_rng(1)
    truth = np.tile(np.where(np.arange(30) % 2 == 0, 300.0, 20.0), (2, 1))
    cells, widths = np.arange(30), np.ones(30)
    noisy = [truth + rng.normal(0, SIGMA, truth.shape) for _ in range(40)]
    smoothed = [smooth_counts(y, cells, widths, SIGMA) for y in noisy]
    assert _mse(truth, smoothed) < 1.1 * _mse(truth, noisy)


def test_runs_skip_points_nulls_and_categories():
    num = Schema.from_dict(
        {
            "name": "t",
            "columns": [
                {
                    "name": "v",
                    "kind": "numerical",
                    "lower": -1,
                    "upper": 9,
                    "atoms": [2],
                    "nullable": True,
                }
            ],
        }
    ).columns[0]
    dom = build_domain(num, bins=4)
    cells, widths = smooth_runs(dom)
    lo, hi, pt = dom._layout
    assert not pt[cells - 1].any() and 0 not in cells  # no point cell, no null cell
    assert set(cells - 1) == set(np.flatnonzero(~pt))
    assert widths.max() > widths.min()  # the atoms at 0 and 2 cut two bins short
    grid = Schema.from_dict(
        {
            "name": "t",
            "columns": [
                {"name": "k", "kind": "numerical", "lower": 0, "upper": 20, "integer": True}
            ],
        }
    ).columns[0]
    cells, widths = smooth_runs(build_domain(grid))
    assert cells.tolist() == list(range(1, 20))  # not the bounds 0 and 20
    cat = Schema.from_dict(
        {
            "name": "t",
            "columns": [{"name": "c", "kind": "categorical", "categories": list("abcdef")}],
        }
    )
    assert smooth_runs(build_domain(cat.columns[0])) is None


def test_fitted_copula_keeps_a_mostly_null_columns_values():
    # a joint-applicant column: 95% null, values spread thinly over the cells; thresholds
    # on the smoothed counts would cut every value cell
    rng = np.random.default_rng(3)
    n = 3_000
    v = rng.uniform(0, 40, n)
    v[rng.random(n) < 0.95] = np.nan
    df = pd.DataFrame({"v": v, "x": rng.normal(size=n)})
    schema = Schema.from_dict(
        {
            "name": "t",
            "epsilon": 1.0,
            "delta": 1e-6,
            "columns": [
                {"name": "v", "kind": "numerical", "lower": 0, "upper": 40, "nullable": True},
                {"name": "x", "kind": "numerical", "lower": -4, "upper": 4},
            ],
        }
    )
    shares: dict[bool, list[float]] = {}
    support: dict[bool, list[np.ndarray]] = {}
    for smooth in (False, True):
        models = [
            tabsynth.fit(
                df,
                schema,
                epsilon=1.0,
                seed=seed,
                reproducible_noise=True,
                smooth_margins=smooth,
                log_margins="none",  # the counts' smoother (the log-density's: below)
            )
            for seed in range(3)
        ]
        shares[smooth] = [m.sample(20_000, seed=0)["v"].notna().mean() for m in models]
        support[smooth] = [m.pmfs_[m.others_.index("v")] > 0 for m in models]
    # the same noise, smoothed or not, gives the same share of values (about 5%) and the
    # same cells: smoothing moves mass between the measured cells, it adds no range
    np.testing.assert_allclose(shares[True], shares[False], atol=0.01)
    assert 0.03 < min(shares[True]) and max(shares[True]) < 0.1
    for a, b in zip(support[True], support[False], strict=True):
        np.testing.assert_array_equal(a, b)
    # the log-density fit fills the cells between the outermost kept ones, and still keeps
    # the share of values about right
    logfit = [
        tabsynth.fit(df, schema, epsilon=1.0, seed=seed, reproducible_noise=True)
        for seed in range(3)
    ]
    assert all(0.03 < m.sample(20_000, seed=0)["v"].notna().mean() < 0.1 for m in logfit)
