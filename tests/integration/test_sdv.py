"""SDV interop (issue #19): SDV's metadata in and out, and SDV's synthesizer interface."""

from __future__ import annotations

import json
import warnings

import pytest
import yaml

import tabsynth
from tabsynth.errors import SchemaError
from tabsynth.schema.sdv import from_sdv, to_sdv
from tests.cli import run_cli

sdv = pytest.importorskip("sdv")


@pytest.fixture(scope="module")
def credit(tmp_path_factory):
    """CreditData and the metadata SDV itself detects and writes for it."""
    from sdv.metadata import Metadata

    from tabsynth.datasets import load_example

    df, schema = load_example("credit_data")
    root = tmp_path_factory.mktemp("sdv")
    df.to_csv(root / "credit.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = Metadata.detect_from_dataframes({"credit": df})
    meta.save_to_json(str(root / "metadata.json"))
    return df, schema, root


def test_from_sdv_on_metadata_sdv_wrote_then_fit_end_to_end(credit):
    df, _, root = credit
    out = run_cli("schema", "from-sdv", "metadata.json", "-o", "draft.yaml", cwd=root)
    assert out.returncode == 0, out.stderr
    assert "domains came from the data" in out.stderr
    text = (root / "draft.yaml").read_text()
    assert text.startswith("# WARNING: DRAFTED FROM PRIVATE DATA")
    draft = yaml.safe_load(text)
    kinds = {c["name"]: c["kind"] for c in draft["columns"]}
    assert kinds["Status"] == "categorical" and kinds["Age"] == "numerical"
    age = next(c for c in draft["columns"] if c["name"] == "Age")
    assert age["integer"] is True and (age["lower"], age["upper"]) == (18, 68)
    # a draft: fit refuses it, naming why
    args = ("--epsilon", "1", "-o", "m")
    refused = run_cli("fit", "credit.csv", "-s", "draft.yaml", *args, cwd=root)
    assert refused.returncode == 1 and "draft" in refused.stderr.lower()
    # the steward reviews it (here: keeps SDV's ranges as the public ones) and releases
    draft["inferred_from_data"] = False
    (root / "reviewed.yaml").write_text(yaml.safe_dump(draft, sort_keys=False))
    fit = run_cli("fit", "credit.csv", "-s", "reviewed.yaml", *args, cwd=root)
    assert fit.returncode == 0, fit.stderr
    sample = run_cli("sample", "m", "-n", "200", "-o", "s.csv", "--seed", "1", cwd=root)
    assert sample.returncode == 0, sample.stderr
    assert tabsynth.read_table(root / "s.csv").height == 200


def test_metadata_without_ranges_lists_every_domain_a_dp_schema_needs(credit, tmp_path):
    _, _, root = credit
    meta = json.loads((root / "metadata.json").read_text())
    for spec in meta["tables"]["credit"]["columns"].values():
        for key in ("range_values", "range_min", "range_max"):
            spec.pop(key, None)
    (tmp_path / "bare.json").write_text(json.dumps(meta))
    drafted, needs = from_sdv(tmp_path / "bare.json")
    assert needs["Status"] == ["categories"] and needs["Age"] == ["lower", "upper"]
    assert not drafted["inferred_from_data"]  # nothing came from the data
    out = run_cli("schema", "from-sdv", str(tmp_path / "bare.json"), "-o", str(tmp_path / "s.yaml"))
    assert out.returncode == 0 and "needs lower, upper: Age" in out.stderr
    check = run_cli("schema", "validate", str(tmp_path / "s.yaml"))
    assert check.returncode == 1 and "Age" in check.stderr and "Status" in check.stderr


def test_to_sdv_is_metadata_sdv_accepts_and_it_round_trips(credit):
    from sdv.metadata import Metadata

    df, schema, _ = credit
    meta = to_sdv(schema)
    loaded = Metadata.load_from_dict(meta)
    loaded.validate()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded.validate_data({schema.name: df})
    back, needs = from_sdv(meta)
    assert needs == {}
    again = {c["name"]: c for c in back["columns"]}
    for col in schema.columns:
        assert again[col.name]["kind"] == col.kind
        if col.kind == "categorical":
            assert again[col.name]["categories"] == col.domain
        if col.kind == "numerical":
            assert (again[col.name]["lower"], again[col.name]["upper"]) == (col.lower, col.upper)


def test_pii_sdtypes_become_faked_identifiers():
    meta = {"columns": {"mail": {"sdtype": "email", "pii": True}, "id": {"sdtype": "id"},
                        "age": {"sdtype": "numerical"}}, "primary_key": "id"}  # fmt: skip
    drafted, needs = from_sdv(meta)
    cols = {c["name"]: c for c in drafted["columns"]}
    assert cols["mail"]["pii"] == {"entity": "EMAIL_ADDRESS", "policy": "fake"}
    assert cols["id"]["kind"] == "identifier" and needs == {"age": ["lower", "upper"]}


def test_sdv_interface_switches_to_a_dp_model_in_one_line(credit, tmp_path):
    from sdv.metadata import Metadata

    from tabsynth.sdv import GaussianCopulaSynthesizer

    df, schema, root = credit
    metadata = Metadata.load_from_json(str(root / "metadata.json"))
    only_meta = GaussianCopulaSynthesizer(metadata, epsilon=1.0)
    with pytest.raises(SchemaError, match="not differentially private"):
        only_meta.fit({"credit": df})
    synth = GaussianCopulaSynthesizer(metadata, schema=schema, epsilon=1.0)
    synth.fit({"credit": df})  # SDV 2 passes {table: df}
    assert synth.privacy.releasable and synth.privacy.epsilon == pytest.approx(1.0)
    rows = synth.sample(num_rows=300, seed=4)
    assert len(rows) == 300 and list(rows.columns) == list(df.columns)
    synth.save(tmp_path / "model")
    again = GaussianCopulaSynthesizer.load(tmp_path / "model")
    assert again.sample(num_rows=300, seed=4).equals(rows)
    assert Metadata.load_from_dict(again.get_metadata()).get_column_names()
    draft = GaussianCopulaSynthesizer(metadata, epsilon=1.0, allow_draft=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draft.fit(df)
    assert not draft.privacy.releasable
