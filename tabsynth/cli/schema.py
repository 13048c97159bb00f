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
    locales: dict[str, str] | None = None
    formats: dict[str, str] | None = None
    if pii:
        try:
            from tabsynth.pii import scan

            with _Step("scanning for PII"):
                report = scan(df, quasi=False)
            found, locales, formats = report.findings(), report.locales(), report.date_formats()
            for col, entity in found.items():
                _say(f"  PII: {col} holds {entity} (fakes in {locales[col]})")
        except ImportError:
            _say("note: PII not scanned (pip install 'tabsynth[pii]'); review columns by hand")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrivacyLeakWarning)
        schema = infer_schema(
            df, name=name or data.stem, target=target, pii=found, locales=locales, formats=formats
        )
    schema.to_yaml(output)
    import shutil

    from tabsynth.schema.guesses import guess_table

    _say(guess_table(schema, width=shutil.get_terminal_size((100, 24)).columns))
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


@schema_app.command("from-sdv")
def schema_from_sdv(
    metadata: Annotated[Path, typer.Argument(help="SDV metadata JSON (Metadata.save_to_json).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Schema YAML to write.")],
    table: Annotated[
        str | None, typer.Option(help="The table, when the metadata holds several.")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="The table itself: drafts the domains the metadata lacks (not DP)."),
    ] = None,
) -> None:
    """Draft a schema from SDV metadata: sdtypes become kinds, SDV's PII sdtypes get a `pii`
    entry (faked), and every public domain a DP schema still needs is listed for review.

    SDV detects the ranges it writes (range_values, range_min, range_max) from the data, so a
    schema built from them is a DRAFT (inferred_from_data: true) that `fit` refuses until a
    reviewer replaces them with public knowledge. SDV is not needed: the metadata is JSON.

    Example:

        tabsynth schema from-sdv metadata.json -o schema.yaml
    """
    import yaml

    from tabsynth._io import atomic_write_text
    from tabsynth.schema.io import INFERRED_BANNER
    from tabsynth.schema.sdv import from_sdv

    frame = None
    if data is not None:
        from tabsynth.data import read_table

        frame = read_table(data)
    drafted, needs = from_sdv(metadata, table=table, data=frame)
    body = yaml.safe_dump(drafted, sort_keys=False, allow_unicode=True)
    head = INFERRED_BANNER if drafted["inferred_from_data"] else ""
    if needs:
        head += "# NEEDS REVIEW: public domains that SDV's metadata does not hold:\n"
        head += "".join(f"#   {c}: {', '.join(n)}\n" for c, n in needs.items())
    atomic_write_text(output, head + body)
    for col, need in needs.items():
        _say(f"  needs {', '.join(need)}: {col}")
    if drafted["inferred_from_data"]:
        _say("WARNING: its domains came from the data (SDV's ranges, or --data): review them")
    typer.echo(
        f"wrote {output} ({len(drafted['columns'])} columns"
        + (
            f"; {len(needs)} need a public domain before `schema validate` passes)"
            if needs
            else ")"
        )
    )


@schema_app.command("to-sdv")
def schema_to_sdv(
    schema_path: Annotated[Path, typer.Argument(metavar="SCHEMA", help="Schema YAML/JSON.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="JSON to write (default: stdout).")
    ] = None,
) -> None:
    """Write SCHEMA as SDV metadata (one table; its public ranges as SDV's range fields).

    Example:

        tabsynth schema to-sdv schema.yaml -o metadata.json
    """
    from tabsynth._io import atomic_write_text
    from tabsynth.schema import read_schema
    from tabsynth.schema.sdv import to_sdv

    text = json.dumps(to_sdv(read_schema(schema_path)), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    atomic_write_text(output, text)
    typer.echo(f"wrote {output}")
