"""`tabsynth schema ...`: draft, check and export table schemas."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated

import typer

from tabsynth.cli.app import (
    _say,
    _Step,
    schema_app,
)
from tabsynth.errors import PrivacyLeakWarning


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
    for column in schema.columns:
        note = column.description or ""
        if note.startswith("DRAFT"):
            _say(f"  review {column.name} ({column.kind}): {note.removeprefix('DRAFT: ')}")
    _say("WARNING: this schema was DRAFTED FROM THE PRIVATE DATA. Its bounds and categories")
    _say("are not differentially private. Review every domain and replace it with public")
    _say("knowledge before a release, then set `inferred_from_data: false`.")
    typer.echo(f"wrote {output} ({len(schema.columns)} columns)")


@schema_app.command("validate")
def schema_validate(
    schema_path: Annotated[Path, typer.Argument(metavar="SCHEMA", help="Schema YAML/JSON.")],
    data: Annotated[Path | None, typer.Argument(help="Optional table to check against it.")] = None,
) -> None:
    """Check a schema file, and optionally a table against it (every problem at once)."""
    from tabsynth.data import conform, read_table
    from tabsynth.errors import SchemaError
    from tabsynth.models import model_name_problem
    from tabsynth.schema import read_schema

    schema = read_schema(schema_path)
    bad = model_name_problem(schema.model)
    if bad is not None:
        raise SchemaError([bad], source=str(schema_path))
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
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Print the JSON Schema of the schema file format (for editors and validators).

    Example:

        tabsynth schema json-schema -o schemas/tabsynth.schema.json
    """
    from tabsynth._io import atomic_write_text
    from tabsynth.schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    atomic_write_text(output, text)
    typer.echo(f"wrote {output}")
