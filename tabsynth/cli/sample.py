"""`tabsynth sample`: synthetic rows from a fitted model (post-processing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tabsynth.cli.app import (
    SchedulerOpt,
    _say,
    _say_release,
    _Step,
    app,
)

_WhereOpt = Annotated[
    list[str] | None,
    typer.Option("--where", help="COL=VALUE: sample conditionally (repeatable)."),
]
_RebalanceOpt = Annotated[
    str | None,
    typer.Option(help="COL=uniform or COL=a:0.5,b:0.5: the output holds these shares of COL."),
]
_ScenarioOpt = Annotated[
    str | None,
    typer.Option(
        help="Stress test: rare (rows in pair-of-columns cells under 1% of the model's "
        "distribution made 5x as common; rare:factor=8,below=0.02 to change) or tails "
        "(the outer 5% quantiles of numbers; tails:share=0.1)."
    ),
]
_ScenarioFileOpt = Annotated[
    Path | None,
    typer.Option(
        help="YAML stress set that regenerates the same rows, with keys scenario ({name: "
        "rare, factor: 5}), fixed ({region: west}), shifts ([age+5]) and seed."
    ),
]
_FairOpt = Annotated[
    str | None,
    typer.Option(
        help="TARGET:PROTECTED[,PROTECTED]: the target has the same distribution in every "
        "protected group (statistical parity); the rest is drawn given group and target."
    ),
]
_DriftOpt = Annotated[
    list[str] | None,
    typer.Option("--drift", help="Shifted marginal, e.g. age+5 or insurance=no:0.4 (repeatable)."),
]
_LeakCheckOpt = Annotated[
    Path | None,
    typer.Option(
        help="The training table: refuse the release if a real value of a PII column "
        "appears in it (faked values that collide are re-drawn)."
    ),
]
_EngineOpt = Annotated[
    str,
    typer.Option(
        help="memory (one frame), stream (chunks appended to one file: flat memory) or "
        "dask (one Parquet part per chunk, drawn on Dask workers; OUT is a folder). "
        "stream and dask give the same rows for a seed."
    ),
]
_ChunkRowsOpt = Annotated[
    int, typer.Option(min=1, help="stream/dask: rows per chunk (each has its own stream).")
]


@app.command()
def sample(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="Model folder.")],
    n: Annotated[int, typer.Option("-n", "--rows", min=0, help="Rows to draw.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV or Parquet to write.")],
    seed: Annotated[int | None, typer.Option(help="Seed for a reproducible draw.")] = None,
    where: _WhereOpt = None,
    rebalance: _RebalanceOpt = None,
    scenario: _ScenarioOpt = None,
    scenario_file: _ScenarioFileOpt = None,
    fair: _FairOpt = None,
    drift: _DriftOpt = None,
    leak_check: _LeakCheckOpt = None,
    engine: _EngineOpt = "memory",
    chunk_rows: _ChunkRowsOpt = 1_000_000,
    scheduler: SchedulerOpt = None,
) -> None:
    """Draw N synthetic rows from a fitted MODEL (post-processing: no privacy cost).

    Writes OUT and OUT.manifest.json, which records the model, seed, conditions and
    rebalancing, and states that sampling spent no privacy budget.

    Examples:

        tabsynth sample model/ -n 10000 -o synthetic.parquet --seed 1

        tabsynth sample model/ -n 5000 -o s.csv --rebalance sex=uniform --leak-check train.csv

        tabsynth sample model/ -n 100000 -o fair.parquet --fair insurance:gender,ethnicity

        tabsynth sample model/ -n 10000 -o stress.csv --scenario-file stress.yaml
    """

    import tabsynth
    from tabsynth._io import atomic_write_text
    from tabsynth.data import write_table
    from tabsynth.data.io import _suffix

    if engine not in ("memory", "stream", "dask"):
        raise typer.BadParameter("use memory, stream or dask", param_hint="--engine")
    if engine != "dask":
        _suffix(output)  # refuse an unsupported output type before doing any work
    options: dict[str, Any] = {
        "where": dict(_key_value(w, "--where") for w in where or []) or None,
        "rebalance": _parse_rebalance(rebalance) if rebalance else None,
        "scenario": _parse_scenario(scenario) if scenario else None,
        "drift": drift or None,
        "fair": fair,
    }
    seed = _from_file(scenario_file, options, seed)
    m = tabsynth.load(model_path)
    if engine != "memory":
        _sample_chunked(
            m, model_path, n, output, seed, engine, chunk_rows, scheduler, leak_check, **options
        )
        return
    with _Step(f"sampling {n} rows"):
        df = m.sample(n, seed=seed, as_frame="polars", **options)
    df, leaks = _leak_checked(m, df, leak_check)
    write_table(df, output)
    manifest = _manifest(m, model_path, df, seed, options, leaks)
    if scenario_file is not None:
        manifest["scenario_file"] = _file_record(scenario_file)
    atomic_write_text(Path(f"{output}.manifest.json"), json.dumps(manifest, indent=2) + "\n")
    _say_release(m)
    typer.echo(f"wrote {output} ({df.height} rows x {df.width} columns) and its manifest")


def _leak_checked(m: Any, df: Any, leak_check: Path | None) -> tuple[Any, Any]:
    """The sample with any real PII value re-drawn (and the check's report), or a refusal
    when the schema models PII columns and no training table was given."""
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
    return df, leaks


def _parse_scenario(text: str) -> Any:
    """``rare`` or ``rare:factor=8,below=0.02`` as a name or a mapping."""
    name, sep, rest = text.partition(":")
    if not sep:
        return name.strip()
    out: dict[str, Any] = {"name": name.strip()}
    for part in rest.split(","):
        key, value = _key_value(part, "--scenario")
        try:
            out[key] = float(value)
        except ValueError:
            out[key] = [v for v in value.split("+") if v]  # tails:columns=age+income
    return out


def _from_file(path: Path | None, options: dict[str, Any], seed: int | None) -> int | None:
    """Fill ``options`` (and the seed) from a scenario file; a flag given twice is refused."""
    if path is None:
        return seed
    from tabsynth.sampling.stress_file import stress_options

    declared = stress_options(path)
    both = [k for k in declared if (options.get(k) if k != "seed" else seed) is not None]
    if both:
        raise typer.BadParameter(
            f"{', '.join(both)} set both in {path} and on the command line. Fix: keep one.",
            param_hint="--scenario-file",
        )
    seed = declared.pop("seed", seed)
    options.update(declared)
    return seed


def _file_record(path: Path) -> dict[str, str]:
    import hashlib

    text = path.read_bytes()
    return {"path": str(path), "sha256": hashlib.sha256(text).hexdigest()}


def _manifest(
    m: Any, model_path: Path, df: Any, seed: int | None, options: dict[str, Any], leaks: Any
) -> dict[str, Any]:
    """What OUT.manifest.json records about a release drawn in memory: the request, and
    what fair sampling or a scenario changed (with every parameter)."""
    import hashlib

    report = dict(getattr(m, "last_sample_report_", {}))
    changed = {k: report.pop(k) for k in ("scenario", "fair") if k in report}
    return {
        "model": str(model_path),
        "model_manifest_sha256": hashlib.sha256(
            (model_path / "manifest.json").read_bytes()
        ).hexdigest(),
        "rows": df.height,
        "seed": seed,
        "where": options["where"] or {},
        "rebalance": options["rebalance"],
        "drift": options["drift"],
        **{k: changed.get(k, options[k]) for k in ("scenario", "fair")},
        "critic": {"constraints": list(m.schema.constraints), **report},
        "pii_columns": _pii_handling(m.schema),
        "pii_leak_check": leaks.to_dict() if leaks is not None else "not run",
        "privacy": m.privacy.label(),
        "releasable": m.privacy.releasable,
        "privacy_cost": "none: sampling, conditioning and rebalancing are post-processing of "
        "the DP model and spend no budget",
    }


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
        "pii_columns": _pii_handling(m.schema),
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


POLICY_WORDS = {
    "drop": "dropped: not in the release",
    "fake": "faked: Faker values, no real value",
    "hash": "hashed: keyed pseudonyms",
    "generalize": "generalized before the fit, then modelled",
    "keep": "kept: modelled as it is (leak-checked)",
}


def _pii_handling(schema: Any) -> dict[str, str]:
    """What happened to each PII column of the release, so none disappears without a word."""
    return {
        c.name: f"{c.pii.entity}: {POLICY_WORDS[c.pii.policy.value]}"
        for c in schema.columns
        if c.pii is not None
    }
