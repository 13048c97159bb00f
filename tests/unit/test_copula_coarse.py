"""Per-stratum margins over groups of cells (``strata_cells``, ``models/copula/coarse.py``):
the pooled histograms measured first, the strata's over groups of cells chosen from them."""

import numpy as np
import pandas as pd
import polars as pl
import pytest

import tabsynth
from tabsynth.data.domain import ColumnDomain
from tabsynth.models.copula.coarse import COARSE_MECHANISM, POOLED_HIST_MECHANISM, cell_groups
from tabsynth.models.copula.config import CopulaConfig
from tabsynth.schema import Schema

COARSE = {"strata_cells": 8, "strata_cells_snr": 0.5}


def _table(n: int, seed: int) -> tuple[pd.DataFrame, Schema]:
    """Eight strata whose number ``x`` is shifted by the stratum, and a nullable ``y``."""
    rng = np.random.default_rng(seed)
    group = rng.choice(list("abcdefgh"), n)
    shift = np.searchsorted(list("abcdefgh"), group)
    x = np.clip(rng.gamma(2.0, 1.5, n) + shift * 2.0, 0, 40)
    y = np.where(rng.random(n) < 0.2, np.nan, x + rng.normal(0, 3, n))
    schema = Schema.from_dict(
        {
            "name": "coarse",
            "strata": ["group"],
            "columns": [
                {"name": "group", "kind": "categorical", "categories": list("abcdefgh")},
                {"name": "x", "kind": "numerical", "lower": 0, "upper": 40},
                {"name": "y", "kind": "numerical", "lower": -20, "upper": 60, "nullable": True},
            ],
        }
    )
    return pd.DataFrame({"group": group, "x": x, "y": y}), schema


def test_groups_are_runs_of_about_equal_pooled_mass_with_nulls_alone():
    dom = ColumnDomain(
        name="v", kind="numerical", edges=tuple(float(e) for e in range(11)),
        points=(False,) * 11, nullable=True,
    )  # fmt: skip
    pmf = np.array([0.2, 0.3, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.0])
    pmf = pmf / pmf.sum()
    g = cell_groups(dom, pmf, np.arange(dom.n_cells), 4)
    assert g[0] == 0 and (g[1:] > 0).all()  # the null cell alone
    assert (np.diff(g[1:]) >= 0).all() and (np.diff(g[1:]) <= 1).all()  # contiguous runs
    assert g.max() <= 4
    mass = np.bincount(g, weights=pmf)[1:]
    assert mass.max() < 0.6 * pmf[1:].sum()  # the heavy first cell does not swallow the rest
    # few cells: every cell its own group; a category order (by frequency) is followed
    small = ColumnDomain(name="c", kind="categorical", labels=("a", "b", "c"))
    assert cell_groups(small, np.array([0.2, 0.5, 0.3]), np.array([1, 2, 0]), 8).tolist() == [
        0, 1, 2,
    ]  # fmt: skip
    cats = ColumnDomain(name="c", kind="categorical", labels=tuple("abcdef"))
    p = np.array([0.05, 0.4, 0.05, 0.3, 0.1, 0.1])
    order = np.argsort(-p, kind="stable")
    g = cell_groups(cats, p, order, 3)
    assert (np.diff(g[order]) >= 0).all()  # runs follow the frequency order
    assert g[1] != g[3]  # the two heaviest categories stay apart


def test_two_measurements_of_the_histograms_cost_what_the_one_they_replace_did(monkeypatch):
    from tabsynth.models.copula import coarse as module

    df, schema = _table(4000, 0)
    plain = tabsynth.fit(df, schema, "copula", epsilon=1.0, seed=0, reproducible_noise=True)
    released = []  # the pooled pmfs, as the first measurement gave them

    def keep(*args, **kw):
        released.append(module_pmfs(*args, **kw))
        return released[-1]

    module_pmfs = module.column_pmfs
    monkeypatch.setattr(module, "column_pmfs", keep)
    coarse = tabsynth.fit(
        df, schema, "copula", epsilon=1.0, seed=0, reproducible_noise=True, **COARSE
    )
    names = [m.name for m in coarse.privacy_.mechanisms]
    assert POOLED_HIST_MECHANISM in names and COARSE_MECHANISM in names
    assert not any(n.startswith("per-stratum histograms of each column, and") for n in names)
    total = sum(m.rho for m in plain.privacy_.mechanisms)
    assert sum(m.rho for m in coarse.privacy_.mechanisms) == pytest.approx(total)
    hist = {m.name: m for m in coarse.privacy_.mechanisms}
    # each: one cell (one group) of each of the d = 2 columns per record
    assert hist[POOLED_HIST_MECHANISM].sensitivity == pytest.approx(np.sqrt(2))
    assert hist[COARSE_MECHANISM].sensitivity == pytest.approx(np.sqrt(2))
    # the strata's mixture is the pooled pmf, and inside a group every stratum has its shape
    dom = coarse._domains()["x"]
    i = coarse.others_.index("x")
    pooled = released[0][i][0]
    assert np.allclose(coarse.weights_ @ coarse.pmfs_[i], pooled, atol=1e-6)
    ratio = np.divide(coarse.pmfs_[i], pooled, out=np.zeros_like(coarse.pmfs_[i]),
                      where=pooled > 0)  # fmt: skip
    assert dom.n_cells > 8
    distinct = {len(np.unique(np.round(r[pooled > 0], 9))) for r in ratio}
    assert max(distinct) <= 8  # one ratio per group
    syn = coarse.sample(2000, seed=1)
    assert set(syn["group"]) <= set("abcdefgh") and syn["y"].isna().mean() == pytest.approx(
        0.2, abs=0.06
    )


