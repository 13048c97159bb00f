import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tabsynth
from tabsynth.engines.stats import clip_rows
from tabsynth.models.copula.estimate import nearest_correlation, project_simplex
from tests.toydata import make_toy


@settings(max_examples=50, deadline=None)
@given(arrays(float, st.integers(1, 30), elements=st.floats(-1e4, 1e4)), st.floats(0.1, 1e5))
@example(np.full(30, 9999.123456789), 0.1)  # large equal counts, small total: rounding
def test_simplex_projection(v, total):
    p = project_simplex(v, total)[0]
    assert (p >= 0).all()
    assert p.sum() == pytest.approx(total, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(arrays(float, (5, 5), elements=st.floats(-3, 3)))
def test_nearest_correlation_is_valid(m):
    r = nearest_correlation(m)
    assert np.allclose(np.diag(r), 1) and np.allclose(r, r.T)
    assert np.linalg.eigvalsh(r).min() > -1e-9


def test_nearest_correlation_keeps_strong_pairs_of_a_noisy_wide_matrix():
    """54 columns in three blocks of near-functional pairs (0.95), measured with noise sd
    0.06 on each off-diagonal entry (loans at epsilon 1): the noise's negative eigenvalues
    must not be spread over every pair. One-step clipping and rescaling reads the strong
    pairs about 0.1 low; the nearest correlation matrix keeps them within 0.04 on average
    and is nearer the truth overall."""
    rng = np.random.default_rng(3)
    d = 54
    block = np.repeat(np.arange(3), d // 3)
    truth = np.where(block[:, None] == block[None, :], 0.95, 0.1)
    np.fill_diagonal(truth, 1.0)
    noise = rng.normal(0, 0.06, (d, d))
    noisy = truth + np.triu(noise, 1) + np.triu(noise, 1).T
    w, v = np.linalg.eigh(noisy)
    clipped = (v * np.maximum(w, 1e-4)) @ v.T
    clipped /= np.sqrt(np.outer(np.diag(clipped), np.diag(clipped)))
    r = nearest_correlation(noisy)
    strong = (block[:, None] == block[None, :]) & ~np.eye(d, dtype=bool)
    assert np.linalg.eigvalsh(r).min() > -1e-9 and np.allclose(np.diag(r), 1)
    assert truth[strong].mean() - r[strong].mean() < 0.04
    assert truth[strong].mean() - clipped[strong].mean() > 0.06
    assert np.abs(r - truth).mean() < np.abs(clipped - truth).mean()
    valid = nearest_correlation(truth)  # already valid: left as it is
    assert np.array_equal(valid, truth)


def test_clip_rows_bounds_norm():
    z = np.random.default_rng(0).normal(size=(100, 6)) * 5
    assert np.linalg.norm(clip_rows(z, 3.0), axis=1).max() <= 3.0 + 1e-12


def test_non_private_recovers_dependence_and_target_interaction(toy_schema):
    df = make_toy(20_000, seed=1, rho=0.7)
    out = tabsynth.fit(df, toy_schema, epsilon=None).sample(20_000, seed=0)
    a = out[out.y == "a"]
    assert np.corrcoef(a.x, a.w)[0, 1] == pytest.approx(0.7, abs=0.06)
    shift = out[out.y == "b"].x.mean() - a.x.mean()
    assert shift == pytest.approx(1.5, abs=0.12)  # P(x | y) kept: the strata at work
    assert (out.y == "b").mean() == pytest.approx(0.3, abs=0.015)
    assert out.k.isna().mean() == pytest.approx(0.1, abs=0.015)


def test_dp_fit_at_epsilon_1_keeps_the_signal(toy_schema):
    df = make_toy(20_000, seed=2, rho=0.7)
    out = tabsynth.fit(df, toy_schema, epsilon=1.0).sample(20_000, seed=0)
    a = out[out.y == "a"]
    assert np.corrcoef(a.x, a.w)[0, 1] == pytest.approx(0.7, abs=0.12)
    assert out[out.y == "b"].x.mean() - a.x.mean() == pytest.approx(1.5, abs=0.25)


def test_budget_split_and_epsilon_within_target(toy, toy_schema):
    model = tabsynth.fit(toy, toy_schema, epsilon=1.0)
    names = [m.name for m in model.privacy.mechanisms]
    assert names == [
        "row count (sizes the strata)",
        "atom discovery (thresholded Gaussian sparse histogram)",
        "stratum counts",
        # two strata: each measured beside the strata's sum (``pooled``)
        "per-stratum histograms of each column, and their sum over the strata",
        "per-stratum Gram matrix of clipped normal scores, off-diagonal, and their sum over "
        "the strata",
    ]
    shares = np.array([m.rho for m in model.privacy.mechanisms]) / model.privacy.rho
    assert shares == pytest.approx(np.array([0.02 / 0.98, 0.1, 0.09, 0.45, 0.36]) * 0.98)
    assert model.privacy.mechanisms[1].delta == pytest.approx(1e-7)  # 10% of delta
    assert model.privacy.epsilon <= 1.0


def test_atoms_found_by_dp_discovery_and_unique_values_kept_secret():
    rng = np.random.default_rng(0)
    n = 20_000
    x = rng.uniform(0, 10, n)
    x[: n // 4] = 3.7  # a point mass a quarter of the rows share
    x[n // 4] = 9.87654  # held by one record only
    schema = tabsynth.Schema.from_dict(
        {"name": "a", "columns": [{"name": "x", "kind": "numerical", "lower": 0, "upper": 10}]}
    )
    model = tabsynth.fit(pd.DataFrame({"x": x}), schema, epsilon=1.0)
    assert model.atoms_ == {"x": [3.7]}
    out = model.sample(20_000, seed=0)
    assert (out.x == 3.7).mean() == pytest.approx(0.25, abs=0.03)
    assert not (out.x == 9.87654).any()


def test_identifiers_are_fresh_not_copied(toy, toy_schema):
    out = tabsynth.fit(toy, toy_schema, epsilon=1.0).sample(500, seed=0)
    assert not set(out.pid) & set(toy.pid)
    assert out.pid.is_unique


def test_constant_and_all_null_columns():
    schema = tabsynth.Schema.from_dict(
        {
            "name": "c",
            "columns": [
                {"name": "const", "kind": "categorical", "categories": ["only"]},
                {"name": "empty", "kind": "numerical", "lower": 0, "upper": 1, "nullable": True},
                {"name": "v", "kind": "numerical", "lower": 0, "upper": 1},
            ],
        }
    )
    df = pd.DataFrame({"const": ["only"] * 300, "empty": [None] * 300, "v": np.linspace(0, 1, 300)})
    out = tabsynth.fit(df, schema, epsilon=1.0).sample(300, seed=0)
    assert (out.const == "only").all()
    assert out["empty"].isna().mean() > 0.8  # DP: mostly null, a few noisy cells may survive


def test_unknown_option_is_clear(toy, toy_schema):
    with pytest.raises(ValueError, match="bins"):
        tabsynth.fit(toy, toy_schema, epsilon=1.0, binz=3)


def test_many_strata_are_capped(toy):
    schema = tabsynth.Schema.from_dict(
        {
            "name": "s",
            "strata": ["y", "flag"],
            "columns": [
                {"name": "y", "kind": "categorical", "categories": ["a", "b"]},
                {"name": "x", "kind": "numerical", "lower": -4, "upper": 4},
                {"name": "flag", "kind": "boolean"},
            ],
        }
    )
    model = tabsynth.fit(toy[["y", "x", "flag"]], schema, epsilon=1.0, max_strata=2)
    assert model.strata_ == ["y"] and "flag" in model.others_


def test_pooled_correlation_option(toy_schema):
    df = make_toy(20_000, seed=3, rho=0.7)
    model = tabsynth.fit(df, toy_schema, epsilon=1.0, correlation="pooled")
    assert np.allclose(model.corr_[0], model.corr_[-1])  # one correlation for every stratum
    assert "strata pooled" in model.privacy.mechanisms[-1].name
    out = model.sample(20_000, seed=0)
    a = out[out.y == "a"]
    assert np.corrcoef(a.x, a.w)[0, 1] == pytest.approx(0.7, abs=0.12)
    with pytest.raises(ValueError, match="correlation must be"):
        tabsynth.fit(df, toy_schema, epsilon=1.0, correlation="tree")
