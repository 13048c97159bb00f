"""Pydantic models of the public schema: the contract between a data steward and tabsynth.

DP holds because every domain a model uses (category lists, bounds, bins, atoms) comes from
here, never from the private data. The schema is therefore public and is hashed into every
artifact and ledger entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tabsynth._io import atomic_write_text
from tabsynth.errors import Problem, SchemaError
from tabsynth.schema.checks import consistency_problems
from tabsynth.schema.derived import Derived
from tabsynth.schema.io import INFERRED_BANNER, load_file, problems_of

SCHEMA_VERSION = 1


class PIIPolicy(StrEnum):
    """What happens to a PII column before modelling (applied by the PII stage)."""

    keep = "keep"
    drop = "drop"
    hash = "hash"
    fake = "fake"
    generalize = "generalize"


class PII(BaseModel):
    """PII declaration of a column: the entity it holds and the policy applied to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: str = Field(description="Presidio-style entity, e.g. PERSON, US_SSN, EMAIL_ADDRESS.")
    policy: PIIPolicy = Field(default=PIIPolicy.drop, description="drop|hash|fake|generalize|keep")
    locale: str = Field(default="en_US", description="Faker locale of faked values.")


class _ColumnBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    nullable: bool = Field(default=False, description="Whether nulls are part of the domain.")
    pii: PII | None = None
    protected: bool = Field(default=False, description="A protected attribute (fairness).")
    description: str | None = None
    missing: list[str] = Field(
        default_factory=list,
        description="Words that mean a missing value in the input, read as null (e.g. "
        "['unknown', 'n/a']); the column must then be nullable.",
    )
    derived: Derived | None = Field(
        default=None,
        description="A public function of other columns (see tabsynth.schema.derived): not "
        "modelled, computed in every sampled row.",
    )
    present_when: str | None = Field(
        default=None,
        description="A condition on other columns (the constraint language, e.g. "
        "\"application_type == 'joint'\"): the column holds a value exactly where it is true "
        "and is null elsewhere, in every sampled row (see tabsynth.schema.derived).",
    )

    @property
    def modelled(self) -> bool:
        """Whether a model learns this column (identifiers, text, dropped PII and derived
        columns are not)."""
        if self.derived is not None:
            return False
        return self.pii is None or self.pii.policy in (PIIPolicy.keep, PIIPolicy.generalize)


class CategoricalColumn(_ColumnBase):
    """A column with a public, finite list of categories."""

    kind: Literal["categorical"] = "categorical"
    categories: list[str] = Field(min_length=1, description="The public category list.")
    other: str | None = Field(
        default=None,
        description="Name of a bucket for values outside `categories`; without it such values "
        "are refused.",
    )
    ordered: bool = Field(
        default=False,
        description="The categories are listed in their natural order (grades, bands, "
        "severity, lowest first): models keep that order (the copula's latent runs through "
        "the categories in it) instead of ordering them by frequency. `other`, if any, comes "
        "after the last category.",
    )

    @property
    def domain(self) -> list[str]:
        """Categories plus the "other" bucket, in schema order."""
        return self.categories + ([self.other] if self.other is not None else [])


class BooleanColumn(_ColumnBase):
    """A true/false column; text such as yes/no, 1/0, true/false is accepted."""

    kind: Literal["boolean"] = "boolean"


class NumericalColumn(_ColumnBase):
    """A number within public bounds; values outside are clipped and counted."""

    kind: Literal["numerical"] = "numerical"
    lower: float
    upper: float
    integer: bool = False
    precision: int | None = Field(
        default=None, ge=0, le=12, description="Decimal places of released values."
    )
    bins: int | None = Field(
        default=None, ge=2, le=4096, description="Histogram bins (default: the model's)."
    )
    atoms: list[float] = Field(
        default_factory=list,
        description="Public values that carry a point mass (e.g. 0, or a plan's fixed rates).",
    )


class DatetimeColumn(_ColumnBase):
    """A date or timestamp within public bounds, modelled as a number of days or seconds."""

    kind: Literal["datetime"] = "datetime"
    lower: dt.datetime
    upper: dt.datetime
    resolution: Literal["day", "second"] = "day"
    format: str | None = Field(
        default=None,
        description="strptime format for text input, or 'days since YYYY-MM-DD' for dates "
        "stored as day numbers (spreadsheet serials: days since 1899-12-30; SAS: 1960-01-01), "
        "'seconds since YYYY-MM-DD' for datetimes stored as seconds (SAS datetimes).",
    )


