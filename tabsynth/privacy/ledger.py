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

Verified before use: every decision (a reservation against the cap) and every figure
(``status``, ``export``) first verifies the whole chain, in the same transaction, and refuses
with ``LedgerIntegrityError`` naming the first bad entry. What each protection covers:

* the hash chain: any edit, deletion or reordering of entries by someone who does not
  recompute the later hashes;
* an anchor (``head()`` recorded outside the ledger, checked with ``audit(expect_head=...)``):
  a truncated tail, or a history rewritten with recomputed hashes;
* signing (``$TABSYNTH_LEDGER_KEY``, a key kept outside the ledger): every entry after the
  chain's "sign" entry carries an HMAC-SHA256 of its hash, so a writer without the key cannot
  append or rewrite a consistent entry. Without the key a signed ledger cannot be verified,
  so nothing is decided from it.

Files: a new SQLite ledger is created 0600 in a folder created 0700 (entries name users,
hosts and datasets); an existing one readable by others is warned about. Read-only uses
(``Ledger(path, create=False)``) never create a file.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import hashlib
import hmac
import json
import math
import os
import re
import socket
import sqlite3
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabsynth.errors import BudgetExceededError, LedgerIntegrityError, PrivacyError
from tabsynth.privacy.accountant import check_epsilon_delta, epsilon_to_rho, rho_to_epsilon

LEDGER_ENV = "TABSYNTH_LEDGER"
KEY_ENV = "TABSYNTH_LEDGER_KEY"
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


def _key() -> bytes | None:
    value = os.environ.get(KEY_ENV)
    return value.encode() if value else None


def entry_mac(key: bytes, entry_hash_: str) -> str:
    """HMAC-SHA256 of an entry's chain hash under the ledger's signing key."""
    return hmac.new(key, entry_hash_.encode(), "sha256").hexdigest()


