"""The privacy-budget ledger: append-only, hash-chained, refusing any spend over a cap.

Every entry (a cap, a reservation, a spend, a release of a reservation) is one row whose
hash covers the previous row's hash, so editing, deleting or reordering rows breaks the
chain, and ``audit`` names the first broken entry. Triggers also refuse UPDATE and DELETE.

The flow follows "check the budget, do the work, then record the spend":

1. ``reserve`` checks, in one ``BEGIN IMMEDIATE`` transaction, that the dataset's spends,
   open reservations and the new request fit under its cap, and records a reservation;
   concurrent processes are serialised by SQLite's write lock, so they cannot overspend;
2. the caller fits the model;
3. ``commit`` records the actual spend (never more than reserved) and closes the
   reservation, or ``cancel`` releases it if the fit failed. A process killed between 1
   and 3 leaves an open reservation that keeps counting until cancelled: the safe side.

Storage: a SQLite file by default (``BEGIN IMMEDIATE`` takes the write lock), or any
SQLAlchemy URL such as ``postgresql+psycopg://user:pw@host/db`` (the ``ledger`` extra), where
a row lock on the chain's head row (``SELECT ... FOR UPDATE``) serialises writers.

Composition: when every entry of a dataset carries zCDP costs (rho, plus the delta of
approximate mechanisms), spends compose by adding rho and converting once at the cap's
delta; otherwise epsilons and deltas add up (basic composition).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import math
import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabsynth.errors import BudgetExceededError, PrivacyError
from tabsynth.privacy.accountant import check_epsilon_delta, rho_to_epsilon

LEDGER_ENV = "TABSYNTH_LEDGER"
GENESIS = "0" * 64

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
]
_COLUMNS = "seq, kind, dataset, payload, prev_hash, hash"


class _Tx:
    """The few statements the ledger needs, over sqlite3 or SQLAlchemy (named parameters)."""

    def __init__(self, con: Any, sqlalchemy: bool) -> None:
        self.con = con
        self.sqlalchemy = sqlalchemy

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        if self.sqlalchemy:
            from sqlalchemy import text

            return [tuple(r) for r in self.con.execute(text(sql), params).fetchall()]
        return list(self.con.execute(sql, params).fetchall())

    def entries(self, dataset: str | None = None) -> list[Entry]:
        where = " WHERE dataset = :dataset" if dataset is not None else ""
        rows = self.rows(
            f"SELECT {_COLUMNS} FROM entries{where} ORDER BY seq",
            **({"dataset": dataset} if dataset is not None else {}),
        )
        return [Entry(int(r[0]), r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

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


def default_ledger_path() -> Path:
    """``$TABSYNTH_LEDGER``, else ``~/.tabsynth/ledger.sqlite``."""
    env = os.environ.get(LEDGER_ENV)
    if env:
        return Path(env)
    home = Path(os.environ.get("TABSYNTH_HOME", Path.home() / ".tabsynth"))
    return home / "ledger.sqlite"


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def entry_hash(seq: int, kind: str, dataset: str, payload: str, prev_hash: str) -> str:
    """SHA-256 over the entry's fields and the previous entry's hash."""
    blob = _canonical([seq, kind, dataset, payload, prev_hash]).encode()
    return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class Cost:
    """What a release costs: (epsilon, delta), and rho and approximate delta when known."""

    epsilon: float
    delta: float
    rho: float | None = None
    delta_approx: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "epsilon": self.epsilon,
            "delta": self.delta,
            "rho": self.rho,
            "delta_approx": self.delta_approx,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cost:
        return cls(
            epsilon=float(d["epsilon"]),
            delta=float(d["delta"]),
            rho=None if d.get("rho") is None else float(d["rho"]),
            delta_approx=float(d.get("delta_approx", 0.0)),
        )


def compose(costs: list[Cost], delta: float) -> float:
    """Total epsilon of ``costs`` at total ``delta``: zCDP when every cost has a rho
    (rhos and approximate deltas add up, converted once), else basic composition (inf if
    the deltas already exceed ``delta``)."""
    if not costs:
        return 0.0
    if all(c.rho is not None for c in costs):
        left = delta - math.fsum(c.delta_approx for c in costs)
        if left <= 0:
            return math.inf
        return rho_to_epsilon(math.fsum(c.rho for c in costs if c.rho is not None), left)
    if math.fsum(c.delta for c in costs) > delta:
        return math.inf
    return math.fsum(c.epsilon for c in costs)


@dataclass(frozen=True)
class Entry:
    seq: int
    kind: str
    dataset: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class Ledger:
    """An append-only, hash-chained privacy ledger in SQLite (default) or PostgreSQL.

    Args:
        location: a SQLite file path, or a SQLAlchemy URL (``postgresql+psycopg://...``);
            default ``$TABSYNTH_LEDGER``, else ``~/.tabsynth/ledger.sqlite``.
        timeout: seconds to wait for another writer's lock.
    """

    def __init__(self, location: str | Path | None = None, *, timeout: float = 60.0) -> None:
        loc = location if location is not None else default_ledger_path()
        self.location = str(loc)
        self.timeout = timeout
        self.is_url = "://" in self.location
        self.path: Path | None = None if self.is_url else Path(loc)
        if self.is_url:
            self._engine = self._create_engine()
            self._init_pg()
        else:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.executescript(_SQLITE_SCHEMA)

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
                yield _Tx(con, sqlalchemy=True)
            return
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(con, sqlalchemy=False)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # --- reading --------------------------------------------------------------------------
    def entries(self, dataset: str | None = None) -> list[Entry]:
        """Every entry in order (of one dataset, when given)."""
        with self._read() as tx:
            return tx.entries(dataset)

    @staticmethod
    def _state(entries: list[Entry]) -> tuple[Cost | None, list[Cost], dict[int, Cost]]:
        """(cap, committed spends, open reservations by seq) of one dataset's entries."""
        cap: Cost | None = None
        spent: list[Cost] = []
        open_: dict[int, Cost] = {}
        for e in entries:
            if e.kind == "cap":
                cap = Cost.from_dict(e.payload["cap"])
            elif e.kind == "reserve":
                open_[e.seq] = Cost.from_dict(e.payload["cost"])
            elif e.kind in ("commit", "cancel"):
                open_.pop(int(e.payload["reservation"]), None)
                if e.kind == "commit":
                    spent.append(Cost.from_dict(e.payload["cost"]))
        return cap, spent, open_

    def status(self, dataset: str) -> dict[str, Any]:
        """Cap, spent and reserved epsilon (at the cap's delta) and what remains."""
        cap, spent, open_ = self._state(self.entries(dataset))
        if cap is None:
            return {"dataset": dataset, "cap": None, "releases": len(spent), "reserved": len(open_)}
        used = compose(spent, cap.delta)
        held = compose(spent + list(open_.values()), cap.delta)
        return {
            "dataset": dataset,
            "cap_epsilon": cap.epsilon,
            "cap_delta": cap.delta,
            "spent_epsilon": used,
            "reserved_epsilon": held - used,
            "remaining_epsilon": max(cap.epsilon - held, 0.0),
            "releases": len(spent),
            "open_reservations": len(open_),
        }

    def datasets(self) -> list[str]:
        return sorted({e.dataset for e in self.entries()})

    # --- writing --------------------------------------------------------------------------
    def _append(self, tx: _Tx, kind: str, dataset: str, payload: dict[str, Any]) -> int:
        last = tx.rows("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1")
        seq, prev = (int(last[0][0]) + 1, last[0][1]) if last else (1, GENESIS)
        body = _canonical(payload)
        tx.insert((seq, kind, dataset, body, prev, entry_hash(seq, kind, dataset, body, prev)))
        return seq

    @staticmethod
    def _who() -> dict[str, Any]:
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name in some containers
            user = "unknown"
        from tabsynth._version import __version__

        return {
            "user": user,
            "host": socket.gethostname(),
            "tabsynth_version": __version__,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    def set_cap(self, dataset: str, *, epsilon: float, delta: float) -> None:
        """Set (or change) the dataset's cap; the change is itself a ledger entry."""
        _check_name(dataset)
        check_epsilon_delta(epsilon, delta)
        with self._write() as con:
            self._append(
                con,
                "cap",
                dataset,
                {"cap": Cost(epsilon=epsilon, delta=delta).to_dict(), **self._who()},
            )

    def reserve(self, dataset: str, cost: Cost, **details: Any) -> int:
        """Check the cap and hold ``cost`` for a release; returns the reservation's id.

        Raises:
            BudgetExceededError: the dataset has no cap, or the cost would exceed it;
                nothing is recorded then.
        """
        _check_name(dataset)
        with self._write() as con:
            cap, spent, open_ = self._state(con.entries(dataset))
            if cap is None:
                raise BudgetExceededError(
                    f"dataset {dataset!r} has no privacy cap. Fix: tabsynth budget set-cap "
                    f"{dataset} --epsilon E --delta D"
                )
            total = compose(spent + list(open_.values()) + [cost], cap.delta)
            if total > cap.epsilon * (1 + 1e-12):
                before = compose(spent + list(open_.values()), cap.delta)
                raise BudgetExceededError(
                    f"dataset {dataset!r}: this release (epsilon {cost.epsilon:.4g}) would bring "
                    f"the total to {total:.4g} over the cap {cap.epsilon:.4g} at delta "
                    f"{cap.delta:.3g} (already spent or reserved: {before:.4g}). Fix: lower "
                    "epsilon, or have the budget owner raise the cap."
                )
            return self._append(
                con, "reserve", dataset, {"cost": cost.to_dict(), **details, **self._who()}
            )

    def commit(self, dataset: str, reservation: int, cost: Cost, **details: Any) -> int:
        """Record the actual spend of a reservation (at most what was reserved)."""
        with self._write() as con:
            held = self._open_reservation(con, dataset, reservation)
            if compose([cost], cost.delta) > held.epsilon * (1 + 1e-9) or (
                cost.rho is not None and held.rho is not None and cost.rho > held.rho * (1 + 1e-9)
            ):
                raise BudgetExceededError(
                    f"the spend (epsilon {cost.epsilon:.4g}) exceeds its reservation "
                    f"(epsilon {held.epsilon:.4g}); nothing recorded"
                )
            return self._append(
                con,
                "commit",
                dataset,
                {"reservation": reservation, "cost": cost.to_dict(), **details, **self._who()},
            )

    def cancel(self, dataset: str, reservation: int, reason: str = "") -> int:
        """Release a reservation whose work failed."""
        with self._write() as con:
            self._open_reservation(con, dataset, reservation)
            return self._append(
                con,
                "cancel",
                dataset,
                {"reservation": reservation, "reason": reason, **self._who()},
            )

    def record_artifact(
        self,
        dataset: str,
        commit: int,
        *,
        manifest_sha256: str,
        location: str,
        content_hash: str | None = None,
    ) -> int:
        """Link a saved model (its manifest's hash) to the spend that produced it."""
        with self._write() as con:
            kinds = {e.seq: e.kind for e in con.entries(dataset)}
            if kinds.get(commit) != "commit":
                raise PrivacyError(f"entry {commit} is not a spend of dataset {dataset!r}")
            return self._append(
                con,
                "artifact",
                dataset,
                {
                    "commit": commit,
                    "manifest_sha256": manifest_sha256,
                    "content_hash": content_hash,
                    "location": location,
                    **self._who(),
                },
            )

    def _open_reservation(self, tx: _Tx, dataset: str, seq: int) -> Cost:
        _, _, open_ = self._state(tx.entries(dataset))
        if seq not in open_:
            raise PrivacyError(f"no open reservation {seq} for dataset {dataset!r}")
        return open_[seq]

    # --- audit and export ------------------------------------------------------------------
    def audit(self) -> list[str]:
        """Problems with the chain, first broken entry first (empty when intact)."""
        problems: list[str] = []
        prev = GENESIS
        with self._read() as tx:
            rows = tx.rows(f"SELECT {_COLUMNS} FROM entries ORDER BY seq")
        for expected, (seq, kind, dataset, payload, prev_hash, h) in enumerate(rows, start=1):
            if seq != expected:
                problems.append(
                    f"entry {seq}: found at position {expected} (rows deleted or reordered)"
                )
            elif prev_hash != prev:
                problems.append(f"entry {seq}: does not follow entry {seq - 1} (chain broken)")
            elif entry_hash(seq, kind, dataset, payload, prev_hash) != h:
                problems.append(f"entry {seq}: contents altered after it was written")
            if problems:
                break
            prev = h
        return problems

    def export(self) -> list[dict[str, Any]]:
        """Every entry as a flat dict (for CSV or JSON export)."""
        return [
            {
                "seq": e.seq,
                "kind": e.kind,
                "dataset": e.dataset,
                "hash": e.hash,
                "prev_hash": e.prev_hash,
                **e.payload,
            }
            for e in self.entries()
        ]


def _check_name(dataset: str) -> None:
    if not isinstance(dataset, str) or not dataset.strip():
        raise PrivacyError("a dataset needs a non-empty name. Fix: --dataset NAME")
