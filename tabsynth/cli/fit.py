"""`tabsynth fit` and `tabsynth verify`: a DP model from a table, and its integrity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tabsynth.cli.app import (
    LedgerOpt,
    SchedulerOpt,
    SchemaOpt,
    _check_writable,
    _parse_epsilon,
    _Step,
    app,
)

_EpsilonOpt = Annotated[
    str | None,
    typer.Option(help="Total epsilon (default: schema's); 'none' for a NON-PRIVATE fit."),
]
_SeedOpt = Annotated[
    int | None,
    typer.Option(help="Default sampling seed (the fit's privacy noise stays secure)."),
]
_ReproducibleNoiseOpt = Annotated[
    bool,
    typer.Option(
        help="TESTING ONLY: derive privacy noise from --seed; the model is NOT releasable."
    ),
]
_DatasetOpt = Annotated[
    str | None,
    typer.Option(help="Charge the fit to this dataset's budget (refused over its cap)."),
]
_EpochsOpt = Annotated[
    int | None,
    typer.Option(min=1, help="ctgan: training epochs (fewer epochs, less noise per step)."),
]
_DeviceOpt = Annotated[
    str | None,
    typer.Option(
        metavar="DEVICE",
        help="ctgan: where to train: auto (a CUDA GPU when present, else the CPU), cpu, cuda "
        "or cuda:N. The accounting is the same on every device.",
    ),
]
_ProgressOpt = Annotated[
    bool, typer.Option(help="Show a progress bar (ctgan: epoch, losses, epsilon so far).")
]
_EngineOpt = Annotated[
    str,
    typer.Option(
        help="memory (load the table), stream (larger than memory: polars batches) or "
        "dask (Parquet partitions on a Dask cluster). copula only for stream/dask."
    ),
]
_BatchRowsOpt = Annotated[
    int, typer.Option(min=1, help="stream: rows per batch (memory use scales with it).")
]
_AllowDraftOpt = Annotated[
    bool,
    typer.Option(
        help="Fit a schema drafted from the data (inferred_from_data: true), for testing: "
        "the model is marked NOT FOR RELEASE everywhere."
    ),
]


@app.command()
def fit(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet training table.")],
    schema: SchemaOpt,
    output: Annotated[Path, typer.Option("-o", "--output", help="Model folder to write.")],
    model: Annotated[str | None, typer.Option(help="copula or ctgan (default: schema's).")] = None,
    epsilon: _EpsilonOpt = None,
    delta: Annotated[float | None, typer.Option(help="Total delta (default: schema's).")] = None,
    seed: _SeedOpt = None,
    reproducible_noise: _ReproducibleNoiseOpt = False,
    dataset: _DatasetOpt = None,
    ledger: LedgerOpt = None,
    epochs: _EpochsOpt = None,
    device: _DeviceOpt = None,
    progress: _ProgressOpt = True,
    engine: _EngineOpt = "memory",
    scheduler: SchedulerOpt = None,
    batch_rows: _BatchRowsOpt = 500_000,
    allow_draft: _AllowDraftOpt = False,
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
    for flag, value in (("epochs", epochs), ("device", device)):
        if value is None:
            continue
        if (model or sch.model) != "ctgan":
            raise typer.BadParameter(
                f"--{flag} applies to --model ctgan only", param_hint=f"--{flag}"
            )
        options[flag] = value
    if engine not in ("memory", "stream", "dask"):
        raise typer.BadParameter("use memory, stream or dask", param_hint="--engine")
    if engine == "memory":
        with _Step(f"reading {data}"):
            df: Any = read_table(data)
    else:
        df = tabsynth.scan(data, engine=engine, batch_rows=batch_rows, scheduler=scheduler)
    if progress:  # DP-CTGAN's training plan, logged before training starts
        import logging

        logging.getLogger("tabsynth.models.ctgan").setLevel(logging.INFO)
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


@app.command()
def verify(
    model_path: Annotated[
        Path, typer.Argument(metavar="PATH", help="Model folder, or a release version folder.")
    ],
    ledger: Annotated[
        Path | None,
        typer.Option(
            "--ledger",
            help="Also check that this ledger recorded the model's content hash for its spend.",
        ),
    ] = None,
) -> None:
    """Check every file of a saved MODEL (or of a release version), then print its
    guarantee and content hash.

    Exit 1 when any file was altered, added or removed, or (with --ledger) when the ledger's
    chain is broken or it holds no record of this content hash. Compare the printed hash
    with the one in the release notes or the ledger.

    Examples:

        tabsynth verify model/ --ledger ledger.sqlite

        tabsynth verify releases/claims/v2
    """
    from tabsynth.artifacts import verify_model

    if (model_path / "release.json").is_file():
        from tabsynth.errors import ArtifactError
        from tabsynth.releases import verify_release

        bad = verify_release(model_path)
        if bad:
            raise ArtifactError(f"{model_path}: " + "; ".join(bad))
        typer.echo(f"release files: verified ({model_path / 'release.json'})")
        model_path = model_path / "model"
    info = verify_model(model_path, ledger=ledger)
    typer.echo(f"files: {len(info['files'])} verified ({', '.join(info['files'])})")
    typer.echo(f"content hash: {info['content_hash']}")
    typer.echo(f"signature: {info['signature']}")
    if info["ledger"]:
        typer.echo(f"ledger: {info['ledger']}")
    typer.echo(f"privacy: {info['label']}")
    typer.echo("RELEASABLE" if info["releasable"] else "NOT FOR RELEASE")
