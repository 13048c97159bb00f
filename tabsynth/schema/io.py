"""Read and write schemas as YAML or JSON, turning pydantic errors into one SchemaError."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tabsynth._io import atomic_write_text
from tabsynth.errors import Problem, SchemaError
from tabsynth.schema.model import Schema

INFERRED_BANNER = (
    "# WARNING: DRAFTED FROM PRIVATE DATA by `tabsynth schema infer`.\n"
    "# Its bounds and category lists were read from the data itself, which is NOT\n"
    "# differentially private. Review every domain and replace it with public knowledge\n"
    "# (code lists, legal ranges, published bounds) before a release, then set\n"
    "# inferred_from_data: false.\n"
)

_FIELD_NAMES: set[str] | None = None
_KINDS = ("categorical", "boolean", "numerical", "datetime", "identifier", "text")


def _known_fields() -> set[str]:
    global _FIELD_NAMES
    if _FIELD_NAMES is None:
        from tabsynth.schema import model as m

        names: set[str] = set(Schema.model_fields)
        for cls in (
            m.CategoricalColumn,
            m.BooleanColumn,
            m.NumericalColumn,
            m.DatetimeColumn,
            m.IdentifierColumn,
            m.TextColumn,
            m.PII,
        ):
            names |= set(cls.model_fields)
        _FIELD_NAMES = names
    return _FIELD_NAMES


def _loc(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            name = (
                node[item].get("name")
                if isinstance(node, list) and isinstance(node[item], dict)
                else None
            )
            parts.append(f"[{item}]" + (f" ({name!r})" if name else ""))
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            if item in _KINDS:
                continue  # the discriminator tag pydantic adds to the path
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "schema." + "".join(parts) if parts else "schema"


def _problem(err: dict[str, Any], data: dict[str, Any]) -> list[Problem]:
    where = _loc(tuple(err["loc"]), data)
    kind = err["type"]
    if kind == "value_error" and "error" in err.get("ctx", {}):
        msg = str(err["ctx"]["error"])
        return [Problem(*_split(line)) for line in msg.splitlines() if line.strip()]
    if kind == "extra_forbidden":
        field = str(err["loc"][-1])
        close = difflib.get_close_matches(field, sorted(_known_fields()), n=1)
        fix = (
            f"did you mean {close[0]!r}?"
            if close
            else "remove it (see schemas/tabsynth.schema.json)"
        )
        return [Problem(where, f"unknown field {field!r}", fix)]
    if kind == "missing":
        return [Problem(where, "required field is missing", "add it")]
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", err.get("input"))
        close = difflib.get_close_matches(str(tag), list(_KINDS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return [
            Problem(
                where,
                f"unknown column kind {tag!r}",
                hint + "use categorical, boolean, numerical, datetime, identifier or text",
            )
        ]
    if kind == "union_tag_not_found":
        return [
            Problem(
                where,
                "column has no `kind`",
                "add kind: categorical|boolean|numerical|datetime|identifier|text",
            )
        ]
    return [
        Problem(
            where,
            f"{err['msg']} (got {err.get('input')!r})",
            "correct the value; see schemas/tabsynth.schema.json",
        )
    ]


def _split(line: str) -> tuple[str, str, str]:
    head, _, rest = line.partition(": ")
    what, _, fix = rest.partition(". Fix: ")
    return head, what, fix or "see the schema documentation"


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
        problems = [p for err in exc.errors() for p in _problem(dict(err), data)]
        raise SchemaError(problems, source=source) from None


def read_schema(path: str | Path) -> Schema:
    """Read a schema from a ``.yaml``, ``.yml`` or ``.json`` file."""
    path = Path(path)
    if not path.exists():
        raise SchemaError(
            [Problem(str(path), "file not found", "check the path")], source=str(path)
        )
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise SchemaError(
            [
                Problem(
                    str(path),
                    f"not valid YAML/JSON ({exc})",
                    "fix the syntax (indentation, colons, quotes)",
                )
            ],
            source=str(path),
        ) from None
    return schema_from_dict(data, source=str(path))


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
