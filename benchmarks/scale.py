"""Fit and sample at 1M, 10M and 50M rows x 20 columns: time and peak memory per size.

The tables are drawn from a DP copula fitted on 20 columns of openintro::loans_full_schema
(the bundled ``loans`` schema) and written to Parquet by the streaming sampler. Every step
runs in its own process, so its peak resident memory (``ru_maxrss``) is its own:

* ``sample (stream)``: ``tabsynth.write_sample`` into one Parquet file, 1M-row chunks;
* ``fit (stream)``: ``tabsynth.fit(tabsynth.scan(path))`` with 500k-row batches;
* ``fit (memory)``: ``read_table`` then ``tabsynth.fit`` (the in-memory path, for contrast;
  sizes up to ``--memory-max``);
* ``fit (dask)`` / ``sample (dask)``: a ``LocalCluster`` of 2 single-threaded workers (sizes up
  to ``--dask-max``); memory is the driver's and the largest worker's.

    python -m benchmarks.scale                       # 1M, 10M, 50M (about 50 min, 2 cores)
    python -m benchmarks.scale --sizes 1e6,1e7       # quicker

Writes ``results/scale.json`` and ``SCALE.md``. Data files go to ``--workdir`` (deleted
afterwards unless ``--keep``; 50M rows take about 4 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLUMNS = [
    "emp_length",
    "state",
    "homeownership",
    "annual_income",
    "verified_income",
    "debt_to_income",
    "delinq_2y",
    "inquiries_last_12m",
    "total_credit_lines",
    "open_credit_lines",
    "total_credit_limit",
    "loan_purpose",
    "application_type",
    "loan_amount",
    "term",
    "interest_rate",
    "installment",
    "grade",
    "loan_status",
    "balance",
]


def _schema() -> Any:
    import tabsynth
    from tabsynth.datasets import example_schema

    spec = example_schema("loans").model_dump(mode="json", exclude_none=True)
    spec["columns"] = [c for c in spec["columns"] if c["name"] in COLUMNS]
    return tabsynth.Schema.from_dict(spec)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- steps (each runs in a fresh process) -----------------------------------------------
def step_base(work: Path) -> dict[str, Any]:
    import tabsynth
    from tabsynth.datasets import load_example

    df, _ = load_example("loans")
    model = tabsynth.fit(df[COLUMNS], _schema(), epsilon=1.0)
    model.save(work / "model")
    return {"rows": len(df), "privacy": model.privacy.label()}


def step_sample(work: Path, n: int, engine: str) -> dict[str, Any]:
    import tabsynth

    model = tabsynth.load(work / "model")
    out = work / (f"data_{n}.parquet" if engine == "stream" else f"dask_{n}")
    t0 = time.perf_counter()
    if engine == "stream":
        tabsynth.write_sample(model, n, out, seed=0, chunk_rows=1_000_000)
        extra: dict[str, Any] = {}
    else:
        with _cluster() as client:
            tabsynth.write_sample(
                model, n, out, seed=0, chunk_rows=1_000_000, engine="dask", client=client
            )
            extra = {"worker_peak_mb": max(client.run(_peak_mb).values())}
    took = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in ([out] if out.is_file() else out.iterdir()))
    if engine == "dask":
        shutil.rmtree(out)
    return {"seconds": took, "peak_mb": _peak_mb(), "file_mb": size / 2**20, **extra}


def step_fit(work: Path, n: int, engine: str) -> dict[str, Any]:
    import tabsynth

    path = work / f"data_{n}.parquet"
    schema = _schema()
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    # point-mass discovery noises every distinct value (one exact draw, ~12 us, each): with
    # the 12 continuous columns' ~all-distinct values it is measured once, at 1M rows only
    opts: dict[str, Any] = {"discover_atoms": False}
    if engine.endswith("+atoms"):
        engine, opts = engine[:-6], {"max_atom_candidates": 10**9}
    if engine == "memory":
        model = tabsynth.fit(tabsynth.read_table(path), schema, epsilon=1.0, **opts)
    elif engine == "stream":
        src = tabsynth.scan(path, batch_rows=500_000)
        model = tabsynth.fit(src, schema, epsilon=1.0, **opts)
    else:
        with _cluster() as client:
            src = tabsynth.scan(path, engine="dask", client=client)
            model = tabsynth.fit(src, schema, epsilon=1.0, **opts)
            extra = {"worker_peak_mb": max(client.run(_peak_mb).values())}
    took = time.perf_counter() - t0
    return {
        "seconds": took,
        "peak_mb": _peak_mb(),
        "atoms": sum(len(v) for v in model.atoms_.values()),
        **extra,
    }


class _cluster:  # noqa: N801 - a context manager used like a function
    def __enter__(self) -> Any:
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc: Any) -> None:
        self.client.close()
        self.cluster.close()


def _run_step(*args: str) -> dict[str, Any]:
    res = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "--step", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise RuntimeError(f"step {args} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _notes(rows: list[dict[str, Any]]) -> list[str]:
    """What the table shows, in sentences computed from it."""

    def by(step: str) -> list[dict[str, Any]]:
        return [r for r in rows if r["step"] == step]

    notes = []
    for step in ("fit (stream)", "sample (stream)", "fit (dask)", "sample (dask)"):
        got = by(step)
        if len(got) < 2:
            continue
        a, b = got[0], got[-1]
        mem = " -> ".join(f"{r['peak_mb']:.0f}" for r in got)
        line = (
            f"{step}: {b['n'] / a['n']:.0f}x the rows took {b['seconds'] / a['seconds']:.1f}x "
            f"the time; peak memory {mem} MB"
        )
        if "worker_peak_mb" in b:
            workers = " -> ".join(f"{r['worker_peak_mb']:.0f}" for r in got)
            line += f" (driver), {workers} MB (largest worker)"
        sizes = " / ".join(f"{r['n'] / 1e6:g}M" for r in got)
        notes.append(f"{line} at {sizes} rows.")
    mem = by("fit (memory)")
    if mem:
        top = mem[-1]
        notes.append(
            f"The in-memory fit holds the whole table: {top['peak_mb'] / 1024:.1f} GB at "
            f"{top['n'] / 1e6:g}M rows, growing with the rows, where the streamed fit stays "
            "near its batch size."
        )
    atoms = by("fit (stream+atoms)")
    if atoms and by("fit (stream)"):
        ratio = atoms[0]["seconds"] / by("fit (stream)")[0]["seconds"]
        notes.append(
            f"Point-mass discovery (`+atoms`) noises every distinct value of the continuous "
            f"columns: {ratio:.1f}x the fit time at {atoms[0]['n'] / 1e6:g}M rows; past "
            "`max_atom_candidates` the fit stops and asks for public `atoms:` in the schema."
        )
    return notes


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Scale: fit and sample beyond memory",
        "",
        f"Machine: {result['machine']}. Table: {len(COLUMNS)} columns of the `loans` schema "
        "(drawn from a DP copula fitted on openintro::loans_full_schema), Parquet. Each step "
        "in its own process; peak memory is its `ru_maxrss`. Fits are DP at epsilon 1 "
        "(copula) without point-mass discovery, except the `+atoms` row. Produced by "
        "`python -m benchmarks.scale`.",
        "",
        "| rows | step | seconds | s per 1M rows | peak MB | worker peak MB | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        per = r["seconds"] / (r["n"] / 1e6)
        worker = f"{r['worker_peak_mb']:.0f}" if "worker_peak_mb" in r else ""
        note = f"{r['file_mb']:.0f} MB Parquet" if "file_mb" in r else ""
        if "atoms" in r:
            note = f"{r['atoms']} point masses released"
        lines.append(
            f"| {r['n']:,} | {r['step']} | {r['seconds']:.1f} | {per:.2f} | "
            f"{r['peak_mb']:.0f} | {worker} | {note} |"
        )
    lines += ["", *result.get("notes", [])]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e6,1e7,5e7")
    ap.add_argument("--memory-max", type=float, default=1e7)
    ap.add_argument("--dask-max", type=float, default=5e7)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "tabsynth-scale")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        name, *rest = args.step
        work = args.workdir
        if name == "base":
            out = step_base(work)
        elif name == "sample":
            out = step_sample(work, int(rest[0]), rest[1])
        else:
            out = step_fit(work, int(rest[0]), rest[1])
        print(json.dumps(out))
        return

    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "columns": COLUMNS,
        "base": _run_step("base", "--workdir", str(work)),
        "rows": [],
    }
    plan = []
    for n in sizes:
        plan.append(("sample", n, "stream"))
        plan.append(("fit", n, "stream"))
        if n == min(sizes):
            plan.append(("fit", n, "stream+atoms"))
        if n <= args.memory_max:
            plan.append(("fit", n, "memory"))
        if n <= args.dask_max:
            plan.append(("fit", n, "dask"))
            plan.append(("sample", n, "dask"))
    for step, n, engine in plan:
        got = _run_step(step, str(n), engine, "--workdir", str(work))
        row = {"n": n, "step": f"{step} ({engine})", **got}
        result["rows"].append(row)
        print(json.dumps(row), flush=True)
        last_use = max(i for i, (_, m, _) in enumerate(plan) if m == n)
        if plan[last_use] == (step, n, engine) and not args.keep and n > args.memory_max:
            (work / f"data_{n}.parquet").unlink()  # large files go once no step needs them
    result["notes"] = _notes(result["rows"])
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    (args.out / "results" / "scale.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "SCALE.md").write_text(_markdown(result))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(_markdown(result))


if __name__ == "__main__":
    main()
