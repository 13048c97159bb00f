"""The ledger on a real PostgreSQL server, through a SQLAlchemy URL.

CI starts a server on loopback (.ci/start-postgres) and sets TABSYNTH_TEST_PG_URL and
TABSYNTH_REQUIRE_PG=1, so there these tests cannot silently skip. Locally they skip with
the reason below when no server is configured.
"""

from __future__ import annotations

import multiprocessing as mp
import os

import pytest

from tabsynth.errors import BudgetExceededError, PrivacyError
from tabsynth.privacy import epsilon_to_rho
from tabsynth.privacy.ledger import Cost, Ledger
from tests.ledgerkit import cap_for_three_fits, concurrent_fits, hammer, spend

URL = os.environ.get("TABSYNTH_TEST_PG_URL")
if not URL:
    if os.environ.get("TABSYNTH_REQUIRE_PG") == "1":
        raise RuntimeError("TABSYNTH_REQUIRE_PG=1 but TABSYNTH_TEST_PG_URL is not set")
    pytest.skip(
        "no PostgreSQL server: set TABSYNTH_TEST_PG_URL (run .ci/start-postgres)",
        allow_module_level=True,
    )


def _sql(*stmts: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(URL)
    with engine.begin() as con:
        for stmt in stmts:
            con.execute(text(stmt))
    engine.dispose()


@pytest.fixture()
def book() -> Ledger:
    _sql(
        "DROP TABLE IF EXISTS entries",
        "DROP TABLE IF EXISTS entries_head",
        "DROP TABLE IF EXISTS macs",
    )
    b = Ledger(URL)
    b.set_cap("d", epsilon=2.0, delta=1e-6)
    return b


def test_caps_composition_and_refusal(book):
    rho = epsilon_to_rho(0.9, 1e-6)
    for _ in range(3):
        spend(book, "d", Cost(epsilon=0.9, delta=1e-6, rho=rho))
    assert book.status("d")["spent_epsilon"] < 2.0  # zCDP: 3 x 0.9 fits under a cap of 2
    n = len(book.entries())
    with pytest.raises(BudgetExceededError):
        spend(book, "d", Cost(epsilon=0.9, delta=0))  # no rho: basic composition, 3.6 > 2
    assert len(book.entries()) == n
    assert book.status("d")["releases"] == 3 and book.audit() == []


def test_append_only_and_tamper_evident(book):
    spend(book, "d", Cost(epsilon=0.5, delta=0))
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="append-only"):
        _sql("UPDATE entries SET dataset = 'x' WHERE seq = 2")
    _sql(
        "ALTER TABLE entries DISABLE TRIGGER entries_append_only",
        "UPDATE entries SET payload = replace(payload, '0.5', '0.05') WHERE seq = 3",
    )
    assert book.audit()[0].startswith("entry 3")


@pytest.mark.slow
def test_eight_processes_cannot_overspend(book):
    book.set_cap("c", epsilon=10.0, delta=1e-6)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=hammer, args=(URL, 20, q)) for _ in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    succeeded = sum(q.get(timeout=5) for _ in procs)
    assert succeeded == book.status("c")["releases"] == 100
    assert book.audit() == []


def test_bad_url_is_a_clear_error():
    with pytest.raises(PrivacyError, match="ledger"):
        Ledger("postgresql+psycopg://nobody:wrong@127.0.0.1:1/none").entries()


@pytest.mark.slow
def test_eight_concurrent_fits_against_a_cap_for_three(book):
    cap_for_three_fits(book, "c3")
    assert concurrent_fits(URL, "c3") == 3
    assert book.status("c3")["releases"] == 3 and book.audit() == []


def test_a_tampered_chain_is_refused_before_any_decision(book):
    from tabsynth.errors import LedgerIntegrityError

    spend(book, "d", Cost(epsilon=0.5, delta=0))
    _sql(
        "ALTER TABLE entries DISABLE TRIGGER entries_append_only",
        "UPDATE entries SET payload = replace(payload, '0.5', '0.05') WHERE seq = 3",
    )
    with pytest.raises(LedgerIntegrityError, match="entry 3"):
        book.reserve("d", Cost(epsilon=0.1, delta=0))
    with pytest.raises(LedgerIntegrityError):
        book.status("d")


def test_anchor_and_signing_on_postgres(book, monkeypatch):
    h = book.head()["hash"]
    spend(book, "d", Cost(epsilon=0.1, delta=0))
    assert book.audit(expect_head=h) == []
    monkeypatch.setenv("TABSYNTH_LEDGER_KEY", "k")
    spend(book, "d", Cost(epsilon=0.1, delta=0))  # signing starts with a "sign" entry
    assert book.signed and book.audit() == []
    monkeypatch.setenv("TABSYNTH_LEDGER_KEY", "another")
    assert "signature" in book.audit()[0]
