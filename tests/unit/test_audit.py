"""Empirical audit: Clopper-Pearson bounds, canaries, positive control, a memorising model."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import beta

from tabsynth.audit import audit, canary, epsilon_bound, run_audit


def test_bound_matches_clopper_pearson_by_hand():
    s_in, s_out = np.ones(50), np.zeros(50)
    bound, tpr, fpr = epsilon_bound(s_in, s_out, 0.5, 1e-6, 0.95)
    tpr_lo = beta.ppf(0.025, 50, 1)
    fpr_hi = beta.ppf(0.975, 1, 50)
    assert (tpr, fpr) == (1.0, 0.0)
    assert bound == pytest.approx(math.log((tpr_lo - 1e-6) / fpr_hi))
    # more trials, tighter bound; no separation, no bound
    assert epsilon_bound(np.ones(500), np.zeros(500), 0.5, 1e-6, 0.95)[0] > bound
    assert epsilon_bound(np.ones(50), np.ones(50), 0.5, 1e-6, 0.95)[0] == 0.0


def test_canary_sits_in_the_emptiest_cells(health):
    df, schema = health
    can = canary(pl.from_pandas(df), schema)
    assert can.height == 1 and can.columns == list(df.columns)
    # its family size is one the data hold least often
    counts = df["family"].value_counts()
    assert counts.get(can["family"][0], 0) == counts.reindex(range(1, 15), fill_value=0).min()


class _Memoriser:
    """A "model" that releases its training rows: the worst possible mechanism."""

    def __init__(self, df: pl.DataFrame) -> None:
        self.df = df

    def sample(self, n, seed=None, as_frame="polars"):
        idx = np.random.default_rng(seed).integers(0, self.df.height, n)
        return self.df[idx.tolist()]


def test_a_memorising_model_is_caught(health):
    df, schema = health
    result = run_audit(
        df.head(800), schema, lambda d, eps: _Memoriser(d), epsilon=1.0, delta=1e-6, trials=120
    )
    assert result.epsilon_lower_bound > 1.0 and not result.consistent
    assert result.attack_auc > 0.95


@pytest.mark.slow
def test_dp_copula_stays_below_its_claim_and_the_control_does_not(health):
    df, schema = health
    out = audit(df.head(1000), schema, "copula", epsilon=1.0, trials=80)
    dp, ctrl = out["audit"], out["control"]
    assert dp["epsilon_lower_bound"] <= 1.0 and dp["consistent"]
    assert ctrl["epsilon_lower_bound"] > dp["epsilon_lower_bound"] + 0.5
    assert ctrl["attack_auc"] > 0.9
    assert out["verdict"].startswith("PASS")


class _TenthNoise:
    """The realistic bug: the plan calibrates sigma, the sampler draws sigma / 10."""

    def __init__(self, inner):
        self.inner, self.secure = inner, inner.secure

    def gaussian_counts(self, counts, sigma, **kw):
        return self.inner.gaussian_counts(counts, sigma / 10)

    def gaussian_values(self, values, sigma):
        return self.inner.gaussian_values(values, sigma / 10)


@pytest.mark.slow
def test_whitebox_group_audit_catches_noise_divided_by_ten(health, monkeypatch):
    """The released copula statistics, attacked with a group of 2 canaries: the claim allows
    a group epsilon 2; the broken mechanism's bound exceeds it. The attack separates in from
    out by about 2.5 sd; at 700 trials one audit in about 16 stayed below 2 (CI, 1.96), at
    1000 a simulated audit at that separation stays above 2.3 in 95 of 100."""
    import tabsynth.privacy.noise as noise_mod
    from tabsynth.audit import model_fit

    real_make = noise_mod.make_noise
    df, schema = health
    df = df.sample(2000, random_state=0)
    fit = model_fit("copula", schema)

    def broken(data, eps):
        monkeypatch.setattr(noise_mod, "make_noise", lambda **kw: _TenthNoise(real_make(**kw)))
        try:
            return fit(data, eps)
        finally:
            monkeypatch.setattr(noise_mod, "make_noise", real_make)

    out = audit(df, schema, "copula", epsilon=1.0, trials=1000, attack="whitebox", group=2,
                fit=broken, control=False)  # fmt: skip
    res = out["audit"]
    assert res["claimed_group_epsilon"] == 2.0
    assert res["epsilon_lower_bound"] > 2.0 and not res["consistent"]
    assert out["verdict"].startswith("FAIL")


@pytest.mark.slow
def test_whitebox_audit_passes_the_copula_and_its_control_is_clearly_above(health):
    df, schema = health
    out = audit(df.sample(2000, random_state=0), schema, "copula", epsilon=1.0, trials=300,
                attack="whitebox", group=2)  # fmt: skip
    dp, ctrl = out["audit"], out["control"]
    assert dp["epsilon_lower_bound"] <= 1.0 and dp["attack_auc"] < 0.7
    assert ctrl["epsilon_lower_bound"] > dp["epsilon_lower_bound"] + 1.5
    assert out["verdict"].startswith("PASS")
    with pytest.raises(ValueError, match="white-box"):
        run_audit(df.head(500), schema, lambda d, e: _Memoriser(d), epsilon=1.0, delta=1e-6,
                  trials=20, attack="whitebox")  # fmt: skip
    with pytest.raises(ValueError, match="group"):
        run_audit(df.head(500), schema, lambda d, e: _Memoriser(d), epsilon=1.0, delta=1e-6,
                  trials=20, group=2)  # fmt: skip


def test_audit_section_in_the_release_report(health, tmp_path):
    import tabsynth

    df, schema = health
    small = df.head(600)
    out = audit(
        small, schema, epsilon=1.0, trials=120, fit=lambda d, e: _Memoriser(d), control=False
    )
    assert out["verdict"].startswith("FAIL")
    res = tabsynth.evaluate(small, small, df.iloc[600:900], schema, utility=False)
    res.audit = out
    html = res.to_html(tmp_path / "r.html")
    assert "Empirical privacy audit" in html and "FAIL" in html and "data:image/png" in html
    assert res.to_dict()["audit"]["audit"]["epsilon_lower_bound"] > 1.0


def test_one_run_bound_matches_its_closed_form():
    from tabsynth.audit import one_run_epsilon_bound, one_run_p_value

    # every one of 100 guesses right: P[Binomial(100, q) >= 100] = q^100 = 0.05 at the bound
    q = 0.05 ** (1 / 100)
    assert one_run_epsilon_bound(200, 100, 100, 0.0, 0.95) == pytest.approx(
        math.log(q / (1 - q)), abs=1e-6
    )
    # delta makes the claim harder to reject; more right guesses, higher bound; chance, none
    assert one_run_epsilon_bound(200, 100, 100, 1e-4, 0.95) < math.log(q / (1 - q))
    assert one_run_epsilon_bound(200, 100, 90, 0.0, 0.95) < math.log(q / (1 - q))
    assert one_run_epsilon_bound(200, 100, 50, 0.0, 0.95) == 0.0
    # epsilon 0 is a fair coin: the p-value is the binomial tail of Binomial(r, 1/2)
    assert one_run_p_value(10, 10, 10, 0.0, 0.0) == pytest.approx(0.5**10)
    with pytest.raises(ValueError, match="v <= r <= m"):
        one_run_p_value(10, 20, 5, 1.0, 0.0)


def test_signature_canaries_touch_distinct_cells(health):
    from tabsynth.audit import signature_canaries

    df, schema = health
    data = pl.from_pandas(df)
    can, sigs = signature_canaries(data, schema, 500, np.random.default_rng(0))
    assert can.height == len(sigs) > 50  # capped by the table's cells, not by the request
    assert len(set(sigs)) == len(sigs)
    # apart from its own column, every canary equals the filler row
    for col in ("region", "education", "health"):
        own = [i for i, s in enumerate(sigs) if s.column == col]
        others = can[col].to_numpy()[[i for i in range(len(sigs)) if sigs[i].column != col]]
        assert len(set(others)) == 1 and others[0] == df[col].mode()[0]
        assert others[0] not in set(can[col].to_numpy()[own])


@pytest.mark.slow
def test_one_run_audit_passes_the_copula_and_its_control_is_exact(health):
    df, schema = health
    out = audit(df.sample(2000, random_state=0), schema, "copula", epsilon=1.0,
                attack="one-run", runs=6)  # fmt: skip
    res, ctrl = out["audit"], out["control"]
    assert res["attack"] == "one-run" and res["trials"] == 6
    assert res["canaries"] == ctrl["canaries"] > 300
    assert res["epsilon_lower_bound"] <= 1.0 and res["consistent"]
    # without noise a canary's signature cell holds exactly one more row when it is in
    assert set(np.round(ctrl["scores_in"], 6)) == {1.0}
    assert set(np.round(ctrl["scores_out"], 6)) == {0.0}
    assert ctrl["correct"] == ctrl["guesses"] and ctrl["epsilon_lower_bound"] > 4.0
    assert out["verdict"].startswith("PASS")


def test_one_run_audit_needs_released_statistics():
    from tabsynth.audit import Signature, signature_scores

    with pytest.raises(ValueError, match="copula's released statistics"):
        signature_scores(object(), pl.DataFrame(), pl.DataFrame(), [Signature("a", 1)])


def test_an_audit_that_cannot_fail_says_inconclusive_with_its_ceiling(health):
    """At epsilon 4 with 60 trials even a perfect attack (a model that releases its rows)
    stays under the claim: the verdict is INCONCLUSIVE, not PASS, and names the ceiling and
    the trials that would be needed; with enough trials the same attack FAILs the claim."""
    from tabsynth.audit import perfect_bound, trials_needed

    df, schema = health
    memorise = lambda d, eps: _Memoriser(d)  # noqa: E731
    out = audit(df.head(600), schema, "custom", epsilon=4.0, trials=60, fit=memorise,
                control=False)  # fmt: skip
    assert out["audit"]["consistent"]  # the perfect attack's bound is below 4 ...
    assert out["audit"]["epsilon_lower_bound"] <= out["ceiling"] + 1e-12
    assert out["ceiling"] <= 4.0 and out["verdict"].startswith("INCONCLUSIVE")
    need = trials_needed(4.0, schema.delta, 0.95)
    assert f"about {need} trials" in out["verdict"]
    # ... and that many trials would let a perfect attack refute the claim
    half = need - need // 2
    assert perfect_bound((half + 1) // 2, half // 2, schema.delta, 0.95) > 4.0
    strong = audit(df.head(600), schema, "custom", epsilon=1.0, trials=120, fit=memorise,
                   control=False)  # fmt: skip
    assert strong["ceiling"] > 1.0 and strong["verdict"].startswith("FAIL")
