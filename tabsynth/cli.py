"""The ``tabsynth`` command line: a thin typer shell over the Python API.

Exit codes: 0 success; 1 user error (a clear message, no traceback); 2 internal error.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from tabsynth._io import redact as _redact
from tabsynth.errors import PrivacyLeakWarning, TabsynthError

app = typer.Typer(
    name="tabsynth",
    help="Differentially private synthetic tables from a public schema.\n\n"
    "Typical flow: `schema infer` (draft) -> review the schema -> `fit` -> `sample`.\n"
    "Try `tabsynth demo` first: it runs the whole flow on a bundled real table.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
schema_app = typer.Typer(
    help="Draft, check and export table schemas (the public contract).", no_args_is_help=True
)
app.add_typer(schema_app, name="schema")
pii_app = typer.Typer(
    help="Find personal data: entity per column, masked examples, quasi-identifiers.",
    no_args_is_help=True,
)
app.add_typer(pii_app, name="pii")
budget_app = typer.Typer(
    help="The privacy-budget ledger: caps per dataset, every spend, a tamper-evident chain.",
    no_args_is_help=True,
)
app.add_typer(budget_app, name="budget")
LedgerOpt = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        help="Ledger: a SQLite file or a SQLAlchemy URL (postgresql+psycopg://...); "
        "default $TABSYNTH_LEDGER, else ~/.tabsynth/ledger.sqlite.",
    ),
]


def _say(msg: str) -> None:
    typer.echo(msg, err=True)


class _Step:
    """Prints "step ... done in 1.2s" on the terminal (progress for long steps)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> _Step:
        self.t0 = time.perf_counter()
        typer.echo(f"• {self.what} ...", err=True, nl=False)
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            typer.echo(f" done in {time.perf_counter() - self.t0:.2f}s", err=True)
        else:
            typer.echo(" failed", err=True)


def _parse_epsilon(value: str | None) -> float | None | str:
    if value is None:
        return "schema"
    if value.lower() in ("none", "null", "off"):
        return None
    try:
        return float(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a number; use e.g. 1.0, or 'none' for a non-private fit"
        ) from None


# --- schema ---------------------------------------------------------------------------------
@schema_app.command("infer")
def schema_infer(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Schema file to write.")],
    target: Annotated[str | None, typer.Option(help="Target column.")] = None,
    name: Annotated[str | None, typer.Option(help="Table name (default: file stem).")] = None,
    pii: Annotated[
        bool,
        typer.Option(help="Scan for PII first; PII columns get a pii entry and no domain."),
    ] = True,
) -> None:
    """Draft a schema from DATA. NOT PRIVATE: review every domain before release.

    The bounds and categories are read from the private data itself. Replace them with public
    knowledge (code lists, legal ranges) and set `inferred_from_data: false` before release.
    PII columns found by the scan (needs the pii extra) are written without any value.
    """
    from tabsynth.data import read_table
    from tabsynth.schema import infer_schema

    df = read_table(data)
    found: dict[str, str] | None = None
    if pii:
        try:
            from tabsynth.pii import scan

            with _Step("scanning for PII"):
                found = scan(df, quasi=False).pii_columns()
            for col, entity in found.items():
                _say(f"  PII: {col} holds {entity}")
        except ImportError:
            _say("note: PII not scanned (pip install 'tabsynth[pii]'); review columns by hand")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrivacyLeakWarning)
        schema = infer_schema(df, name=name or data.stem, target=target, pii=found)
    schema.to_yaml(output)
    _say("WARNING: this schema was DRAFTED FROM THE PRIVATE DATA. Its bounds and categories")
    _say("are not differentially private. Review every domain and replace it with public")
    _say("knowledge before a release, then set `inferred_from_data: false`.")
    typer.echo(f"wrote {output} ({len(schema.columns)} columns)")


@pii_app.command("scan")
def pii_scan(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table.")],
    schema_path: Annotated[
        Path | None, typer.Option("--schema", "-s", help="Schema, to show declared PII too.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the scan as JSON.")
    ] = None,
    rows: Annotated[int, typer.Option(min=1, help="Rows sampled for the scan.")] = 200,
) -> None:
    """Classify each column of DATA: PII entity, confidence, share of matching cells.

    Runs Presidio offline (blank spaCy pipeline, pattern recognizers with checksums, and
    tabsynth's recognizers for names, addresses, MRN, NPI). Never prints raw values: examples
    are masked to their shape (Xxxx Xxxxx, 999-99-9999). Also lists column combinations that
    make rows unique (quasi-identifiers) with generalisations to try.

    Example:

        tabsynth pii scan patients.csv -o scan.json
    """
    from tabsynth._io import atomic_write_text
    from tabsynth.data import read_table
    from tabsynth.pii import scan

    sch = None
    if schema_path is not None:
        from tabsynth.schema import read_schema

        sch = read_schema(schema_path)
    report = scan(read_table(data), sch, sample_rows=rows)
    typer.echo(report.summary())
    if output is not None:
        atomic_write_text(output, json.dumps(report.to_dict(), indent=2) + "\n")
        typer.echo(f"wrote {output}")


