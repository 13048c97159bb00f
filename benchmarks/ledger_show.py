"""How long `tabsynth budget show` takes on a large ledger (the whole chain verified first).

    python benchmarks/ledger_show.py [--entries 100000]

Builds a SQLite ledger of N entries (reservations and their commits on one dataset) in a
temporary folder, then times `budget show` as a user runs it (a fresh process, imports
included) and the `Ledger.status` call alone, three times each; prints the medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main(argv: list[str] | None = None) -> int:
    from tabsynth.privacy import epsilon_to_rho
    from tabsynth.privacy.ledger import Cost, Ledger

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entries", type=int, default=100_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite"
        book = Ledger(path)
        book.set_cap("d", epsilon=1e9, delta=1e-5)
        book._bulk_spends("d", Cost(1e-4, 1e-6, epsilon_to_rho(1e-4, 1e-6)), args.entries // 2)
        status, cli = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            book.status("d")
            status.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "tabsynth.cli", "budget", "show", "--ledger", str(path)],
                check=True,
                capture_output=True,
            )
            cli.append(time.perf_counter() - t0)
        n = book.head()["entries"]
    print(
        f"{n} entries: Ledger.status {statistics.median(status):.2f} s, `tabsynth budget "
        f"show` {statistics.median(cli):.2f} s (median of 3, imports included)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
