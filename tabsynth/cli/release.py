"""`tabsynth release`: the steward's whole flow from one config, into a new version folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tabsynth.cli.app import LedgerOpt, _say, _Step, app


@app.command()
def release(
    config: Annotated[
        Path, typer.Argument(metavar="CONFIG", help="Release config (YAML), see below.")
    ],
    ledger: LedgerOpt = None,
) -> None:
    """Scan, split, fit (charged to the ledger), sample, leak-check, report and check, from
    one CONFIG, into OUT/NAME/v1, v2, ... (a new version each run, never overwritten).

    Each version holds the synthetic table, the model, report.html and report.json, the PII
    scan, copies of the config and schema, and release.json: the hashes of every file, the
    keyed fingerprint of the input, the ledger entry, the checks and the tabsynth version.
    Exit 1, with a table of what failed, when a check is not met (the version is kept,
    without its synthetic table); exit 0 otherwise. Run it in CI on each data refresh.

    A config (paths relative to its folder; only name, data and schema are required):

        name: claims
        data: claims.csv
        schema: claims.schema.yaml
        dataset: claims        # ledger dataset charged (default: name)
        holdout: 0.2           # real rows kept for the report, never fitted
        model: copula          # default: the schema's
        epsilon: 1.0           # default: the schema's
        rows: 10000            # default: the model's DP estimate of the rows
        seed: 7                # sampling seed (fit-time noise stays secure)
        checks: {quality: 0.85, tstr_ratio: 0.9, mia_auc: 0.6}
        out: releases/

    Checks: quality, column_shapes, pair_trends (at least), three_way_tvd, mia_auc,
    exact_copies (at most), tstr_ratio (at least). Always checked: the certificate allows
    release, and no real PII value is in the output. A column the PII scan finds that the
    schema models without a `pii` entry stops the run before any budget is spent.

    Check a version later with `tabsynth verify OUT/NAME/vN`.
    """
    from tabsynth.releases import release as run_release
    from tabsynth.releases.checks import table

    out = run_release(config, ledger=ledger, progress=_Step)
    ok = [c for c in out.checks if c.passed]
    _say(table(out.checks))
    entry = out.manifest.get("ledger") or {}
    if entry:
        _say(f"ledger: entry {entry.get('entry')} of dataset {entry.get('dataset')!r}")
    if not out.passed:
        failed = len(out.checks) - len(ok)
        _say(f"FAILED: {failed} check(s) not met; {out.path} holds the report, no synthetic table")
        raise typer.Exit(1)
    _say(f"privacy: {out.manifest['privacy']['label']}")
    typer.echo(f"released {out.name} v{out.version}: {out.path}")
