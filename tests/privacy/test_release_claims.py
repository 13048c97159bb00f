"""A release never claims more than it delivers: the leaks found in review, one test each.

Each test here failed on the main branch before the fix it names (run once against it)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import tabsynth
from tabsynth.errors import ArtifactError, NotForReleaseWarning, SchemaError
from tests.cli import run_cli

FAST = {"copula": {}, "ctgan": {"epochs": 2}}


def _quiet_fit(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tabsynth.fit(*args, **kw)


# --- 2. every file of a model folder is covered by one content hash -------------------------
@pytest.fixture(params=sorted(FAST))
def saved(request, health, tmp_path):
    """A NOT FOR RELEASE model (reproducible noise) of each registered model, saved."""
    df, schema = health
    model = _quiet_fit(df, schema, request.param, epsilon=1.0, seed=3, reproducible_noise=True,
                       **FAST[request.param])  # fmt: skip
    model.save(tmp_path / "m")
    return tmp_path / "m", model


def test_flipping_releasable_in_the_manifest_is_refused(saved):
    path, model = saved
    assert not model.privacy.releasable
    mpath = path / "manifest.json"
    manifest = json.loads(mpath.read_text())
    manifest["privacy"]["releasable"] = True
    manifest["privacy"]["withheld"] = []
    manifest["privacy"]["noise_source"] = "OpenDP discrete Gaussian (secure)"
    manifest["privacy"]["epsilon"] = 0.1
    mpath.write_text(json.dumps(manifest, indent=1))
    with pytest.raises(ArtifactError, match="altered"):
        tabsynth.load(path)


def test_editing_any_file_makes_load_sample_and_verify_refuse(saved, tmp_path):
    import shutil

    path, _ = saved
    for name in sorted(p.name for p in path.iterdir()):
        copy = tmp_path / f"edit-{name}"
        shutil.copytree(path, copy)
        blob = bytearray((copy / name).read_bytes())
        blob[len(blob) // 2] ^= 0x01  # one bit, in the middle of the file
        (copy / name).write_bytes(bytes(blob))
        with pytest.raises(ArtifactError):
            tabsynth.load(copy)
        if name in ("manifest.json", "model.json"):  # the command line, on two of them
            res = run_cli("verify", str(copy))
            assert res.returncode == 1 and "error:" in res.stderr, name
            res = run_cli("sample", str(copy), "-n", "5", "-o", str(tmp_path / f"{name}.csv"))
            assert res.returncode == 1, name
            assert not (tmp_path / f"{name}.csv").exists()
    # a file the manifest does not list is refused too
    extra = tmp_path / "extra"
    shutil.copytree(path, extra)
    (extra / "weights.pkl").write_bytes(b"\x80\x04")
    with pytest.raises(ArtifactError, match="does not list"):
        tabsynth.load(extra)


def test_verify_prints_the_guarantee_and_the_content_hash(saved):
    path, model = saved
    res = run_cli("verify", str(path))
    assert res.returncode == 0, res.stderr
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["content_hash"] in res.stdout
    assert model.privacy.label() in res.stdout and "NOT FOR RELEASE" in res.stdout


def test_a_rehashed_forgery_is_caught_by_the_ledger_and_the_signing_key(health, tmp_path,
                                                                       monkeypatch):  # fmt: skip
    """Someone who edits the manifest and recomputes its content hash passes ``load`` (no
    anchor can be local), but not ``verify --ledger`` (the ledger recorded the real hash)
    nor, with a signing key, ``load`` itself."""
    from tabsynth.artifacts import content_hash
    from tabsynth.privacy.ledger import Ledger

    df, schema = health
    ledger = tmp_path / "ledger.sqlite"
    Ledger(ledger).set_cap("h", epsilon=5, delta=1e-5)
    monkeypatch.setenv("TABSYNTH_ARTIFACT_KEY", "steward-key")
    model = _quiet_fit(df, schema, epsilon=1.0, dataset="h", ledger=ledger)
    model.save(tmp_path / "m")
    ok = run_cli("verify", str(tmp_path / "m"), "--ledger", str(ledger),
                 env={"TABSYNTH_ARTIFACT_KEY": "steward-key"})  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "records this content hash" in ok.stdout and "signature: verified" in ok.stdout
    mpath = tmp_path / "m" / "manifest.json"
    manifest = json.loads(mpath.read_text())
    manifest["privacy"]["epsilon"] = 0.01
    manifest["content_hash"] = content_hash(manifest)
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="signature"):
        tabsynth.load(tmp_path / "m")
    monkeypatch.delenv("TABSYNTH_ARTIFACT_KEY")
    tabsynth.load(tmp_path / "m")  # without the key, only the anchor can tell
    res = run_cli("verify", str(tmp_path / "m"), "--ledger", str(ledger),
                  env={"TABSYNTH_ARTIFACT_KEY": ""})  # fmt: skip
    assert res.returncode == 1 and "no record of content hash" in res.stderr


# --- 1. draft schemas are refused, or fitted NOT FOR RELEASE -------------------------------
def _names_table(n: int = 600) -> pd.DataFrame:
    """A public table (HealthInsurance) with a column of patient names added."""
    from faker import Faker

    from tabsynth.datasets import load_example

    df, _ = load_example("health_insurance")
    df = df.head(n).reset_index(drop=True)
    fake = Faker("en_US")
    fake.seed_instance(0)
    # few distinct names, each repeated: the case that once became a category list
    pool = [fake.name() for _ in range(30)]
    df.insert(0, "patient_name", [pool[i % 30] for i in range(n)])
    first = [fake.first_name() for _ in range(40)]
    df.insert(1, "vorname", [first[i % 40] for i in range(n)])
    return df


def test_draft_schema_fit_is_refused_then_not_for_release_everywhere(tmp_path):
    """`schema infer --no-pii` + `fit` on a table with a names column: no real name in the
    schema, the model folder or the output; `fit` refuses the draft unless told, and then
    says NOT FOR RELEASE in the label, manifest, ledger entry and sample summary."""
    df = _names_table()
    data = tmp_path / "patients.csv"
    df.to_csv(data, index=False)
    schema = tmp_path / "draft.yaml"
    res = run_cli("schema", "infer", str(data), "-o", str(schema), "--no-pii")
    assert res.returncode == 0, res.stderr
    names = set(df["patient_name"]) | set(df["vorname"])
    text = schema.read_text()
    assert not [n for n in names if n in text]
    assert "identifier" in text and "names" in text.lower()  # and it says why

    res = run_cli("fit", str(data), "-s", str(schema), "-o", str(tmp_path / "m"))
    assert res.returncode == 1 and "inferred_from_data" in res.stderr
    assert "allow-draft" in res.stderr and not (tmp_path / "m").exists()

    ledger = tmp_path / "ledger.sqlite"
    from tabsynth.privacy.ledger import Ledger

    Ledger(ledger).set_cap("p", epsilon=5, delta=1e-5)
    res = run_cli("fit", str(data), "-s", str(schema), "-o", str(tmp_path / "m"),
                  "--allow-draft", "--dataset", "p", "--ledger", str(ledger))  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "NOT FOR RELEASE" in res.stdout and "draft schema" in res.stdout
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert not manifest["privacy"]["releasable"] and manifest["privacy"]["withheld"]
    commit = [e for e in Ledger(ledger).entries("p") if e.kind == "commit"][-1]
    assert commit.payload["releasable"] is False and commit.payload["withheld"]
    res = run_cli("sample", str(tmp_path / "m"), "-n", "300", "-o", str(tmp_path / "s.csv"))
    assert res.returncode == 0, res.stderr
    assert "NOT FOR RELEASE" in res.stdout + res.stderr
    info = json.loads((tmp_path / "s.csv.manifest.json").read_text())
    assert info["releasable"] is False and "NOT FOR RELEASE" in info["privacy"]
    for f in [*(tmp_path / "m").iterdir(), tmp_path / "s.csv"]:
        blob = f.read_bytes()
        assert not [n for n in names if n.encode() in blob], f.name


def test_draft_refusal_names_the_fields_read_from_the_data(health):
    df, _ = health
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draft = tabsynth.infer_schema(pl.from_pandas(df), target="insurance")
    with pytest.raises(SchemaError) as err:
        tabsynth.fit(df, draft, epsilon=1.0)
    msg = str(err.value)
    assert "'age'" in msg and "lower/upper bounds" in msg and "categories" in msg
    model = _quiet_fit(df, draft, epsilon=1.0, allow_draft=True)
    assert not model.privacy.releasable
    assert "NOT FOR RELEASE: draft schema" in model.privacy.label()


def test_infer_never_writes_identifying_values(tmp_path):
    """With or without the pii extra: mostly unique strings, name-like columns (in several
    languages) and email/phone/id-shaped values become identifier or text; rare categories
    go to "Other" unwritten."""
    from faker import Faker

    fake = Faker("de_DE")
    fake.seed_instance(1)
    n = 400
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "nachname": [fake.last_name().lower() for _ in range(n)],
            "contact": [fake.email() for _ in range(n)],
            "telefon": [fake.phone_number() for _ in range(n)],
            "code": [f"A{rng.integers(10**7)}" for _ in range(n)],
            "few_names": [["Anna Schmidt", "Jonas Weber", "Mia Wagner"][i % 3] for i in range(n)],
            "region": rng.choice(["north", "south", "east", "west"], n),
            "rare": ["common"] * (n - 2) + ["Zyx Qwerty", "Ulrike Vogel"],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draft = tabsynth.infer_schema(pl.from_pandas(df))
    kinds = {c.name: c.kind for c in draft.columns}
    for col in ("nachname", "contact", "telefon", "code", "few_names"):
        assert kinds[col] in ("identifier", "text"), (col, kinds[col])
    assert kinds["region"] == "categorical"
    rare = draft.column("rare")
    assert rare.kind == "categorical" and "Zyx Qwerty" not in rare.categories
    text = json.dumps(draft.model_dump(mode="json"))
    for value in ("Ulrike Vogel", "Anna Schmidt", df["contact"][0], df["code"][0]):
        assert value not in text


def test_notebook_01_reviews_the_draft_instead_of_flipping_the_flag():
    nb = json.loads(open("notebooks/01_steward_release.ipynb").read())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert '"inferred_from_data": False' not in code and "inferred_from_data=False" not in code
    assert "infer_schema" in code and 'simplefilter("ignore")' not in code


# --- 6. a fit that fails after a measurement is charged, not refunded ----------------------
def test_a_fit_failing_after_a_measurement_is_charged_for_it(health, tmp_path, monkeypatch):
    from tabsynth.models.copula import CopulaSynthesizer
    from tabsynth.privacy.ledger import Ledger

    df, schema = health
    ledger = tmp_path / "l.sqlite"
    Ledger(ledger).set_cap("h", epsilon=5, delta=1e-5)

    def boom(self, *a, **k):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(CopulaSynthesizer, "_correlations", boom)  # after the histograms
    with pytest.raises(RuntimeError):
        tabsynth.fit(df, schema, epsilon=1.0, dataset="h", ledger=ledger)
    entries = Ledger(ledger).entries("h")
    assert entries[-1].kind == "commit" and entries[-1].payload["failed"] is True
    charged = entries[-1].payload["cost"]
    assert 0 < charged["epsilon"] < 1.0  # the measurements that ran, not the whole plan
    assert (
        "per-stratum histograms of each column, and their sum over the strata"
        in entries[-1].payload["mechanisms"]
    )
    status = Ledger(ledger).status("h")
    assert 0 < status["spent_epsilon"] <= charged["epsilon"]  # counted (at the cap's delta)

    def early(self, *a, **k):  # before any measurement
        raise RuntimeError("bad plan")

    monkeypatch.setattr(CopulaSynthesizer, "_strata", early)
    with pytest.raises(RuntimeError):
        tabsynth.fit(df, schema, epsilon=1.0, dataset="h", ledger=ledger)
    assert Ledger(ledger).entries("h")[-1].kind == "cancel"


def test_an_unwritable_output_is_refused_before_reserving(health, tmp_path):
    from tabsynth.privacy.ledger import Ledger

    df, schema = health
    data = tmp_path / "h.csv"
    df.to_csv(data, index=False)
    ledger = tmp_path / "l.sqlite"
    Ledger(ledger).set_cap("h", epsilon=5, delta=1e-5)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = run_cli("fit", str(data), "-s", "schemas/health_insurance.yaml", "-o",
                  str(blocker / "m"), "--dataset", "h", "--ledger", str(ledger))  # fmt: skip
    assert res.returncode == 1 and "cannot write" in res.stderr
    assert [e.kind for e in Ledger(ledger).entries("h")] == ["cap"]


# --- seeded fit-time randomness is marked ---------------------------------------------------
def test_reproducible_noise_is_withheld_with_its_reason(health):
    df, schema = health
    with pytest.warns(NotForReleaseWarning):
        model = tabsynth.fit(df, schema, epsilon=1.0, seed=1, reproducible_noise=True)
    assert "reproducible noise" in model.privacy.label()