@schema_app.command("validate")
def schema_validate(
    schema_path: Annotated[Path, typer.Argument(metavar="SCHEMA", help="Schema YAML/JSON.")],
    data: Annotated[Path | None, typer.Argument(help="Optional table to check against it.")] = None,
) -> None:
    """Check a schema file, and optionally a table against it (every problem at once)."""
    from tabsynth.data import conform, read_table
    from tabsynth.schema import read_schema

    schema = read_schema(schema_path)
    typer.echo(
        f"schema {schema.name!r}: OK ({len(schema.columns)} columns, hash {schema.hash()[:12]})"
    )
    if schema.inferred_from_data:
        _say("WARNING: inferred_from_data is true: the domains came from private data.")
    if data is not None:
        _, report = conform(read_table(data), schema)
        typer.echo(
            f"data {data}: OK ({report.rows} rows; exact counts below are diagnostics for "
            "your eyes, not DP: keep them out of a release)"
        )
        for key, vals in report.to_dict().items():
            if isinstance(vals, dict) and vals:
                typer.echo(f"  {key} (exact, not DP): {vals}")


@schema_app.command("json-schema")
def schema_json(
    output: Annotated[Path, typer.Option("-o", "--output")] = Path("schemas/tabsynth.schema.json"),
) -> None:
    """Export the JSON Schema of the schema file format (for editors and validators)."""
    from tabsynth._io import atomic_write_text
    from tabsynth.schema import json_schema

    atomic_write_text(output, json.dumps(json_schema(), indent=2) + "\n")
    typer.echo(f"wrote {output}")


# --- fit / sample ---------------------------------------------------------------------------
@app.command()
def fit(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet training table.")],
    schema: Annotated[Path, typer.Option("--schema", "-s", help="Public schema YAML/JSON.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model folder to write.")],
    model: Annotated[str | None, typer.Option(help="copula or ctgan (default: schema's).")] = None,
    epsilon: Annotated[
        str | None,
        typer.Option(help="Total epsilon (default: schema's); 'none' for a NON-PRIVATE fit."),
    ] = None,
    delta: Annotated[float | None, typer.Option(help="Total delta (default: schema's).")] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Default sampling seed. Privacy noise stays secure unless --reproducible-noise."
        ),
    ] = None,
    reproducible_noise: Annotated[
        bool,
        typer.Option(
            help="TESTING ONLY: derive privacy noise from --seed; the model is NOT releasable."
        ),
    ] = False,
    dataset: Annotated[
        str | None,
        typer.Option(help="Charge the fit to this dataset's budget (refused over its cap)."),
    ] = None,
    ledger: LedgerOpt = None,
    epochs: Annotated[
        int | None,
        typer.Option(min=1, help="ctgan: training epochs (fewer epochs, less noise per step)."),
    ] = None,
    progress: Annotated[
        bool, typer.Option(help="Show a progress bar (ctgan: epoch, losses, epsilon so far).")
    ] = True,
    engine: Annotated[
        str,
        typer.Option(
            help="memory (load the table), stream (larger than memory: polars batches) or "
            "dask (Parquet partitions on a Dask cluster). copula only for stream/dask."
        ),
    ] = "memory",
    scheduler: Annotated[
        str | None,
        typer.Option(help="dask: scheduler address, e.g. tcp://10.0.0.5:8786 (default: local)."),
    ] = None,
    batch_rows: Annotated[
        int, typer.Option(min=1, help="stream: rows per batch (memory use scales with it).")
    ] = 500_000,
    allow_draft: Annotated[
        bool,
        typer.Option(
            help="Fit a schema drafted from the data (inferred_from_data: true), for testing: "
            "the model is marked NOT FOR RELEASE everywhere."
        ),
    ] = False,
) -> None:
    """Fit a DP model on DATA under SCHEMA and save it to a folder (JSON + arrays, no pickle).

    Examples:

        tabsynth fit train.csv -s schema.yaml -o model/

        tabsynth fit train.parquet -s schema.yaml --model ctgan --epochs 20 --epsilon 3 -o m/

        tabsynth fit big.parquet -s schema.yaml --engine stream -o model/

        tabsynth fit parts/ -s schema.yaml --engine dask --scheduler tcp://host:8786 -o model/
    """
    import tabsynth
    from tabsynth.data import read_table

    sch = tabsynth.Schema.from_yaml(schema)
    _check_writable(output)  # before anything is read, reserved or measured
    options: dict[str, Any] = {}
    if epochs is not None:
        if (model or sch.model) != "ctgan":
            raise typer.BadParameter(
                "--epochs applies to --model ctgan only", param_hint="--epochs"
            )
        options["epochs"] = epochs
    if engine not in ("memory", "stream", "dask"):
        raise typer.BadParameter("use memory, stream or dask", param_hint="--engine")
    if engine == "memory":
        with _Step(f"reading {data}"):
            df: Any = read_table(data)
    else:
        df = tabsynth.scan(data, engine=engine, batch_rows=batch_rows, scheduler=scheduler)
    with _Step(f"fitting {model or sch.model}" + ("" if engine == "memory" else f" ({engine})")):
        m = tabsynth.fit(
            df,
            sch,
            model,
            epsilon=_parse_epsilon(epsilon),
            delta=delta if delta is not None else "schema",
            seed=seed,
            reproducible_noise=reproducible_noise,
            dataset=dataset,
            ledger=ledger,
            verbose=progress,
            allow_draft=allow_draft,
            **options,
        )
    m.save(output)
    typer.echo(f"privacy: {m.privacy.label()}")
    entry = getattr(m, "ledger_entry_", None)
    if entry:
        typer.echo(
            f"ledger: entry {entry['entry']} for dataset {entry['dataset']!r} in {entry['ledger']}"
        )
    typer.echo(f"wrote model {output}")


