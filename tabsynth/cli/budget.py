"""`tabsynth budget ...`: the privacy-budget ledger."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from tabsynth._io import redact as _redact
from tabsynth.cli.app import (
    LedgerOpt,
    _say,
    budget_app,
)


@budget_app.command("init")
def budget_init(ledger: LedgerOpt = None) -> None:
    """Create an empty ledger (0600 in a folder made 0700); signed when
    $TABSYNTH_LEDGER_KEY is set (an HMAC over every entry, with a key kept outside it)."""
    from tabsynth.privacy.ledger import KEY_ENV, Ledger

    book = Ledger(ledger)
    what = "created" if book.created else "already there:"
    signing = f"signed with ${KEY_ENV}" if os.environ.get(KEY_ENV) else "unsigned"
    typer.echo(f"ledger {what} {_redact(book.location)} ({signing})")


@budget_app.command("set-cap")
def budget_set_cap(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    epsilon: Annotated[float, typer.Option(help="Total epsilon allowed over all releases.")],
    delta: Annotated[float, typer.Option(help="Total delta allowed.")] = 1e-6,
    ledger: LedgerOpt = None,
) -> None:
    """Set the privacy cap of DATASET (recorded in the ledger like any entry)."""
    from tabsynth.privacy.ledger import Ledger

    book = Ledger(ledger)
    if book.created:
        _say(f"created the ledger {_redact(book.location)}")
    book.set_cap(dataset, epsilon=epsilon, delta=delta)
    typer.echo(f"cap of {dataset!r}: epsilon {epsilon}, delta {delta} ({_redact(book.location)})")


def _existing_ledger(ledger: Path | None) -> Any:
    """The ledger for a read-only command: never created; a broken chain exits 1."""
    from tabsynth.privacy.ledger import Ledger

    return Ledger(ledger, create=False)


@budget_app.command("show")
def budget_show(
    dataset: Annotated[str | None, typer.Argument(help="One dataset (default: all).")] = None,
    ledger: LedgerOpt = None,
    delta: Annotated[
        float, typer.Option(help="Delta of the next release, for the largest epsilon that fits.")
    ] = 1e-6,
) -> None:
    """Per dataset: cap, spent, reserved and remaining epsilon (each at its delta), the
    largest epsilon one more release can spend, and open reservations (STALE when the
    process that made them is gone: `budget release ID --reason TEXT` closes them).

    The whole chain is verified first: a broken one prints AUDIT FAILED and exits 1.
    """
    from tabsynth.errors import LedgerIntegrityError

    book = _existing_ledger(ledger)
    try:
        entries = book.verified_entries()
    except LedgerIntegrityError as exc:
        typer.echo(str(exc))
        raise typer.Exit(1) from None
    names = [dataset] if dataset else sorted({e.dataset for e in entries})
    if not names:
        typer.echo(f"the ledger {_redact(book.location)} is empty")
    opened = book.reservations(entries=entries)
    for name in names:
        st = book.status(name, delta=delta, entries=entries)
        if st.get("cap") is None and "cap_epsilon" not in st:
            typer.echo(f"{name}: no cap set ({st['releases']} releases)")
            continue
        at = f"at delta {st['cap_delta']:.3g}"
        typer.echo(
            f"{name}: spent epsilon {st['spent_epsilon']:.4g} {at} + reserved "
            f"{st['reserved_epsilon']:.4g} of the cap {st['cap_epsilon']:.4g} {at}; "
            f"remaining {st['remaining_epsilon']:.4g} {at} ({st['releases']} releases); "
            f"largest epsilon one more release can spend: {st['largest_epsilon']:.4g} at "
            f"delta {delta:.3g}"
        )
        for r in (r for r in opened if r["dataset"] == name):
            flag = {True: "  STALE: its process is gone", None: "  (other host)"}.get(
                r["stale"], ""
            )
            typer.echo(
                f"  reservation {r['id']}: epsilon {r['epsilon']:.4g} at delta "
                f"{r['delta']:.3g}, {r['age_s'] / 60:.0f} min old, {r['user']}@{r['host']} "
                f"pid {r['pid']}{flag}"
            )


@budget_app.command("release")
def budget_release(
    reservation: Annotated[int, typer.Argument(metavar="ID", help="The reservation's entry.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the chain).")],
    ledger: LedgerOpt = None,
) -> None:
    """Close an open reservation left by a fit that died (it counts against the cap until
    then); the release is an entry of the chain, with its reason, user and host."""
    book = _existing_ledger(ledger)
    seq = book.release(reservation, reason)
    typer.echo(f"released reservation {reservation} (entry {seq})")


@budget_app.command("head")
def budget_head(ledger: LedgerOpt = None) -> None:
    """Print the head hash and entry count: record them outside the ledger (a ticket, a
    signed mail) and check later with `budget audit --expect-head HASH`."""
    book = _existing_ledger(ledger)
    problems = book.audit()
    if problems:
        _say(f"AUDIT FAILED: {problems[0]}")
        raise typer.Exit(1)
    h = book.head()
    typer.echo(f"head {h['hash']} (entry {h['seq']}, {h['entries']} entries)")


@budget_app.command("audit")
def budget_audit(
    ledger: LedgerOpt = None,
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="A head hash recorded earlier (`budget head`): also catches a "
            "truncated tail or a rewritten history."
        ),  # fmt: skip
    ] = None,
) -> None:
    """Verify the hash chain (and signatures); exit 1 naming the first broken entry."""
    book = _existing_ledger(ledger)
    problems = book.audit(expect_head=expect_head)
    if problems:
        for p in problems:
            _say(f"AUDIT FAILED: {p}")
        raise typer.Exit(1)
    h = book.head()
    signed = "; signed" if book.signed else ""
    head = f"; head entry {h['seq']} hash {h['hash']}" if h["entries"] else ""
    anchor = "; the recorded head is in the chain" if expect_head else ""
    typer.echo(
        f"ledger {_redact(book.location)}: {h['entries']} entries, chain intact{signed}"
        f"{anchor}{head}"
    )
    if not expect_head:
        typer.echo(
            "Record the head hash outside the ledger (a ticket, a signed mail), then check "
            "with --expect-head: that also proves no entry was cut off the end."
        )


@budget_app.command("export")
def budget_export(
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    ledger: LedgerOpt = None,
) -> None:
    """Export every ledger entry (to stdout, or atomically to a file); the chain is
    verified first. CSV has one flat column per field (cost.epsilon, cost.rho, ...)."""
    import polars as pl

    from tabsynth._io import atomic_write_text
    from tabsynth.privacy.ledger import flatten

    rows = _existing_ledger(ledger).export()
    if fmt == "json":
        text = json.dumps(rows, indent=2) + "\n"
    elif fmt == "csv":
        flat = [flatten(r) for r in rows]
        text = pl.DataFrame(flat, infer_schema_length=None).write_csv() if flat else ""
    else:
        raise typer.BadParameter(f"unknown format {fmt!r}; use csv or json")
    if output is None:
        typer.echo(text, nl=False)
    else:
        atomic_write_text(output, text)
        typer.echo(f"wrote {output} ({len(rows)} entries)")
