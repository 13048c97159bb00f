"""Where a ledger lives: a SQLite file (0600, WAL, ``BEGIN IMMEDIATE``) or PostgreSQL through
SQLAlchemy (a row lock on the chain's head); read and write transactions, the latter
verifying the whole chain before anything is decided or appended."""

from __future__ import annotations

import os
import sqlite3
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tabsynth.errors import LedgerIntegrityError, PrivacyError
from tabsynth.privacy.ledger.chain import Entry, _key, chain_problems

LEDGER_ENV = "TABSYNTH_LEDGER"


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    dataset TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TABLE IF NOT EXISTS macs (seq INTEGER PRIMARY KEY, mac TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS macs_no_update BEFORE UPDATE ON macs
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS macs_no_delete BEFORE DELETE ON macs
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
"""


_PG_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS entries (seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, "
    "dataset TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL)",
    "INSERT INTO entries_head VALUES (1, 0) ON CONFLICT DO NOTHING",
    "CREATE OR REPLACE FUNCTION tabsynth_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'the ledger is append-only'; END $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS entries_append_only ON entries",
    "CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries "
    "FOR EACH ROW EXECUTE FUNCTION tabsynth_append_only()",
    "CREATE TABLE IF NOT EXISTS macs (seq BIGINT PRIMARY KEY, mac TEXT NOT NULL)",
    "DROP TRIGGER IF EXISTS macs_append_only ON macs",
    "CREATE TRIGGER macs_append_only BEFORE UPDATE OR DELETE ON macs "
    "FOR EACH ROW EXECUTE FUNCTION tabsynth_append_only()",
]


_COLUMNS = "seq, kind, dataset, payload, prev_hash, hash"


class _Tx:
    """The few statements the ledger needs, over sqlite3 or SQLAlchemy (named parameters)."""

    def __init__(self, con: Any, sqlalchemy: bool) -> None:
        self.con = con
        self.sqlalchemy = sqlalchemy
        self.verified: list[Entry] | None = None  # set by a write: the chain, verified

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        if self.sqlalchemy:
            from sqlalchemy import text

            return [tuple(r) for r in self.con.execute(text(sql), params).fetchall()]
        return list(self.con.execute(sql, params).fetchall())

    def entries(self, dataset: str | None = None) -> list[Entry]:
        if self.verified is not None:
            return [e for e in self.verified if dataset is None or e.dataset == dataset]
        where = " WHERE dataset = :dataset" if dataset is not None else ""
        rows = self.rows(
            f"SELECT {_COLUMNS} FROM entries{where} ORDER BY seq",
            **({"dataset": dataset} if dataset is not None else {}),
        )
        return [Entry(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def insert(self, row: tuple[Any, ...]) -> None:
        keys = ["seq", "kind", "dataset", "payload", "prev_hash", "hash"]
        sql = (
            f"INSERT INTO entries ({_COLUMNS}) VALUES (:seq, :kind, :dataset, :payload, "
            ":prev_hash, :hash)"
        )
        params = dict(zip(keys, row, strict=True))
        if self.sqlalchemy:
            from sqlalchemy import text

            self.con.execute(text(sql), params)
            self.con.execute(
                text("UPDATE entries_head SET seq = :seq WHERE id = 1"), {"seq": row[0]}
            )
        else:
            self.con.execute(sql, params)

    def insert_mac(self, seq: int, mac: str) -> None:
        sql = "INSERT INTO macs (seq, mac) VALUES (:seq, :mac)"
        if self.sqlalchemy:
            from sqlalchemy import text

            self.con.execute(text(sql), {"seq": seq, "mac": mac})
        else:
            self.con.execute(sql, {"seq": seq, "mac": mac})

    def macs(self) -> dict[int, str]:
        return {int(r[0]): r[1] for r in self.rows("SELECT seq, mac FROM macs")}


def default_ledger_path() -> Path:
    """``$TABSYNTH_LEDGER``, else ``~/.tabsynth/ledger.sqlite``."""
    env = os.environ.get(LEDGER_ENV)
    if env:
        return Path(env)
    home = Path(os.environ.get("TABSYNTH_HOME", Path.home() / ".tabsynth"))
    return home / "ledger.sqlite"


class _Store:
    """Storage and transactions (the base of ``Ledger``)."""

    def __init__(
        self, location: str | Path | None = None, *, timeout: float = 60.0, create: bool = True
    ) -> None:
        loc = location if location is not None else default_ledger_path()
        self.location = str(loc)
        self.timeout = timeout
        self.is_url = "://" in self.location
        self.path: Path | None = None if self.is_url else Path(loc)
        self.created = False
        if self.is_url:
            self._engine = self._create_engine()
            self._init_pg()
            return
        assert self.path is not None
        if not self.path.exists():
            if not create:
                raise PrivacyError(
                    f"no ledger at {self.path} (nothing was created). Fix: check the path, "
                    f"or create one with `tabsynth budget init --ledger {self.path}` (or "
                    "`budget set-cap`)"
                )
            self._create_file(self.path)
        elif os.name == "posix" and stat.S_IMODE(self.path.stat().st_mode) & 0o077:
            warnings.warn(
                f"the ledger {self.path} is readable by others (mode "
                f"{stat.S_IMODE(self.path.stat().st_mode):o}); its entries name users, hosts "
                f"and datasets. Fix: chmod 600 {self.path}",
                UserWarning,
                stacklevel=2,
            )
        with self._connect() as con:
            con.executescript(_SQLITE_SCHEMA)

    def _create_file(self, path: Path) -> None:
        """A new ledger file, 0600, in a folder created 0700 (existing folders are kept)."""
        missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir(mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            self.created = True
        except FileExistsError:  # another process created it first
            pass

    def __repr__(self) -> str:
        return f"Ledger({self.location!r})"

    # --- connections ----------------------------------------------------------------------
    def _create_engine(self) -> Any:
        from tabsynth.errors import require_extra

        sqlalchemy = require_extra("sqlalchemy", "ledger")
        try:
            return sqlalchemy.create_engine(self.location, pool_pre_ping=True)
        except Exception as exc:  # noqa: BLE001 - bad URL or missing driver
            raise PrivacyError(
                f"cannot use the ledger URL {self.location!r}: {exc}. Fix: use "
                "postgresql+psycopg://USER:PASSWORD@HOST/DB and pip install "
                "'tabsynth[ledger]'"
            ) from None

    def _init_pg(self) -> None:
        from sqlalchemy import text

        with self._pg_errors(), self._engine.begin() as con:
            # an advisory lock keeps concurrent first uses from racing on CREATE TABLE
            con.execute(text("SELECT pg_advisory_xact_lock(7364827)"))
            for stmt in _PG_SCHEMA:
                con.execute(text(stmt))

    @contextmanager
    def _pg_errors(self) -> Iterator[None]:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            yield
        except SQLAlchemyError as exc:
            raise PrivacyError(
                f"ledger {self.location}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
            ) from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        assert self.path is not None
        try:
            con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise PrivacyError(f"cannot open the ledger {self.path}: {exc}") from None
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            yield con
        except sqlite3.DatabaseError as exc:
            raise PrivacyError(
                f"the ledger {self.path} is unreadable or corrupted ({exc}). "
                "Fix: restore it from a backup; tabsynth never rewrites it."
            ) from None
        finally:
            con.close()

    @contextmanager
    def _read(self) -> Iterator[_Tx]:
        if self.is_url:
            with self._pg_errors(), self._engine.connect() as con:
                yield _Tx(con, sqlalchemy=True)
        else:
            with self._connect() as con:
                yield _Tx(con, sqlalchemy=False)

    @contextmanager
    def _write(self) -> Iterator[_Tx]:
        """A write transaction that holds the chain's lock from its first statement."""
        if self.is_url:
            from sqlalchemy import text

            with self._pg_errors(), self._engine.begin() as con:
                con.execute(text("SELECT seq FROM entries_head WHERE id = 1 FOR UPDATE"))
                tx = _Tx(con, sqlalchemy=True)
                tx.verified = self._verify(tx)  # never decide on, or extend, a broken chain
                yield tx
            return
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                tx = _Tx(con, sqlalchemy=False)
                tx.verified = self._verify(tx)
                yield tx
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # --- reading --------------------------------------------------------------------------
    def entries(self, dataset: str | None = None) -> list[Entry]:
        """Every entry in order (of one dataset, when given). Not verified: see ``audit``."""
        with self._read() as tx:
            return tx.entries(dataset)

    @staticmethod
    def _verify(tx: _Tx) -> list[Entry]:
        """Every entry, after verifying the chain (and signatures) in this transaction."""
        rows = tx.rows(f"SELECT {_COLUMNS} FROM entries ORDER BY seq")
        problems = chain_problems(rows, tx.macs(), _key())
        if problems:
            raise LedgerIntegrityError(
                f"AUDIT FAILED: {problems[0]}. Nothing is decided or reported from this "
                "ledger. Fix: restore it from a backup and investigate (`tabsynth budget "
                "audit`)"
            )
        return [Entry(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]
