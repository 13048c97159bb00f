"""`tabsynth release CONFIG` (issue #19): a versioned, checked release from one file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

import tabsynth
from tabsynth.errors import ConfigError, DataValidationError
from tabsynth.privacy.ledger import Ledger
from tabsynth.releases import read_config, verify_release
from tests.cli import run_cli

EVERY_FILE = {
    "config.yaml",
    "schema.yaml",
    "model/manifest.json",
    "model/model.json",
    "model/schema.json",
    "model/arrays.npz",
    "pii_scan.json",
    "report.html",
    "report.json",
    "synthetic.csv",
}


@pytest.fixture()
def steward(tmp_path):
    """A steward's folder: 3,000 rows of HealthInsurance, its schema, a capped ledger and a
    release config (paths relative to the config)."""
    from tabsynth.datasets import load_example

    df, schema = load_example("health_insurance")
    df.iloc[:3000].to_csv(tmp_path / "health.csv", index=False)
    schema.to_yaml(tmp_path / "health.schema.yaml")
    Ledger(tmp_path / "ledger.sqlite").set_cap("health", epsilon=5.0, delta=1e-5)
    config = {
        "name": "health",
        "data": "health.csv",
        "schema": "health.schema.yaml",
        "holdout": 0.2,
        "epsilon": 1.0,
        "seed": 7,
        "ledger": "ledger.sqlite",
        "checks": {"quality": 0.8, "tstr_ratio": 0.7, "mia_auc": 0.65},
        "out": "releases",
    }
    (tmp_path / "release.yaml").write_text(yaml.safe_dump(config))
    return tmp_path, config


def _commits(root: Path) -> list[dict]:
    return [
        e.payload for e in Ledger(root / "ledger.sqlite").entries("health") if e.kind == "commit"
    ]


def test_a_release_run_twice_gives_v1_and_v2_each_with_every_file_and_its_ledger_entry(steward):
    root, _ = steward
    first = run_cli("release", "release.yaml", cwd=root)
    assert first.returncode == 0, first.stderr
    assert "released health v1" in first.stdout
    second = tabsynth.release(root / "release.yaml")  # the Python API, same flow
    assert second.passed and second.version == 2
    for v in (1, 2):
        folder = root / "releases" / "health" / f"v{v}"
        files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert files == EVERY_FILE | {"release.json"}
        man = json.loads((folder / "release.json").read_text())
        assert man["version"] == f"v{v}" and man["status"] == "released"
        assert set(man["files"]) == EVERY_FILE
        assert man["input"]["fingerprint"].startswith("hmac-sha256-files:")
        assert man["tabsynth_version"] == tabsynth.__version__
        assert man["rows"] == {"synthetic": man["rows"]["synthetic"]}  # no exact private count
        assert "synthetic.csv" in man["files_to_share"]
        assert "report.html" in man["files_internal"] and "report.html" not in man["files_to_share"]
        assert man["ledger"]["dataset"] == "health"
        assert verify_release(folder) == []
        assert "Every check passed" in (folder / "report.html").read_text()
        synthetic = pl.read_csv(folder / "synthetic.csv")
        assert synthetic.height == man["rows"]["synthetic"]  # the DP estimate of the rows
        assert abs(synthetic.height - 2400) < 300
    commits = _commits(root)
    assert [(c["release"], c["version"]) for c in commits] == [("health", "v1"), ("health", "v2")]
    entries = [json.loads((root / "releases/health" / v / "release.json").read_text())["ledger"]
               for v in ("v1", "v2")]  # fmt: skip
    assert entries[0]["entry"] != entries[1]["entry"]
    # the ledger's artifact record points at the final model folder, not the temporary one
    arts = [e.payload for e in Ledger(root / "ledger.sqlite").entries("health")
            if e.kind == "artifact"]  # fmt: skip
    assert [Path(a["location"]).parent.name for a in arts] == ["v1", "v2"]


def test_a_check_out_of_reach_exits_1_and_keeps_the_report_but_no_synthetic_table(steward):
    root, config = steward
    config = {**config, "checks": {"quality": 0.999, "mia_auc": 0.65}}
    (root / "strict.yaml").write_text(yaml.safe_dump(config))
    out = run_cli("release", "strict.yaml", cwd=root)
    assert out.returncode == 1
    assert "FAIL quality" in out.stderr and "ok   mia_auc" in out.stderr
    assert "Traceback" not in out.stderr
    folder = root / "releases" / "health" / "v1"
    man = json.loads((folder / "release.json").read_text())
    assert man["status"] == "failed" and man["synthetic"] is None
    assert not (folder / "synthetic.csv").exists() and (folder / "report.html").exists()
    report = (folder / "report.html").read_text()
    assert "class='verdict fail'" in report and "release health v1" in report
    assert [c["version"] for c in _commits(root)] == ["v1"]  # its fit was charged all the same


def test_verify_finds_a_changed_file_and_an_edited_manifest(steward):
    root, _ = steward
    rel = tabsynth.release(root / "release.yaml")
    with (rel.path / "synthetic.csv").open("a") as fh:
        fh.write("yes,99,no,male,yes,yes,no,1,south,cauc,bachelor\n")
    assert verify_release(rel.path) == ["synthetic.csv: changed since the release"]
    out = run_cli("verify", str(rel.path))
    assert out.returncode == 1 and "synthetic.csv: changed since the release" in out.stderr
    man = json.loads((rel.path / "release.json").read_text())
    man["status"] = "released"
    man["checks"] = []
    (rel.path / "release.json").write_text(json.dumps(man))
    assert any("edited" in p for p in verify_release(rel.path))


def test_undeclared_pii_stops_the_release_before_any_budget_is_spent(steward):
    """A card-number column stored as integers, declared as a plain number."""
    root, config = steward
    df = pl.read_csv(root / "health.csv")
    rng = np.random.default_rng(0)
    cards = [_luhn(4_000_000_000_000_000 + int(x)) for x in rng.integers(0, 10**14, df.height)]
    df.with_columns(pl.Series("card", cards)).write_csv(root / "health.csv")
    schema = yaml.safe_load((root / "health.schema.yaml").read_text())
    schema["columns"].append({"name": "card", "kind": "numerical", "lower": 0, "upper": 1e16})
    (root / "health.schema.yaml").write_text(yaml.safe_dump(schema))
    with pytest.raises(DataValidationError, match="column 'card'.*CREDIT_CARD"):
        tabsynth.release(root / "release.yaml")
    assert _commits(root) == [] and not list((root / "releases").glob("health/v*"))


def _luhn(body: int) -> int:
    digits = [int(d) for d in str(body)[:-1]]
    total = sum(sum(divmod(2 * d, 10)) if i % 2 == 0 else d for i, d in enumerate(reversed(digits)))
    return int("".join(map(str, digits)) + str((10 - total % 10) % 10))


def test_a_bad_config_lists_every_problem_with_its_fix(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "my release!",
                "data": "x.csv",
                "holdout": 1.5,
                "epsilon": 1.0,
                "chekcs": {"quality": 0.9},
                "checks": {"qualty": 0.9},
            }  # fmt: skip
        )
    )
    with pytest.raises(ConfigError) as err:
        read_config(path)
    text = str(err.value)
    for needle in ("config.name", "config.schema: required field is missing",
                   "config.holdout", "unknown field 'chekcs'", "did you mean 'checks'?",
                   "unknown check 'qualty': did you mean 'quality'?"):  # fmt: skip
        assert needle in text, needle
    out = run_cli("release", str(path))
    assert out.returncode == 1 and "config.holdout" in out.stderr and "Traceback" not in out.stderr
