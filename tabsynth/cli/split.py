"""`tabsynth split`: train and holdout files, the holdout kept for the report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tabsynth.cli.app import app


@app.command()
def split(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the two files.")],
    holdout: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share kept out of training (0-1).")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the permutation (reproducible).")] = 0,
    by: Annotated[
        str | None,
        typer.Option(help="Keep each value of this column on one side (e.g. the privacy unit)."),
    ] = None,
) -> None:
    """Split DATA into OUT/train.EXT and OUT/holdout.EXT (same format as DATA).

    Fit on train, then report against holdout: the report's utility (train on synthetic,
    test on real) and privacy-risk figures need people the model never saw.

    Example:

        tabsynth split data.csv --holdout 0.2 --seed 0 -o split/
    """
    from tabsynth.data import read_table, split_table, write_table

    df = read_table(data)
    train, rest = split_table(df, holdout=holdout, seed=seed, by=by)
    ext = data.suffix.lower()
    for name, part in (("train", train), ("holdout", rest)):
        write_table(part, output / f"{name}{ext}")
    unit = f" ({by}: each on one side)" if by else ""
    typer.echo(f"wrote {output / ('train' + ext)} and {output / ('holdout' + ext)}{unit}")
