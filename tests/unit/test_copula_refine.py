"""The copula's cell refinement: interval cells split where a noisy pooled histogram found
the rows (``tabsynth/models/copula/refine.py``)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

import tabsynth
from tabsynth.data.domain import build_domain
from tabsynth.models.copula.refine import REFINE_MECHANISM, split_edges
from tests.copulakit import assert_sampling_and_stream, credit_with_constraint


def _column(**kw):
    schema = tabsynth.Schema.from_dict(
        {"name": "t", "columns": [{"name": "x", "kind": "numerical", **kw}]}
    )
    return schema.columns[0]


def test_heavy_cells_are_split_in_proportion_to_their_noisy_count():
    dom = build_domain(_column(lower=0, upper=3_000_000), bins=32)
    counts = np.zeros(dom.n_cells)
    first = int(np.flatnonzero(~dom._layout[2])[0])  # the first interval cell, (0, 93750)
    counts[first], counts[first + 1] = 7000, 1000
    edges = split_edges(dom, counts, sigma=None, bins=32, max_split=32)
    # 8000 rows, 250 a part: 28 parts of the first cell (27 new edges), 4 of the second
    assert len(edges) == 27 + 3
    assert all(0 < e < 93_750 for e in edges[:27])
    assert all(93_750 < e < 187_500 for e in edges[27:])
    refined = build_domain(_column(lower=0, upper=3_000_000), bins=32, extra_edges=edges)
    assert refined.n_cells == dom.n_cells + 30


def test_noise_limits_the_split_and_point_cells_stay_whole():
    dom = build_domain(_column(lower=0, upper=100, atoms=[50]), bins=4)
    lo, hi, pt = dom._layout
    counts = np.full(dom.n_cells, 100.0)
    first = int(np.flatnonzero(~pt)[0])  # (0, 25)
    counts[first] = 10_000
    counts[int(np.flatnonzero(pt & (lo == 50))[0])] = 10_000  # the atom: a point cell
    # 20,500 rows, 32 parts' worth: 640 a part exactly, 3 sigma = 3000 with noise
    exact = split_edges(dom, counts, sigma=None, bins=32, max_split=32)
    noisy = split_edges(dom, counts, sigma=1000.0, bins=32, max_split=32)
    assert len(exact) == 14 and len(noisy) == 2
    assert all(0 < e < 25 for e in exact + noisy)
    assert split_edges(dom, counts, sigma=None, bins=32, max_split=1) == []
    assert split_edges(dom, counts, sigma=None, bins=32, max_split=32, min_split=16) == []


def test_integer_edges_fall_between_two_values():
    dom = build_domain(_column(lower=1000, upper=3000, integer=True), bins=32)
    counts = np.zeros(dom.n_cells)
    first = int(np.flatnonzero(~dom._layout[2])[0])
    counts[first] = 10_000  # (1000, 1062.5): 62 integers, so at most 62 parts
    edges = split_edges(dom, counts, sigma=None, bins=1000, max_split=100)
    assert len(edges) == 61
    assert all(e % 1 == 0.5 for e in edges)


def _wide_table(n=6000, seed=0):
    """Income-like columns far inside wide public bounds, strongly correlated."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    income = np.exp(11 + 0.5 * z)  # median 60k, bounded at 3M
    spend = np.exp(9 + 0.5 * (0.9 * z + np.sqrt(1 - 0.81) * rng.standard_normal(n)))
    schema = tabsynth.Schema.from_dict(
        {
            "name": "w",
            "columns": [
                {"name": "income", "kind": "numerical", "lower": 0, "upper": 3_000_000},
                {"name": "spend", "kind": "numerical", "lower": 0, "upper": 1_000_000},
            ],
        }
    )
    return pd.DataFrame({"income": income, "spend": spend}), schema


@pytest.mark.slow
def test_refinement_restores_shapes_and_correlation_of_a_column_in_a_corner():
    df, schema = _wide_table()
    plain = tabsynth.fit(df, schema, epsilon=1.0, refine_share=0.0).sample(6000, seed=0)
    model = tabsynth.fit(df, schema, epsilon=1.0, refine_share=0.05)
    refined = model.sample(6000, seed=0)
    assert REFINE_MECHANISM in [m.name for m in model.privacy.mechanisms]
    assert set(model.edges_) == {"income", "spend"}
    ks_plain = ks_2samp(df.income, plain.income).statistic
    ks_refined = ks_2samp(df.income, refined.income).statistic
    assert ks_refined < 0.06 < ks_plain
    real = df.corr(method="spearman").iloc[0, 1]
    assert abs(refined.corr(method="spearman").iloc[0, 1] - real) < 0.1
    assert abs(plain.corr(method="spearman").iloc[0, 1] - real) > 0.15


def test_refined_edges_are_saved_and_loaded(tmp_path):
    df, schema = _wide_table(2000)
    model = tabsynth.fit(df, schema, epsilon=1.0, refine_share=0.05)
    model.save(tmp_path / "m")
    back = tabsynth.load(tmp_path / "m")
    assert back.edges_ == model.edges_ and back.edges_
    pd.testing.assert_frame_equal(back.sample(300, seed=4), model.sample(300, seed=4))


def test_refinement_with_conditions_rebalancing_constraints_and_a_streamed_fit(tmp_path):
    df, schema = credit_with_constraint()
    opts = {"epsilon": 1.0, "refine_share": 0.05, "seed": 3, "reproducible_noise": True}
    model = tabsynth.fit(df, schema, **opts)
    assert (
        model.edges_ and model.privacy.label() == tabsynth.fit(df, schema, **opts).privacy.label()
    )
    streamed = assert_sampling_and_stream(model, df, schema, opts, tmp_path)
    assert streamed.edges_ == model.edges_
