"""The copula's pair calibration: pairs chosen by report-noisy-max, their grouped 2-way
counts measured, the sample raked to them (``tabsynth/models/copula/pairs.py``)."""

import numpy as np
import pandas as pd
import pytest

import tabsynth
from tabsynth.data.domain import build_domain
from tabsynth.evaluation.fidelity import _frame
from tabsynth.models.copula.pairs import (
    PAIR_MECHANISM,
    PAIR_SELECT_MECHANISM,
    group_map,
    pair_counts,
    rake,
)
from tabsynth.privacy.noise import SecureNoise, SeededNoise, noisy_max_rho, noisy_max_scale


def _column(**kw):
    schema = tabsynth.Schema.from_dict({"name": "t", "columns": [{"name": "x", **kw}]})
    return schema.columns[0]


def test_groups_are_runs_of_equal_mass_or_the_likeliest_categories():
    num = build_domain(_column(kind="numerical", lower=0, upper=100), bins=16)
    margin = np.full(num.n_cells, 1.0)
    g = group_map(num, margin, 4)
    assert np.all(np.diff(g) >= 0) and g.max() == 3  # ordered runs
    assert np.bincount(g).max() - np.bincount(g).min() <= 1  # about equal mass
    cat = build_domain(_column(kind="categorical", categories=list("abcdefgh")))
    p = np.array([0.01, 0.3, 0.02, 0.2, 0.03, 0.25, 0.04, 0.15])
    g = group_map(cat, p, 4)
    assert [g[1], g[5], g[3]] == [0, 1, 2]  # the three likeliest keep a group each
    assert set(g[[0, 2, 4, 6, 7]]) == {3}  # the rest share one
    assert np.array_equal(group_map(cat, p, 8), np.arange(8))  # few cells stay


def test_raking_matches_the_target_tables_and_tempering_keeps_the_sample_in_use():
    rng = np.random.default_rng(0)
    n = 20_000
    codes = {"a": rng.integers(0, 3, n), "b": rng.integers(0, 3, n), "c": rng.integers(0, 2, n)}
    sizes = {"a": 3, "b": 3, "c": 2}
    pairs = [("a", "b"), ("b", "c")]
    target_ab = np.diag([3.0, 3.0, 3.0]) + 1  # a and b mostly equal
    targets = [target_ab.ravel(), np.array([1.0, 2.0, 2.0, 1.0, 1.5, 1.5])]  # consistent in b
    idx = [codes["a"] * 3 + codes["b"], codes["b"] * 2 + codes["c"]]
    w = rake(idx, targets, min_ess=0.0)
    for got, want in zip(pair_counts(codes, sizes, pairs, w), targets, strict=True):
        np.testing.assert_allclose(got, want / want.sum(), atol=2e-3)
    before = pair_counts(codes, sizes, pairs)[0] / n
    assert np.abs(before - targets[0] / targets[0].sum()).sum() > 0.5  # it did have work
    tempered = rake(idx, targets, min_ess=0.9)
    assert 1 / (tempered**2).sum() / n >= 0.9 - 1e-6
    assert 1 / (w**2).sum() / n < 0.9  # the untempered weights were stronger


def test_noisy_max_costs_what_opendp_says_and_picks_by_the_exponential_mechanism():
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.linf_distance(T=float)
    scale = noisy_max_scale(1.0, 0.02)
    meas = space >> dp.m.then_noisy_max(dp.zero_concentrated_divergence(), scale=scale)
    assert meas.map(1.0) == pytest.approx(0.02, rel=1e-9) == noisy_max_rho(1.0, scale)
    scores = np.array([0.0, 1.0, 2.0])
    want = np.exp(scores) / np.exp(scores).sum()  # Gumbel-max = softmax(scores / scale)
    for noise, draws in ((SecureNoise(), 4000), (SeededNoise(3), 20_000)):
        picks = np.bincount([noise.noisy_max(scores, 1.0) for _ in range(draws)], minlength=3)
        se = np.sqrt(want * (1 - want) / draws)
        assert np.all(np.abs(picks / draws - want) < 5 * se), (type(noise).__name__, picks)


@pytest.fixture(scope="module")
def credit():
    from tabsynth.datasets import load_example

    df, schema = load_example("credit_data")
    return df.sample(3000, random_state=1).reset_index(drop=True), schema


def _grouped_tables(model, data, pairs):
    doms = model._domains()
    frame = _frame(data, model.schema)
    codes = {c: g[doms[c].encode(frame.get_column(c))[0]] for c, g in model.pair_groups_.items()}
    sizes = {c: int(g.max()) + 1 for c, g in model.pair_groups_.items()}
    return [t / t.sum() for t in pair_counts(codes, sizes, pairs)]


def test_pairs_are_measured_charged_and_bring_the_sample_closer_to_the_data(credit):
    df, schema = credit
    model = tabsynth.fit(
        df, schema, "copula", epsilon=4.0, pair_share=0.3, seed=3, reproducible_noise=True
    )
    names = [m.name for m in model.privacy.mechanisms]
    assert PAIR_SELECT_MECHANISM in names and PAIR_MECHANISM in names
    assert model.privacy.epsilon <= 4.0 * (1 + 1e-9)
    assert len(model.pairs_) == len(schema.modelled_columns)
    rng = np.random.default_rng(0)
    plain = model._sample_copula(len(df), rng)
    raked = model.sample(len(df), seed=0)
    real = _grouped_tables(model, df, model.pairs_)
    l1 = lambda t: np.mean([np.abs(a - b).sum() for a, b in zip(t, real, strict=True)])  # noqa: E731
    assert l1(_grouped_tables(model, raked, model.pairs_)) < 0.8 * l1(
        _grouped_tables(model, plain, model.pairs_)
    )
    assert len(raked) == len(df)


