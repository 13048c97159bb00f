"""The ``tabsynth`` app, its verb groups, the options they share, and ``main``.

Exit codes: 0 success; 1 user error (a clear message, no traceback); 2 internal error.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from tabsynth.errors import TabsynthError

app = typer.Typer(
    name="tabsynth",
    help="Differentially private synthetic tables from a public schema.\n\n"
    "Typical flow: `schema infer` (draft) -> review the schema -> `fit` -> `sample`.\n"
    "Try `tabsynth demo` first: it runs the whole flow on a bundled real table.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
schema_app = typer.Typer(
    help="Draft, check and export table schemas (the public contract).", no_args_is_help=True
)
app.add_typer(schema_app, name="schema")
pii_app = typer.Typer(
    help="Find personal data: entity per column, masked examples, quasi-identifiers.",
    no_args_is_help=True,
)
app.add_typer(pii_app, name="pii")
budget_app = typer.Typer(
    help="The privacy-budget ledger: caps per dataset, every spend, a tamper-evident chain.",
    no_args_is_help=True,
)
app.add_typer(budget_app, name="budget")
SchemaOpt = Annotated[Path, typer.Option("--schema", "-s", help="Public schema YAML/JSON.")]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(help="dask: scheduler address, e.g. tcp://10.0.0.5:8786 (default: local)."),
]
LedgerOpt = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        help="Ledger: a SQLite file or a SQLAlchemy URL (postgresql+psycopg://...); "
        "default $TABSYNTH_LEDGER, else ~/.tabsynth/ledger.sqlite.",
    ),
]


def _say(msg: str) -> None:
    typer.echo(msg, err=True)


class _Step:
    """Prints "step ... done in 1.2s" on the terminal (progress for long steps)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> _Step:
        self.t0 = time.perf_counter()
        typer.echo(f"• {self.what} ...", err=True, nl=False)
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            typer.echo(f" done in {time.perf_counter() - self.t0:.2f}s", err=True)
        else:
            typer.echo(" failed", err=True)


def _parse_epsilon(value: str | None) -> float | None | str:
    if value is None:
        return "schema"
    if value.lower() in ("none", "null", "off"):
        return None
    try:
        return float(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a number; use e.g. 1.0, or 'none' for a non-private fit"
        ) from None


def _check_writable(output: Path) -> None:
    """Refuse an output folder that cannot be written, before any budget is reserved."""
    import tempfile

    parent = output.parent
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    problem = None
    if output.exists() and not output.is_dir():
        problem = "it exists and is not a folder"
    elif not probe.is_dir():
        problem = f"{probe} is not a folder"
    else:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=parent):
                pass
        except OSError as exc:
            problem = exc.strerror or str(exc)
    if problem:
        raise typer.BadParameter(
            f"cannot write {output}: {problem}. Fix: choose a writable folder (nothing was "
            "fitted or charged)",
            param_hint="-o",
        )


def _say_release(m: Any) -> None:
    typer.echo(f"privacy: {m.privacy.label()}")
    if m.privacy.is_private and not m.privacy.releasable:
        _say("WARNING: this model is NOT FOR RELEASE: " + "; ".join(m.privacy.withheld))


def tabsynth_schema(path: Path) -> Any:
    import tabsynth

    return tabsynth.Schema.from_yaml(path)


def _warning_line(message: Any, category: Any, *_: Any, **__: Any) -> str:
    """Warnings on the terminal as one line each, without the source line they came from."""
    return f"warning: {message}\n"


_METAVARS = {"int": "N", "float": "NUMBER", "str": "TEXT", "Path": "PATH", "bool": ""}


def _readable(cmd: Any) -> Any:
    """``--help`` in words a reader knows: an option's value is PATH, N, NUMBER or TEXT (not
    ``<int range> [x>=0]``), a flag shows none, and an argument is just its name (MODEL)."""
    for param in getattr(cmd, "params", []):
        if param.param_type_name == "argument":
            param.display_type_rich = lambda ctx: None
        elif param.metavar is None:
            if param.is_flag:
                param.metavar = ""
                if param.default is False:  # an off-by-default switch: --x, not --x/--no-x
                    param.secondary_opts = []
            else:
                bare = param.bare_type().removeprefix("list[").removesuffix("]")
                param.metavar = _METAVARS.get(bare, bare.upper())
    make_help = cmd.get_help_option

    def help_option(ctx: Any) -> Any:
        opt = make_help(ctx)
        if opt is not None:
            opt.metavar = ""
        return opt

    cmd.get_help_option = help_option
    for sub in getattr(cmd, "commands", {}).values():
        _readable(sub)
    return cmd


def main() -> None:
    """Entry point: map errors to exit codes (1 user error, 2 internal error)."""
    import warnings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.formatwarning = _warning_line
    try:
        code = _readable(typer.main.get_command(app)).main(
            standalone_mode=False, prog_name="tabsynth"
        )
    except TabsynthError as exc:
        _say(f"error: {exc}")
        sys.exit(1)
    except typer.Abort:
        _say("aborted")
        sys.exit(1)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        _say(f"error: {exc}")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - usage errors below, anything else is our bug
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click/typer usage errors
            exc.show()
            sys.exit(1)
        import traceback

        traceback.print_exc()
        _say("internal error: this is a bug in tabsynth; please report it with the trace above")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
