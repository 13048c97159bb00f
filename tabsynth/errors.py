"""The one error tree of tabsynth.

Every error a user can cause is a ``TabsynthError`` and also a ``ValueError`` or
``TypeError``, so ordinary ``except ValueError`` code keeps working::

    TabsynthError
    ├── SchemaError(ValueError)          the schema file is malformed or inconsistent
    ├── DataValidationError(ValueError)  the data does not fit the schema (every problem listed)
    ├── UnsupportedFileError(ValueError) a path that is neither .csv nor .parquet
    ├── PrivacyError(ValueError)         a privacy parameter is invalid or cannot be met
    │   ├── BudgetExceededError          a spend would exceed the budget or cap
    │   └── LedgerIntegrityError         the ledger's chain or signatures do not verify
    ├── SamplingError(ValueError)        an invalid or impossible sampling request
    ├── NotFittedError(ValueError)       a model used before ``fit``
    ├── ArtifactError(ValueError)        a saved model is unknown, altered or of another version
    └── MissingExtraError(ImportError)   an optional dependency is not installed

Warnings:

    PrivacyLeakWarning(UserWarning)      something was learnt from private data without paying
    NotForReleaseWarning(UserWarning)    a model fitted with reproducible (seeded) privacy noise
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found by a validator.

    Attributes:
        where: what is wrong, e.g. ``"column 'age'"`` or ``"schema.columns[3].lower"``.
        what: what was found, with the offending value.
        fix: what the user should do.
    """

    where: str
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}. Fix: {self.fix}"


def mask_value(value: str) -> str:
    """The shape of a value: letters as x/X, digits as 9, everything else kept (at most 60
    characters). Messages show shapes, never raw private values."""
    out = re.sub(r"[A-Z]", "X", value[:60])
    out = re.sub(r"[a-z]", "x", out)
    out = re.sub(r"\d", "9", out)
    return out + ("…" if len(value) > 60 else "")


class TabsynthError(Exception):
    """Base class of every tabsynth error."""


class _ProblemsMixin:
    problems: list[Problem]

    def _init_problems(self, headline: str, problems: Iterable[Problem]) -> str:
        self.problems = list(problems)
        lines = [headline] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class SchemaError(TabsynthError, ValueError, _ProblemsMixin):
    """The schema is malformed or inconsistent; ``problems`` lists every issue."""

    def __init__(self, problems: Iterable[Problem], *, source: str = "schema") -> None:
        problems = list(problems)
        super().__init__(self._init_problems(f"{source} has {len(problems)} problem(s):", problems))


class DataValidationError(TabsynthError, ValueError, _ProblemsMixin):
    """The data does not fit the schema; ``problems`` lists every issue."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        problems = list(problems)
        super().__init__(self._init_problems(f"the data has {len(problems)} problem(s):", problems))


class ConfigError(TabsynthError, ValueError, _ProblemsMixin):
    """A release config is malformed; ``problems`` lists every issue."""

    def __init__(self, problems: Iterable[Problem], *, source: str = "config") -> None:
        problems = list(problems)
        super().__init__(self._init_problems(f"{source} has {len(problems)} problem(s):", problems))


class UnsupportedFileError(TabsynthError, ValueError):
    """A data path whose format tabsynth cannot read or write."""


class PrivacyError(TabsynthError, ValueError):
    """A privacy parameter is invalid, or the requested guarantee cannot be met."""


class BudgetExceededError(PrivacyError):
    """A spend would exceed the privacy budget or the dataset's cap."""


class LedgerIntegrityError(PrivacyError):
    """The privacy ledger does not verify (an edited, deleted, reordered or forged entry):
    nothing is decided or reported from it."""


class SamplingError(TabsynthError, ValueError):
    """A sampling request the model cannot honour: unknown column, value outside the
    domain, an impossible condition, malformed rebalancing shares."""


class EngineError(TabsynthError, ValueError):
    """A model or option that the chosen engine (stream, dask) does not support."""


class NotFittedError(TabsynthError, ValueError):
    """A model was used before it was fitted."""


class ArtifactError(TabsynthError, ValueError):
    """A saved model is unknown, was altered, or comes from an incompatible version."""


class OutputError(TabsynthError, OSError):
    """An output could not be written (a full disk, a size limit); nothing was left behind."""


class PIILeakError(TabsynthError, ValueError):
    """A release holds a real value of a PII column of the training data."""


class MissingExtraError(TabsynthError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class PrivacyLeakWarning(UserWarning):
    """Something was learnt from private data without paying privacy budget for it."""


class RepeatedRowsWarning(UserWarning):
    """Rows look like several per person, and the schema names no privacy unit."""


class NotForReleaseWarning(UserWarning):
    """The model's privacy noise came from a known seed and must not be released."""


def require_extra(module: str, extra: str):  # type: ignore[no-untyped-def]
    """Import ``module`` or raise ``MissingExtraError`` naming ``pip install tabsynth[extra]``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module} is needed for this feature but is not installed. "
            f"Install it with: pip install 'tabsynth[{extra}]'"
        ) from exc
