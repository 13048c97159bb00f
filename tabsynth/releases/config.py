"""The release config: one declarative file for the whole steward flow.

    name: claims
    data: claims.csv
    schema: claims.schema.yaml
    dataset: claims            # ledger dataset to charge (default: name)
    holdout: 0.2               # kept aside for the report, never fitted
    model: copula
    epsilon: 1.0
    delta: 1.0e-6
    rows: 10000                # default: the model's DP estimate of the training rows
    checks: {quality: 0.90, tstr_ratio: 0.90, mia_auc: 0.60}
    out: releases/

Paths are relative to the config file's folder. Every problem of a config is reported at
once, with the field, what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tabsynth.errors import ConfigError, Problem

#: check name -> (what it reads, "min" or "max": the direction a release must meet)
CHECKS: dict[str, tuple[str, str]] = {
    "quality": ("SDMetrics-style quality score (column shapes and pair trends)", "min"),
    "column_shapes": ("column shapes score", "min"),
    "pair_trends": ("pair trends score", "min"),
    "three_way_tvd": ("mean total variation distance of 3-way marginals", "max"),
    "tstr_ratio": ("TSTR AUC over the real-trained AUC (gradient boosting)", "min"),
    "mia_auc": ("membership-inference AUC, train against holdout (0.5 = coin flip)", "max"),
    "exact_copies": ("share of synthetic rows that copy a training row", "max"),
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


class ReleaseConfig(BaseModel):
    """A release, declared (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The release's name: its folder under `out`.")
    data: Path = Field(description="The private table (CSV or Parquet).")
    schema_path: Path = Field(alias="schema", description="The public schema (YAML/JSON).")
    dataset: str | None = Field(None, description="Ledger dataset charged (default: name).")
    ledger: Path | None = Field(None, description="Ledger file (default: $TABSYNTH_LEDGER).")
    holdout: float = Field(0.2, gt=0, lt=1, description="Share of rows kept for the report.")
    split_seed: int = Field(0, description="Seed of the train/holdout split.")
    model: str | None = Field(None, description="Model name (default: the schema's).")
    epsilon: float | None = Field(None, gt=0, description="Budget (default: the schema's).")
    delta: float | None = Field(None, gt=0, lt=1, description="Delta (default: the schema's).")
    options: dict[str, Any] = Field(default_factory=dict, description="Model options.")
    rows: int | None = Field(None, ge=1, description="Synthetic rows (default: DP estimate).")
    seed: int | None = Field(None, description="Sampling seed (default: fresh randomness).")
    format: str | None = Field(None, description="csv or parquet (default: the data's).")
    checks: dict[str, float] = Field(default_factory=dict, description="name: threshold.")
    pii_scan: bool = Field(True, description="Scan the data for PII (needs tabsynth[pii]).")
    out: Path = Field(Path("releases"), description="Folder of releases.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("use letters, digits, '_', '.' or '-' (it names a folder), at most 80")
        return v

    @field_validator("format")
    @classmethod
    def _format(cls, v: str | None) -> str | None:
        if v is not None and v not in ("csv", "parquet"):
            raise ValueError("use csv or parquet")
        return v

    @field_validator("checks")
    @classmethod
    def _checks(cls, v: dict[str, float]) -> dict[str, float]:
        bad = []
        for name in v:
            if name not in CHECKS:
                close = difflib.get_close_matches(name, list(CHECKS), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                bad.append(f"unknown check {name!r}: {hint}use one of {', '.join(CHECKS)}")
        if bad:
            raise ValueError("; ".join(bad))
        return v

    def resolve(self, base: Path) -> ReleaseConfig:
        """The config with its paths made relative to ``base`` (the config file's folder)."""
        fix = {
            k: (base / v if v is not None and not Path(v).is_absolute() else v)
            for k, v in (
                ("data", self.data),
                ("schema", self.schema_path),
                ("ledger", self.ledger),
                ("out", self.out),
            )
        }
        return ReleaseConfig.model_validate(
            {**self.model_dump(by_alias=True, exclude={"schema_path"}), **fix}
        )


def _where(loc: tuple[Any, ...]) -> str:
    return "config." + ".".join(str(p) for p in loc) if loc else "config"


def parse_config(data: Any, *, source: str = "config") -> ReleaseConfig:
    """A ``ReleaseConfig`` from a mapping, every problem raised at once as ``ConfigError``."""
    if not isinstance(data, dict):
        raise ConfigError(
            [Problem(source, "is not a mapping of fields", "write `name: ...` lines")],
            source=source,
        )
    try:
        return ReleaseConfig.model_validate(data)
    except ValidationError as exc:
        known = set(ReleaseConfig.model_fields) - {"schema_path"} | {"schema"}
        problems = []
        for err in exc.errors():
            where = _where(tuple(err["loc"]))
            if err["type"] == "extra_forbidden":
                field = str(err["loc"][-1])
                close = difflib.get_close_matches(field, sorted(known), n=1)
                fix = f"did you mean {close[0]!r}?" if close else "remove it"
                problems.append(Problem(where, f"unknown field {field!r}", fix))
            elif err["type"] == "missing":
                problems.append(Problem(where, "required field is missing", "add it"))
            else:
                msg = str(err["msg"]).removeprefix("Value error, ")
                problems.append(
                    Problem(where, msg, "correct the value (see `tabsynth release --help`)")
                )
        raise ConfigError(problems, source=source) from None


def read_config(path: str | Path) -> ReleaseConfig:
    """Read a release config file (YAML or JSON); paths in it are relative to its folder."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            [Problem(str(path), "file not found", "check the path")], source=str(path)
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}" if mark is not None else "the file"
        raise ConfigError(
            [Problem(f"{path} {at}", "is not valid YAML", "fix the syntax there")],
            source=str(path),
        ) from None
    return parse_config(data, source=str(path)).resolve(path.parent)
