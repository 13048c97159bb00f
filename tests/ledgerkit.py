"""Helpers shared by the SQLite and PostgreSQL ledger tests."""

from __future__ import annotations

from typing import Any

from tabsynth.errors import BudgetExceededError
from tabsynth.privacy.ledger import Cost, Ledger


def spend(book: Ledger, dataset: str, cost: Cost) -> int:
    """Reserve and commit ``cost``: one whole release."""
    return book.commit(dataset, book.reserve(dataset, cost), cost)


def hammer(location: str, n: int, q: Any) -> None:
    """Try ``n`` releases of epsilon 0.1 on dataset "c"; put how many succeeded on ``q``."""
    book = Ledger(location)
    ok = 0
    for _ in range(n):
        try:
            spend(book, "c", Cost(epsilon=0.1, delta=0))
            ok += 1
        except BudgetExceededError:
            pass
    q.put(ok)
