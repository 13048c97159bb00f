"""Conditional sampling and rebalancing: exact, post-processing, with clear errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import tabsynth
from tests.cli import run_cli
from tests.toydata import make_toy


@pytest.fixture(scope="module")
def linked():
    """c is 'hi' exactly when x > 0.5: a strong link between a category and a number."""
    rng = np.random.default_rng(0)
    n = 20_000
    x = np.clip(rng.normal(0, 1, n), -4, 4)
    y = np.where(rng.random(n) < 0.3, "b", "a")
    df = pd.DataFrame(
        {
            "y": y,
            "x": x,
            "c": np.where(x > 0.5, "hi", "lo"),
            "g": rng.choice(["p", "q", "r", "s"], n, p=[0.7, 0.2, 0.09, 0.01]),
        }
    )
    schema = tabsynth.Schema.from_dict(
        {
            "name": "l",
            "target": "y",
            "columns": [
                {"name": "y", "kind": "categorical", "categories": ["a", "b"]},
                {"name": "x", "kind": "numerical", "lower": -4, "upper": 4},
                {"name": "c", "kind": "categorical", "categories": ["hi", "lo", "never"]},
                {"name": "g", "kind": "categorical", "categories": ["p", "q", "r", "s"]},
            ],
        }
    )
    return df, schema


def test_where_on_a_stratum_and_on_another_column(linked):
    df, schema = linked
    model = tabsynth.fit(df, schema, epsilon=None)
    assert model.strata_ == ["y"]
    out = model.sample(20_000, seed=0, where={"y": "b"})
    assert (out.y == "b").all()
    out = model.sample(20_000, seed=0, where={"c": "hi"})
    assert (out.c == "hi").all()
    # exact: the same law as filtering a large unconditional draw (the model's conditional)
    big = model.sample(400_000, seed=1)
    ref = big[big.c == "hi"]
    assert out.x.mean() == pytest.approx(ref.x.mean(), abs=0.03)
    assert out.y.eq("b").mean() == pytest.approx(ref.y.eq("b").mean(), abs=0.015)
    assert out.x.mean() > big.x.mean() + 0.3  # and it is not the marginal
    both = model.sample(5_000, seed=0, where={"c": "lo", "y": "a"})
    assert (both.c == "lo").all() and (both.y == "a").all()


def test_rebalanced_shares_within_one_point(linked):
    df, schema = linked
    model = tabsynth.fit(df, schema, epsilon=1.0)
    out = model.sample(100_000, seed=1, rebalance={"g": "uniform"})
    assert out.g.value_counts(normalize=True).sub(0.25).abs().max() < 0.01
    out = model.sample(100_000, seed=1, rebalance={"y": {"a": 0.5, "b": 0.5}})
    assert abs((out.y == "b").mean() - 0.5) < 0.01
    # same seed, same rebalanced sample
    pd.testing.assert_frame_equal(
        out, model.sample(100_000, seed=1, rebalance={"y": {"a": 0.5, "b": 0.5}})
    )


def test_bad_conditions_are_clear(linked, toy_schema):
    df, schema = linked
    model = tabsynth.fit(df, schema, epsilon=None)
    cases = [
        ({"where": {"g": "z"}}, "outside the domain of 'g'"),
        ({"where": {"x": 0.3}}, "continuous"),
        ({"where": {"nope": 1}}, "unknown column"),
        ({"where": {"c": "hi", "g": "p"}}, "one other column"),
        ({"where": {"c": "never"}}, "impossible condition {'c': 'never'}"),
        ({"rebalance": {"y": {"a": 0.7, "b": 0.7}}}, "sum to 1"),
        ({"rebalance": {"x": "uniform"}}, "categorical or boolean"),
        ({"rebalance": {"y": "uniform"}, "where": {"y": "a"}}, "both conditioned"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            model.sample(100, seed=0, **kwargs)
    toy = tabsynth.fit(make_toy(3000), toy_schema, epsilon=None)
    assert (toy.sample(500, seed=0, where={"k": 3}).k == 3).all()  # integer grid column
    assert toy.sample(500, seed=0, where={"flag": "yes"}).flag.all()


def test_cli_where_rebalance_and_manifest(tmp_path, health):
    df, schema = health
    tabsynth.fit(df, schema, epsilon=1.0).save(tmp_path / "m")
    out = tmp_path / "s.csv"
    res = run_cli(
        "sample",
        str(tmp_path / "m"),
        "-n",
        "2000",
        "-o",
        str(out),
        "--seed",
        "3",
        "--where",
        "region=west",
        "--rebalance",
        "insurance=yes:0.5,no:0.5",
    )
    assert res.returncode == 0, res.stderr
    syn = pd.read_csv(out)
    assert (syn.region == "west").all() and abs((syn.insurance == "no").mean() - 0.5) < 0.05
    manifest = json.loads((tmp_path / "s.csv.manifest.json").read_text())
    assert manifest["where"] == {"region": "west"} and "spend no budget" in manifest["privacy_cost"]
    res = run_cli(
        "sample",
        str(tmp_path / "m"),
        "-n",
        "500",
        "-o",
        str(out),
        "--scenario",
        "rare",
        "--drift",
        "age+2",
    )
    assert res.returncode == 0, res.stderr
    manifest = json.loads((tmp_path / "s.csv.manifest.json").read_text())
    assert manifest["scenario"]["name"] == "rare" and manifest["drift"] == ["age+2"]
    assert "made 5 times as common" in manifest["scenario"]["changed"]
    bad = run_cli(
        "sample", str(tmp_path / "m"), "-n", "5", "-o", str(out), "--where", "region=mars"
    )
    assert bad.returncode == 1 and "outside the domain" in bad.stderr


def test_scenarios_tails_rare_and_drift(health):
    df, schema = health
    model = tabsynth.fit(df, schema, epsilon=None)
    base = model.sample(20_000, seed=0)
    tails = model.sample(20_000, seed=0, scenario="tails")
    lo, hi = np.quantile(base.age, [0.06, 0.94])
    flo, fhi = np.quantile(base.family, [0.06, 0.94])
    extreme = (tails.age <= lo) | (tails.age >= hi) | (tails.family <= flo) | (tails.family >= fhi)
    assert extreme.mean() > 0.9 > ((base.age <= lo) | (base.age >= hi)).mean() + 0.5
    drift = model.sample(20_000, seed=0, drift=["age+5", "insurance=no:0.4"])
    assert abs((drift.insurance == "no").mean() - 0.4) < 0.01
    moved = model.sample(20_000, seed=0, drift=["age+5"])
    assert 3.5 < moved.age.mean() - base.age.mean() <= 5  # clipped at the schema's 64
    assert moved.age.max() <= 64
    ratio = model.marginal("education")
    assert sum(ratio.values()) == pytest.approx(1.0)
    for bad, message in [
        ({"scenario": "chaos"}, "unknown scenario"),
        ({"drift": ["age*2"]}, "cannot read drift"),
        ({"drift": ["insurance=no:1.5"]}, r"\[0, 1\]"),
        ({"drift": ["insurance=no:0.4"], "rebalance": {"gender": "uniform"}}, "use one of them"),
    ]:
        with pytest.raises(tabsynth.errors.SamplingError, match=message):
            model.sample(100, seed=0, **bad)


@pytest.fixture(scope="module")
def credit_split(credit):
    df, schema = credit
    return df, schema


@pytest.mark.parametrize(
    "rule,check",
    [
        ("Amount <= Price", lambda o: o.Amount <= o.Price),  # inequality
        ("100 <= Amount <= 3000", lambda o: o.Amount.between(100, 3000)),  # range (chained)
        ("Amount + 50 < Price * 2", lambda o: o.Amount + 50 < o.Price * 2),  # arithmetic
        (
            "not (Home == 'owner') or Assets > 0",  # implication: owners have assets
            lambda o: (o.Home != "owner") | (o.Assets > 0) | o.Assets.isna(),
        ),
        (
            "Job in ['fixed', 'freelance'] or Age < 40",  # fixed combinations
            lambda o: o.Job.isin(["fixed", "freelance"]) | (o.Age < 40) | o.Job.isna(),
        ),
    ],
)
def test_each_constraint_type_is_enforced(credit_split, rule, check):
    df, schema = credit_split
    d = schema.model_dump(mode="json")
    d["constraints"] = [rule]
    model = tabsynth.fit(df, tabsynth.Schema.from_dict(d), epsilon=1.0)
    out = model.sample(3000, seed=0)
    assert len(out) == 3000 and check(out).all()
    report = model.last_sample_report_
    assert 0 <= report["rejection_rate"] < 1 and rule in report["violations"]


def test_constraint_errors_are_clear(credit_split):
    df, schema = credit_split
    d = schema.model_dump(mode="json")
    d["constraints"] = ["__import__('os').system('true')", "Amont < 3", "Amount <"]
    with pytest.raises(tabsynth.SchemaError) as err:
        tabsynth.Schema.from_dict(d)
    text = str(err.value)
    assert "Call is not allowed" in text and "unknown column 'Amont'" in text
    assert "cannot parse" in text
    d["constraints"] = ["Amount < Price", "Price < Amount"]
    model = tabsynth.fit(df, tabsynth.Schema.from_dict(d), epsilon=1.0)
    with pytest.raises(tabsynth.errors.SamplingError, match="contradictory"):
        model.sample(100, seed=0)


def test_rebalancing_keeps_its_shares_when_constraints_reject_rows_of_one_value_more():
    """A constraint that rejects most rows of one group: rejected rows are redrawn with the
    same group, so uniform rebalancing still gives each group half the rows (drawn in one
    batch, the group that fails the rule more would lose its share)."""
    rng = np.random.default_rng(0)
    n = 6000
    group = rng.choice(["a", "b"], n)
    x = np.where(group == "a", rng.normal(6, 1.5, n), rng.normal(2, 1.5, n)).clip(-5, 15)
    schema = tabsynth.Schema.from_dict(
        {
            "name": "rules",
            "constraints": ["x < 5"],
            "columns": [
                {"name": "group", "kind": "categorical", "categories": ["a", "b"]},
                {"name": "x", "kind": "numerical", "lower": -5, "upper": 15},
            ],
        }
    )
    model = tabsynth.fit(pd.DataFrame({"group": group, "x": x}), schema, epsilon=None)
    out = model.sample(10_000, seed=0, rebalance={"group": "uniform"})
    assert (out.x < 5).all()
    assert out.group.value_counts(normalize=True)["a"] == pytest.approx(0.5, abs=0.015)
    report = model.last_sample_report_
    assert 0.2 < report["rejection_rate"] < 0.9 and report["violations"]["x < 5"] > 0.2
