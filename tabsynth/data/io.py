"""Load and save tables (CSV, Parquet) with polars; accept and return pandas or polars."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import polars as pl

from tabsynth._io import atomic_path
from tabsynth.errors import TabsynthError, UnsupportedFileError

Frame = Literal["pandas", "polars"]
SUFFIXES = (".csv", ".parquet", ".pq")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnsupportedFileError(
            f"{path}: unsupported file type {suffix or '(none)'!r}. "
            "Fix: use a .csv or .parquet file (convert spreadsheets with your tool of choice)."
        )
    return suffix


def read_table(path: str | Path) -> pl.DataFrame:
    """Read a CSV or Parquet file into polars, with a clear error for other formats."""
    path = Path(path)
    suffix = _suffix(path)
    if not path.exists():
        raise UnsupportedFileError(f"{path}: file not found. Fix: check the path.")
    try:
        if suffix == ".csv":
            return pl.read_csv(
                path,
                infer_schema_length=10_000,
                null_values=["", "NA", "NaN"],
                try_parse_dates=True,
            )
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise UnsupportedFileError(
            f"{path}: could not be read as {suffix[1:]} ({exc}). "
            "Fix: check that the file is a valid, UTF-8 encoded table with a header row."
        ) from None


def write_table(df: pl.DataFrame, path: str | Path) -> Path:
    """Write ``df`` to CSV or Parquet atomically (temporary file, then rename)."""
    path = Path(path)
    suffix = _suffix(path)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            df.write_csv(tmp)
        else:
            df.write_parquet(tmp)
    return path


def to_polars(data: Any) -> tuple[pl.DataFrame, Frame]:
    """Convert pandas or polars input to polars; also say which it was."""
    if isinstance(data, pl.DataFrame):
        return data, "polars"
    if isinstance(data, pl.LazyFrame):
        return data.collect(), "polars"
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a core dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        frame = data.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        return pl.from_pandas(frame), "pandas"
    raise TabsynthError(
        f"expected a pandas or polars DataFrame, got {type(data).__name__}. "
        "Fix: load the table with pandas.read_csv / polars.read_csv, "
        "or pass a file path to the CLI."
    )


def from_polars(df: pl.DataFrame, kind: Frame) -> Any:
    """Return ``df`` as the frame type the caller gave us."""
    return df.to_pandas() if kind == "pandas" else df
