"""The privacy-budget ledger: caps, composition, tamper evidence, crashes, concurrency."""

from __future__ import annotations

import hashlib
import math
import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

import tabsynth
from tabsynth.errors import BudgetExceededError, DataValidationError, PrivacyError
from tabsynth.privacy import epsilon_to_rho
from tabsynth.privacy.ledger import Cost, Ledger
from tests.ledgerkit import hammer, spend


def _zcdp(eps: float, delta: float = 1e-6) -> Cost:
    return Cost(epsilon=eps, delta=delta, rho=epsilon_to_rho(eps, delta))


@pytest.fixture()
def book(tmp_path) -> Ledger:
    b = Ledger(tmp_path / "ledger.sqlite")
    b.set_cap("d", epsilon=2.0, delta=1e-6)
    return b


def test_overspend_refused_and_nothing_recorded(book):
    spend(book, "d", Cost(epsilon=1.5, delta=0))
    before = len(book.entries())
    with pytest.raises(BudgetExceededError, match="over the cap"):
        book.reserve("d", Cost(epsilon=0.6, delta=0))
    assert len(book.entries()) == before
    assert book.status("d")["remaining_epsilon"] == pytest.approx(0.5)


def test_zcdp_composition_is_tighter_than_basic(book):
    for _ in range(3):  # basic composition would need epsilon 3 > cap 2
        spend(book, "d", _zcdp(0.9))
    st = book.status("d")
    assert st["spent_epsilon"] < 2.0 and st["releases"] == 3
    with pytest.raises(BudgetExceededError):
        spend(book, "d", Cost(epsilon=0.9, delta=0))  # no rho: falls back to basic


def test_no_cap_and_bad_values_are_clear(book):
    with pytest.raises(BudgetExceededError, match="budget set-cap other"):
        book.reserve("other", _zcdp(1))
    for eps in (-1.0, math.nan, 0.0):
        with pytest.raises(PrivacyError):
            book.set_cap("d", epsilon=eps, delta=1e-6)
    with pytest.raises(PrivacyError):
        book.set_cap("", epsilon=1, delta=1e-6)


def test_reservation_counts_until_committed_or_cancelled(book):
    res = book.reserve("d", Cost(epsilon=1.5, delta=0))
    with pytest.raises(BudgetExceededError):
        book.reserve("d", Cost(epsilon=1.0, delta=0))
    book.cancel("d", res, reason="fit failed")
    spend(book, "d", Cost(epsilon=1.0, delta=0))
    with pytest.raises(BudgetExceededError, match="exceeds its reservation"):
        r = book.reserve("d", Cost(epsilon=0.5, delta=0))
        book.commit("d", r, Cost(epsilon=0.7, delta=0))


def _tamper(path, sql: str) -> None:
    con = sqlite3.connect(path)
    con.executescript("DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;" + sql)
    con.close()


