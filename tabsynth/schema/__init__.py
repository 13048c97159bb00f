"""Schema stage: the public contract (pydantic models), YAML/JSON io, and drafting from data."""

from tabsynth.schema.infer import infer_schema
from tabsynth.schema.model import (
    PII,
    BooleanColumn,
    CategoricalColumn,
    DatetimeColumn,
    IdentifierColumn,
    NumericalColumn,
    PIIPolicy,
    Schema,
    TextColumn,
    json_schema,
    read_schema,
    schema_from_dict,
    write_schema,
)

__all__ = [
    "PII",
    "BooleanColumn",
    "CategoricalColumn",
    "DatetimeColumn",
    "IdentifierColumn",
    "NumericalColumn",
    "PIIPolicy",
    "Schema",
    "TextColumn",
    "infer_schema",
    "json_schema",
    "read_schema",
    "schema_from_dict",
    "write_schema",
]
