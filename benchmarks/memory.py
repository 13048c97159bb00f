"""Peak resident memory of a block of code in this process (a polling thread)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """Current resident set size in MB (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE / 2**20


class PeakRSS:
    """``with PeakRSS() as m: ...``; then ``m.peak_mb`` is the most resident memory seen
    during the block (polled every ``interval`` s) and ``m.added_mb`` that minus the memory
    at entry: what the block itself needed on top of what was already loaded."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.base_mb = self.peak_mb = 0.0
        self._stop = threading.Event()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, rss_mb())
            time.sleep(self.interval)

    def __enter__(self) -> PeakRSS:
        self.base_mb = self.peak_mb = rss_mb()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb())

    @property
    def added_mb(self) -> float:
        return self.peak_mb - self.base_mb