def chain_problems(
    rows: list[tuple[Any, ...]], macs: dict[int, str], key: bytes | None
) -> list[str]:
    """The first problem of a chain of rows (seq, kind, dataset, payload, prev, hash), in
    order, and of its signatures from the chain's "sign" entry on; [] when it verifies."""
    prev, signed_from = GENESIS, None
    for expected, (seq, kind, dataset, payload, prev_hash, h) in enumerate(rows, start=1):
        if seq != expected:
            return [f"entry {seq}: found at position {expected} (rows deleted or reordered)"]
        if prev_hash != prev:
            return [f"entry {seq}: does not follow entry {seq - 1} (chain broken)"]
        if entry_hash(seq, kind, dataset, payload, prev_hash) != h:
            return [f"entry {seq}: contents altered after it was written"]
        if kind == "sign" and signed_from is None:
            signed_from = seq
        if signed_from is not None:
            if key is None:
                return [
                    f"entry {signed_from}: the ledger is signed; set ${KEY_ENV} to the signing "
                    "key to verify it (nothing is decided from an unverified ledger)"
                ]
            mac = macs.get(seq)
            if mac is None or not hmac.compare_digest(mac, entry_mac(key, h)):
                return [
                    f"entry {seq}: its signature does not match ${KEY_ENV} (forged or "
                    "rewritten without the key, or another key)"
                ]
        prev = h
    return []


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is gone too
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """One flat field per value: nested dicts as dotted keys, lists as text items."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            items = [
                ", ".join(f"{a}={b}" for a, b in flatten(x).items()) if isinstance(x, dict)
                else str(x)
                for x in v
            ]  # fmt: skip
            out[key] = " | ".join(items)
        else:
            out[key] = v
    return out


def default_ledger_path() -> Path:
    """``$TABSYNTH_LEDGER``, else ``~/.tabsynth/ledger.sqlite``."""
    env = os.environ.get(LEDGER_ENV)
    if env:
        return Path(env)
    home = Path(os.environ.get("TABSYNTH_HOME", Path.home() / ".tabsynth"))
    return home / "ledger.sqlite"


from json.encoder import encode_basestring_ascii as _escape  # noqa: E402


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def entry_hash(seq: int, kind: str, dataset: str, payload: str, prev_hash: str) -> str:
    """SHA-256 over the entry's fields and the previous entry's hash: of the canonical JSON
    list ``[seq, kind, dataset, payload, prev_hash]``, written out here with the JSON
    string escaper (the same bytes as ``json.dumps``, several times faster)."""
    esc = _escape
    blob = f"[{int(seq)},{esc(kind)},{esc(dataset)},{esc(payload)},{esc(prev_hash)}]"
    return hashlib.sha256(blob.encode()).hexdigest()


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


def _aggregate(costs: list[Cost]) -> Cost:
    """One cost that composes like ``costs`` together (rho, epsilon and deltas add up)."""
    zcdp = all(c.rho is not None for c in costs)
    return Cost(
        epsilon=math.fsum(c.epsilon for c in costs),
        delta=math.fsum(c.delta for c in costs),
        rho=math.fsum(c.rho for c in costs if c.rho is not None) if zcdp else None,
        delta_approx=math.fsum(c.delta_approx for c in costs),
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


class Entry:
    """One ledger entry; its JSON payload is decoded on first use (a 100k-entry ledger is
    verified from the stored text, and only the fields a decision needs are read)."""

    __slots__ = ("_payload", "dataset", "hash", "kind", "prev_hash", "raw", "seq")

    def __init__(
        self, seq: int, kind: str, dataset: str, payload: Any, prev_hash: str, hash: str
    ) -> None:
        self.seq, self.kind, self.dataset = seq, kind, dataset
        self.prev_hash, self.hash = prev_hash, hash
        self.raw: str | None = payload if isinstance(payload, str) else None
        self._payload: dict[str, Any] | None = None if isinstance(payload, str) else payload

    @property
    def payload(self) -> dict[str, Any]:
        if self._payload is None:
            self._payload = json.loads(self.raw or "{}")
        return self._payload

    def cost(self) -> Cost:
        """The entry's ``cost`` (read from the canonical text without decoding the rest)."""
        if self._payload is None and self.raw is not None:
            m = _COST.search(self.raw)
            if m:
                return _parse_cost(m.group(1))
        return Cost.from_dict(self.payload["cost"])

    def reservation(self) -> int:
        if self._payload is None and self.raw is not None:
            m = _RESERVATION.search(self.raw)
            if m:
                return int(m.group(1))
        return int(self.payload["reservation"])

    def __repr__(self) -> str:
        return f"Entry({self.seq}, {self.kind!r}, {self.dataset!r})"


@functools.lru_cache(maxsize=4096)
def _parse_cost(text: str) -> Cost:
    return Cost.from_dict(json.loads(text))


# canonical payloads (sorted keys, no spaces): a cost is a flat object of numbers and null
_COST = re.compile(r'"cost":(\{[^{}]*\})')
_RESERVATION = re.compile(r'"reservation":(\d+)')


