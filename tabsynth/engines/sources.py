"""Tables a model can fit on without holding them in memory.

``tabsynth.scan(path)`` streams a Parquet/CSV file (or a folder of Parquet files) in batches
through polars' lazy scans; ``tabsynth.scan(path, engine="dask")`` maps the same batch
functions over Dask partitions (a local cluster, or ``scheduler="tcp://host:8786"``). Both
run the engine-agnostic functions of ``tabsynth.engines.stats`` and reduce exact partial
sums; the model adds the noise once, to the totals.

    model = tabsynth.fit(tabsynth.scan("claims/", engine="dask"), "schema.yaml")
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tabsynth.data.io import _csv_separator
from tabsynth.data.validate import DomainReport
from tabsynth.engines.stats import (
    Partial,
    apply,
    check_columns,
    combine,
    domain_report,
    modelled_columns,
)
from tabsynth.errors import DataValidationError, MissingExtraError, Problem, UnsupportedFileError
from tabsynth.schema.model import Schema

BatchFn = Callable[[pl.DataFrame, int], Partial]
ENGINES = ("memory", "stream", "dask")


class TableSource(ABC):
    """A table seen through passes: ``run(fn, schema)`` maps ``fn`` over every batch of
    conformed rows (with the batch's global row offset) and returns the summed partials."""

    engine: str = "base"

    def __init__(self) -> None:
        self.domain_report: DomainReport | None = None
        self.passes = 0
        # with a privacy unit: the global positions of the rows kept (``bound_units``)
        self.keep: np.ndarray | None = None

    @abstractmethod
    def _run(self, fn: BatchFn, schema: Schema, columns: list[str] | None) -> Partial: ...

    @abstractmethod
    def rows(self) -> int:
        """The number of rows (exact; models use it only through DP mechanisms)."""

    def run(self, fn: BatchFn, schema: Schema, columns: list[str] | None = None) -> Partial:
        """One pass over every modelled column (or just ``columns``). The first pass also
        validates every batch: all problems are raised together after it, and its exact
        domain report is kept for the steward."""
        if (
            self.passes == 0
            and columns is not None
            and set(modelled_columns(schema)) - set(columns)
        ):
            raise ValueError("the first pass reads every modelled column (it validates them)")
        part = self._run(fn, schema, columns)
        if part.problems:
            raise DataValidationError(part.problems)
        if self.passes == 0 and part.rows == 0:
            raise DataValidationError(
                [Problem("table", "it has no rows", "pass a table with at least one row")]
            )
        if self.passes == 0:
            self.domain_report = domain_report(part)
        self.passes += 1
        return part

    def fingerprint(self) -> str | None:
        return None

    def bound_units(self, schema: Schema, key: int) -> None:
        """The first pass with a privacy unit: read the unit and the modelled columns of
        every batch (validating them), choose each unit's kept rows exactly as in memory
        (``tabsynth.privacy.units``: a unit whose rows sit in several batches or partitions
        is merged across them), and make every later pass skip the other rows."""
        from tabsynth.engines.stats import unit_pass
        from tabsynth.privacy.units import kept_positions

        unit, k = schema.privacy_unit, schema.max_rows_per_unit
        if unit is None or self.passes:
            raise ValueError("bound_units is the first pass of a fit with a privacy unit")
        modelled = modelled_columns(schema)
        cols = [c.name for c in schema.columns if c.modelled or c.name == unit]
        fn = functools.partial(unit_pass, unit=unit, k=k, key=key, modelled=modelled)
        part = self.run(fn, schema, cols)
        assert part.units is not None
        self.keep = kept_positions(part.units)

    def _keep_of(self, offset: int, rows: int) -> np.ndarray | None:
        """The kept positions within rows [offset, offset + rows) (None: every row)."""
        if self.keep is None:
            return None
        lo, hi = np.searchsorted(self.keep, [offset, offset + rows])
        return self.keep[lo:hi]


class FrameSource(TableSource):
    """An in-memory table that ``fit`` has already conformed: one batch."""

    engine = "memory"

    def __init__(self, frame: pl.DataFrame) -> None:
        super().__init__()
        self.frame = frame

    def rows(self) -> int:
        return self.frame.height

    def _run(self, fn: BatchFn, schema: Schema, columns: list[str] | None) -> Partial:
        return fn(self.frame if columns is None else self.frame.select(columns), 0)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob("*.parquet"))
        if not files:
            raise UnsupportedFileError(
                f"{path}: a folder without .parquet files. Fix: point at a Parquet/CSV file "
                "or a folder of Parquet parts."
            )
        return files
    if not path.exists():
        raise UnsupportedFileError(f"{path}: file not found. Fix: check the path.")
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise UnsupportedFileError(
            f"{path}: unsupported file type {path.suffix!r}. Fix: use .csv or .parquet."
        )
    return [path]


class _FileSource(TableSource):
    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.files = _files(self.path)
        self.is_csv = self.files[0].suffix.lower() == ".csv"

    def fingerprint(self) -> str:
        """Keyed HMAC-SHA256 of the input files' bytes, read in 1 MiB blocks (the same for
        every engine, and for any partitioning)."""
        from tabsynth.data.fingerprint import file_fingerprint

        return file_fingerprint(self.files)

    def column_names(self) -> list[str]:
        return self._lazy().collect_schema().names()

    def rows(self) -> int:
        if not hasattr(self, "_rows"):
            self._rows = int(self._lazy().select(pl.len()).collect().item())
        return self._rows

    def _lazy(self) -> pl.LazyFrame:
        if self.is_csv:
            return pl.scan_csv(
                self.files[0],
                separator=_csv_separator(self.files[0]),
                infer_schema_length=10_000,
                null_values=["", "NA", "NaN"],
                try_parse_dates=True,
            )
        return pl.scan_parquet([str(f) for f in self.files])