def _stratum_error(model, df: pd.DataFrame) -> float:
    """Mean over the strata of the L1 distance of the model's per-stratum pmf of ``x`` from
    the data's, on the model's cells."""
    dom = model._domains()["x"]
    i = model.others_.index("x")
    cells, _ = dom.encode(pl.Series("x", df["x"].to_numpy()))
    errs = []
    for s, name in enumerate("abcdefgh"):
        mask = (df["group"] == name).to_numpy()
        exact = np.bincount(cells[mask], minlength=dom.n_cells) / mask.sum()
        errs.append(np.abs(model.pmfs_[i][s] - exact).sum())
    return float(np.mean(errs))


@pytest.mark.slow
def test_strata_over_groups_measure_small_strata_better():
    """Eight strata of about 250 rows at epsilon 1: every stratum's margin over some 40
    cells is mostly noise cell by cell; over 8 groups of cells (the pooled shape within
    each) it is closer to the data's, on average over 6 paired fits (about 10% here: the
    groups give up each stratum's own shape within a group)."""
    df, schema = _table(2000, 1)
    plain, coarse = [], []
    for seed in range(6):
        kw = {"epsilon": 1.0, "seed": seed, "reproducible_noise": True}
        plain.append(_stratum_error(tabsynth.fit(df, schema, "copula", **kw), df))
        coarse.append(_stratum_error(tabsynth.fit(df, schema, "copula", **kw, **COARSE), df))
    assert np.mean(coarse) < 0.95 * np.mean(plain)


def test_non_private_fits_and_bad_options():
    df, schema = _table(1000, 2)
    exact = tabsynth.fit(df, schema, "copula", epsilon=None, **COARSE)
    assert exact.privacy_.mechanisms == [] or all(
        m.name != COARSE_MECHANISM for m in exact.privacy_.mechanisms
    )
    with pytest.raises(ValueError, match="strata_cells"):
        CopulaConfig(strata_cells=-1)
    with pytest.raises(ValueError, match="strata_cells_share"):
        CopulaConfig(strata_cells_share=1.0)


def test_streamed_fit_sampling_options_and_a_saved_model(tmp_path):
    """A streamed fit measures what the in-memory one does; conditional sampling,
    rebalancing and a saved-and-loaded model work with per-stratum margins over groups."""
    df, schema = _table(3000, 3)
    df.to_parquet(tmp_path / "t.parquet")
    opts = {"epsilon": 1.0, "seed": 4, "reproducible_noise": True, **COARSE}
    mem = tabsynth.fit(df, schema, "copula", **opts)
    streamed = tabsynth.fit(tabsynth.scan(tmp_path / "t.parquet", batch_rows=700), schema,
                            "copula", **opts)  # fmt: skip
    for a, b in zip(mem.pmfs_, streamed.pmfs_, strict=True):
        np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(mem.corr_, streamed.corr_)
    only_h = mem.sample(500, seed=0, where={"group": "h"})
    assert (only_h["group"] == "h").all()
    assert only_h["x"].mean() > mem.sample(3000, seed=0)["x"].mean() + 4  # h's own margin
    balanced = mem.sample(4000, seed=0, rebalance={"group": "uniform"})
    shares = balanced["group"].value_counts(normalize=True)
    assert shares.max() - shares.min() < 0.05
    mem.save(tmp_path / "m")
    again = tabsynth.load(tmp_path / "m")
    pd.testing.assert_frame_equal(again.sample(300, seed=2), mem.sample(300, seed=2))
