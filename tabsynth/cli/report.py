"""`tabsynth report`: fidelity, utility and privacy risk in one HTML (+ JSON) report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tabsynth.cli.app import (
    SchemaOpt,
    _Step,
    app,
)

_ModelOpt = Annotated[
    Path | None, typer.Option("--model", help="The model folder: adds its DP certificate.")
]
_CollapseKOpt = Annotated[
    int,
    typer.Option(
        "--collapse",
        min=0,
        help="Refit on the model's own output K times and plot the fidelity decay (needs --model).",
    ),
]
_PiiScanOpt = Annotated[
    Path | None,
    typer.Option(help="A scan JSON from `tabsynth pii scan -o`: adds the PII section."),
]
_AnonymeterOpt = Annotated[
    bool,
    typer.Option(
        help="Add anonymeter's singling-out, linkability and inference risks (anonymeter "
        "runs in its own environment: set TABSYNTH_ANONYMETER_PYTHON, or "
        "--anonymeter-python)."
    ),
]
_AnonymeterPythonOpt = Annotated[
    str | None, typer.Option(help="A Python that has anonymeter installed.")
]
_AuditJsonOpt = Annotated[
    Path | None,
    typer.Option("--audit", help="An audit JSON from `tabsynth audit -o`: adds its section."),
]


@app.command()
def report(
    real: Annotated[Path, typer.Option("--real", help="The real training table.")],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="The synthetic table.")],
    holdout: Annotated[Path, typer.Option("--holdout", help="Real rows kept out of training.")],
    schema: SchemaOpt,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML report to write.")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the JSON.")] = None,
    model: _ModelOpt = None,
    collapse_k: _CollapseKOpt = 0,
    pii_scan: _PiiScanOpt = None,
    anonymeter: _AnonymeterOpt = False,
    anonymeter_python: _AnonymeterPythonOpt = None,
    audit_json: _AuditJsonOpt = None,
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
        from tabsynth.stress import collapse

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
