"""Fair sampling (statistical parity), the rare and tails scenarios, scenario files and
the critic's implausibility check: post-processing that does what it says."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

import tabsynth
from tabsynth.errors import SamplingError
from tabsynth.evaluation.rarity import rare_pair_rows
from tests.cli import run_cli


@pytest.fixture(scope="module")
def fitted(health):
    # reproducible noise (NOT FOR RELEASE; sampling is what is tested here): with secure
    # noise about 1 fit in 7 of these 2,000 rows is fair already (parity under 8-10
    # standard errors) and about 1 in 10 gives ethnicity=other no mass, so the checks below that
    # need an unfair model with every group would fail by chance
    df, schema = health
    return df, schema, tabsynth.fit(df, schema, epsilon=1.0, seed=0, reproducible_noise=True)


def _parity_ok(out: pd.DataFrame, target: str, groups: list[str]) -> float:
    """The largest gap between a group's target share and the overall one, in standard
    errors of the group's share (sampling noise)."""
    overall = out[target].value_counts(normalize=True)
    worst = 0.0
    for _, part in out.groupby(groups):
        shares = part[target].value_counts(normalize=True)
        for value, p in overall.items():
            se = np.sqrt(p * (1 - p) / len(part))
            worst = max(worst, abs(shares.get(value, 0.0) - p) / se)
    return worst


def test_fair_target_shares_equal_in_every_group_on_100k(fitted):
    df, schema, model = fitted
    assert model.strata_ == ["insurance"]
    plain = model.sample(100_000, seed=0)
    # the model is not fair: about 10 standard errors between a group and the whole (this
    # reproducible fit; the fair draw below must bring it under 4.5)
    assert _parity_ok(plain, "insurance", ["ethnicity"]) > 8
    # ethnicity is not a stratum: exact through the copula's one extra column
    out = model.sample(100_000, seed=0, fair={"target": "insurance", "protected": ["ethnicity"]})
    assert _parity_ok(out, "insurance", ["ethnicity"]) < 4.5
    fair = model.last_sample_report_["fair"]
    assert fair["exact"] == "copula strata" and "statistical parity" in fair["changed"]
    # group shares are the model's, and so is the overall target distribution
    want = plain.ethnicity.value_counts(normalize=True)
    got = out.ethnicity.value_counts(normalize=True)
    assert (got - want).abs().max() < 0.01
    assert fair["target_shares"]["yes"] == pytest.approx(model.marginal("insurance")["yes"])
    # two protected columns outside the strata: drawn given the target, kept by group
    two = model.sample(60_000, seed=1, fair="insurance:ethnicity,gender")
    assert _parity_ok(two, "insurance", ["ethnicity", "gender"]) < 5
    assert model.last_sample_report_["fair"]["exact"] == "rejection on the groups"


def test_fair_keeps_the_models_conditional_given_group_and_target(fitted):
    """Rows of (group, target) are the model's conditional: compare with filtering a large
    plain draw, here where the fair draw went through rejection."""
    _, _, model = fitted
    out = model.sample(
        40_000, seed=2, fair={"target": "insurance", "protected": ["region", "gender"]}
    )
    assert model.last_sample_report_["fair"]["exact"] == "rejection on the groups"
    big = model.sample(400_000, seed=3)
    for region, gender, ins in itertools.product(
        ["west", "south"], ["male", "female"], ["yes", "no"]
    ):
        a = out[(out.region == region) & (out.gender == gender) & (out.insurance == ins)]
        b = big[(big.region == region) & (big.gender == gender) & (big.insurance == ins)]
        se = np.hypot(a.age.std() / np.sqrt(len(a)), b.age.std() / np.sqrt(len(b)))
        assert abs(a.age.mean() - b.age.mean()) < 4.5 * se, (region, gender, ins)
        ma, mb = (a.married == "yes").mean(), (b.married == "yes").mean()
        assert abs(ma - mb) < 4.5 * np.sqrt(mb * (1 - mb) / len(a)), (region, gender, ins)


