"""What every peer runner does last, in whichever venv it runs: fit and sample timed, the
sample written to ``out`` and its timings and peak memory to ``out + ".json"``. Imports
only the standard library, so each peer's venv can import it beside its runner."""

from __future__ import annotations

import json
import resource
import time
import warnings
from collections.abc import Callable
from typing import Any


def fit_and_sample(fit: Callable[[], Any], sample: Callable[[], Any], out: str) -> None:
    """Run ``fit()`` then ``sample()`` (a pandas frame) quietly, timing each."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        fit()
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        frame = sample()
        sample_s = time.perf_counter() - t0
    frame.to_csv(out, index=False)
    with open(out + ".json", "w") as fh:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        json.dump({"fit_s": fit_s, "sample_s": sample_s, "peak_mb": peak_mb}, fh)
