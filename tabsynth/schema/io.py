"""The text side of schema files: YAML/JSON parsing, the draft banner, and pydantic's
errors turned into ``Problem`` lines (the ``Schema`` class in ``model.py`` uses these)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import yaml

from tabsynth.errors import Problem, SchemaError

INFERRED_BANNER = (
    "# WARNING: DRAFTED FROM PRIVATE DATA by `tabsynth schema infer`.\n"
    "# Its bounds and category lists were read from the data itself, which is NOT\n"
    "# differentially private. Review every domain and replace it with public knowledge\n"
    "# (code lists, legal ranges, published bounds) before a release, then set\n"
    "# inferred_from_data: false.\n"
)


KINDS = ("categorical", "boolean", "numerical", "datetime", "identifier", "text")


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
            if item in KINDS:
                continue  # the discriminator tag pydantic adds to the path
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "schema." + "".join(parts) if parts else "schema"


def problems_of(
    err: dict[str, Any],
    data: dict[str, Any],
    known: set[str],
    column_fields: dict[str, set[str]] | None = None,
) -> list[Problem]:
    """One pydantic error as ``Problem`` lines; ``known``: every field name, for hints;
    ``column_fields``: each column kind's fields, to say where a misplaced one belongs."""
    where = _loc(tuple(err["loc"]), data)
    kind = err["type"]
    if kind == "value_error" and "error" in err.get("ctx", {}):
        msg = str(err["ctx"]["error"])
        return [Problem(*_split(line)) for line in msg.splitlines() if line.strip()]
    if kind == "extra_forbidden":
        field = str(err["loc"][-1])
        owners = (
            [k for k in KINDS if field in (column_fields or {}).get(k, set())]
            if "columns" in err["loc"]
            else []
        )
        if owners:  # a field of other kinds of column (``ordered`` on a number)
            return [
                Problem(
                    where,
                    f"{field!r} is a field of {' and '.join(owners)} columns only",
                    f"remove it, or make the column {owners[0]}",
                )
            ]
        close = difflib.get_close_matches(field, sorted(known), n=1)
        fix = (
            "it belongs elsewhere (a column's field here, or a schema's field on a column): "
            "move it (see schemas/tabsynth.schema.json)"
            if close and close[0] == field
            else f"did you mean {close[0]!r}?"
            if close
            else "remove it (see schemas/tabsynth.schema.json)"
        )
        return [Problem(where, f"unknown field {field!r}", fix)]
    if kind == "missing":
        return [Problem(where, "required field is missing", "add it")]
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", err.get("input"))
        close = difflib.get_close_matches(str(tag), list(KINDS), n=1)
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


def load_file(path: str | Path) -> Any:
    """The parsed content of a ``.yaml``, ``.yml`` or ``.json`` schema file."""
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
    return data
