"""The ledger's entries and their chain: canonical hashing, optional HMAC signing, the
chain's verification, costs and their composition, and the flat export format."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import math
import os
import re
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _escape
from typing import Any

from tabsynth.privacy.accountant import rho_to_epsilon

GENESIS = "0" * 64


KEY_ENV = "TABSYNTH_LEDGER_KEY"


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