def test_fair_errors_are_clear(fitted):
    _, _, model = fitted
    cases = [
        ({"fair": {"target": "insurance", "protected": ["nope", "age"]}}, "unknown column 'nope'"),
        ({"fair": {"target": "insurance", "protected": ["age"]}}, "not categorical"),
        ({"fair": "insurance:insurance"}, "both the target and protected"),
        ({"fair": "insurance"}, "TARGET:PROTECTED"),
        ({"fair": "insurance:gender", "rebalance": {"region": "uniform"}}, "cannot be combined"),
        ({"fair": "insurance:gender", "where": {"region": "west"}}, "cannot be combined"),
        ({"fair": "insurance:gender", "scenario": "rare"}, "cannot be combined"),
    ]
    for kwargs, message in cases:
        with pytest.raises(SamplingError, match=message):
            model.sample(100, seed=0, **kwargs)
    # a group the model gives no row of one target value cannot be made fair: said so
    from tabsynth.sampling.draw import draw_rows

    class NoYesInOther(_Leaky):
        def _joint(self, columns):
            p = self.model._joint(columns)
            if columns == ["insurance", "ethnicity"]:
                p = p.copy()
                yes = self.model._cell_domain("insurance").cell_names().index("yes")
                other = self.model._cell_domain("ethnicity").cell_names().index("other")
                p[yes, other] = 0.0
            return p

    with pytest.raises(SamplingError, match="insurance=yes, ethnicity=other.*probability 0"):
        draw_rows(NoYesInOther(model), 100, np.random.default_rng(0), fair="insurance:ethnicity")


def test_rare_scenario_triples_rows_in_rare_pairs():
    """Rows in pairs under 1% of the REAL rows are at least 3 times as common as in a plain
    sample of the same model (the whole bundled table, epsilon 1, a declared factor 10)."""
    from tabsynth.datasets import load_example

    df, schema = load_example("health_insurance")
    model = tabsynth.fit(df, schema, epsilon=1.0)
    plain = model.sample(20_000, seed=0)
    rare = model.sample(20_000, seed=0, scenario={"name": "rare", "factor": 10})
    info = model.last_sample_report_["scenario"]
    assert info["name"] == "rare" and info["factor"] == 10 and info["below"] == 0.01
    assert info["rare_share"] == pytest.approx(min(1, 10 * info["rare_share_plain"]), rel=0.05)
    s_plain = rare_pair_rows(df, plain, schema).mean()
    s_rare = rare_pair_rows(df, rare, schema).mean()
    assert s_rare >= 3 * s_plain, (s_plain, s_rare)
    # the default factor 5, and a declared 2, in the model's own terms; reproducible
    model.sample(20_000, seed=4, scenario="rare")
    five = model.last_sample_report_["scenario"]
    assert five["rare_share"] == pytest.approx(5 * five["rare_share_plain"], rel=0.05)
    two = model.sample(20_000, seed=4, scenario={"name": "rare", "factor": 2})
    assert model.last_sample_report_["scenario"]["rare_share"] < 0.5 * five["rare_share"]
    pd.testing.assert_frame_equal(
        two, model.sample(20_000, seed=4, scenario={"name": "rare", "factor": 2})
    )


def test_tails_scenario_with_its_share_and_columns(fitted):
    _, _, model = fitted
    base = model.sample(20_000, seed=0)
    out = model.sample(20_000, seed=0, scenario={"name": "tails", "share": 0.1, "columns": "age"})
    # in the model's own tails: the share of plain rows below a row's age is at most 10%
    # (lower tail) or the share at or below it at least 90% (upper tail), to within the
    # cell that holds the 10% point (the band is exact in the model's cells; a value's
    # position inside its cell is drawn anew, and one cell of ages holds a few percent);
    # ages are integers, so a block of equal ages counts for either side
    ages = np.sort(base.age.to_numpy())
    below = np.searchsorted(ages, out.age.to_numpy(), side="left") / ages.size
    upto = np.searchsorted(ages, out.age.to_numpy(), side="right") / ages.size
    assert ((below <= 0.15) | (upto >= 0.85)).mean() > 0.97
    assert ((below <= 0.25) | (upto >= 0.75)).mean() == 1.0
    assert model.last_sample_report_["scenario"]["columns"] == ["age"]
    for bad, message in [
        ({"name": "tails", "share": 0.9}, "share must be"),
        ({"name": "tails", "columns": ["gender"]}, "numerical columns"),
        ({"name": "rare", "factor": 0.5, "colour": 1}, "unknown parameter 'colour'.*factor"),
    ]:
        with pytest.raises(SamplingError, match=message):
            model.sample(100, seed=0, scenario=bad)


