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


def cap_for_three_fits(book: Ledger, dataset: str) -> None:
    """A cap that three copula fits at epsilon 1 (delta 1e-6) fit under, and four do not."""
    from tabsynth.privacy import epsilon_to_rho, rho_to_epsilon

    rho = epsilon_to_rho(1.0, 1e-6)
    book.set_cap(dataset, epsilon=rho_to_epsilon(3.5 * rho, 1e-5), delta=1e-5)


def concurrent_fits(location: str, dataset: str, n: int = 8) -> int:
    """``n`` real fits charged to ``dataset`` at once (spawned: a forked polars or torch
    thread pool can deadlock); how many went through."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_fit_once, args=(location, dataset, q)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    return sum(q.get(timeout=30) for _ in procs)


def _fit_once(location: str, dataset: str, q: Any) -> None:
    import tabsynth
    from tabsynth.datasets import load_example

    df, schema = load_example("health_insurance")
    try:
        tabsynth.fit(df.head(800), schema, epsilon=1.0, dataset=dataset, ledger=location)
        q.put(1)
    except BudgetExceededError:
        q.put(0)
