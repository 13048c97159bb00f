"""`tabsynth audit`: an empirical lower bound on epsilon, against the claim."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tabsynth.cli.app import (
    SchemaOpt,
    _Step,
    app,
    tabsynth_schema,
)

_RowsOpt = Annotated[
    int | None, typer.Option(help="Audit on a random subset of this many rows (faster).")
]
_QuickOpt = Annotated[bool, typer.Option(help="60 trials on at most 1,000 rows (ctgan: 2 epochs).")]
_AttackOpt = Annotated[
    str,
    typer.Option(
        help="blackbox (attack the synthetic sample), whitebox (attack the copula's "
        "released statistics: stronger, and fast enough for thousands of trials) or "
        "one-run (the copula's statistics, many canaries per fit: --runs fits in all)."
    ),
]
_GroupOpt = Annotated[
    int,
    typer.Option(
        min=1,
        help="whitebox: canaries per trial; the bound is checked against group x epsilon.",
    ),
]
_CanariesOpt = Annotated[
    int, typer.Option(min=2, help="one-run: canaries per fit (at most one per cell).")
]


@app.command("audit")
def audit_cmd(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet training table.")],
    schema: SchemaOpt,
    epsilon: Annotated[float, typer.Option(help="The claimed epsilon to audit.")],
    model: Annotated[str, typer.Option(help="copula or ctgan.")] = "copula",
    delta: Annotated[float | None, typer.Option(help="Delta (default: schema's).")] = None,
    trials: Annotated[int, typer.Option(min=20, help="Fits with/without the canary.")] = 200,
    rows: _RowsOpt = None,
    quick: _QuickOpt = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="JSON to write.")] = None,
    attack: _AttackOpt = "blackbox",
    group: _GroupOpt = 1,
    canaries: _CanariesOpt = 200,
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
    _print_result(result)
    typer.echo(result["verdict"])
    if output is not None:
        atomic_write_text(output, json.dumps(result, indent=2) + "\n")
        typer.echo(f"wrote {output}")
    if result["verdict"].startswith("FAIL"):
        raise typer.Exit(1)


def _print_result(result: dict[str, Any]) -> None:
    """One line per audited model (and the control), then the ceiling."""
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