def _check_writable(output: Path) -> None:
    """Refuse an output folder that cannot be written, before any budget is reserved."""
    import tempfile

    parent = output.parent
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    problem = None
    if output.exists() and not output.is_dir():
        problem = "it exists and is not a folder"
    elif not probe.is_dir():
        problem = f"{probe} is not a folder"
    else:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=parent):
                pass
        except OSError as exc:
            problem = exc.strerror or str(exc)
    if problem:
        raise typer.BadParameter(
            f"cannot write {output}: {problem}. Fix: choose a writable folder (nothing was "
            "fitted or charged)",
            param_hint="-o",
        )


@app.command()
def verify(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="Model folder.")],
    ledger: Annotated[
        Path | None,
        typer.Option(
            "--ledger",
            help="Also check that this ledger recorded the model's content hash for its spend.",
        ),
    ] = None,
) -> None:
    """Check every file of a saved MODEL, then print its guarantee and content hash.

    Exit 1 when any file was altered, added or removed, or (with --ledger) when the ledger's
    chain is broken or it holds no record of this content hash. Compare the printed hash
    with the one in the release notes or the ledger.

    Example:

        tabsynth verify model/ --ledger ledger.sqlite
    """
    from tabsynth.artifacts import verify_model

    info = verify_model(model_path, ledger=ledger)
    typer.echo(f"files: {len(info['files'])} verified ({', '.join(info['files'])})")
    typer.echo(f"content hash: {info['content_hash']}")
    typer.echo(f"signature: {info['signature']}")
    if info["ledger"]:
        typer.echo(f"ledger: {info['ledger']}")
    typer.echo(f"privacy: {info['label']}")
    typer.echo("RELEASABLE" if info["releasable"] else "NOT FOR RELEASE")