class IdentifierColumn(_ColumnBase):
    """A key or identifier: never modelled; synthetic identifiers are generated at sampling."""

    kind: Literal["identifier"] = "identifier"
    prefix: str = "syn-"

    @property
    def modelled(self) -> bool:
        return False


class TextColumn(_ColumnBase):
    """Free text: not modelled yet (left out of the synthetic table)."""

    kind: Literal["text"] = "text"

    @property
    def modelled(self) -> bool:
        return False


Column = Annotated[
    CategoricalColumn
    | BooleanColumn
    | NumericalColumn
    | DatetimeColumn
    | IdentifierColumn
    | TextColumn,
    Field(discriminator="kind"),
]


class Schema(BaseModel):
    """A table's public schema: columns and their domains, target, model and privacy budget.

    Example:
        >>> schema = Schema.from_yaml("schemas/health_insurance.yaml")  # doctest: +SKIP
        >>> schema.column("age").upper  # doctest: +SKIP
        100.0
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    name: str = Field(min_length=1)
    description: str | None = None
    columns: list[Column] = Field(min_length=1)
    target: str | None = None
    model: str = "copula"
    model_options: dict[str, Any] = Field(default_factory=dict)
    epsilon: float | None = Field(
        default=1.0, description="Total epsilon for a fit; null means non-private."
    )
    delta: float = Field(default=1e-6, description="Total delta for a fit.")
    seed: int | None = Field(default=None, description="Sampling seed (post-processing only).")
    strata: list[str] | None = Field(
        default=None,
        description="Columns whose combinations the copula models separately; default: the "
        "target and the protected attributes.",
    )
    constraints: list[str] = Field(default_factory=list)
    privacy_unit: str | None = Field(
        default=None,
        description="The column naming whom each row belongs to (e.g. patient_id): the "
        "guarantee then protects each unit's rows together. Default: each row.",
    )
    max_rows_per_unit: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="With privacy_unit: at most this many rows of each unit are used (chosen "
        "at random); every sensitivity is multiplied by it.",
    )
    inferred_from_data: bool = Field(
        default=False,
        description="True when drafted by `schema infer`: its domains came from private data.",
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> Schema:
        problems = consistency_problems(self)
        if problems:
            # pydantic wraps ValueError raised here into its ValidationError; the io layer
            # turns that into a SchemaError listing each problem.
            raise ValueError("\n".join(str(p) for p in problems))
        return self

    # --- access ---------------------------------------------------------------------------
    def column(self, name: str) -> Any:
        """The column called ``name`` (KeyError naming the known columns otherwise)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"no column {name!r} in schema {self.name!r}; known: {self.names}")

    @property
    def names(self) -> list[str]:
        """Column names in schema order."""
        return [c.name for c in self.columns]

    @property
    def modelled_columns(self) -> list[Any]:
        """Columns a model learns (not identifiers, text or dropped/hashed/faked PII)."""
        return [c for c in self.columns if c.modelled]

    def neighbouring(self) -> str:
        """Who the guarantee protects: one record, or one privacy unit's rows."""
        if self.privacy_unit is None:
            return "add/remove one record"
        return (
            f"add/remove one {self.privacy_unit} (all its rows; at most "
            f"{self.max_rows_per_unit} used)"
        )

    def resolved_strata(self) -> list[str]:
        """Strata columns: as declared, else the target and protected categorical columns."""
        if self.strata is not None:
            return list(self.strata)
        names: list[str] = []
        cand = ([self.target] if self.target else []) + [
            c.name for c in self.columns if c.protected
        ]
        for name in cand:
            col = self.column(name)
            if col.modelled and col.kind in ("categorical", "boolean") and name not in names:
                names.append(name)
        return names

    def hash(self) -> str:
        """SHA-256 of the canonical JSON form; pinned in artifacts and ledger entries."""
        data = self.model_dump(mode="json")
        for col in data["columns"]:  # fields added later hash as before when left unset
            if not col.get("missing"):
                col.pop("missing", None)
            if col.get("ordered") is False:
                col.pop("ordered")
            for key in ("derived", "present_when"):
                if col.get(key, 0) is None:
                    col.pop(key)
        for key, default in (("privacy_unit", None), ("max_rows_per_unit", 1)):
            if data.get(key) == default:
                data.pop(key, None)
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    # --- io (the functions below) -----------------------------------------
    @classmethod
    def from_yaml(cls, path: Any) -> Schema:
        """Read and validate a YAML (or JSON) schema file."""
        return read_schema(path)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "schema") -> Schema:
        """Validate a schema given as a dict; every problem is reported in one SchemaError."""
        return schema_from_dict(data, source=source)

    def to_yaml(self, path: Any = None) -> str:
        """The schema as YAML text; written atomically to ``path`` when given."""
        return write_schema(self, path)


