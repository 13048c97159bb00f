"""Sampling more rows than fit in memory: fixed chunks, one seeded stream per chunk.

Chunk ``i`` holds rows ``[i * chunk_rows, (i + 1) * chunk_rows)`` and draws them from its own
stream, ``SeedSequence(seed, spawn_key=(i,))`` (what ``SeedSequence(seed).spawn`` gives), so
the output for a seed is the same whether the chunks are drawn one after another on one
machine (``engine="stream"``, one Parquet/CSV file written in batches) or spread over Dask
workers (``engine="dask"``, a folder of Parquet parts). Memory holds one chunk per worker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tabsynth._io import atomic_dir
from tabsynth.errors import EngineError, MissingExtraError

ROW_GROUP = 131_072


def chunk_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The stream of chunk ``index`` (independent of how many chunks there are)."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def chunks(n: int, chunk_rows: int) -> list[tuple[int, int]]:
    """(start, rows) of each chunk."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    return [(s, min(chunk_rows, n - s)) for s in range(0, n, chunk_rows)]


def sample_chunk(
    model: Any, seed: int, index: int, start: int, rows: int, total: int, options: dict[str, Any]
) -> pl.DataFrame:
    """Rows ``[start, start + rows)`` of a ``total``-row sample; identifier columns are
    numbered globally, as one ``model.sample(total)`` would number them."""
    out = model.sample(rows, seed=chunk_seed(seed, index), as_frame="polars", **options)
    ids = []
    for col in model.schema.columns:
        if col.kind == "identifier" and col.pii is None and col.name in out.columns:
            width = max(6, len(str(total)))
            num = pl.Series(col.name, np.arange(start + 1, start + rows + 1))
            ids.append((col.prefix + num.cast(pl.String).str.zfill(width)).alias(col.name))
    return out.with_columns(ids) if ids else out


def _write_part(
    model: Any,
    seed: int,
    index: int,
    start: int,
    rows: int,
    total: int,
    options: dict[str, Any],
    folder: str,
) -> int:
    part = sample_chunk(model, seed, index, start, rows, total, options)
    final = Path(folder) / f"part-{index:05d}.parquet"
    tmp = final.with_suffix(".parquet.tmp")
    part.write_parquet(tmp)
    os.replace(tmp, final)
    return part.height


def write_sample(
    model: Any,
    n: int,
    path: str | Path,
    *,
    seed: int | None = None,
    chunk_rows: int = 1_000_000,
    engine: str = "stream",
    scheduler: str | None = None,
    client: Any = None,
    **options: Any,
) -> dict[str, Any]:
    """Draw ``n`` rows into ``path`` chunk by chunk; returns what was written.

    ``engine="stream"`` writes one Parquet or CSV file (Parquet row groups, CSV appends);
    ``engine="dask"`` writes a folder of ``part-NNNNN.parquet`` files, one per chunk, each
    drawn on a worker. Both appear only when complete (temporary name, then rename). A seed
    of None draws a fresh one, returned in the result so the draw can be repeated.
    ``options`` go to ``model.sample`` (``where``, ``rebalance``, ``scenario``, ``drift``).
    """
    path = Path(path)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    plan = chunks(int(n), chunk_rows)
    if engine == "stream":
        _stream(model, plan, n, seed, path, options)
    elif engine == "dask":
        _dask(model, plan, n, seed, path, options, scheduler, client)
    else:
        raise EngineError(f"engine must be 'stream' or 'dask', got {engine!r}")
    return {"path": str(path), "rows": int(n), "seed": seed, "chunks": len(plan), "engine": engine}


def _stream(
    model: Any,
    plan: list[tuple[int, int]],
    n: int,
    seed: int,
    path: Path,
    options: dict[str, Any],
) -> None:
    import pyarrow.parquet as pq

    from tabsynth._io import atomic_path
    from tabsynth.data.io import _suffix

    suffix = _suffix(path)
    with atomic_path(path) as tmp:
        writer = None
        try:
            with open(tmp, "wb") as fh:
                for i, (start, rows) in enumerate(plan):
                    part = sample_chunk(model, seed, i, start, rows, n, options)
                    if suffix == ".csv":
                        part.write_csv(fh, include_header=i == 0)
                        continue
                    table = part.to_arrow()
                    if writer is None:
                        writer = pq.ParquetWriter(fh, table.schema)
                    # row groups of ~128k rows: readers (Dask) can split the file finely
                    writer.write_table(table, row_group_size=ROW_GROUP)
                if writer is not None:
                    writer.close()
                    writer = None
                elif suffix == ".parquet":  # zero rows: an empty file with the columns
                    model.sample(0, seed=seed, as_frame="polars").write_parquet(fh)
        finally:
            if writer is not None:
                writer.close()


def _dask(
    model: Any,
    plan: list[tuple[int, int]],
    n: int,
    seed: int,
    path: Path,
    options: dict[str, Any],
    scheduler: str | None,
    client: Any,
) -> None:
    try:
        import dask
    except ImportError as exc:
        raise MissingExtraError(
            "the dask engine needs Dask. Fix: pip install 'tabsynth[dask]'"
        ) from exc
    if path.suffix.lower() in (".csv", ".parquet"):
        raise EngineError(
            f"{path}: the dask engine writes a folder of Parquet parts, one per chunk. "
            "Fix: give a folder name (e.g. synthetic/), or use --engine stream for one file."
        )
    if client is None and scheduler is not None:
        from distributed import Client

        client = Client(scheduler)
    if path.exists():  # an earlier sample's parts only; never anything else
        old = list(path.iterdir()) if path.is_dir() else [path]
        if not path.is_dir() or any(not f.name.startswith("part-") for f in old):
            raise EngineError(
                f"{path} exists and is not an earlier sample folder. Fix: choose a new folder name."
            )
    with atomic_dir(path) as tmp:
        model_ref = dask.delayed(model, pure=True)
        tasks = [
            dask.delayed(_write_part)(model_ref, seed, i, s, r, n, options, str(tmp))
            for i, (s, r) in enumerate(plan)
        ]
        written = client.gather(client.compute(tasks)) if client else dask.compute(*tasks)
        if sum(written) != n:
            raise EngineError(f"the workers wrote {sum(written)} rows, not {n}")
