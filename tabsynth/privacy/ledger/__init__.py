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

from tabsynth.privacy.ledger.book import Ledger
from tabsynth.privacy.ledger.chain import (
    GENESIS,
    KEY_ENV,
    Cost,
    Entry,
    chain_problems,
    compose,
    entry_hash,
    entry_mac,
    flatten,
)
from tabsynth.privacy.ledger.store import LEDGER_ENV, default_ledger_path

__all__ = [
    "GENESIS",
    "KEY_ENV",
    "LEDGER_ENV",
    "Cost",
    "Entry",
    "Ledger",
    "chain_problems",
    "compose",
    "default_ledger_path",
    "entry_hash",
    "entry_mac",
    "flatten",
]
