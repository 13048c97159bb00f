"""PII: offline Presidio scan, accuracy on a labelled table, policies, leak check, artifacts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

pytest.importorskip("presidio_analyzer")
pytest.importorskip("faker")

import tabsynth  # noqa: E402
from tabsynth.errors import PIILeakError, PrivacyLeakWarning  # noqa: E402
from tabsynth.pii import mask, name_hint, scan  # noqa: E402
from tabsynth.pii.labelled import labelled_table, precision_recall  # noqa: E402
from tabsynth.pii.leak import leak_check  # noqa: E402
from tabsynth.schema import infer_schema  # noqa: E402
from tests.cli import run_cli  # noqa: E402


@pytest.fixture(scope="module")
def labelled():
    return labelled_table(300, seed=11)


@pytest.fixture(scope="module")
def labelled_scan(labelled):
    df, _ = labelled
    return scan(df, sample_rows=120)


@pytest.mark.slow
def test_precision_and_recall_per_entity_on_labelled_tables():
    totals: dict[str, list[int]] = {}
    for seed in range(3):
        df, labels = labelled_table(300, seed=seed)
        predicted = scan(df, sample_rows=120, quasi=False).pii_columns()
        for entity, r in precision_recall(predicted, labels).items():
            t = totals.setdefault(entity, [0, 0, 0])
            t[0] += r["tp"]
            t[1] += r["fp"]
            t[2] += r["fn"]
    assert set(totals) >= {
        "PERSON", "US_SSN", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS",
        "DATE_OF_BIRTH", "CREDIT_CARD", "IBAN_CODE", "MEDICAL_RECORD_NUMBER",
    }  # fmt: skip
    for entity, (tp, fp, fn) in totals.items():
        assert tp / (tp + fp) >= 0.95, (entity, tp, fp, fn)
        assert tp / (tp + fn) >= 0.95, (entity, tp, fp, fn)


def test_decoys_are_not_pii(labelled_scan, labelled):
    _, labels = labelled
    found = labelled_scan.pii_columns()
    for decoy in ("record_id", "claim_uuid", "icd_code", "product_code", "contact_ref",
                  "batch_number", "amount", "visit_date", "account_balance"):  # fmt: skip
        assert decoy in labels and decoy not in found, decoy


def test_scan_output_never_holds_raw_values(labelled, labelled_scan, tmp_path):
    df, labels = labelled
    text = json.dumps(labelled_scan.to_dict()) + labelled_scan.summary()
    for col, entity in labels.items():
        if entity is None or entity == "FREE_TEXT_PII":
            continue
        for value in df[col].astype(str).head(50):
            assert value not in text, (col, "raw value leaked into the scan report")
    # the CLI prints the same masked report
    path = tmp_path / "t.csv"
    df.head(80).to_csv(path, index=False)
    out = run_cli("pii", "scan", str(path), "-o", str(tmp_path / "scan.json"))
    assert out.returncode == 0, out.stderr
    assert "EMAIL_ADDRESS" in out.stdout
    ssn = next(c for c, e in labels.items() if e == "US_SSN")
    for value in df[ssn].head(80):
        assert value not in out.stdout and value not in (tmp_path / "scan.json").read_text()


def test_masking_keeps_only_the_shape():
    assert mask("John Smith") == "Xxxx Xxxxx"
    assert mask("123-45-6789") == "999-99-9999"
    assert mask("a.b@x.org") == "x.x@x.xxx"


def test_name_hints():
    assert name_hint("PatientName") == "PERSON"
    assert name_hint("date_of_birth") == "DATE_OF_BIRTH"
    assert name_hint("SSN") == "US_SSN"
    assert name_hint("zip_code") == "US_ZIP"
    assert name_hint("amount") is None
    assert name_hint("record_id") is None


def test_scan_works_with_the_network_disabled(tmp_path):
    code = textwrap.dedent(
        """
        import socket
        def refuse(*a, **k):
            raise OSError("network disabled by the test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        import pandas as pd
        from tabsynth.pii import scan
        df = pd.DataFrame({"contact": ["ann.lee@example.com", "bo@mail.org"] * 20,
                           "site": ["https://clinic.example.org/a", "http://x.io"] * 20})
        r = scan(df)
        print(r.pii_columns())
        """
    )
    env = {**os.environ, "TABSYNTH_HOME": str(tmp_path / "home")}  # fresh spaCy pipeline too
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "'contact': 'EMAIL_ADDRESS'" in out.stdout
    assert "'site': 'URL'" in out.stdout


def test_bad_input_is_scanned_or_reported_not_crashing():
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame(
        {
            "blob": [bytes(rng.integers(0, 256, 16, dtype=np.uint8)) for _ in range(n)],
            "garbage": [
                "".join(chr(int(c)) for c in rng.integers(1, 0x2FFF, 12)) for _ in range(n)
            ],
            "mixed": [1, "two", 3.5, None, "a@b.org", True] * (n // 6),
            "empty": [None] * n,
            "long_text": ["lorem ipsum " * 20_000] * n,
            "email": ["x.y@example.com"] * n,
        }
    )
    report = scan(df, sample_rows=30)
    by = {c.column: c for c in report.columns}
    assert by["empty"].kind == "empty" and by["empty"].entity is None
    assert by["garbage"].entity is None
    assert by["mixed"].entity is None  # one email in six cells is not an email column
    assert by["email"].entity == "EMAIL_ADDRESS"
    assert by["long_text"].cells_scanned == 30
    polars_binary = pl.DataFrame({"b": pl.Series([b"\x00\x01"] * 5, dtype=pl.Binary)})
    assert scan(polars_binary).columns[0].kind == "binary"


def test_quasi_identifiers_are_reported_with_generalisations():
    rng = np.random.default_rng(1)
    n = 500
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "zip": [f"{z:05d}" for z in rng.choice(rng.integers(10000, 99999, 60), n)],
            "sex": rng.choice(["F", "M"], n),
            "score": rng.normal(size=n),
        }
    )
    report = scan(df)
    combos = {tuple(q["columns"]): q for q in report.quasi_identifiers}
    assert ("age", "zip") in combos and ("age", "zip", "sex") in combos
    top = combos[("age", "zip", "sex")]
    assert top["unique_share"] > 0.5 and top["k"] == 1
    assert "ZIP3" in top["suggestion"] or "band" in top["suggestion"]


# --- schema, policies, release -----------------------------------------------------------------
@pytest.fixture(scope="module")
def pii_schema(labelled, labelled_scan):
    df, _ = labelled
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrivacyLeakWarning)
        return infer_schema(pl.from_pandas(df), target="insurance", pii=labelled_scan.pii_columns())


def test_infer_fills_pii_and_writes_no_value_of_a_pii_column(pii_schema, labelled):
    df, labels = labelled
    for col, entity in labels.items():
        if entity is not None:
            found = pii_schema.column(col)
            assert found.pii is not None, col
            # only a generalized column is modelled: on its public coarse domain (year, ZIP3)
            assert not found.modelled or found.pii.policy.value == "generalize", col
    text = json.dumps(pii_schema.model_dump(mode="json"))
    for col, entity in labels.items():
        if entity is not None and entity != "FREE_TEXT_PII":
            for value in df[col].astype(str):
                assert value not in text, col


@pytest.mark.parametrize("model", ["copula", "ctgan"])
def test_saved_model_holds_no_raw_pii(model, pii_schema, labelled, tmp_path):
    df, labels = labelled
    opts = {"epochs": 2} if model == "ctgan" else {}
    m = tabsynth.fit(df, pii_schema, model, epsilon=3.0, allow_draft=True, **opts)
    m.save(tmp_path / "m")
    blobs = b"".join(p.read_bytes() for p in (tmp_path / "m").iterdir())
    for col, entity in labels.items():
        if entity is None:
            continue
        for value in df[col].astype(str):
            for token in {value, value.split()[0]} if entity == "FREE_TEXT_PII" else {value}:
                if len(token) >= 6:
                    assert token.encode() not in blobs, (col, token)


def test_release_fakes_hashes_and_passes_the_leak_check(pii_schema, labelled, monkeypatch):
    df, labels = labelled
    monkeypatch.setenv("TABSYNTH_PII_KEY", "k1")
    email = next(c for c, e in labels.items() if e == "EMAIL_ADDRESS")
    cols = [c.model_dump() for c in pii_schema.columns]
    for c in cols:
        if c["name"] == email:
            c["pii"]["policy"] = "hash"
    schema = tabsynth.Schema.from_dict({**pii_schema.model_dump(), "columns": cols})
    model = tabsynth.fit(df, schema, "copula", epsilon=3.0, allow_draft=True)
    out = model.sample(400, seed=2)
    names = [c for c, e in labels.items() if e == "PERSON"]
    assert all(n in out.columns for n in names)
    assert out[email].str.fullmatch(r"[0-9a-f]{20}").all()  # keyed pseudonyms
    assert "clinical_notes" not in out.columns  # dropped
    assert out.equals(model.sample(400, seed=2))  # same seed, same fakes
    monkeypatch.setenv("TABSYNTH_PII_KEY", "k2")
    assert not out[email].equals(model.sample(400, seed=2)[email])  # the key matters
    # a faked value that happens to equal a real one is re-drawn by the leak check
    person = names[0]
    out.loc[:4, person] = df[person].iloc[:5].to_numpy()
    fixed, report = leak_check(df, out, schema)
    assert report.ok and report.redrawn[person] >= 5
    assert not set(fixed[person]) & set(df[person])


def test_leak_check_fails_loudly_on_a_kept_pii_column(labelled):
    df, labels = labelled
    email_col = next(c for c, e in labels.items() if e == "EMAIL_ADDRESS")
    schema = tabsynth.Schema.from_dict(
        {
            "name": "t",
            "columns": [
                {
                    "name": email_col,
                    "kind": "identifier",
                    "pii": {"entity": "EMAIL_ADDRESS", "policy": "keep"},
                },  # fmt: skip
                {"name": "x", "kind": "boolean"},
            ],
        }
    )
    syn = pd.DataFrame({email_col: ["nobody@nowhere.test", df[email_col].iloc[3].upper()]})
    with pytest.raises(PIILeakError, match=email_col):
        leak_check(df, syn, schema)


def test_generalize_codes_dates_and_ages_before_fitting():
    from tabsynth.pii.policies import generalize

    schema = tabsynth.Schema.from_dict(
        {
            "name": "g",
            "columns": [
                {
                    "name": "zip",
                    "kind": "categorical",
                    "categories": ["021", "100"],
                    "pii": {"entity": "US_ZIP", "policy": "generalize"},
                },  # fmt: skip
                {
                    "name": "age",
                    "kind": "numerical",
                    "lower": 0,
                    "upper": 100,
                    "integer": True,
                    "pii": {"entity": "AGE", "policy": "generalize"},
                },  # fmt: skip
            ],
        }
    )
    df = pl.DataFrame({"zip": ["02139", "10001", "02140"] * 50, "age": [23, 47, 61] * 50})
    g = generalize(df, schema)
    assert set(g["zip"]) == {"021", "100"} and set(g["age"]) == {20, 45, 60}
    model = tabsynth.fit(df, schema, epsilon=None)
    assert set(model.sample(200, seed=0)["zip"]) <= {"021", "100"}


def test_report_has_a_pii_section_with_policies_and_no_raw_values(
    pii_schema, labelled, labelled_scan
):
    df, labels = labelled
    model = tabsynth.fit(df, pii_schema, "copula", epsilon=3.0, allow_draft=True)
    syn = model.sample(len(df), seed=0)
    train, holdout = df.iloc[200:], df.iloc[:200]  # a holdout of other people
    result = tabsynth.evaluate(train, syn, holdout, pii_schema, model=model, pii_scan=labelled_scan)
    pii = result.to_dict()["pii"]
    by = {c["column"]: c for c in pii["columns"]}
    for col, entity in labels.items():
        if entity is not None:
            assert by[col]["entity"] == entity, col
            assert by[col]["policy"] in ("fake", "drop", "hash", "generalize"), col
    html = result.to_html()
    assert "<h2>PII</h2>" in html and "Quasi-identifiers" in html
    ssn = next(c for c, e in labels.items() if e == "US_SSN")
    for value in df[ssn]:
        assert value not in html
    # a PII column the schema does not declare is flagged
    bare = tabsynth.Schema.from_dict(
        {
            **pii_schema.model_dump(),
            "columns": [
                {**c.model_dump(), "pii": None} if c.name == ssn else c.model_dump()
                for c in pii_schema.columns
            ],
        }  # fmt: skip
    )
    section = tabsynth.evaluation.results.pii_section(bare, labelled_scan)
    assert {c["column"]: c["policy"] for c in section["columns"]}[ssn] == "NOT DECLARED"


def test_cli_refuses_an_unchecked_release_of_modelled_pii(tmp_path):
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        {"zip": rng.choice(["02139", "10001", "94110"], n), "x": rng.integers(0, 5, n)}
    )
    df.to_csv(tmp_path / "train.csv", index=False)
    schema = tmp_path / "s.yaml"
    tabsynth.Schema.from_dict(
        {
            "name": "z",
            "columns": [
                {
                    "name": "zip",
                    "kind": "categorical",
                    "categories": ["021", "100", "941"],
                    "pii": {"entity": "US_ZIP", "policy": "generalize"},
                },  # fmt: skip
                {"name": "x", "kind": "numerical", "lower": 0, "upper": 4, "integer": True},
            ],
        }
    ).to_yaml(schema)
    fit = run_cli("fit", str(tmp_path / "train.csv"), "-s", str(schema), "-o", str(tmp_path / "m"))
    assert fit.returncode == 0, fit.stderr
    out = tmp_path / "syn.csv"
    refused = run_cli("sample", str(tmp_path / "m"), "-n", "50", "-o", str(out))
    assert refused.returncode != 0 and "--leak-check" in refused.stderr and not out.exists()
    ok = run_cli("sample", str(tmp_path / "m"), "-n", "50", "-o", str(out),
                 "--leak-check", str(tmp_path / "train.csv"))  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    manifest = json.loads((tmp_path / "syn.csv.manifest.json").read_text())
    assert manifest["pii_leak_check"]["checked"] == ["zip"]
    # every PII column's handling is stated, so none disappears without a word
    assert manifest["pii_columns"] == {"zip": "US_ZIP: generalized before the fit, then modelled"}