@app.command()
def sample(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="Model folder.")],
    n: Annotated[int, typer.Option("-n", "--rows", min=0, help="Rows to draw.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV or Parquet to write.")],
    seed: Annotated[int | None, typer.Option(help="Seed for a reproducible draw.")] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="COL=VALUE: sample conditionally (repeatable)."),
    ] = None,
    rebalance: Annotated[
        str | None,
        typer.Option(help="COL=uniform or COL=a:0.5,b:0.5: the output holds these shares of COL."),
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(help="Stress test: tails (extreme quantiles) or rare (rare combinations)."),
    ] = None,
    drift: Annotated[
        list[str] | None,
        typer.Option(
            "--drift", help="Shifted marginal, e.g. age+5 or insurance=no:0.4 (repeatable)."
        ),
    ] = None,
    leak_check: Annotated[
        Path | None,
        typer.Option(
            help="The training table: refuse the release if a real value of a PII column "
            "appears in it (faked values that collide are re-drawn)."
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="memory (one frame), stream (chunks appended to one file: flat memory) or "
            "dask (one Parquet part per chunk, drawn on Dask workers; OUT is a folder). "
            "stream and dask give the same rows for a seed."
        ),
    ] = "memory",
    chunk_rows: Annotated[
        int, typer.Option(min=1, help="stream/dask: rows per chunk (each has its own stream).")
    ] = 1_000_000,
    scheduler: Annotated[
        str | None,
        typer.Option(help="dask: scheduler address, e.g. tcp://10.0.0.5:8786 (default: local)."),
    ] = None,
) -> None:
    """Draw N synthetic rows from a fitted MODEL (post-processing: no privacy cost).

    Writes OUT and OUT.manifest.json, which records the model, seed, conditions and
    rebalancing, and states that sampling spent no privacy budget.

    Examples:

        tabsynth sample model/ -n 10000 -o synthetic.parquet --seed 1

        tabsynth sample model/ -n 5000 -o s.csv --rebalance sex=uniform --leak-check train.csv
    """
    import hashlib

    import tabsynth
    from tabsynth._io import atomic_write_text
    from tabsynth.data import write_table
    from tabsynth.data.io import _suffix

    if engine not in ("memory", "stream", "dask"):
        raise typer.BadParameter("use memory, stream or dask", param_hint="--engine")
    if engine != "dask":
        _suffix(output)  # refuse an unsupported output type before doing any work
    cond = dict(_key_value(w, "--where") for w in where or [])
    balance = _parse_rebalance(rebalance) if rebalance else None
    m = tabsynth.load(model_path)
    if engine != "memory":
        _sample_chunked(
            m,
            model_path,
            n,
            output,
            seed,
            engine,
            chunk_rows,
            scheduler,
            leak_check,
            where=cond or None,
            rebalance=balance,
            scenario=scenario,
            drift=drift,
        )
        return
    with _Step(f"sampling {n} rows"):
        df = m.sample(
            n,
            seed=seed,
            as_frame="polars",
            where=cond or None,
            rebalance=balance,
            scenario=scenario,
            drift=drift,
        )
    leaks = None
    if leak_check is not None:
        from tabsynth.data import read_table
        from tabsynth.pii.leak import leak_check as check

        with _Step("checking the release for real PII values"):
            df, leaks = check(read_table(leak_check), df, m.schema)
    elif any(c.pii is not None and c.modelled for c in m.schema.columns):
        raise typer.BadParameter(
            "the schema models PII columns (policy keep or generalize): a release must be "
            "checked against the training table. Fix: pass --leak-check TRAIN.csv",
            param_hint="--leak-check",
        )
    elif any(c.pii is not None for c in m.schema.columns):
        _say("note: faked/hashed PII columns; pass --leak-check TRAIN to re-draw collisions")
    write_table(df, output)
    manifest = {
        "model": str(model_path),
        "model_manifest_sha256": hashlib.sha256(
            (model_path / "manifest.json").read_bytes()
        ).hexdigest(),
        "rows": df.height,
        "seed": seed,
        "where": cond,
        "rebalance": balance,
        "scenario": scenario,
        "drift": drift,
        "constraints": {
            "rules": list(m.schema.constraints),
            **getattr(m, "last_sample_report_", {}),
        },
        "pii_leak_check": leaks.to_dict() if leaks is not None else "not run",
        "privacy": m.privacy.label(),
        "releasable": m.privacy.releasable,
        "privacy_cost": "none: sampling, conditioning and rebalancing are post-processing of "
        "the DP model and spend no budget",
    }
    atomic_write_text(Path(f"{output}.manifest.json"), json.dumps(manifest, indent=2) + "\n")
    _say_release(m)
    typer.echo(f"wrote {output} ({df.height} rows x {df.width} columns) and its manifest")


def _say_release(m: Any) -> None:
    typer.echo(f"privacy: {m.privacy.label()}")
    if m.privacy.is_private and not m.privacy.releasable:
        _say("WARNING: this model is NOT FOR RELEASE: " + "; ".join(m.privacy.withheld))


