"""The copula's ``zero_splits``: the first cell of columns bounded below at 0 split toward 0,
from the schema alone (``tabsynth/models/copula/refine.zero_edges``)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

import tabsynth
from tabsynth.models.copula.refine import zero_edges
from tests.copulakit import assert_sampling_and_stream, credit_with_constraint


def _schema(*columns):
    return tabsynth.Schema.from_dict({"name": "z", "columns": list(columns)})


def test_zero_edges_halve_the_first_cell_of_columns_bounded_at_zero():
    schema = _schema(
        {"name": "share", "kind": "numerical", "lower": 0, "upper": 1},
        {"name": "age", "kind": "numerical", "lower": 18, "upper": 100},
        {"name": "kids", "kind": "numerical", "lower": 0, "upper": 10, "integer": True},
        {"name": "days", "kind": "numerical", "lower": 0, "upper": 640, "integer": True},
        {"name": "cents", "kind": "numerical", "lower": 0, "upper": 64, "precision": 2},
        {"name": "g", "kind": "categorical", "categories": ["a", "b"]},
    )
    assert zero_edges(schema, 32, 0) == {}
    edges = zero_edges(schema, 32, 8)
    # not bounded at 0 (age), a grid of points (kids), no order (g): schema cells kept
    assert set(edges) == {"share", "days", "cents"}
    assert edges["share"] == pytest.approx([2.0**-k / 32 for k in range(8, 0, -1)])
    # integers: between two values, past the first (the first cell [0, 20] -> 1.5 ... 10.5)
    assert edges["days"] == [1.5, 2.5, 5.5, 10.5]
    # 2 decimals: 1/256 of the first cell [0, 2] is under 2 steps: left out; the others fall
    # between two values of the grid
    assert edges["cents"] == pytest.approx([0.015, 0.035, 0.065, 0.125, 0.255, 0.505, 1.005])
    # the domain takes them as cell edges; the default (0) leaves the schema's cells
    df = pd.DataFrame(
        {
            "share": np.linspace(0.05, 0.5, 100),
            "age": 30.0,
            "kids": 1,
            "days": 3,
            "cents": 1.0,
            "g": "a",
        }
    )
    cells = tabsynth.fit(df, schema, epsilon=None, zero_splits=8)._domains()["share"].edges
    assert set(edges["share"]) <= set(cells) and len(cells) == 33 + 8
    assert len(tabsynth.fit(df, schema, epsilon=None)._domains()["share"].edges) == 33


def test_zero_splits_is_validated():
    for bad in (-1, 31, 2.5):
        with pytest.raises(ValueError, match="zero_splits must be a whole number"):
            tabsynth.models.copula.CopulaConfig(zero_splits=bad)
    assert tabsynth.models.copula.CopulaConfig(zero_splits=8.0).zero_splits == 8


def _piled_up(n=4000, seed=0):
    """A ratio bounded at 1 with a quarter of its rows under 0.003 (a spike inside the first
    of 32 cells) and the rest spread over the first fifth, correlated with an amount."""
    rng = np.random.default_rng(seed)
    spike = rng.random(n) < 0.25
    ratio = np.where(spike, rng.uniform(1e-4, 3e-3, n), rng.gamma(2.0, 0.03, n)).clip(0, 1)
    amount = np.round(ratio * 2000 + rng.gamma(2.0, 50, n), 2).clip(0, 5000)
    schema = _schema(
        {"name": "ratio", "kind": "numerical", "lower": 0, "upper": 1},
        {"name": "amount", "kind": "numerical", "lower": 0, "upper": 5000, "precision": 2},
    )
    return pd.DataFrame({"ratio": ratio, "amount": amount}), schema


@pytest.mark.slow
def test_zero_splits_draw_the_spike_near_zero_that_one_flat_cell_misses():
    df, schema = _piled_up()
    ks = {}
    for splits in (0, 8):
        stats = []
        for s in range(3):
            model = tabsynth.fit(
                df, schema, epsilon=1.0, seed=s, reproducible_noise=True, zero_splits=splits
            )
            stats.append(ks_2samp(df.ratio, model.sample(len(df), seed=s).ratio).statistic)
        ks[splits] = float(np.mean(stats))
    assert ks[8] < 0.08 < 0.15 < ks[0]


def test_zero_splits_save_load_and_sample_with_conditions_rebalancing_and_a_stream(tmp_path):
    df, schema = credit_with_constraint()
    opts = {"epsilon": 1.0, "zero_splits": 8, "seed": 3, "reproducible_noise": True}
    model = tabsynth.fit(df, schema, **opts)
    split = zero_edges(schema, model.config_.bins, 8)
    assert split and all(
        set(e) <= set(model._domains()[c].edges) for c, e in split.items()
    )  # fmt: skip
    model.save(tmp_path / "m")
    back = tabsynth.load(tmp_path / "m")
    assert back.config_.zero_splits == 8
    pd.testing.assert_frame_equal(back.sample(300, seed=4), model.sample(300, seed=4))
    assert_sampling_and_stream(model, df, schema, opts, tmp_path)


def test_empty_prefix_drops_the_stretch_near_zero_that_the_data_do_not_reach():
    from tabsynth.models.copula.margins import _empty_prefix

    group = np.arange(8) + 1  # cell 0: the null cell, not in the group
    # data only in the group's last two cells; cell 3 (14) clears one noise sd on its own
    counts = np.array([99.0, 5, -3, 14, 8, -2, 12, 300, 500])
    assert _empty_prefix(counts, group, 10.0).tolist() == [1, 2, 3, 4, 5, 6]
    # a spike at the start: nothing dropped
    counts = np.array([99.0, 300, 50, 0, 3, -5, 20, 40, 60])
    assert _empty_prefix(counts, group, 10.0).size == 0
    # noise alone: the whole group dropped
    counts = np.array([99.0, 12, -4, 9, 15, -11, 6, 13, -2])
    assert _empty_prefix(counts, group, 10.0).tolist() == group.tolist()
