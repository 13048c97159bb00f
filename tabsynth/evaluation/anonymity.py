"""anonymeter's singling-out, linkability and inference risks, run in its own environment.

anonymeter (Giomi et al. 2023, the GDPR-oriented risk evaluators of Statice) pins numpy below
1.27, so it is not a tabsynth dependency. Point ``$TABSYNTH_ANONYMETER_PYTHON`` (or the
``python=`` argument) at a Python that has it::

    python -m venv anon && anon/bin/pip install anonymeter
    export TABSYNTH_ANONYMETER_PYTHON=$PWD/anon/bin/python

or install it into an environment of its own together with tabsynth (``tabsynth[anonymeter]``
resolves numpy to 1.26 there). The three attacks use the holdout as anonymeter's control set,
so each risk is the attack's success on training rows beyond its success on fresh rows.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tabsynth.data import conform, from_polars, to_polars
from tabsynth.errors import DataValidationError, MissingExtraError, Problem
from tabsynth.schema.model import Schema

ENV = "TABSYNTH_ANONYMETER_PYTHON"
RUNNER = Path(__file__).with_name("anonymeter_run.py")


def anonymeter_python(python: str | None = None) -> str | None:
    """The Python that runs anonymeter: the argument, ``$TABSYNTH_ANONYMETER_PYTHON``, or
    this one when anonymeter is importable here; None when there is none."""
    if python:
        return python
    if os.environ.get(ENV):
        return os.environ[ENV]
    return sys.executable if importlib.util.find_spec("anonymeter") is not None else None


def anonymeter_risks(
    real: Any,
    synthetic: Any,
    holdout: Any,
    schema: Schema,
    *,
    python: str | None = None,
    n_attacks: int = 300,
    seed: int = 0,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Singling-out (multivariate), linkability and inference risks with 95% intervals.

    The inference attack guesses the schema's target (or the first protected attribute,
    else the last modelled column) from every other column; linkability links two halves of
    the columns. Only modelled columns are passed (PII columns never leave the process).
    """
    py = anonymeter_python(python)
    if py is None:
        raise MissingExtraError(
            "anonymeter is not available. Fix: python -m venv anon && anon/bin/pip install "
            f"anonymeter, then set {ENV}=anon/bin/python (it pins numpy<1.27, so it lives in "
            "its own environment)"
        )
    frames = {}
    for key, data in (("train", real), ("synthetic", synthetic), ("control", holdout)):
        frame, _ = conform(to_polars(data)[0], schema, modelled_only=True)
        frames[key] = from_polars(frame, "pandas")
    n = min(n_attacks, len(frames["control"]), len(frames["train"]))
    if n < 20:
        raise DataValidationError(
            [Problem("holdout", f"{len(frames['control'])} rows", "anonymeter needs >= 20")]
        )
    cols = list(frames["train"].columns)
    protected = [c.name for c in schema.columns if c.protected and c.modelled]
    secret = schema.target or (protected[0] if protected else cols[-1])
    secret_col = schema.column(secret)
    with tempfile.TemporaryDirectory() as tmp:
        spec = {
            "n_attacks": int(n),
            "seed": seed,
            "secret": secret,
            "regression": secret_col.kind == "numerical",
            "aux_a": cols[0::2],
            "aux_b": cols[1::2],
        }
        for key, frame in frames.items():
            path = Path(tmp) / f"{key}.csv"
            frame.to_csv(path, index=False)
            spec[key] = str(path)
        result = Path(tmp) / "result.json"
        spec["result"] = str(result)
        (Path(tmp) / "spec.json").write_text(json.dumps(spec))
        proc = subprocess.run(
            [py, str(RUNNER), str(Path(tmp) / "spec.json")],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0 or not result.exists():
            tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise MissingExtraError(f"anonymeter failed in {py}: {tail}")
        out: dict[str, Any] = json.loads(result.read_text())
    out["n_attacks"] = int(n)
    out["note"] = (
        "anonymeter risks (0 = no better than on fresh holdout rows, 1 = every attack "
        "succeeds); computed from the real data, a diagnostic, not part of the DP guarantee"
    )
    return out
