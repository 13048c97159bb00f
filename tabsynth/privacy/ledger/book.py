"""The ``Ledger``: caps, reservations, spends and releases, each decided inside a write
transaction that first verifies the chain (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import getpass
import math
import os
import socket
from typing import Any

from tabsynth.errors import BudgetExceededError, PrivacyError
from tabsynth.privacy.accountant import check_epsilon_delta, epsilon_to_rho
from tabsynth.privacy.ledger.chain import (
    GENESIS,
    Cost,
    Entry,
    _aggregate,
    _canonical,
    _key,
    chain_problems,
    compose,
    entry_hash,
    entry_mac,
)
from tabsynth.privacy.ledger.store import _COLUMNS, _Store, _Tx


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


class Ledger(_Store):
    """An append-only, hash-chained privacy ledger in SQLite (default) or PostgreSQL.

    Args:
        location: a SQLite file path, or a SQLAlchemy URL (``postgresql+psycopg://...``);
            default ``$TABSYNTH_LEDGER``, else ``~/.tabsynth/ledger.sqlite``.
        timeout: seconds to wait for another writer's lock.
    """

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