class ScanSource(_FileSource):
    """A file streamed through a polars lazy scan, ``batch_rows`` rows at a time: memory
    holds one batch and the partial sums, whatever the table's size."""

    engine = "stream"

    def __init__(self, path: str | Path, *, batch_rows: int = 500_000) -> None:
        super().__init__(path)
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be positive, got {batch_rows}")
        self.batch_rows = batch_rows

    def batches(
        self, schema: Schema, columns: list[str] | None = None
    ) -> Iterator[tuple[int, pl.DataFrame]]:
        check_columns(self.column_names(), schema)
        lazy = self._lazy().select(columns or modelled_columns(schema))
        offset = 0
        for batch in lazy.collect_batches(chunk_size=self.batch_rows):
            yield offset, batch
            offset += batch.height

    def _run(self, fn: BatchFn, schema: Schema, columns: list[str] | None) -> Partial:
        total = Partial()
        for offset, batch in self.batches(schema, columns):
            keep = self._keep_of(offset, batch.height)
            total = combine(total, apply(fn, batch, offset, schema, columns, keep))
        return total


class DaskSource(_FileSource):
    """Parquet partitions on a Dask cluster: each partition's partial sums are computed on
    a worker and the small results summed at the driver. ``scheduler`` is a
    ``dask.distributed`` address; None uses the current client (or Dask's default).
    ``blocksize`` sets the partitions' size (Parquet row groups are split or grouped to
    about that many compressed bytes; a worker's memory grows with it)."""

    engine = "dask"

    def __init__(
        self,
        path: str | Path,
        *,
        scheduler: str | None = None,
        client: Any = None,
        blocksize: str | int = "16 MiB",
    ) -> None:
        super().__init__(path)
        try:
            import dask.dataframe  # noqa: F401
        except ImportError as exc:
            raise MissingExtraError(
                "the dask engine needs Dask. Fix: pip install 'tabsynth[dask]'"
            ) from exc
        self.scheduler = scheduler
        self.client = client
        self.blocksize = blocksize
        self._part_rows: dict[tuple[str, ...], list[int]] = {}

    def _client(self) -> Any:
        if self.client is None and self.scheduler is not None:
            from distributed import Client

            self.client = Client(self.scheduler)
        return self.client

    def frame(self, schema: Schema, columns: list[str] | None = None) -> Any:
        check_columns(self.column_names(), schema)
        return self._raw(columns or modelled_columns(schema))

    def _raw(self, cols: list[str]) -> Any:
        import dask.dataframe as dd

        if self.is_csv:
            return dd.read_csv(
                str(self.files[0]),
                sep=_csv_separator(self.files[0]),
                usecols=cols,
                blocksize=self.blocksize,
            )
        # partitions of about ``blocksize`` compressed bytes: a worker holds one at a time
        return dd.read_parquet(
            [str(f) for f in self.files],
            columns=cols,
            split_row_groups="infer",
            blocksize=self.blocksize,
        )

    def compute(self, tasks: list[Any]) -> list[Any]:
        import dask

        client = self._client()
        if client is not None:
            return list(client.gather(client.compute(tasks)))
        return list(dask.compute(*tasks))

    def _lengths(self, cols: list[str], parts: list[Any]) -> list[int]:
        """Rows per partition (kept per column set: partitioning may follow the bytes read)."""
        import dask

        key = tuple(cols)
        if key not in self._part_rows:
            got = self.compute([dask.delayed(len)(p) for p in parts])
            self._part_rows[key] = [int(n) for n in got]
        return self._part_rows[key]

    def rows(self) -> int:
        cols = self.column_names()[:1]
        return sum(self._lengths(cols, self._raw(cols).to_delayed()))

    def _run(self, fn: BatchFn, schema: Schema, columns: list[str] | None) -> Partial:
        import dask

        cols = columns or modelled_columns(schema)
        parts = self.frame(schema, cols).to_delayed()
        lengths = self._lengths(cols, parts)
        offsets = [0]
        for n in lengths[:-1]:
            offsets.append(offsets[-1] + n)
        tasks = [
            dask.delayed(apply)(fn, p, off, schema, columns, self._keep_of(off, n))
            for p, off, n in zip(parts, offsets, lengths, strict=True)
        ]
        total = Partial()
        for part in self.compute(tasks):
            total = combine(total, part)
        return total


def scan(
    path: str | Path,
    *,
    engine: str = "stream",
    batch_rows: int = 500_000,
    scheduler: str | None = None,
    client: Any = None,
) -> TableSource:
    """A table to fit on without loading it: ``engine="stream"`` (polars lazy scan, one
    machine) or ``"dask"`` (Dask partitions; ``scheduler`` address or ``client``)."""
    if engine == "stream":
        return ScanSource(path, batch_rows=batch_rows)
    if engine == "dask":
        return DaskSource(path, scheduler=scheduler, client=client)
    raise ValueError(f"engine must be 'stream' or 'dask', got {engine!r}")