def _sample_chunked(
    m: Any,
    model_path: Path,
    n: int,
    output: Path,
    seed: int | None,
    engine: str,
    chunk_rows: int,
    scheduler: str | None,
    leak_check: Path | None,
    **options: Any,
) -> None:
    """``sample --engine stream|dask``: chunks written as they are drawn."""
    import hashlib

    import tabsynth
    from tabsynth._io import atomic_write_text

    if leak_check is not None or any(c.pii is not None and c.modelled for c in m.schema.columns):
        raise typer.BadParameter(
            "a chunked release cannot be leak-checked yet, and this schema models PII "
            "columns or asked for --leak-check. Fix: --engine memory",
            param_hint="--engine",
        )
    with _Step(f"sampling {n} rows in chunks of {chunk_rows} ({engine})"):
        info = tabsynth.write_sample(
            m,
            n,
            output,
            seed=seed,
            chunk_rows=chunk_rows,
            engine=engine,
            scheduler=scheduler,
            **{k: v for k, v in options.items() if v},
        )
    manifest = {
        "model": str(model_path),
        "model_manifest_sha256": hashlib.sha256(
            (model_path / "manifest.json").read_bytes()
        ).hexdigest(),
        **info,
        "chunk_rows": chunk_rows,
        "chunk_streams": "numpy SeedSequence(seed, spawn_key=(i,)) for chunk i",
        **{k: v for k, v in options.items()},
        "privacy": m.privacy.label(),
        "releasable": m.privacy.releasable,
        "privacy_cost": "none: sampling is post-processing of the DP model",
    }
    atomic_write_text(Path(f"{output}.manifest.json"), json.dumps(manifest, indent=2) + "\n")
    _say_release(m)
    typer.echo(f"wrote {output} ({n} rows in {info['chunks']} chunk(s), seed {info['seed']})")


def _key_value(text: str, flag: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"{flag} takes COL=VALUE, got {text!r}")
    return key.strip(), value.strip()


def _parse_rebalance(text: str) -> dict[str, Any]:
    col, spec = _key_value(text, "--rebalance")
    if spec == "uniform":
        return {col: "uniform"}
    shares: dict[str, float] = {}
    for part in spec.split(","):
        value, sep, share = part.rpartition(":")
        try:
            shares[value] = float(share)
        except ValueError:
            sep = ""
        if not sep or not value:
            raise typer.BadParameter(
                f"--rebalance takes COL=uniform or COL=a:0.5,b:0.5, got {text!r}"
            )
    return {col: shares}


@app.command()
def report(
    real: Annotated[Path, typer.Option("--real", help="The real training table.")],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="The synthetic table.")],
    holdout: Annotated[Path, typer.Option("--holdout", help="Real rows kept out of training.")],
    schema: Annotated[Path, typer.Option("--schema", "-s", help="Public schema YAML/JSON.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML report to write.")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the JSON.")] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="The model folder: adds its DP certificate.")
    ] = None,
    collapse_k: Annotated[
        int,
        typer.Option(
            "--collapse",
            min=0,
            help="Refit on the model's own output K times and plot the "
            "fidelity decay (needs --model).",
        ),
    ] = 0,
    pii_scan: Annotated[
        Path | None,
        typer.Option(help="A scan JSON from `tabsynth pii scan -o`: adds the PII section."),
    ] = None,
    anonymeter: Annotated[
        bool,
        typer.Option(
            help="Add anonymeter's singling-out, linkability and inference risks (anonymeter "
            "runs in its own environment: set TABSYNTH_ANONYMETER_PYTHON, or "
            "--anonymeter-python)."
        ),
    ] = False,
    anonymeter_python: Annotated[
        str | None, typer.Option(help="A Python that has anonymeter installed.")
    ] = None,
    audit_json: Annotated[
        Path | None,
        typer.Option("--audit", help="An audit JSON from `tabsynth audit -o`: adds its section."),
    ] = None,
) -> None:
    """Fidelity, utility (TSTR) and privacy risk in one self-contained HTML (+ JSON) report."""
    import tabsynth
    from tabsynth.data import read_table
    from tabsynth.evaluation import evaluate

    sch = tabsynth.Schema.from_yaml(schema)
    frames = {}
    for name, path in (("real", real), ("synthetic", synthetic), ("holdout", holdout)):
        frames[name] = read_table(path)
    with _Step("evaluating fidelity, utility and privacy risk"):
        result = evaluate(
            frames["real"],
            frames["synthetic"],
            frames["holdout"],
            sch,
            model=model,
            pii_scan=json.loads(pii_scan.read_text()) if pii_scan is not None else None,
            anonymeter=(anonymeter_python or True) if anonymeter or anonymeter_python else False,
        )
    if audit_json is not None:
        result.audit = json.loads(audit_json.read_text())
    if collapse_k:
        from tabsynth.artifacts import read_manifest
        from tabsynth.evaluation import collapse

        if model is None:
            raise typer.BadParameter("--collapse needs --model (its model and epsilon)")
        man = read_manifest(model)
        with _Step(f"model-collapse check over {collapse_k} generations"):
            result.collapse = collapse(
                frames["real"],
                frames["synthetic"],
                sch,
                generations=collapse_k,
                model=man["model"],
                epsilon=man["privacy"]["epsilon"],
                delta=man["privacy"]["delta"] or sch.delta,
            )
    with _Step(f"writing {output}"):
        result.to_html(output)
        if json_out is not None:
            result.to_json(json_out)
    typer.echo(f"wrote {output}" + (f" and {json_out}" if json_out else ""))