def test_scenario_file_regenerates_the_same_stress_set(tmp_path, fitted):
    df, schema, model = fitted
    model.save(tmp_path / "m")
    spec = tmp_path / "stress.yaml"
    spec.write_text(
        "scenario: {name: rare, factor: 4}\nfixed: {region: west}\nshifts: [age+2]\nseed: 7\n"
    )
    opts = tabsynth.stress_options(spec)
    a = model.sample(3000, **opts)
    assert (a.region == "west").all()
    pd.testing.assert_frame_equal(a, model.sample(3000, **tabsynth.stress_options(spec)))
    outs = []
    for name in ("a.csv", "b.csv"):
        res = run_cli(
            "sample", str(tmp_path / "m"), "-n", "3000", "-o", str(tmp_path / name),
            "--scenario-file", str(spec),
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        outs.append(pd.read_csv(tmp_path / name))
    pd.testing.assert_frame_equal(*outs)
    manifest = json.loads((tmp_path / "a.csv.manifest.json").read_text())
    assert manifest["scenario"]["factor"] == 4 and manifest["seed"] == 7
    assert manifest["where"] == {"region": "west"} and manifest["drift"] == ["age+2"]
    assert len(manifest["scenario_file"]["sha256"]) == 64
    spec.write_text("scenario: {name: rare, factor: 0}\ncolour: red\nseed: -1\n")
    with pytest.raises(SamplingError) as err:
        tabsynth.stress_options(spec)
    assert all(w in str(err.value) for w in ("colour", "seed", "factor must be"))
    res = run_cli(
        "sample", str(tmp_path / "m"), "-n", "10", "-o", str(tmp_path / "c.csv"),
        "--scenario-file", str(spec),
    )  # fmt: skip
    assert res.returncode == 1 and "colour" in res.stderr


def test_cli_fair_and_scenario_parameters_in_the_manifest(tmp_path, fitted):
    _, _, model = fitted
    model.save(tmp_path / "m")
    out = tmp_path / "f.csv"
    res = run_cli(
        "sample", str(tmp_path / "m"), "-n", "20000", "-o", str(out), "--seed", "1",
        "--fair", "insurance:ethnicity",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert _parity_ok(pd.read_csv(out), "insurance", ["ethnicity"]) < 4.5
    manifest = json.loads((tmp_path / "f.csv.manifest.json").read_text())
    assert (
        manifest["fair"]["protected"] == ["ethnicity"] and "parity" in manifest["fair"]["changed"]
    )
    res = run_cli(
        "sample", str(tmp_path / "m"), "-n", "2000", "-o", str(out),
        "--scenario", "rare:factor=3,below=0.02",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    manifest = json.loads((tmp_path / "f.csv.manifest.json").read_text())
    assert manifest["scenario"]["factor"] == 3 and manifest["scenario"]["below"] == 0.02


class _Leaky:
    """A model whose DP marginal puts region=west at zero while its sampler still draws it."""

    name = "leaky"
    draws_in_support = False

    def __init__(self, model):
        self.model, self.schema = model, model.schema

    def __getattr__(self, item):
        return getattr(self.model, item)

    def _sample(self, n, rng, where=None):
        return self.model._sample(n, rng, where=where)

    def _joint(self, columns):
        p = self.model._joint(columns)
        if columns == ["region"]:
            p = np.where(np.array(self.model._cell_domain("region").cell_names()) == "west", 0, p)
        return p


def test_critic_redraws_rows_in_cells_the_dp_marginals_put_at_zero(fitted):
    from tabsynth.sampling.draw import draw_rows
    from tabsynth.sampling.plausible import plausibility

    df, schema, model = fitted
    out, report = draw_rows(_Leaky(model), 5000, np.random.default_rng(0))
    west = model.marginal("region")["west"]
    assert len(out) == 5000 and not (out["region"] == "west").any()
    assert report["implausible_rate"] == pytest.approx(west, abs=0.02)
    # the shipped models draw within their DP marginals' support: nothing to prune
    big = model.sample(100_000, seed=0, as_frame="polars")
    check = plausibility(model, set())
    assert check is not None and check(big).all()
    assert "not needed" in model.last_sample_report_["implausible_check"]


@pytest.mark.parametrize("table", ["credit_data", "loans"])
def test_copula_values_stay_in_their_cell_on_the_release_grid(table):
    """Integers and fixed-precision numbers are decoded onto the grid values inside their
    cell: rounding a value near an edge used to move it into the next cell, or onto a point
    mass, that the DP marginal put at zero (0.4-2.3% of rows at epsilon 0.3 on these
    tables); this is what lets the copula skip the critic's implausibility check."""
    from tabsynth.datasets import load_example
    from tabsynth.sampling.plausible import plausibility

    df, schema = load_example(table)
    model = tabsynth.fit(df, schema, epsilon=0.3)
    check = plausibility(model, set())
    assert check is not None and check(model.sample(100_000, seed=1, as_frame="polars")).all()
