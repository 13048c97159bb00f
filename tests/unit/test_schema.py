import json
from pathlib import Path

import polars as pl
import pytest

import tabsynth
from tabsynth.datasets import EXAMPLES, example_schema
from tabsynth.errors import PrivacyLeakWarning, SchemaError
from tabsynth.schema import infer_schema, json_schema, read_schema

ROOT = Path(__file__).resolve().parents[2]


def _base(**over):
    d = {"name": "t", "columns": [{"name": "a", "kind": "categorical", "categories": ["x"]}]}
    d.update(over)
    return d


@pytest.mark.parametrize("name", sorted(set(EXAMPLES) - {"loans"}) + ["loans"])
def test_bundled_schemas_load(name):
    schema = example_schema(name)
    assert schema.target in schema.names
    assert not schema.inferred_from_data


def test_json_schema_file_in_sync():
    on_disk = json.loads((ROOT / "schemas" / "tabsynth.schema.json").read_text())
    assert on_disk == json_schema(), (
        "run: tabsynth schema json-schema -o schemas/tabsynth.schema.json"
    )


def test_typo_in_field_suggests_fix():
    bad = _base(columns=[{"name": "a", "kind": "categorical", "categoris": ["x"]}])
    with pytest.raises(SchemaError) as err:
        tabsynth.Schema.from_dict(bad)
    text = str(err.value)
    assert "categoris" in text and "did you mean 'categories'" in text


def test_unknown_kind_is_named():
    with pytest.raises(SchemaError, match="unknown column kind 'numeric'"):
        tabsynth.Schema.from_dict(_base(columns=[{"name": "a", "kind": "numeric"}]))


def test_every_consistency_problem_reported_at_once():
    bad = _base(
        target="nope",
        epsilon=-1,
        columns=[
            {"name": "a", "kind": "numerical", "lower": 5, "upper": 1},
            {"name": "a", "kind": "categorical", "categories": ["x", "x"]},
        ],
    )
    with pytest.raises(SchemaError) as err:
        tabsynth.Schema.from_dict(bad)
    wheres = " ".join(p.where + p.what for p in err.value.problems)
    for needle in ("declared 2 times", "lower 5", "repeated categories", "target", "epsilon"):
        assert needle in wheres, needle
    assert len(err.value.problems) >= 5


def test_too_many_categories_refused_with_fix():
    cats = [f"c{i}" for i in range(10_000)]
    with pytest.raises(SchemaError, match="identifier or text"):
        tabsynth.Schema.from_dict(
            _base(columns=[{"name": "a", "kind": "categorical", "categories": cats}])
        )


def test_yaml_round_trip_keeps_hash(tmp_path):
    schema = example_schema("credit_data")
    path = tmp_path / "s.yaml"
    schema.to_yaml(path)
    again = read_schema(path)
    assert again == schema and again.hash() == schema.hash()


def test_bad_yaml_syntax(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(SchemaError, match="not valid YAML"):
        read_schema(path)


def test_infer_is_loud_and_fits_its_data(health):
    df, _ = health
    with pytest.warns(PrivacyLeakWarning):
        schema = infer_schema(pl.from_pandas(df), name="h", target="insurance")
    assert schema.inferred_from_data
    assert schema.to_yaml().startswith("# WARNING: DRAFTED FROM PRIVATE DATA")
    assert schema.column("age").kind == "numerical" and schema.column("age").integer
    assert set(schema.column("region").categories) == set(df["region"])
    with pytest.raises(tabsynth.SchemaError, match="inferred_from_data"):
        tabsynth.fit(df, schema, epsilon=1.0)  # a draft is refused ...
    model = tabsynth.fit(df, schema, epsilon=1.0, allow_draft=True)  # ... unless told
    assert "NOT FOR RELEASE" in model.privacy.label()


def test_infer_detects_identifier_and_text():
    df = pl.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(300)],
            "notes": [f"patient {i} reports mild symptoms and asks for advice" for i in range(300)],
            "v": list(range(300)),
        }
    )
    with pytest.warns(PrivacyLeakWarning):
        schema = infer_schema(df)
    assert schema.column("patient_id").kind == "identifier"
    assert schema.column("notes").kind == "text"


def test_strata_default_to_target_and_protected():
    schema = example_schema("health_insurance")
    assert schema.resolved_strata() == ["insurance", "gender", "ethnicity"]


def test_json_schema_prints_to_stdout_and_writes_with_o(tmp_path):
    from tests.cli import run_cli

    r = run_cli("schema", "json-schema")
    assert r.returncode == 0 and json.loads(r.stdout) == json_schema()
    w = run_cli("schema", "json-schema", "-o", str(tmp_path / "s.json"))
    assert w.returncode == 0 and json.loads((tmp_path / "s.json").read_text()) == json_schema()


def test_infer_reports_each_guess_and_its_reason():
    """`schema infer`'s table: column, kind, domain, PII entity, policy and why, one row each
    (and a code list of Title-case words is not mistaken for personal names)."""
    import warnings

    import polars as pl

    from tabsynth.datasets import load_example
    from tabsynth.schema import infer_schema
    from tabsynth.schema.guesses import guess_table, guesses

    df = pl.from_pandas(load_example("loans")[0]).head(2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draft = infer_schema(df, pii={"emp_title": "PERSON"})
    rows = {r["column"]: r for r in guesses(draft)}
    assert set(rows) == set(df.columns)
    assert rows["verified_income"]["kind"] == "categorical"  # "Not Verified", "Verified", ...
    assert rows["verified_income"]["domain"].endswith("categories")
    assert rows["emp_title"]["pii"] == "PERSON" and rows["emp_title"]["policy"] == "fake"
    assert rows["loan_amount"]["domain"].startswith("[") and "public" in rows["loan_amount"]["why"]
    text = guess_table(draft, width=160)
    assert text.splitlines()[0].split()[:6] == ["column", "kind", "domain", "pii", "policy", "why"]
    assert all(len(line) <= 160 for line in text.splitlines())


def test_a_field_in_the_wrong_place_says_where_it_belongs():
    """A field of another kind of column, or a column's field at the schema's level, is
    not answered with "did you mean" itself."""
    with pytest.raises(SchemaError) as err:
        tabsynth.Schema.from_dict(
            {
                "name": "t",
                "categories": ["a"],
                "columns": [
                    {"name": "x", "kind": "numerical", "lower": 0, "upper": 1, "ordered": True},
                    {"name": "g", "kind": "categorical", "categories": ["a"], "upper": 3},
                ],
            }
        )
    text = str(err.value)
    assert "'ordered' is a field of categorical columns only" in text
    assert "'upper' is a field of numerical and datetime columns only" in text
    assert "schema.categories: unknown field 'categories'. Fix: it belongs elsewhere" in text
    assert "did you mean 'ordered'" not in text and "did you mean 'categories'" not in text