@budget_app.command("init")
def budget_init(ledger: LedgerOpt = None) -> None:
    """Create an empty ledger (0600 in a folder made 0700); signed when
    $TABSYNTH_LEDGER_KEY is set (an HMAC over every entry, with a key kept outside it)."""
    from tabsynth.privacy.ledger import KEY_ENV, Ledger

    book = Ledger(ledger)
    what = "created" if book.created else "already there:"
    signing = f"signed with ${KEY_ENV}" if os.environ.get(KEY_ENV) else "unsigned"
    typer.echo(f"ledger {what} {_redact(book.location)} ({signing})")


@budget_app.command("set-cap")
def budget_set_cap(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    epsilon: Annotated[float, typer.Option(help="Total epsilon allowed over all releases.")],
    delta: Annotated[float, typer.Option(help="Total delta allowed.")] = 1e-6,
    ledger: LedgerOpt = None,
) -> None:
    """Set the privacy cap of DATASET (recorded in the ledger like any entry)."""
    from tabsynth.privacy.ledger import Ledger

    book = Ledger(ledger)
    if book.created:
        _say(f"created the ledger {_redact(book.location)}")
    book.set_cap(dataset, epsilon=epsilon, delta=delta)
    typer.echo(f"cap of {dataset!r}: epsilon {epsilon}, delta {delta} ({_redact(book.location)})")


def _existing_ledger(ledger: Path | None) -> Any:
    """The ledger for a read-only command: never created; a broken chain exits 1."""
    from tabsynth.privacy.ledger import Ledger

    return Ledger(ledger, create=False)


@budget_app.command("show")
def budget_show(
    dataset: Annotated[str | None, typer.Argument(help="One dataset (default: all).")] = None,
    ledger: LedgerOpt = None,
    delta: Annotated[
        float, typer.Option(help="Delta of the next release, for the largest epsilon that fits.")
    ] = 1e-6,
) -> None:
    """Per dataset: cap, spent, reserved and remaining epsilon (each at its delta), the
    largest epsilon one more release can spend, and open reservations (STALE when the
    process that made them is gone: `budget release ID --reason TEXT` closes them).

    The whole chain is verified first: a broken one prints AUDIT FAILED and exits 1.
    """
    from tabsynth.errors import LedgerIntegrityError

    book = _existing_ledger(ledger)
    try:
        entries = book.verified_entries()
    except LedgerIntegrityError as exc:
        typer.echo(str(exc))
        raise typer.Exit(1) from None
    names = [dataset] if dataset else sorted({e.dataset for e in entries})
    if not names:
        typer.echo(f"the ledger {_redact(book.location)} is empty")
    opened = book.reservations(entries=entries)
    for name in names:
        st = book.status(name, delta=delta, entries=entries)
        if st.get("cap") is None and "cap_epsilon" not in st:
            typer.echo(f"{name}: no cap set ({st['releases']} releases)")
            continue
        at = f"at delta {st['cap_delta']:.3g}"
        typer.echo(
            f"{name}: spent epsilon {st['spent_epsilon']:.4g} {at} + reserved "
            f"{st['reserved_epsilon']:.4g} of the cap {st['cap_epsilon']:.4g} {at}; "
            f"remaining {st['remaining_epsilon']:.4g} {at} ({st['releases']} releases); "
            f"largest epsilon one more release can spend: {st['largest_epsilon']:.4g} at "
            f"delta {delta:.3g}"
        )
        for r in (r for r in opened if r["dataset"] == name):
            flag = {True: "  STALE: its process is gone", None: "  (other host)"}.get(
                r["stale"], ""
            )
            typer.echo(
                f"  reservation {r['id']}: epsilon {r['epsilon']:.4g} at delta "
                f"{r['delta']:.3g}, {r['age_s'] / 60:.0f} min old, {r['user']}@{r['host']} "
                f"pid {r['pid']}{flag}"
            )