# --- io: files and dicts, every problem reported at once ---
_FIELD_NAMES: set[str] | None = None
#: each column kind's model (the fields a misplaced field belongs to, for error hints)
_COLUMN_MODELS: dict[str, type[BaseModel]] = {
    "categorical": CategoricalColumn,
    "boolean": BooleanColumn,
    "numerical": NumericalColumn,
    "datetime": DatetimeColumn,
    "identifier": IdentifierColumn,
    "text": TextColumn,
}


def _known_fields() -> set[str]:
    global _FIELD_NAMES
    if _FIELD_NAMES is None:
        names: set[str] = set(Schema.model_fields) | set(PII.model_fields)
        for cls in _COLUMN_MODELS.values():
            names |= set(cls.model_fields)
        _FIELD_NAMES = names
    return _FIELD_NAMES


def schema_from_dict(data: Any, *, source: str = "schema") -> Schema:
    """Validate ``data`` as a schema, reporting every problem in one ``SchemaError``."""
    if not isinstance(data, dict):
        raise SchemaError(
            [
                Problem(
                    source,
                    f"top level is {type(data).__name__}, not a mapping",
                    "start the file with `name:` and `columns:`",
                )
            ],
            source=source,
        )
    try:
        return Schema.model_validate(data)
    except ValidationError as exc:
        known = _known_fields()
        fields = {k: set(m.model_fields) for k, m in _COLUMN_MODELS.items()}
        problems = [p for err in exc.errors() for p in problems_of(dict(err), data, known, fields)]
        raise SchemaError(problems, source=source) from None


def read_schema(path: str | Path) -> Schema:
    """Read a schema from a ``.yaml``, ``.yml`` or ``.json`` file."""
    return schema_from_dict(load_file(path), source=str(path))


def schema_to_dict(schema: Schema) -> dict[str, Any]:
    """A compact dict of the schema: defaults left out, but every column keeps name and kind."""
    full = schema.model_dump(mode="json", exclude_none=True)
    short = schema.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    cols = []
    for col_full, col_short in zip(full["columns"], short["columns"], strict=True):
        col = {"name": col_full["name"], "kind": col_full["kind"]}
        col.update({k: v for k, v in col_short.items() if k not in col})
        cols.append(col)
    short["columns"] = cols
    short["name"] = schema.name
    short["epsilon"] = schema.epsilon
    short["delta"] = schema.delta
    order = [
        "version",
        "name",
        "description",
        "inferred_from_data",
        "target",
        "model",
        "model_options",
        "epsilon",
        "delta",
        "seed",
        "strata",
        "constraints",
        "columns",
    ]
    return {k: short[k] for k in order if k in short}


def write_schema(schema: Schema, path: str | Path | None = None) -> str:
    """The schema as YAML text, written atomically to ``path`` when given."""
    text = yaml.safe_dump(schema_to_dict(schema), sort_keys=False, allow_unicode=True, width=100)
    if schema.inferred_from_data:
        text = INFERRED_BANNER + text
    if path is not None:
        p = Path(path)
        if p.suffix == ".json":
            text = json.dumps(schema_to_dict(schema), indent=2) + "\n"
        atomic_write_text(p, text)
    return text


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the schema file format (kept in ``schemas/tabsynth.schema.json``)."""
    out = Schema.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["$id"] = "tabsynth.schema.json"
    return out
