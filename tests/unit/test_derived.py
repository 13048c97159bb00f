"""Derived columns (``tabsynth.schema.derived``): declared public functions of other columns,
never modelled, computed in every sampled row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import tabsynth
from tabsynth.errors import SamplingError, SchemaError

SUBS = ["A1", "A2", "B1", "B2", "C1"]


def _schema(**changes: object) -> tabsynth.Schema:
    cols = [
        {"name": "sub", "kind": "categorical", "categories": SUBS, "ordered": True},
        {
            "name": "grade",
            "kind": "categorical",
            "categories": ["A", "B", "C"],
            "derived": {"source": "sub", "map": {s: s[0] for s in SUBS}},
        },
        {
            "name": "low",
            "kind": "boolean",
            "derived": {"source": "sub", "map": {s: s[0] == "A" for s in SUBS}},
        },
        {"name": "x", "kind": "numerical", "lower": 0, "upper": 100, "precision": 2},
        {"name": "y", "kind": "numerical", "lower": 0, "upper": 50, "precision": 2},
        {
            "name": "total",
            "kind": "numerical",
            "lower": 0,
            "upper": 120,
            "precision": 2,
            "derived": {"formula": "x + y"},
        },
        {"name": "label", "kind": "categorical", "categories": ["no", "yes"]},
    ]
    data: dict[str, object] = {"name": "derived", "target": "label", "columns": cols}
    data.update(changes)
    return tabsynth.Schema.from_dict(data)


def _table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sub = rng.choice(SUBS, n, p=[0.3, 0.2, 0.2, 0.2, 0.1])
    x = np.round(rng.gamma(2.0, 10.0, n).clip(0, 100), 2)
    y = np.round(rng.uniform(0, 50, n), 2)
    label = np.where(rng.random(n) < 0.3 + 0.4 * (pd.Series(sub).str[0] == "A"), "yes", "no")
    return pd.DataFrame(
        {
            "sub": sub,
            "grade": pd.Series(sub).str[0],
            "low": pd.Series(sub).str[0] == "A",
            "x": x,
            "y": y,
            "total": np.round(x + y, 2),
            "label": label,
        }
    )


def test_derived_columns_are_not_modelled_and_hash_into_the_schema() -> None:
    schema = _schema()
    assert [c.name for c in schema.modelled_columns] == ["sub", "x", "y", "label"]
    other = _schema(columns=[c.model_dump(mode="json") for c in schema.columns])
    assert other.hash() == schema.hash()
    changed = schema.model_dump(mode="json")
    changed["columns"][5]["derived"]["formula"] = "x + 2 * y"
    assert tabsynth.Schema.from_dict(changed).hash() != schema.hash()


def test_every_problem_of_derived_columns_is_reported_at_once() -> None:
    cols = [
        {"name": "sub", "kind": "categorical", "categories": SUBS, "nullable": True},
        {"name": "g", "kind": "categorical", "categories": ["A", "B"],
         "derived": {"source": "sub", "map": {"A1": "A", "A2": "Z", "X9": "B"}}},
        {"name": "h", "kind": "categorical", "categories": ["A"],
         "derived": {"source": "g", "map": {"A": "A", "B": "A"}}},
        {"name": "n", "kind": "numerical", "lower": 0, "upper": 1,
         "derived": {"formula": "sub + 1"}},
        {"name": "m", "kind": "numerical", "lower": 0, "upper": 1, "derived": {}},
        {"name": "t", "kind": "categorical", "categories": ["A", "B", "C"],
         "derived": {"source": "sub", "map": {s: s[0] for s in SUBS}}},
    ]  # fmt: skip
    with pytest.raises(SchemaError) as err:
        tabsynth.Schema.from_dict({"name": "bad", "target": "t", "columns": cols})
    text = str(err.value)
    for needed in (
        "missing ['B1', 'B2', 'C1']",  # map keys: every source category, and no others
        "unknown ['X9']",
        "map values ['Z']",
        "derived from 'g', which is not modelled",  # no chains
        "numerical columns only, not ['sub']",
        "needs either `source` with `map`, or `formula`",
        "is derived and the target",
        "be null",  # a nullable source makes the derived column nullable
    ):
        assert needed in text, needed


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_every_sampled_row_holds_the_declared_functions(engine: str) -> None:
    df = _table()
    frame = pl.from_pandas(df) if engine == "polars" else df
    model = tabsynth.fit(frame, _schema(), "copula", epsilon=1.0, reproducible_noise=True, seed=1)
    syn = model.sample(4000, seed=2, as_frame="pandas")
    assert list(syn.columns) == list(df.columns)
    assert (syn["grade"] == syn["sub"].str[0]).all()
    assert (syn["low"] == (syn["sub"].str[0] == "A")).all()
    assert np.allclose(syn["total"], (syn["x"] + syn["y"]).clip(0, 120).round(2))
    # the sources keep their modelled distribution (the derived columns are not noise)
    share = syn["grade"].value_counts(normalize=True)
    assert abs(share["A"] - 0.5) < 0.08 and abs(share["C"] - 0.1) < 0.06


def test_the_model_never_reads_a_derived_column() -> None:
    """Two tables that differ only in their derived columns (one drops them) fit the same
    model: the same noise gives the same synthetic rows (their private values are never
    read, so nothing about them is measured or released)."""
    df = _table()
    scrambled = df.assign(
        grade=np.random.default_rng(5).permutation(df["grade"].to_numpy()),
        total=df["total"] * 0.5,
    ).drop(columns=["low"])
    kw = {"epsilon": 1.0, "reproducible_noise": True, "seed": 3}
    a = tabsynth.fit(df, _schema(), "copula", **kw).sample(500, seed=4)
    b = tabsynth.fit(scrambled, _schema(), "copula", **kw).sample(500, seed=4)
    pd.testing.assert_frame_equal(a, b)
    plain = _schema(columns=[c for c in _schema().model_dump(mode="json")["columns"]
                             if "derived" not in c or c["derived"] is None])  # fmt: skip
    m = tabsynth.fit(df[[c.name for c in plain.columns]], plain, "copula", **kw)
    hist = next(x for x in m.privacy_.mechanisms if "histograms of each" in x.name)
    ours = tabsynth.fit(df, _schema(), "copula", **kw)
    same = next(x for x in ours.privacy_.mechanisms if "histograms of each" in x.name)
    assert same.sensitivity == hist.sensitivity  # derived columns add no sensitivity


def test_formula_results_are_clipped_rounded_and_null_with_a_null_source() -> None:
    from tabsynth.schema.derived import derive

    schema = tabsynth.Schema.from_dict(
        {
            "name": "f",
            "columns": [
                {"name": "a", "kind": "numerical", "lower": 0, "upper": 10, "nullable": True},
                {"name": "b", "kind": "numerical", "lower": 0, "upper": 10},
                {"name": "s", "kind": "numerical", "lower": 0, "upper": 12, "integer": True,
                 "nullable": True, "derived": {"formula": "a + b / 3"}},
            ],
        }
    )  # fmt: skip
    out = derive(pl.DataFrame({"a": [1.0, 9.0, None], "b": [2.0, 10.0, 1.0]}), schema)
    assert out.get_column("s").dtype == pl.Int64
    assert out.get_column("s").to_list() == [2, 12, None]  # 1.67 -> 2; 12.33 clipped; null


def test_sampling_requests_name_the_source_of_a_derived_column() -> None:
    model = tabsynth.fit(_table(), _schema(), "copula", epsilon=1.0)
    for kw in (
        {"where": {"grade": "A"}},
        {"rebalance": {"grade": "uniform"}},
        {"drift": ["total+5"]},
        {"fair": "grade:label"},
    ):
        with pytest.raises(SamplingError, match="derived") as err:
            model.sample(10, seed=0, **kw)
        assert "sub" in str(err.value) or "source" in str(err.value)
    # conditions and drifts on the sources: the derived columns follow them
    rows = model.sample(300, seed=0, where={"sub": "B2"}, as_frame="pandas")
    assert (rows["grade"] == "B").all() and (~rows["low"]).all()
    moved = model.sample(300, seed=0, drift=["x+10"], as_frame="pandas")
    assert np.allclose(moved["total"], (moved["x"] + moved["y"]).clip(0, 120).round(2))


def test_constraints_on_derived_columns_are_enforced_and_saved_models_keep_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    schema = _schema(constraints=["total <= 60", "grade != 'C'"])
    model = tabsynth.fit(_table(), schema, "copula", epsilon=1.0)
    syn = model.sample(1000, seed=0, as_frame="pandas")
    assert (syn["total"] <= 60).all() and (syn["grade"] != "C").all()
    assert model.last_sample_report_["rejection_rate"] > 0
    model.save(tmp_path / "m")
    back = tabsynth.load(tmp_path / "m").sample(500, seed=1, as_frame="pandas")
    assert (back["grade"] == back["sub"].str[0]).all()


def test_ctgan_samples_hold_the_declared_functions_too() -> None:
    model = tabsynth.fit(_table(1000), _schema(), "ctgan", epsilon=None, epochs=1)
    syn = model.sample(300, seed=0, as_frame="pandas")
    assert (syn["grade"] == syn["sub"].str[0]).all()
    assert np.allclose(syn["total"], (syn["x"] + syn["y"]).clip(0, 120).round(2))


def test_schema_infer_drafts_functions_of_a_column_as_derived_for_review() -> None:
    from tabsynth.schema.infer import infer_schema

    df = _table(2000)
    rng = np.random.default_rng(1)
    df["region"] = np.where(rng.random(len(df)) < 0.5, "north", "south")
    df["noise"] = rng.choice(["p", "q"], len(df))  # not a function of anything
    df["tier"] = df["sub"].str[0]  # like grade, but the target: stays modelled
    with pytest.warns(Warning):
        draft = infer_schema(pl.from_pandas(df), target="tier")
    grade = draft.column("grade")
    assert grade.derived is not None and grade.derived.source == "sub"
    assert grade.derived.map == {s: s[0] for s in SUBS}
    assert "DRAFT: review" in (grade.description or "") and "public knowledge" in grade.description
    low = draft.column("low")
    assert low.derived is not None and low.derived.source in ("sub", "tier")  # the coarsest
    assert low.derived.map == {k: k[0] == "A" for k in low.derived.map}
    for name in ("region", "noise", "tier", "label", "sub"):
        assert draft.column(name).derived is None, name
    # one row breaking the function: no derived draft
    broken = df.copy()
    broken.loc[0, "grade"] = "C" if broken.loc[0, "grade"] != "C" else "A"
    with pytest.warns(Warning):
        assert infer_schema(pl.from_pandas(broken)).column("grade").derived is None


def test_a_streamed_fit_skips_derived_columns_and_chunked_samples_hold_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tabsynth.engines.sampling import write_sample
    from tabsynth.engines.sources import scan

    df = _table()
    df.drop(columns=["grade", "total"]).to_csv(tmp_path / "t.csv", index=False)  # not needed
    kw = {"epsilon": 1.0, "reproducible_noise": True, "seed": 3}
    streamed = tabsynth.fit(scan(tmp_path / "t.csv", batch_rows=700), _schema(), "copula", **kw)
    memory = tabsynth.fit(df, _schema(), "copula", **kw)
    np.testing.assert_allclose(streamed.corr_, memory.corr_, rtol=1e-9, atol=1e-12)
    write_sample(streamed, 2500, tmp_path / "s.parquet", seed=5, chunk_rows=700)
    out = pl.read_parquet(tmp_path / "s.parquet")
    assert out.height == 2500 and out.columns == list(df.columns)
    assert (out.get_column("grade") == out.get_column("sub").str.slice(0, 1)).all()


def test_the_report_names_derived_columns_beside_the_certificate() -> None:
    from tabsynth.evaluation.results import evaluate

    df = _table(3000)
    train, holdout = df.iloc[:2400], df.iloc[2400:]
    model = tabsynth.fit(train, _schema(), "copula", epsilon=1.0)
    res = evaluate(train, model.sample(2400, seed=0), holdout, _schema(), model=model)
    derived = res.certificate["derived_columns"]
    assert derived == {"grade": "a public map of sub", "low": "a public map of sub",
                       "total": "= x + y"}  # fmt: skip
    assert "total = x + y" in res.to_html() and "no privacy cost" in res.to_html()
    # no line of the accounting reads them: the histograms cover the 4 modelled columns
    hist = next(m for m in res.certificate["mechanisms"] if "histograms of each" in m["name"])
    assert hist["sensitivity"] == pytest.approx(np.sqrt(2 * 3))  # 3 non-strata columns, pooled


def test_reports_score_the_derived_columns_the_tables_hold() -> None:
    """Derived columns are part of the output: fidelity, TSTR and the privacy attacks read
    them where the real tables hold them (they need not: the fit never reads them)."""
    from tabsynth.evaluation.fidelity import fidelity
    from tabsynth.evaluation.privacy import privacy_risk

    df = _table(3000)
    train, holdout = df.iloc[:2400], df.iloc[2400:]
    syn = tabsynth.fit(train, _schema(), "copula", epsilon=1.0).sample(2400, seed=0)
    assert set(fidelity(train, syn, _schema())["per_column"]) == set(df.columns)
    bare = fidelity(train.drop(columns=["grade"]), syn, _schema())["per_column"]
    assert "grade" not in bare and "total" in bare
    # a synthetic table whose derived column is wrong is caught by the scores
    wrong = syn.assign(total=syn["total"].sample(frac=1, random_state=0).to_numpy())
    good = fidelity(train, syn, _schema())["pair_trends"]
    assert fidelity(train, wrong, _schema())["pair_trends"] < good - 0.01
    assert privacy_risk(train, syn, holdout, _schema(), n_boot=5)["mia_auc"] < 0.6


def _joint_table(n: int = 3000) -> tuple[pd.DataFrame, tabsynth.Schema]:
    rng = np.random.default_rng(7)
    joint = rng.random(n) < 0.3
    income = np.round(rng.gamma(3.0, 15.0, n).clip(0, 200), 2)
    partner = np.round((income * rng.uniform(0.5, 1.5, n)).clip(0, 200), 2)
    partner = np.where(joint, partner, np.nan)
    label = np.where(rng.random(n) < 0.4, "a", "b")
    kind = np.where(joint, "joint", "single")
    df = pd.DataFrame({"type": kind, "income": income, "partner": partner, "y": label})
    schema = tabsynth.Schema.from_dict(
        {
            "name": "joint",
            "target": "y",
            "columns": [
                {"name": "type", "kind": "categorical", "categories": ["joint", "single"]},
                {"name": "income", "kind": "numerical", "lower": 0, "upper": 200},
                {"name": "partner", "kind": "numerical", "lower": 0, "upper": 200,
                 "nullable": True, "present_when": "type == 'joint'"},
                {"name": "y", "kind": "categorical", "categories": ["a", "b"]},
            ],
        }
    )  # fmt: skip
    return df, schema


def test_present_when_holds_in_every_sampled_row() -> None:
    df, schema = _joint_table()
    model = tabsynth.fit(df, schema, "copula", epsilon=1.0, reproducible_noise=True, seed=2)
    syn = model.sample(5000, seed=1, as_frame="pandas")
    joint = syn["type"] == "joint"
    assert (syn["partner"].notna() == joint).all()
    assert abs(joint.mean() - 0.3) < 0.05
    # the values filled in are the column's own: in its bounds, at the model's scale
    assert syn["partner"].dropna().between(0, 200).all()
    from tabsynth.evaluation.results import derived_summary

    assert derived_summary(schema) == {"partner": "present exactly where type == 'joint'"}
    rows = model.sample(400, seed=2, where={"type": "single"}, as_frame="pandas")
    assert rows["partner"].isna().all()
    with pytest.raises(SamplingError, match="present_when"):
        model.sample(10, seed=0, where={"y": "a", "partner": 3})
    plain = schema.model_copy(
        update={"columns": [c.model_copy(update={"present_when": None}) for c in schema.columns]}
    )
    loose = tabsynth.fit(df, plain, "copula", epsilon=1.0, reproducible_noise=True, seed=2)
    broken = loose.sample(5000, seed=1, as_frame="pandas")
    assert (broken["partner"].notna() != (broken["type"] == "joint")).mean() > 0.02  # needed
    mid = broken["partner"].median()
    assert abs(syn["partner"].median() - mid) < 0.25 * mid


def test_present_when_problems_are_reported_at_once() -> None:
    cols = [
        {"name": "t", "kind": "categorical", "categories": ["a", "b"]},
        {"name": "p", "kind": "numerical", "lower": 0, "upper": 1, "present_when": "t == 'a'"},
        {"name": "q", "kind": "numerical", "lower": 0, "upper": 1, "nullable": True,
         "present_when": "q > 0"},
        {"name": "r", "kind": "numerical", "lower": 0, "upper": 1, "nullable": True,
         "present_when": "t +"},
    ]  # fmt: skip
    with pytest.raises(SchemaError) as err:
        tabsynth.Schema.from_dict({"name": "bad", "columns": cols})
    text = str(err.value)
    assert "'p': has present_when but is not nullable" in text
    assert "present_when reads ['q']" in text
    assert "column 'r': present_when: cannot parse" in text