@budget_app.command("release")
def budget_release(
    reservation: Annotated[int, typer.Argument(metavar="ID", help="The reservation's entry.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the chain).")],
    ledger: LedgerOpt = None,
) -> None:
    """Close an open reservation left by a fit that died (it counts against the cap until
    then); the release is an entry of the chain, with its reason, user and host."""
    book = _existing_ledger(ledger)
    seq = book.release(reservation, reason)
    typer.echo(f"released reservation {reservation} (entry {seq})")


@budget_app.command("head")
def budget_head(ledger: LedgerOpt = None) -> None:
    """Print the head hash and entry count: record them outside the ledger (a ticket, a
    signed mail) and check later with `budget audit --expect-head HASH`."""
    book = _existing_ledger(ledger)
    problems = book.audit()
    if problems:
        _say(f"AUDIT FAILED: {problems[0]}")
        raise typer.Exit(1)
    h = book.head()
    typer.echo(f"head {h['hash']} (entry {h['seq']}, {h['entries']} entries)")


@budget_app.command("audit")
def budget_audit(
    ledger: LedgerOpt = None,
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="A head hash recorded earlier (`budget head`): also catches a "
            "truncated tail or a rewritten history."
        ),  # fmt: skip
    ] = None,
) -> None:
    """Verify the hash chain (and signatures); exit 1 naming the first broken entry."""
    book = _existing_ledger(ledger)
    problems = book.audit(expect_head=expect_head)
    if problems:
        for p in problems:
            _say(f"AUDIT FAILED: {p}")
        raise typer.Exit(1)
    h = book.head()
    signed = "; signed" if book.signed else ""
    head = f"; head entry {h['seq']} hash {h['hash']}" if h["entries"] else ""
    anchor = "; the recorded head is in the chain" if expect_head else ""
    typer.echo(
        f"ledger {_redact(book.location)}: {h['entries']} entries, chain intact{signed}"
        f"{anchor}{head}"
    )
    if not expect_head:
        typer.echo(
            "Record the head hash outside the ledger (a ticket, a signed mail), then check "
            "with --expect-head: that also proves no entry was cut off the end."
        )


@budget_app.command("export")
def budget_export(
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    ledger: LedgerOpt = None,
) -> None:
    """Export every ledger entry (to stdout, or atomically to a file); the chain is
    verified first. CSV has one flat column per field (cost.epsilon, cost.rho, ...)."""
    import polars as pl

    from tabsynth._io import atomic_write_text
    from tabsynth.privacy.ledger import flatten

    rows = _existing_ledger(ledger).export()
    if fmt == "json":
        text = json.dumps(rows, indent=2) + "\n"
    elif fmt == "csv":
        flat = [flatten(r) for r in rows]
        text = pl.DataFrame(flat, infer_schema_length=None).write_csv() if flat else ""
    else:
        raise typer.BadParameter(f"unknown format {fmt!r}; use csv or json")
    if output is None:
        typer.echo(text, nl=False)
    else:
        atomic_write_text(output, text)
        typer.echo(f"wrote {output} ({len(rows)} entries)")