class Ledger:
    """An append-only, hash-chained privacy ledger in SQLite (default) or PostgreSQL.

    Args:
        location: a SQLite file path, or a SQLAlchemy URL (``postgresql+psycopg://...``);
            default ``$TABSYNTH_LEDGER``, else ``~/.tabsynth/ledger.sqlite``.
        timeout: seconds to wait for another writer's lock.
    """

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

    def verified_entries(self, dataset: str | None = None) -> list[Entry]:
        """Every entry (of one dataset), after the whole chain verified."""
        with self._read() as tx:
            out = self._verify(tx)
        return out if dataset is None else [e for e in out if e.dataset == dataset]

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
                open_[e.seq] = e.cost()
            elif e.kind in ("commit", "cancel"):
                open_.pop(e.reservation(), None)
                if e.kind == "commit":
                    spent.append(e.cost())
        return cap, spent, open_

    @staticmethod
    def largest_epsilon(
        cap: Cost, held: list[Cost], delta: float, zcdp: bool | None = None
    ) -> float:
        """The largest epsilon at ``delta`` that one more release can spend under ``cap``
        (a zCDP release when every cost held so far is zCDP)."""
        if zcdp is None:
            zcdp = all(c.rho is not None for c in held)
        held = [_aggregate(held)] if held else []  # composition is linear in what it adds

        def cost(e: float) -> Cost:
            return Cost(e, delta, epsilon_to_rho(e, delta)) if zcdp else Cost(e, delta)

        if compose([*held, cost(1e-9)], cap.delta) > cap.epsilon:
            return 0.0
        lo, hi = 1e-9, max(cap.epsilon, 1e-9)
        if compose([*held, cost(hi)], cap.delta) <= cap.epsilon:
            return hi
        for _ in range(60):
            mid = math.sqrt(lo * hi)
            if compose([*held, cost(mid)], cap.delta) <= cap.epsilon:
                lo = mid
            else:
                hi = mid
        return lo

    def status(
        self, dataset: str, *, delta: float = 1e-6, entries: list[Entry] | None = None
    ) -> dict[str, Any]:
        """Cap, spent and reserved epsilon (at the cap's delta), what remains, and the largest
        epsilon one more release at ``delta`` can spend; the chain is verified first (or
        ``entries`` come from ``verified_entries``)."""
        if entries is None:
            entries = self.verified_entries()
        entries = [e for e in entries if e.dataset == dataset]
        cap, spent, open_ = self._state(entries)
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
            "largest_epsilon": self.largest_epsilon(cap, spent + list(open_.values()), delta),
            "largest_epsilon_delta": delta,
            "releases": len(spent),
            "open_reservations": len(open_),
        }

    def reservations(
        self, dataset: str | None = None, entries: list[Entry] | None = None
    ) -> list[dict[str, Any]]:
        """Open reservations: id, dataset, age, user, host, pid, and whether its process is
        gone (``stale``: True or False on this host, None for another host)."""
        if entries is None:
            entries = self.verified_entries()
        entries = [e for e in entries if dataset is None or e.dataset == dataset]
        closed = {e.reservation() for e in entries if e.kind in ("commit", "cancel")}
        now = dt.datetime.now(dt.UTC)
        host = socket.gethostname()
        out = []
        for e in entries:
            if e.kind != "reserve" or e.seq in closed:
                continue
            p = e.payload
            pid = p.get("pid")
            age = (now - dt.datetime.fromisoformat(p["time"])).total_seconds()
            stale = None if p.get("host") != host or pid is None else not _pid_alive(pid)
            out.append({
                "id": e.seq, "dataset": e.dataset, "epsilon": p["cost"]["epsilon"],
                "delta": p["cost"]["delta"], "age_s": age, "user": p.get("user"),
                "host": p.get("host"), "pid": pid, "stale": stale,
            })  # fmt: skip
        return out

    def head(self) -> dict[str, Any]:
        """The last entry's seq and hash (record it outside the ledger as an anchor)."""
        with self._read() as tx:
            rows = tx.rows("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1")
            count = tx.rows("SELECT count(*) FROM entries")[0][0]
        seq, h = (int(rows[0][0]), rows[0][1]) if rows else (0, GENESIS)
        return {"seq": seq, "hash": h, "entries": int(count)}

    def datasets(self) -> list[str]:
        return sorted({e.dataset for e in self.entries()})

    # --- writing --------------------------------------------------------------------------
    def _append(self, tx: _Tx, kind: str, dataset: str, payload: dict[str, Any]) -> int:
        key = _key()
        if key is not None and kind != "sign" and not any(e.kind == "sign" for e in tx.entries()):
            self._append(tx, "sign", dataset, {"signing": "hmac-sha256", **self._who()})
        last = tx.rows("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1")
        seq, prev = (int(last[0][0]) + 1, last[0][1]) if last else (1, GENESIS)
        body = _canonical(payload)
        h = entry_hash(seq, kind, dataset, body, prev)
        tx.insert((seq, kind, dataset, body, prev, h))
        if key is not None:
            tx.insert_mac(seq, entry_mac(key, h))
        if tx.verified is not None:
            tx.verified.append(Entry(seq, kind, dataset, payload, prev, h))
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
            "pid": os.getpid(),
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
            held = spent + list(open_.values())
            total = compose(held + [cost], cap.delta)
            if total > cap.epsilon * (1 + 1e-12):
                before = compose(held, cap.delta)
                most = self.largest_epsilon(cap, held, cost.delta, zcdp=cost.rho is not None)
                raise BudgetExceededError(
                    f"dataset {dataset!r}: this release (epsilon {cost.epsilon:.4g} at delta "
                    f"{cost.delta:.3g}) would bring the total to {total:.4g} over the cap "
                    f"{cap.epsilon:.4g} at delta {cap.delta:.3g} (already spent or reserved: "
                    f"{before:.4g}); the largest epsilon that fits (at delta {cost.delta:.3g}) "
                    f"is {most:.4g}. Fix: lower epsilon, or have the budget owner raise the cap."
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

    def release(self, reservation: int, reason: str) -> int:
        """Close an open reservation left by a fit that died (kill -9, a lost machine),
        recorded in the chain with ``reason``. Until released it counts against the cap."""
        if not reason or not reason.strip():
            raise PrivacyError("say why the reservation is released. Fix: --reason TEXT")
        with self._write() as con:
            match = [e for e in con.entries() if e.seq == reservation and e.kind == "reserve"]
            if not match:
                raise PrivacyError(f"entry {reservation} is not a reservation")
            dataset = match[0].dataset
            self._open_reservation(con, dataset, reservation)
            return self._append(
                con,
                "cancel",
                dataset,
                {"reservation": reservation, "reason": reason, "released": True, **self._who()},
            )

    def _bulk_spends(self, dataset: str, cost: Cost, n: int) -> None:
        """``n`` reservations and their commits in one transaction (for benchmarks)."""
        with self._write() as con:
            for _ in range(n):
                seq = self._append(con, "reserve", dataset, {"cost": cost.to_dict(), **self._who()})
                self._append(con, "commit", dataset, {"reservation": seq, "cost": cost.to_dict()})

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
    def audit(self, expect_head: str | None = None) -> list[str]:
        """Verify the hash chain (and signatures, when the ledger is signed); the first
        problem found, or []. With ``expect_head`` (a head hash recorded earlier), also that
        the chain still holds that entry: a truncated tail or a rewritten history lose it."""
        with self._read() as tx:
            rows = tx.rows(f"SELECT {_COLUMNS} FROM entries ORDER BY seq")
            macs = tx.macs()
        problems = chain_problems(rows, macs, _key())
        if not problems and expect_head:
            want = expect_head.split(":")[-1].strip()
            if not any(r[5] == want for r in rows):
                problems.append(
                    f"the recorded head {want[:16]}... is not in the chain: it was truncated "
                    "or rewritten after the head was recorded"
                )
        return problems

    @property
    def signed(self) -> bool:
        """Whether the chain holds a "sign" entry (every later entry carries an HMAC)."""
        with self._read() as tx:
            return bool(tx.rows("SELECT seq FROM entries WHERE kind = 'sign' LIMIT 1"))

    def export(self) -> list[dict[str, Any]]:
        """Every entry as a dict (for CSV or JSON export), after the chain verified."""
        return [
            {
                "seq": e.seq,
                "kind": e.kind,
                "dataset": e.dataset,
                "hash": e.hash,
                "prev_hash": e.prev_hash,
                **e.payload,
            }
            for e in self.verified_entries()
        ]


def _check_name(dataset: str) -> None:
    if not isinstance(dataset, str) or not dataset.strip():
        raise PrivacyError("a dataset needs a non-empty name. Fix: --dataset NAME")