def test_pair_count_sets_how_many_pairs_are_chosen_and_their_sensitivity(credit):
    df, schema = credit
    model = tabsynth.fit(
        df, schema, "copula", epsilon=4.0, pair_share=0.3, pair_count=3, seed=3,
        reproducible_noise=True,
    )  # fmt: skip
    assert len(model.pairs_) == 3 == len(set(model.pairs_))
    pairs = next(m for m in model.privacy.mechanisms if m.name == PAIR_MECHANISM)
    assert pairs.sensitivity == pytest.approx(np.sqrt(3))  # one record, one cell of each
    assert model.privacy.epsilon <= 4.0 * (1 + 1e-9)
    with pytest.raises(ValueError, match="pair_count must be 0"):
        tabsynth.fit(df, schema, "copula", epsilon=4.0, pair_share=0.3, pair_count=-1)


def test_saved_pairs_sample_alike_and_conditions_rebalancing_still_work(credit, tmp_path):
    df, schema = credit
    model = tabsynth.fit(
        df, schema, "copula", epsilon=2.0, pair_share=0.3, seed=4, reproducible_noise=True
    )
    model.save(tmp_path / "m")
    again = tabsynth.load(tmp_path / "m")
    pd.testing.assert_frame_equal(
        pd.DataFrame(model.sample(500, seed=9)), pd.DataFrame(again.sample(500, seed=9))
    )
    assert again.pairs_ == model.pairs_
    # a condition samples the copula alone (the pairs measured unconditional tables)
    bad = pd.DataFrame(model.sample(300, seed=1, where={"Status": "bad"}))
    assert len(bad) == 300 and set(bad["Status"]) == {"bad"}
    fair = pd.DataFrame(model.sample(2000, seed=2, rebalance={"Home": "uniform"}))
    shares = fair["Home"].value_counts(normalize=True)
    assert shares.max() - shares.min() < 0.1


def test_a_streamed_fit_measures_the_same_pairs(credit, tmp_path):
    df, schema = credit
    df.to_parquet(tmp_path / "c.parquet")
    opts = {"epsilon": 2.0, "pair_share": 0.3, "seed": 5, "reproducible_noise": True}
    mem = tabsynth.fit(df, schema, "copula", **opts)
    streamed = tabsynth.fit(tabsynth.scan(tmp_path / "c.parquet", batch_rows=400), schema,
                            "copula", **opts)  # fmt: skip
    assert streamed.pairs_ == mem.pairs_
    for a, b in zip(streamed.pair_targets_, mem.pair_targets_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("r", (-0.6, 0.0, 0.45, 0.9))
def test_polychoric_recovers_the_latent_correlation_of_a_grouped_table(r):
    from tabsynth.models.copula.pairs import polychoric

    rng = np.random.default_rng(1)
    z = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], 100_000)
    a = np.digitize(z[:, 0], [-1.2, -0.4, 0.3, 1.0])  # 5 ordered groups, uneven
    b = np.digitize(z[:, 1], [-0.2, 0.8])  # 3
    table = np.bincount(a * 3 + b, minlength=15)
    assert polychoric(table, (5, 3)) == pytest.approx(r, abs=0.02)


def test_the_latent_correction_moves_measured_numeric_pairs_towards_the_data(credit):
    """Measured pairs of ordered copula columns move (in every stratum), the matrices stay
    valid, and pairs with a category column are left as they were (up to re-validation)."""
    df, schema = credit
    opts = {"epsilon": 8.0, "pair_share": 0.3, "seed": 6, "reproducible_noise": True}
    plain = tabsynth.fit(df, schema, "copula", pair_correlation=False, **opts)
    fixed = tabsynth.fit(df, schema, "copula", **opts)
    assert plain.pairs_ == fixed.pairs_
    doms = fixed._domains()
    numeric = [
        (a, b)
        for a, b in fixed.pairs_
        if a in fixed.others_ and b in fixed.others_ and all(
            doms[c].is_numeric or doms[c].integer for c in (a, b)
        )
    ]  # fmt: skip
    assert numeric
    moved = [
        np.abs(fixed.corr_[:, fixed.others_.index(a), fixed.others_.index(b)]
               - plain.corr_[:, plain.others_.index(a), plain.others_.index(b)]).max()
        for a, b in numeric
    ]  # fmt: skip
    assert max(moved) > 0.02
    for s in range(fixed.corr_.shape[0]):
        assert np.linalg.eigvalsh(fixed.corr_[s])[0] > 0  # still valid
        np.testing.assert_allclose(np.diag(fixed.corr_[s]), 1.0)
    cats = [(a, b) for a, b in fixed.pairs_ if (a, b) not in numeric]
    for a, b in cats:
        if a in fixed.others_ and b in fixed.others_:
            i, j = fixed.others_.index(a), fixed.others_.index(b)
            np.testing.assert_allclose(fixed.corr_[:, i, j], plain.corr_[:, i, j], atol=0.05)
