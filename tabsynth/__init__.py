"""tabsynth: differentially private synthetic tables from a public schema.

Quick start::

    import tabsynth
    schema = tabsynth.Schema.from_yaml("schemas/health_insurance.yaml")
    model = tabsynth.fit(df, schema, epsilon=1.0)
    synthetic = model.sample(len(df), seed=0)
    model.privacy.label()   # "(1, 1e-06)-DP via zcdp ..."
"""

from tabsynth._version import __version__
from tabsynth.api import fit, load
from tabsynth.data import read_table, write_table
from tabsynth.engines.sampling import write_sample
from tabsynth.engines.sources import scan
from tabsynth.errors import (
    ArtifactError,
    BudgetExceededError,
    DataValidationError,
    EngineError,
    MissingExtraError,
    NotFittedError,
    NotForReleaseWarning,
    PIILeakError,
    PrivacyError,
    PrivacyLeakWarning,
    SchemaError,
    TabsynthError,
    UnsupportedFileError,
)
from tabsynth.evaluation import evaluate
from tabsynth.models import PrivacyInfo, Synthesizer, available_models
from tabsynth.schema import Schema, infer_schema

__all__ = [
    "ArtifactError",
    "BudgetExceededError",
    "DataValidationError",
    "EngineError",
    "MissingExtraError",
    "NotFittedError",
    "NotForReleaseWarning",
    "PIILeakError",
    "PrivacyError",
    "PrivacyInfo",
    "PrivacyLeakWarning",
    "Schema",
    "SchemaError",
    "Synthesizer",
    "TabsynthError",
    "UnsupportedFileError",
    "__version__",
    "available_models",
    "scan",
    "write_sample",
    "evaluate",
    "fit",
    "infer_schema",
    "load",
    "read_table",
    "write_table",
]
