"""tabsynth: differentially private synthetic tables from a public schema.

Quick start::

    import tabsynth
    schema = tabsynth.Schema.from_yaml("schemas/health_insurance.yaml")
    model = tabsynth.fit(df, schema, epsilon=1.0)
    synthetic = model.sample(len(df), seed=0)
    model.privacy.label()   # "(1, 1e-06)-DP via zcdp ..."
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from tabsynth._version import __version__

# names -> the module that defines them, imported on first use (PEP 562), so that
# `import tabsynth` and the command line start fast and load polars, scipy or torch only
# for the work that needs them
_LAZY = {
    "fit": "tabsynth.api",
    "load": "tabsynth.api",
    "read_table": "tabsynth.data",
    "write_table": "tabsynth.data",
    "write_sample": "tabsynth.engines.sampling",
    "release": "tabsynth.releases",
    "scan": "tabsynth.engines.sources",
    "stress_options": "tabsynth.sampling.stress_file",
    "evaluate": "tabsynth.evaluation",
    "PrivacyInfo": "tabsynth.models",
    "Synthesizer": "tabsynth.models",
    "available_models": "tabsynth.models",
    "Schema": "tabsynth.schema",
    "infer_schema": "tabsynth.schema",
    **{
        name: "tabsynth.errors"
        for name in (
            "ArtifactError",
            "BudgetExceededError",
            "ConfigError",
            "DataValidationError",
            "EngineError",
            "MissingExtraError",
            "NotFittedError",
            "NotForReleaseWarning",
            "PIILeakError",
            "PrivacyError",
            "PrivacyLeakWarning",
            "RepeatedRowsWarning",
            "SchemaError",
            "TabsynthError",
            "UnsupportedFileError",
        )
    },
}

if TYPE_CHECKING:  # for type checkers and editors: the eager imports
    from tabsynth.api import fit, load
    from tabsynth.data import read_table, write_table
    from tabsynth.engines.sampling import write_sample
    from tabsynth.engines.sources import scan
    from tabsynth.errors import (
        ArtifactError,
        BudgetExceededError,
        ConfigError,
        DataValidationError,
        EngineError,
        MissingExtraError,
        NotFittedError,
        NotForReleaseWarning,
        PIILeakError,
        PrivacyError,
        PrivacyLeakWarning,
        RepeatedRowsWarning,
        SchemaError,
        TabsynthError,
        UnsupportedFileError,
    )
    from tabsynth.evaluation import evaluate
    from tabsynth.models import PrivacyInfo, Synthesizer, available_models
    from tabsynth.releases import release
    from tabsynth.sampling.stress_file import stress_options
    from tabsynth.schema import Schema, infer_schema


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if not name.startswith("__"):  # a submodule, e.g. tabsynth.data, tabsynth.audit
        from importlib.util import find_spec

        if find_spec(f"tabsynth.{name}") is not None:
            return import_module(f"tabsynth.{name}")
    raise AttributeError(f"module 'tabsynth' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ArtifactError",
    "BudgetExceededError",
    "ConfigError",
    "DataValidationError",
    "EngineError",
    "MissingExtraError",
    "NotFittedError",
    "NotForReleaseWarning",
    "PIILeakError",
    "PrivacyError",
    "PrivacyInfo",
    "PrivacyLeakWarning",
    "RepeatedRowsWarning",
    "Schema",
    "SchemaError",
    "Synthesizer",
    "TabsynthError",
    "UnsupportedFileError",
    "__version__",
    "available_models",
    "evaluate",
    "fit",
    "infer_schema",
    "load",
    "read_table",
    "release",
    "scan",
    "stress_options",
    "write_sample",
    "write_table",
]
