"""Running the peers the same way for every benchmark: SmartNoise in its own venv, SDV with
metadata that agrees with the schema."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent


class PeerError(RuntimeError):
    """A peer failed or ran out of time; the message is the benchmark's table cell."""


def smartnoise_sample(
    python: str,
    synth: str,
    train: pd.DataFrame,
    schema: Any,
    eps: float,
    timeout: float | None = None,
    runner: str = "smartnoise_run.py",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One peer fit and sample (``len(train)`` rows) in the venv of ``python`` by the script
    ``peers/<runner>`` (SmartNoise's by default, ``dpmm_run.py`` for dpmm), given the
    schema's categorical/continuous split, categories and public bounds. Returns the sample
    with the real table's dtypes, and the runner's timings (``fit_s``, ``sample_s``,
    ``peak_mb``, ``wall_s``)."""
    cats = [c.name for c in schema.columns if c.kind in ("categorical", "boolean")]
    conts = [c.name for c in schema.columns if c.kind == "numerical"]
    with tempfile.TemporaryDirectory() as tmp:
        tr, out = Path(tmp) / "train.csv", Path(tmp) / "out.csv"
        train[cats + conts].to_csv(tr, index=False)
        spec = {
            "train": str(tr),
            "out": str(out),
            "synth": synth,
            "epsilon": eps,
            "delta": schema.delta,
            "categorical": cats,
            "continuous": conts,
            "rows": len(train),
            "options": {},
            "bounds": {c.name: [c.lower, c.upper] for c in schema.columns if c.name in conts},
            "categories": {
                c.name: list(c.domain) if c.kind == "categorical" else [False, True]
                for c in schema.columns
                if c.name in cats
            },
        }
        (Path(tmp) / "spec.json").write_text(json.dumps(spec))
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [python, str(HERE / "peers" / runner), str(Path(tmp) / "spec.json")],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise PeerError(f"no result within {timeout:.0f} s (stopped)") from None
        if proc.returncode != 0:
            lines = proc.stderr.strip().splitlines() or ["(no output)"]
            raise PeerError(lines[-1][:300])
        wall = time.perf_counter() - t0
        syn = pd.read_csv(out, keep_default_na=False, na_values=[""])
        times = json.loads(Path(str(out) + ".json").read_text())
    return restore_types(syn, train), {**times, "wall_s": wall}


def restore_types(syn: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """SmartNoise writes categories as strings: give them the real table's dtypes back."""
    out = syn.copy()
    for c in train.columns:
        if c not in out:
            continue
        if train[c].dtype == bool:
            out[c] = out[c].astype(str).str.lower().map({"true": True, "false": False})
        elif train[c].dtype == object or str(train[c].dtype) in ("string", "category"):
            out[c] = out[c].astype(str).where(out[c].notna(), None)
        else:
            out[c] = pd.to_numeric(out[c], errors="coerce")
    return out


def sdv_metadata(train: pd.DataFrame, schema: Any) -> Any:
    """SDV's detected metadata, with the schema's categorical columns declared categorical:
    left to detection, SDV takes e.g. loans' `state` for an address part and replaces it
    with fake state names, which no scorer could match."""
    from sdv.metadata import Metadata

    meta = Metadata.detect_from_dataframes({"table": train})
    for c in schema.modelled_columns:
        if c.kind in ("categorical", "boolean") and c.name in train:
            meta.update_column(table_name="table", column_name=c.name, sdtype="categorical")
    return meta
