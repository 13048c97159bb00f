"""A ledger a compliance officer can rely on: verified before every decision, nothing silent,
nothing dangling. The tamper tour: each tampering is detected by `audit`, refused by `fit`
and flagged by `show`."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import sqlite3
import stat
import time

import pytest

import tabsynth
from tabsynth.errors import BudgetExceededError, LedgerIntegrityError, PrivacyError
from tabsynth.privacy import epsilon_to_rho
from tabsynth.privacy.ledger import Cost, Ledger, compose
from tests.cli import run_cli
from tests.ledgerkit import cap_for_three_fits, concurrent_fits, spend


def _zcdp(eps: float, delta: float = 1e-6) -> Cost:
    return Cost(epsilon=eps, delta=delta, rho=epsilon_to_rho(eps, delta))


def _raw(path, *stmts: str) -> None:
    """What an insider with file access can do: drop the triggers, then edit rows."""
    con = sqlite3.connect(path)
    con.executescript(
        "DROP TRIGGER IF EXISTS entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete;"
        + "".join(stmts)
    )
    con.commit()
    con.close()


@pytest.fixture()
def ledger(tmp_path):
    path = tmp_path / "ledger.sqlite"
    book = Ledger(path)
    book.set_cap("d", epsilon=3.0, delta=1e-5)
    for _ in range(3):
        spend(book, "d", _zcdp(1.0))
    return path


TAMPERS = {
    "edit a payload": "UPDATE entries SET payload = replace(payload, '\"rho\":', '\"rho\":0.0') "
    "WHERE seq = 3;",
    "delete a row": "DELETE FROM entries WHERE seq = 4;",
    "swap two rows": "UPDATE entries SET seq = -1 WHERE seq = 3; UPDATE entries SET seq = 3 "
    "WHERE seq = 5; UPDATE entries SET seq = 5 WHERE seq = -1;",
}


@pytest.mark.parametrize("how", sorted(TAMPERS))
def test_tamper_tour_detected_refused_and_flagged(ledger, how, health):
    df, schema = health
    _raw(ledger, TAMPERS[how])
    book = Ledger(ledger)
    problems = book.audit()
    assert problems and problems[0].startswith("entry ")
    with pytest.raises(LedgerIntegrityError, match="entry "):
        book.status("d")
    with pytest.raises(LedgerIntegrityError, match="entry "):
        tabsynth.fit(df, schema, epsilon=0.5, dataset="d", ledger=ledger)
    n = sqlite3.connect(ledger).execute("SELECT count(*) FROM entries").fetchone()[0]
    res = run_cli("budget", "show", "--ledger", str(ledger))
    assert res.returncode == 1 and "AUDIT FAILED" in res.stdout + res.stderr
    assert "spent" not in res.stdout  # no figure from a broken chain
    res = run_cli("budget", "audit", "--ledger", str(ledger))
    assert res.returncode == 1 and "entry" in res.stderr
    assert sqlite3.connect(ledger).execute("SELECT count(*) FROM entries").fetchone()[0] == n


def test_a_truncated_tail_is_caught_against_the_recorded_head(ledger):
    res = run_cli("budget", "head", "--ledger", str(ledger))
    assert res.returncode == 0, res.stderr
    head = res.stdout.split("head ")[1].split()[0]
    assert f"{len(Ledger(ledger).entries())} entries" in res.stdout
    _raw(ledger, "DELETE FROM entries WHERE seq = (SELECT max(seq) FROM entries);")
    assert Ledger(ledger).audit() == []  # a clean cut: the chain alone cannot tell
    res = run_cli("budget", "audit", "--ledger", str(ledger), "--expect-head", head)
    assert res.returncode == 1 and "truncated or rewritten" in res.stderr
    # appending after the recorded head is fine: the head is still in the chain
    ok = Ledger(ledger.parent / "other.sqlite")
    ok.set_cap("x", epsilon=1, delta=1e-6)
    h = ok.head()["hash"]
    spend(ok, "x", _zcdp(0.1))
    assert ok.audit(expect_head=h) == []


def test_a_rewritten_history_is_caught_against_the_recorded_head(ledger):
    """An insider who edits an early entry and recomputes every later hash passes the
    chain check, but not the anchor."""
    from tabsynth.privacy.ledger import entry_hash

    head = Ledger(ledger).head()["hash"]
    con = sqlite3.connect(ledger)
    con.executescript("DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;")
    rows = con.execute("SELECT seq, kind, dataset, payload, prev_hash FROM entries ORDER BY seq")
    prev = "0" * 64
    for seq, kind, dataset, payload, _ in rows.fetchall():
        if seq == 3:
            payload = payload.replace('"epsilon":1.0', '"epsilon":0.1')
        h = entry_hash(seq, kind, dataset, payload, prev)
        con.execute("UPDATE entries SET payload=?, prev_hash=?, hash=? WHERE seq=?",
                    (payload, prev, h, seq))  # fmt: skip
        prev = h
    con.commit()
    con.close()
    assert Ledger(ledger).audit() == []
    assert "truncated or rewritten" in Ledger(ledger).audit(expect_head=head)[0]


def test_a_forged_entry_is_caught_with_signing_on(tmp_path, monkeypatch):
    """With a signing key outside the ledger, a writer without the key cannot append a
    consistent entry: its chain hash is right, its HMAC is not."""
    monkeypatch.setenv("TABSYNTH_LEDGER_KEY", "compliance-key")
    path = tmp_path / "signed.sqlite"
    book = Ledger(path)
    book.set_cap("d", epsilon=3.0, delta=1e-5)
    spend(book, "d", _zcdp(1.0))
    assert book.audit() == [] and book.signed
    # the forger appends a cap raise with a valid chain hash but no key
    from tabsynth.privacy.ledger import entry_hash

    con = sqlite3.connect(path)
    seq, prev = con.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
    cap = {"epsilon": 100.0, "delta": 1e-5, "rho": None, "delta_approx": 0.0}
    payload = json.dumps({"cap": cap}, sort_keys=True, separators=(",", ":"))
    forged = entry_hash(seq + 1, "cap", "d", payload, prev)
    con.execute("INSERT INTO entries VALUES (?, 'cap', 'd', ?, ?, ?)",
                (seq + 1, payload, prev, forged))  # fmt: skip
    con.commit()
    con.close()
    problems = Ledger(path).audit()
    assert problems and "signature" in problems[0] and f"entry {seq + 1}" in problems[0]
    with pytest.raises(LedgerIntegrityError):
        Ledger(path).reserve("d", _zcdp(0.5))
    # without the key, the ledger says it cannot check the signatures
    monkeypatch.delenv("TABSYNTH_LEDGER_KEY")
    assert "TABSYNTH_LEDGER_KEY" in Ledger(path).audit()[0]


def test_read_only_commands_on_a_mistyped_path_create_nothing(tmp_path):
    missing = tmp_path / "nope" / "ledgr.sqlite"
    for cmd in ("show", "audit", "head", "export"):
        res = run_cli("budget", cmd, "--ledger", str(missing))
        assert res.returncode == 1, cmd
        assert "no ledger" in res.stderr and "budget init" in res.stderr, cmd
    assert not missing.exists() and not missing.parent.exists()
    with pytest.raises(PrivacyError, match="no ledger"):
        Ledger(missing, create=False)
    res = run_cli("budget", "init", "--ledger", str(missing))
    assert res.returncode == 0 and missing.exists()


def test_a_new_ledger_is_private_and_a_shared_one_warns(tmp_path):
    path = tmp_path / "fresh" / "l.sqlite"
    Ledger(path).set_cap("d", epsilon=1, delta=1e-6)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    os.chmod(path, 0o644)
    with pytest.warns(UserWarning, match="readable by others"):
        Ledger(path).entries()


def _fit_and_die(path: str, note: str) -> None:
    """A fit that reserved its budget and was then killed (kill -9 mid-fit)."""
    book = Ledger(path)
    seq = book.reserve("d", _zcdp(0.5), model="copula")
    with open(note, "w") as fh:
        fh.write(str(seq))
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_killed_fit_leaves_a_stale_reservation_that_release_frees(ledger):
    note = ledger.parent / "seq.txt"
    proc = mp.get_context("fork").Process(target=_fit_and_die, args=(str(ledger), str(note)))
    proc.start()
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL
    seq = int(note.read_text())
    book = Ledger(ledger)
    (res,) = book.reservations("d")
    assert res["id"] == seq and res["stale"] and res["pid"] == proc.pid
    assert res["user"] and res["host"] and res["age_s"] >= 0
    before = book.status("d")["reserved_epsilon"]
    assert before > 0  # counts against the cap until released (conservative)
    out = run_cli("budget", "show", "--ledger", str(ledger))
    assert out.returncode == 0 and f"reservation {seq}" in out.stdout and "STALE" in out.stdout
    assert run_cli("budget", "release", str(seq), "--ledger", str(ledger)).returncode != 0
    out = run_cli("budget", "release", str(seq), "--reason", "fit killed (ticket 42)",
                  "--ledger", str(ledger))  # fmt: skip
    assert out.returncode == 0, out.stderr
    book = Ledger(ledger)
    assert book.reservations("d") == [] and book.status("d")["reserved_epsilon"] == 0
    last = book.entries("d")[-1]
    assert last.kind == "cancel" and last.payload["reason"] == "fit killed (ticket 42)"
    assert book.audit() == []


def test_figures_state_their_delta_and_the_largest_epsilon_that_fits(ledger, health):
    book = Ledger(ledger)
    st = book.status("d", delta=1e-6)
    largest = st["largest_epsilon"]
    assert 0 < largest < 3.0
    spent = [_zcdp(1.0)] * 3
    from tabsynth.privacy.ledger import compose

    assert compose([*spent, _zcdp(largest * 0.999)], 1e-5) <= 3.0
    assert compose([*spent, _zcdp(largest * 1.01)], 1e-5) > 3.0
    with pytest.raises(BudgetExceededError, match=f"largest epsilon that fits.*{largest:.3g}"):
        book.reserve("d", _zcdp(largest * 1.2))
    out = run_cli("budget", "show", "--ledger", str(ledger))
    assert "at delta 1e-05" in out.stdout and "largest epsilon" in out.stdout
    assert "at delta 1e-06" in out.stdout  # the largest fit, at the schema's usual delta
    res = run_cli("budget", "export", "--format", "csv", "--ledger", str(ledger))
    header = res.stdout.splitlines()[0].split(",")
    assert "cost.epsilon" in header and "cost.rho" in header
    assert "{" not in res.stdout  # no JSON blobs in cells


def test_show_on_a_large_ledger_verifies_everything(tmp_path):
    """20,000 entries, verified and summed (the 100,000-entry timing is a benchmark:
    benchmarks/ledger_show.py); one entry edited among them is still found."""
    path = tmp_path / "big.sqlite"
    book = Ledger(path)
    book.set_cap("d", epsilon=1e9, delta=1e-5)
    book._bulk_spends("d", _zcdp(1e-4), 10_000)  # reserve + commit: 20,000 entries
    t0 = time.perf_counter()
    st = book.status("d")
    assert time.perf_counter() - t0 < 10
    assert st["releases"] == 10_000 and book.head()["seq"] == 20_001
    assert st["spent_epsilon"] == pytest.approx(compose([_zcdp(1e-4)] * 10_000, 1e-5))
    _raw(path, "UPDATE entries SET payload = replace(payload, '\"epsilon\":0.0001', "
         "'\"epsilon\":0.00001') WHERE seq = 15001;")  # fmt: skip
    with pytest.raises(LedgerIntegrityError, match="entry 15001"):
        Ledger(path).status("d")


@pytest.mark.slow
def test_eight_concurrent_fits_against_a_cap_for_three(tmp_path):
    path = tmp_path / "l.sqlite"
    cap_for_three_fits(Ledger(path), "c")
    assert concurrent_fits(str(path), "c") == 3
    book = Ledger(path)
    assert book.status("c")["releases"] == 3 and book.audit() == []


def test_fit_on_a_new_ledger_path_says_it_created_it(tmp_path, health):
    df, schema = health
    path = tmp_path / "new.sqlite"
    data = tmp_path / "h.csv"
    df.head(500).to_csv(data, index=False)
    res = run_cli("fit", str(data), "-s", "schemas/health_insurance.yaml", "-o",
                  str(tmp_path / "m"), "--dataset", "h", "--ledger", str(path))  # fmt: skip
    assert res.returncode == 1 and "created the ledger" in res.stderr
    assert "budget set-cap h" in res.stderr


def test_demo_figures_name_their_delta(tmp_path):
    from tabsynth.pipeline import _summary_md

    summary = {
        "example": "x",
        "privacy": {"label": "(1, 1e-06)-DP", "mechanisms": []},
        "rows": {"synthetic": 10, "estimate_dp": 10.2},
        "timings": {"fit_s": 1.0, "sample_s": 1.0},
        "fidelity": {"column_shapes": 0.9, "pair_trends": 0.9},
        "ledger": {
            "entry": 3,
            "ledger": "l.sqlite",
            "status": {
                "dataset": "x",
                "spent_epsilon": 0.884,
                "cap_epsilon": 10,
                "cap_delta": 1e-5,
                "remaining_epsilon": 9.1,
            },  # fmt: skip
        },
    }
    text = _summary_md(summary)
    assert "0.884 of its cap 10 at delta 1e-05" in text


def test_cli_show_exit_codes_for_a_ledger_with_no_cap(tmp_path):
    path = tmp_path / "l.sqlite"
    assert run_cli("budget", "init", "--ledger", str(path)).returncode == 0
    res = run_cli("budget", "show", "--ledger", str(path))
    assert res.returncode == 0 and "empty" in res.stdout