def test_sql_update_and_delete_refused(book):
    con = sqlite3.connect(book.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE entries SET payload = '{}' WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM entries WHERE seq = 1")
    con.close()


@pytest.mark.parametrize(
    "sql,needle",
    [
        (
            "UPDATE entries SET payload = replace(payload, '1.0', '0.1') WHERE seq = 3;",
            "entry 3: contents altered",
        ),
        ("DELETE FROM entries WHERE seq = 2;", "entry 3"),
        (
            "UPDATE entries SET seq = 99 WHERE seq = 2; UPDATE entries SET seq = 2 WHERE seq = 3;"
            "UPDATE entries SET seq = 3 WHERE seq = 99;",
            "entry 2",
        ),
    ],
)
def test_audit_names_the_first_broken_entry(book, sql, needle):
    for _ in range(2):
        spend(book, "d", Cost(epsilon=0.5, delta=0))
    assert book.audit() == []
    _tamper(book.path, sql)
    problems = book.audit()
    assert problems and needle in problems[0]


def _crash_mid_write(path: str) -> None:
    book = Ledger(path)
    with book._write() as con:
        book._append(con, "reserve", "d", {"cost": Cost(epsilon=0.1, delta=0).to_dict()})
        os.kill(os.getpid(), signal.SIGKILL)  # dies holding the write lock, before COMMIT


def test_process_killed_mid_write_leaves_a_consistent_ledger(book):
    before = len(book.entries())
    proc = mp.get_context("fork").Process(target=_crash_mid_write, args=(str(book.path),))
    proc.start()
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL
    assert len(book.entries()) == before and book.audit() == []
    spend(book, "d", Cost(epsilon=0.1, delta=0))  # and the lock was released
    assert book.audit() == []


@pytest.mark.slow
def test_eight_processes_cannot_overspend(tmp_path):
    book = Ledger(tmp_path / "l.sqlite")
    book.set_cap("c", epsilon=10.0, delta=1e-6)  # room for 100 spends of 0.1; 160 are tried
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=hammer, args=(str(book.path), 20, q)) for _ in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    succeeded = sum(q.get(timeout=5) for _ in procs)
    st = book.status("c")
    assert succeeded == st["releases"] == 100
    assert st["spent_epsilon"] <= 10.0 + 1e-9
    assert book.audit() == []


def test_corrupted_file_is_a_clear_error_and_left_untouched(tmp_path):
    path = tmp_path / "bad.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(PrivacyError, match="corrupted"):
        Ledger(path)
    assert path.read_bytes() == before


def test_fit_charged_to_a_dataset(tmp_path, health):
    df, schema = health
    path = tmp_path / "l.sqlite"
    Ledger(path).set_cap("hi", epsilon=1.2, delta=1e-6)  # two fits at 1 compose to ~1.4
    model = tabsynth.fit(df, schema, epsilon=1.0, dataset="hi", ledger=path)
    book = Ledger(path)
    commit = book.entries("hi")[-1]
    assert commit.kind == "commit" and model.ledger_entry_["entry"] == commit.seq
    assert commit.payload["cost"]["rho"] == pytest.approx(model.privacy.rho)
    assert commit.payload["schema_hash"] == schema.hash()
    assert commit.payload["data_fingerprint"] == model.data_fingerprint_
    model.save(tmp_path / "m")
    link = book.entries("hi")[-1]
    manifest = (tmp_path / "m" / "manifest.json").read_bytes()
    assert link.kind == "artifact" and link.payload["commit"] == commit.seq
    assert link.payload["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    n = len(book.entries())
    with pytest.raises(BudgetExceededError):
        tabsynth.fit(df, schema, epsilon=1.0, dataset="hi", ledger=path)
    assert len(book.entries()) == n  # refused before fitting: nothing recorded
    with pytest.raises(DataValidationError):
        tabsynth.fit(df.drop(columns=["age"]), schema, epsilon=0.1, dataset="hi", ledger=path)
    assert book.entries("hi")[-1].kind == "cancel"  # the failed fit's reservation is released
    with pytest.raises(PrivacyError, match="non-private"):
        tabsynth.fit(df, schema, epsilon=None, dataset="hi", ledger=path)


def test_cli_budget_commands(tmp_path):
    env = {**os.environ, "TABSYNTH_LEDGER": str(tmp_path / "l.sqlite"), "COLUMNS": "200"}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "tabsynth.cli", "budget", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    assert run("set-cap", "d", "--epsilon", "1").returncode == 0
    assert "remaining 1" in run("show").stdout
    out = run("export", "--format", "csv")
    assert out.returncode == 0 and out.stdout.startswith("seq,kind,dataset")
    assert run("audit").returncode == 0
    _tamper(tmp_path / "l.sqlite", "UPDATE entries SET dataset = 'x' WHERE seq = 1;")
    res = run("audit")
    assert res.returncode == 1 and "entry 1" in res.stderr
    assert run("set-cap", "d", "--epsilon", "-1").returncode == 1
