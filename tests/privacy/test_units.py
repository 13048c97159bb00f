"""Person-level privacy (issue #24): with ``privacy_unit`` the guarantee covers one unit's rows
together. The grey-box harness adds or removes a whole unit; the certificate says who is
protected; models and engines that cannot bound a unit refuse before measuring anything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import tabsynth
from tabsynth.errors import DataValidationError, EngineError, SchemaError
from tabsynth.privacy.units import bound_units
from tests.privacy.greybox import assert_coupled, coupled_pair


@pytest.fixture(scope="module")
def panel():
    """1,500 rows of the DoctorContacts panel (people with 1-5 yearly rows), its schema with
    ``max_rows_per_unit: 3`` (so bounding drops rows), and a new person with 7 rows."""
    from tabsynth.datasets import load_example

    df, schema = load_example("doctor_contacts_panel")
    df = df.head(1500).reset_index(drop=True)
    schema = tabsynth.Schema.from_dict({**schema.model_dump(mode="json"), "max_rows_per_unit": 3})
    person = df.iloc[[0] * 7].copy()
    person["person_id"] = "person-99999"
    person["mdu"] = np.arange(7) * 11  # visits no other row of the slice has
    person["age"] = 30.5 + np.arange(7)
    return df, schema, person


def test_bounding_keeps_k_rows_per_unit_chosen_by_the_units_own_rows():
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"u": rng.integers(0, 50, 2000).astype(str), "x": rng.normal(size=2000)})
    kept = bound_units(df, "u", 3, key=12345)
    per_unit = kept.group_by("u").len()
    assert per_unit["len"].max() <= 3
    assert per_unit.height == df["u"].n_unique()  # every unit keeps min(its rows, k)
    expected = df.group_by("u").len().with_columns(pl.col("len").clip(upper_bound=3))
    assert per_unit.sort("u").equals(expected.sort("u"))
    # a new unit's rows, anywhere in the table, change no other unit's kept rows
    extra = pl.DataFrame({"u": ["new"] * 9, "x": np.arange(9.0)})
    both = bound_units(pl.concat([extra, df]), "u", 3, key=12345)
    assert both.filter(pl.col("u") != "new").equals(kept)
    assert both.filter(pl.col("u") == "new").height == 3
    assert not bound_units(df, "u", 3, key=999).equals(kept)  # the choice follows the key


def test_a_null_unit_is_refused():
    df = pl.DataFrame({"u": ["a", None], "x": [1.0, 2.0]})
    with pytest.raises(DataValidationError, match="privacy unit has null values"):
        bound_units(df, "u", 2, key=1)


def test_the_certificate_names_the_unit_and_scales_every_sensitivity(panel):
    df, schema, _ = panel
    row = tabsynth.Schema.from_dict(
        {**schema.model_dump(mode="json"), "privacy_unit": None, "max_rows_per_unit": 1}
    )
    unit = tabsynth.fit(df, schema, epsilon=1.0).privacy
    plain = tabsynth.fit(df, row, epsilon=1.0).privacy
    assert unit.neighbouring == "add/remove one person_id (all its rows; at most 3 used)"
    assert "person_id" in unit.label() and plain.neighbouring == "add/remove one record"
    by_name = {m.name: m.sensitivity for m in plain.mechanisms if "atom" not in m.name}
    assert {m.name: m.sensitivity for m in unit.mechanisms} == {
        k: 3 * v for k, v in by_name.items()
    }  # atoms: from the schema only when a unit may hold several rows
    assert unit.epsilon == pytest.approx(plain.epsilon)


def test_greybox_a_whole_person_added(panel, tmp_path, monkeypatch):
    df, schema, person = panel
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0)  # noqa: E731
    d2 = pd.concat([df.iloc[:700], person, df.iloc[700:]], ignore_index=True)
    a, b = coupled_pair(fit, df, d2, tmp_path, monkeypatch)
    assert_coupled(a, b)


def test_greybox_catches_row_level_sensitivity_for_a_whole_person(panel, tmp_path, monkeypatch):
    """The same neighbours with every sensitivity left at its per-row value: the person's
    three kept rows move the measurements past what the certificate declares."""
    from tabsynth.models.copula import model as copula

    df, schema, person = panel
    real_plan = copula._plan
    monkeypatch.setattr(copula, "_plan", lambda **kw: real_plan(**{**kw, "k": 1}))
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0)  # noqa: E731
    d2 = pd.concat([df, person], ignore_index=True)
    a, b = coupled_pair(fit, df, d2, tmp_path, monkeypatch)
    with pytest.raises(AssertionError, match="sensitivity"):
        assert_coupled(a, b)


def test_models_and_engines_that_cannot_bound_a_unit_refuse_before_measuring(panel, tmp_path):
    pytest.importorskip("torch")
    df, schema, _ = panel
    with pytest.raises(SchemaError, match="'ctgan' bounds at most 1 per unit"):
        tabsynth.fit(df, schema, "ctgan", epsilon=1.0)
    one = tabsynth.Schema.from_dict({**schema.model_dump(mode="json"), "max_rows_per_unit": 1})
    m = tabsynth.fit(df, one, "ctgan", epsilon=3.0, epochs=1, batch_size=100)
    assert m.privacy.neighbouring.startswith("add/remove one person_id")
    df.to_parquet(tmp_path / "p.parquet")
    with pytest.raises(EngineError, match="bounded in memory only"):
        tabsynth.fit(tabsynth.scan(tmp_path / "p.parquet"), schema, epsilon=1.0)


@pytest.mark.parametrize(
    "change, needle",
    [
        ({"privacy_unit": "age"}, "'age' is not an identifier column"),
        ({"privacy_unit": "nobody"}, "'nobody' is not an identifier column"),
        ({"privacy_unit": None, "max_rows_per_unit": 3}, "set without a privacy_unit"),
    ],
)
def test_schema_checks_the_unit(panel, change, needle):
    _, schema, _ = panel
    with pytest.raises(SchemaError, match=needle):
        tabsynth.Schema.from_dict({**schema.model_dump(mode="json"), **change})


def test_schemas_without_a_unit_keep_their_hash():
    """The new fields left unset hash as before, so earlier models still load."""
    from tabsynth.datasets import example_schema

    assert example_schema("health_insurance").hash() == (
        "406bdaac4df63eab36f4f88f50b22986fe7ad501d3820e8a96323275d5bfa6e6"
    )


def test_infer_proposes_a_repeating_identifier_as_the_privacy_unit(panel):
    import warnings

    from tabsynth.schema import infer_schema

    df, _, _ = panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draft = infer_schema(pl.from_pandas(df))
        flat = infer_schema(pl.from_pandas(df.drop_duplicates("person_id")))
    assert draft.privacy_unit == "person_id" and 2 <= draft.max_rows_per_unit <= 5
    assert "privacy unit" in draft.column("person_id").description
    assert flat.privacy_unit is None  # one row per person: nothing to propose


def test_the_audit_inserts_one_canary_person_and_tests_the_person_level_claim(panel):
    from tabsynth.audit import audit, canary, group_canary

    df, schema, _ = panel
    frame = pl.from_pandas(df)
    for rows in (group_canary(frame, schema, 3), canary(frame, schema)):
        assert rows["person_id"].unique().to_list() == ["tabsynth-canary-unit"]
    out = audit(df, schema, "copula", epsilon=1.0, trials=40, attack="whitebox", group=3,
                control=False)  # fmt: skip
    res = out["audit"]
    assert res["as_unit"] and res["group_size"] == 3
    assert res["claimed_group_epsilon"] == 1.0  # one person's 3 rows: epsilon, not 3 x epsilon
    assert "for one person_id: its 3 canary rows together" in out["verdict"]


def test_the_ledger_entry_names_who_is_protected(panel, tmp_path):
    from tabsynth.privacy.ledger import Ledger

    df, schema, _ = panel
    book = tmp_path / "ledger.sqlite"
    Ledger(book).set_cap("panel", epsilon=5.0, delta=1e-5)
    tabsynth.fit(df, schema, epsilon=1.0, dataset="panel", ledger=book)
    spend = [e for e in Ledger(book).entries("panel") if e.kind == "commit"][-1]
    assert spend.payload["neighbouring"] == schema.neighbouring()
    assert "person_id" in spend.payload["neighbouring"]
