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
            return _read_csv(path)
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise UnsupportedFileError(
            f"{path}: could not be read as {suffix[1:]} ({exc}). "
            "Fix: check that the file is a valid, UTF-8 encoded table with a header row."
        ) from None


SEPARATORS = (",", ";", "\t", "|")


def _csv_separator(path: Path) -> str:
    """The separator of a CSV file, read from its header line (comma, semicolon, tab or
    pipe: the one that splits the header most, comma on a tie); duplicate column names are
    refused (polars would rename them silently)."""
    import csv

    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        header = fh.readline()
    sep = max(SEPARATORS, key=lambda c: (header.count(c), c == ","))
    names = next(csv.reader([header], delimiter=sep), [])
    names = [n.strip() for n in names]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise UnsupportedFileError(
            f"{path}: the header names {dup} more than once. Fix: give every column its own "
            "name (tabsynth never renames columns)."
        )
    return sep


def _read_csv(path: Path) -> pl.DataFrame:
    """A CSV with its types guessed; a column whose later rows break the guess (a second
    date format, a word among numbers) is read again from every row, and failing that, as
    text: the schema's ``conform`` then names the values that do not fit, as shapes."""
    sep = _csv_separator(path)
    opts: dict[str, Any] = {"separator": sep, "null_values": ["", "NA", "NaN"]}
    try:
        return pl.read_csv(path, infer_schema_length=10_000, try_parse_dates=True, **opts)
    except pl.exceptions.ComputeError:
        pass
    try:
        return pl.read_csv(path, infer_schema_length=None, **opts)
    except pl.exceptions.ComputeError:
        return pl.read_csv(path, infer_schema=False, **opts)


def write_table(df: pl.DataFrame, path: str | Path) -> Path:
    """Write ``df`` to CSV or Parquet atomically (temporary file, then rename)."""
    path = Path(path)
    suffix = _suffix(path)
    with atomic_path(path, size_hint=int(df.estimated_size())) as tmp:
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