@app.command("audit")
def audit_cmd(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet training table.")],
    schema: Annotated[Path, typer.Option("--schema", "-s", help="Public schema YAML/JSON.")],
    epsilon: Annotated[float, typer.Option(help="The claimed epsilon to audit.")],
    model: Annotated[str, typer.Option(help="copula or ctgan.")] = "copula",
    delta: Annotated[float | None, typer.Option(help="Delta (default: schema's).")] = None,
    trials: Annotated[int, typer.Option(min=20, help="Fits with/without the canary.")] = 200,
    rows: Annotated[
        int | None, typer.Option(help="Audit on a random subset of this many rows (faster).")
    ] = None,
    quick: Annotated[
        bool, typer.Option(help="60 trials on at most 1,000 rows (ctgan: 2 epochs).")
    ] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="JSON to write.")] = None,
    attack: Annotated[
        str,
        typer.Option(
            help="blackbox (attack the synthetic sample), whitebox (attack the copula's "
            "released statistics: stronger, and fast enough for thousands of trials) or "
            "one-run (the copula's statistics, many canaries per fit: --runs fits in all)."
        ),
    ] = "blackbox",
    group: Annotated[
        int,
        typer.Option(
            min=1,
            help="whitebox: canaries per trial; the bound is checked against group x epsilon.",
        ),
    ] = 1,
    canaries: Annotated[
        int, typer.Option(min=2, help="one-run: canaries per fit (at most one per cell).")
    ] = 200,
    runs: Annotated[int, typer.Option(min=1, help="one-run: fits, their guesses pooled.")] = 10,
) -> None:
    """Lower-bound epsilon empirically: fit with and without a canary record many times,
    attack the releases, and compare the bound with the claim (plus a non-DP control).

    A bound above the claimed epsilon proves the mechanism leaks more than it says. A bound
    below it is consistent with the claim but does not prove it; the non-private control
    shows how much the attack can see.

    Examples:

        tabsynth audit train.csv -s schema.yaml --epsilon 1 --quick -o audit.json

        tabsynth audit train.csv -s schema.yaml --epsilon 1 --attack whitebox --group 2 \
            --trials 1500 --rows 2000

        tabsynth audit train.csv -s schema.yaml --epsilon 1 --attack one-run --runs 10
    """
    from tabsynth._io import atomic_write_text
    from tabsynth.audit import audit
    from tabsynth.data import read_table

    sch = tabsynth_schema(schema)
    df = read_table(data)
    options: dict[str, Any] = {}
    if quick:
        trials, rows = 60, min(rows or 1000, 1000)
        if model == "ctgan":
            options["epochs"] = 2
    if rows is not None and rows < df.height:
        df = df.sample(rows, seed=0)
    if attack not in ("blackbox", "whitebox", "one-run"):
        raise typer.BadParameter(
            f"{attack!r}: use blackbox, whitebox or one-run", param_hint="--attack"
        )
    total = 2 * (runs if attack == "one-run" else trials)
    with _Step(f"auditing {model} at epsilon {epsilon:g}: {total} fits"):
        result = audit(
            df,
            sch,
            model,
            epsilon=epsilon,
            delta=delta,
            trials=trials,
            attack=attack,
            group=group,
            canaries=canaries,
            runs=runs,
            **options,
        )
    for key in ("audit", "control"):
        r = result[key]
        if r is None:
            continue
        typer.echo(
            f"{r['model']:<28} claimed {r['claimed_epsilon']!s:<6} lower bound "
            f"{r['epsilon_lower_bound']:.3f} ({r['confidence']:.0%})  attack AUC "
            f"{r['attack_auc']:.3f}  fits {r['trials']}"
            + (f" ({r['correct']}/{r['guesses']} guesses right)" if r.get("guesses") else "")
            + f"  {r['seconds']:.0f}s"
        )
    typer.echo(f"ceiling (the bound a perfect attack reaches with these trials): "
               f"{result['ceiling']:.3f}")  # fmt: skip
    typer.echo(result["verdict"])
    if output is not None:
        atomic_write_text(output, json.dumps(result, indent=2) + "\n")
        typer.echo(f"wrote {output}")
    if result["verdict"].startswith("FAIL"):
        raise typer.Exit(1)


def tabsynth_schema(path: Path) -> Any:
    import tabsynth

    return tabsynth.Schema.from_yaml(path)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the outputs.")] = Path("tabsynth-demo"),
    example: Annotated[str, typer.Option(help="Bundled table.")] = "health_insurance",
    epsilon: Annotated[float, typer.Option(help="Total epsilon.")] = 1.0,
) -> None:
    """Run the whole flow on a bundled real table: schema, DP fit, sample, summary."""
    from tabsynth.pipeline import run_demo

    summary = run_demo(out=out, example=example, epsilon=epsilon, progress=_Step)
    typer.echo("")
    typer.echo((out / "summary.md").read_text())
    typer.echo(
        f"outputs in {out}/: synthetic.csv, model/, report.html (open it in a browser), "
        f"report.json, summary.md, ledger.sqlite ({summary['timings']['total_s']:.1f}s in all)"
    )


def main() -> None:
    """Entry point: map errors to exit codes (1 user error, 2 internal error)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = app(standalone_mode=False)
    except TabsynthError as exc:
        _say(f"error: {exc}")
        sys.exit(1)
    except typer.Abort:
        _say("aborted")
        sys.exit(1)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        _say(f"error: {exc}")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - usage errors below, anything else is our bug
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click/typer usage errors
            exc.show()
            sys.exit(1)
        import traceback

        traceback.print_exc()
        _say("internal error: this is a bug in tabsynth; please report it with the trace above")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
