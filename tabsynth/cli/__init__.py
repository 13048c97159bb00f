"""The ``tabsynth`` command line: a thin typer shell over the Python API, one module per
verb group (``schema``, ``pii``, ``split``, ``fit``/``verify``, ``sample``, ``report``, ``release``,
``budget``,
``audit``, ``demo``); ``app.py`` holds the app, the options they share, and ``main``.

Exit codes: 0 success; 1 user error (a clear message, no traceback); 2 internal error.
"""

# importing each verb group registers its commands, in the order `--help` lists them
# isort: off
from tabsynth.cli import schema, pii, split, fit, sample, report, release, budget, audit, demo  # noqa: F401

# isort: on
from tabsynth.cli.app import app, main

__all__ = ["app", "main"]
