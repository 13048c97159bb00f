"""`tabsynth demo`: the whole flow on a bundled real table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tabsynth.cli.app import (
    _Step,
    app,
)


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
