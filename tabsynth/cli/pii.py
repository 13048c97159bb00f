"""`tabsynth pii scan`: personal data per column, masked examples, quasi-identifiers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tabsynth.cli.app import (
    pii_app,
)


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
