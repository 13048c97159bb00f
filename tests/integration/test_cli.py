"""The command line as a user types it: real subprocesses, real exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return run_cli(*args, cwd=cwd)


@pytest.fixture(scope="module")
def health_csv(tmp_path_factory, health):
    df, _ = health
    path = tmp_path_factory.mktemp("data") / "health.csv"
    df.to_csv(path, index=False)
    return path


def test_demo_end_to_end_under_a_minute(tmp_path):
    t0 = time.perf_counter()
    res = run("demo", "--out", str(tmp_path / "d"))
    took = time.perf_counter() - t0
    assert res.returncode == 0, res.stderr
    assert took < 60
    out = tmp_path / "d"
    assert {p.name for p in out.iterdir()} >= {
        "synthetic.csv",
        "model",
        "summary.md",
        "summary.json",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert summary["privacy"]["epsilon"] <= 1.0 and summary["privacy"]["releasable"]
    syn = pl.read_csv(out / "synthetic.csv")
    # as many rows as the DP estimate, never the exact private count (7,041)
    assert syn.height == summary["rows"]["synthetic"] == round(summary["rows"]["estimate_dp"])
    assert abs(syn.height - 7041) < 200
    text = (out / "summary.json").read_text() + (out / "summary.md").read_text()
    # train and holdout sizes; the noisy estimate itself lands on 7041 in about 1 run of 30
    # (its noise sd is about 12 rows): that number is then the DP one, not a leak
    exact = [int(m) for m in re.findall(r"(?<![\d.])(7041|1761)(?![\d.])", text)]
    assert not [m for m in exact if m != syn.height], exact
    assert "domain_report" not in text
    assert "DP via zcdp" in res.stdout
    # the release is charged to the demo's ledger, and the chain is intact
    assert summary["ledger"]["status"]["releases"] == 1
    audit = run("budget", "audit", "--ledger", str(out / "ledger.sqlite"))
    assert audit.returncode == 0 and "chain intact" in audit.stdout


def test_infer_validate_fit_sample(tmp_path, health_csv):
    schema = tmp_path / "s.yaml"
    res = run("schema", "infer", str(health_csv), "-o", str(schema), "--target", "insurance")
    assert res.returncode == 0 and "DRAFTED FROM THE PRIVATE DATA" in res.stderr
    assert run("schema", "validate", str(schema), str(health_csv)).returncode == 0
    res = run(
        "fit",
        str(health_csv),
        "--schema",
        str(ROOT / "schemas/health_insurance.yaml"),
        "--epsilon",
        "0.5",
        "-o",
        str(tmp_path / "m"),
    )
    assert res.returncode == 0, res.stderr
    assert "(0.5, 1e-06)-DP" in res.stdout
    for name in ("out.csv", "out.parquet"):
        res = run(
            "sample", str(tmp_path / "m"), "-n", "123", "-o", str(tmp_path / name), "--seed", "4"
        )
        assert res.returncode == 0, res.stderr
    a = pl.read_csv(tmp_path / "out.csv")
    b = pl.read_parquet(tmp_path / "out.parquet")
    assert a.height == 123 and a["age"].to_list() == b["age"].to_list()


def test_fit_ctgan_with_epochs(tmp_path, health_csv):
    pytest.importorskip("opacus")
    args = ("fit", str(health_csv), "--schema", str(ROOT / "schemas/health_insurance.yaml"))
    res = run(
        *args, "--model", "ctgan", "--epochs", "2", "--epsilon", "3", "--device", "cpu",
        "-o", str(tmp_path / "m"),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "1e-06)-DP via rdp" in res.stdout
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["config"]["epochs"] == 2 and meta["config"]["label_model"]
    assert meta["config"]["device"] == "cpu"
    res = run("sample", str(tmp_path / "m"), "-n", "50", "-o", str(tmp_path / "s.csv"))
    assert res.returncode == 0, res.stderr
    assert pl.read_csv(tmp_path / "s.csv").height == 50
    res = run(*args, "--epochs", "2", "-o", str(tmp_path / "c"))
    assert res.returncode != 0 and "--epochs applies to --model ctgan only" in res.stderr


def test_non_private_fit_is_labelled(tmp_path, health_csv):
    res = run(
        "fit",
        str(health_csv),
        "--schema",
        str(ROOT / "schemas/health_insurance.yaml"),
        "--epsilon",
        "none",
        "-o",
        str(tmp_path / "m"),
    )
    assert res.returncode == 0 and "NON-PRIVATE" in res.stdout


def test_user_errors_exit_1_without_traceback(tmp_path, health_csv):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\ncolumns:\n- {name: a, kind: categorical, categoris: [x]}\n")
    res = run("schema", "validate", str(bad))
    assert res.returncode == 1 and "did you mean 'categories'" in res.stderr
    assert "Traceback" not in res.stderr
    (tmp_path / "t.xlsx").write_bytes(b"PK")
    res = run(
        "fit",
        str(tmp_path / "t.xlsx"),
        "--schema",
        str(ROOT / "schemas/health_insurance.yaml"),
        "-o",
        str(tmp_path / "m"),
    )
    assert res.returncode == 1 and ".csv or .parquet" in res.stderr
    res = run(
        "fit",
        str(health_csv),
        "--schema",
        str(ROOT / "schemas/credit_data.yaml"),
        "-o",
        str(tmp_path / "m2"),
    )
    assert res.returncode == 1 and "'Status'" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "m2").exists()  # nothing half-written
    res = run("sample", str(tmp_path / "m2"))  # usage error: -n and -o missing
    assert res.returncode == 1 and "Traceback" not in res.stderr


def test_help_teaches():
    res = run("--help")
    assert res.returncode == 0 and "tabsynth demo" in res.stdout
    res = run("fit", "--help")
    assert "non-private" in res.stdout.lower() and "--reproducible-noise" in res.stdout


COMMANDS = ["split", "fit", "verify", "sample", "report", "release", "audit", "demo",
            "schema infer", "schema validate", "schema json-schema", "schema from-sdv",
            "schema to-sdv", "pii scan", "budget show", "budget set-cap"]  # fmt: skip


def test_help_reads_at_80_columns_with_real_metavars():
    """Every command's --help in an 80-column terminal: option names whole, values named
    PATH, N, NUMBER or TEXT (not typer's <int range>), switches without a --no- twin."""
    for cmd in COMMANDS:
        res = run_cli(*cmd.split(), "--help", env={"COLUMNS": "80"})
        assert res.returncode == 0, cmd
        text = res.stdout
        assert "Usage: tabsynth " in text, cmd
        assert not re.search(r"--[a-z-]+…", text), f"{cmd}: an option name is cut"
        assert not re.search(r"<(path|int|float|str|bool|text)", text), f"{cmd}: a typer metavar"
        assert all(len(line) <= 80 for line in text.splitlines()), cmd
    fit = run_cli("fit", "--help", env={"COLUMNS": "80"}).stdout
    assert "--no-reproducible" not in fit and "--no-allow-draft" not in fit


def test_the_command_line_starts_without_the_heavy_libraries():
    """What keeps `tabsynth --help` fast (about 0.3 s here): the verbs import their
    libraries when they run, never at start-up."""
    code = (
        "import sys, tabsynth.cli; print([m for m in ('polars', 'numpy', 'pandas', 'scipy', "
        "'torch', 'sklearn', 'pydantic', 'yaml') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_engines_on_the_command_line(tmp_path, health):
    """fit --engine stream; sample --engine stream and dask give the same rows."""
    df, _ = health
    data = tmp_path / "h.parquet"
    pl.from_pandas(df).write_parquet(data)
    schema = str(ROOT / "schemas/health_insurance.yaml")
    model = tmp_path / "m"
    res = run(
        "fit",
        str(data),
        "-s",
        schema,
        "-o",
        str(model),
        "--engine",
        "stream",
        "--batch-rows",
        "2000",
    )
    assert res.returncode == 0, res.stderr
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["data_fingerprint"].startswith("hmac-sha256-files:")
    common = ["-n", "2500", "--seed", "4", "--chunk-rows", "1000"]
    res = run(
        "sample", str(model), *common, "-o", str(tmp_path / "s.parquet"), "--engine", "stream"
    )
    assert res.returncode == 0, res.stderr
    res = run("sample", str(model), *common, "-o", str(tmp_path / "d"), "--engine", "dask")
    assert res.returncode == 0, res.stderr
    assert "3 chunk(s)" in res.stdout
    one = pl.read_parquet(tmp_path / "s.parquet")
    assert one.height == 2500
    assert one.equals(pl.read_parquet(sorted((tmp_path / "d").glob("part-*.parquet"))))
    info = json.loads((tmp_path / "d.manifest.json").read_text())
    assert info["seed"] == 4 and info["chunks"] == 3 and "DP via zcdp" in info["privacy"]
    # the same fit on a Dask cluster reached by its scheduler's address
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        res = run(
            "fit",
            str(data),
            "-s",
            schema,
            "-o",
            str(tmp_path / "md"),
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        )
    assert res.returncode == 0, res.stderr
    assert "DP via zcdp" in res.stdout
    bad = run("fit", str(data), "-s", schema, "-o", str(tmp_path / "x"), "--engine", "spark")
    assert bad.returncode != 0 and "memory, stream or dask" in bad.stderr


@pytest.mark.slow
def test_audit_quick_and_one_run_on_the_command_line(tmp_path, health_csv):
    schema = str(ROOT / "schemas/health_insurance.yaml")
    t0 = time.perf_counter()
    res = run("audit", str(health_csv), "-s", schema, "--epsilon", "1", "--quick",
              "-o", str(tmp_path / "a.json"))  # fmt: skip
    assert time.perf_counter() - t0 < 300  # the budget for --quick on 2 cores
    assert res.returncode == 0, res.stderr
    saved = json.loads((tmp_path / "a.json").read_text())
    assert saved["audit"]["trials"] == 60 and saved["control"]["claimed_epsilon"] is None
    assert saved["verdict"].split(":")[0] in ("PASS", "INCONCLUSIVE")
    res = run("audit", str(health_csv), "-s", schema, "--epsilon", "1", "--attack", "one-run",
              "--runs", "3", "--rows", "2000", "-o", str(tmp_path / "b.json"))  # fmt: skip
    assert res.returncode == 0, res.stderr
    one = json.loads((tmp_path / "b.json").read_text())
    assert one["audit"]["attack"] == "one-run" and one["audit"]["trials"] == 3
    assert "guesses right" in res.stdout and one["verdict"].startswith("PASS")
    bad = run("audit", str(health_csv), "-s", schema, "--epsilon", "1", "--attack", "magic")
    assert bad.returncode != 0 and "blackbox, whitebox or one-run" in bad.stderr
