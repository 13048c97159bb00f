"""SDV metadata in and out: ``schema from-sdv`` and ``schema to-sdv``.

SDV's metadata (``Metadata.save_to_json``: ``{"METADATA_SPEC_VERSION": "V1", "tables":
{name: {"columns": {col: {"sdtype": ...}}, "primary_key": ...}}}``, or the older
single-table form with ``columns`` at the top) says what each column *is*, not its public
domain: no category list, no bounds. A DP schema needs both, so ``from_sdv`` maps sdtypes to
kinds and either leaves each missing domain as a review item (``needs``), or, with ``data``,
drafts the domains from it, like ``schema infer`` (``inferred_from_data: true``: ``fit``
refuses it until a reviewer replaces them with public knowledge). Nothing here imports SDV
(it is BUSL-1.1); the format is plain JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tabsynth.errors import Problem, SchemaError

#: SDV's PII sdtypes (Faker-backed) -> the entity tabsynth's scan and policies use
PII_SDTYPES = {
    "email": "EMAIL_ADDRESS",
    "phone_number": "PHONE_NUMBER",
    "ssn": "US_SSN",
    "name": "PERSON",
    "first_name": "PERSON",
    "last_name": "PERSON",
    "address": "ADDRESS",
    "street_address": "ADDRESS",
    "postcode": "US_ZIP",
    "credit_card_number": "CREDIT_CARD",
    "iban": "IBAN_CODE",
    "ipv4_address": "IP_ADDRESS",
    "ipv6_address": "IP_ADDRESS",
    "license_plate": "LICENSE_PLATE",
    "date_of_birth": "DATE_OF_BIRTH",
}
_KIND = {"numerical": "numerical", "categorical": "categorical", "boolean": "boolean",
         "datetime": "datetime", "id": "identifier"}  # fmt: skip


def _table(meta: dict[str, Any], table: str | None, source: str) -> tuple[str, dict[str, Any]]:
    """The one table of SDV metadata (its name and its dict)."""
    if "tables" not in meta:  # the single-table format
        return table or "table", meta
    tables = meta["tables"]
    if table is None:
        if len(tables) != 1:
            raise SchemaError(
                [Problem(source, f"holds {len(tables)} tables", "name one with --table")],
                source=source,
            )
        table = next(iter(tables))
    if table not in tables:
        raise SchemaError(
            [Problem(source, f"has no table {table!r}", f"use one of {sorted(tables)}")],
            source=source,
        )
    return table, tables[table]


def _column(name: str, spec: dict[str, Any], key: bool) -> tuple[dict[str, Any], list[str], bool]:
    """One schema column from an SDV column: (column, fields it still needs, whether a domain
    was taken from SDV's ``range_*`` fields, which SDV detects from the data)."""
    sdtype = spec.get("sdtype", "unknown")
    if key or sdtype == "id":
        return {"name": name, "kind": "identifier"}, [], False
    if sdtype in PII_SDTYPES or spec.get("pii"):
        entity = PII_SDTYPES.get(sdtype, "PII")
        pii = {"name": name, "kind": "identifier", "pii": {"entity": entity, "policy": "fake"}}
        return pii, [], False
    kind = _KIND.get(sdtype)
    if kind is None:  # an sdtype tabsynth does not model (e.g. 'unknown', free text)
        return {"name": name, "kind": "text"}, [], False
    col: dict[str, Any] = {"name": name, "kind": kind}
    if spec.get("range_is_nullable"):
        col["nullable"] = True
    if kind == "categorical":
        values = spec.get("range_values")
        if values:
            col["categories"] = [str(v) for v in values]
            return col, [], True
        return col, ["categories"], False
    if kind in ("numerical", "datetime"):
        if kind == "numerical":
            places = spec.get("decimal_places")
            rep = str(spec.get("computer_representation", "")).lower()
            if places == 0 or rep.startswith(("int", "uint")):
                col["integer"] = True
            elif isinstance(places, int) and places > 0:
                col["precision"] = places
        elif spec.get("datetime_format"):
            col["format"] = spec["datetime_format"]
        if spec.get("range_min") is not None and spec.get("range_max") is not None:
            col["lower"], col["upper"] = spec["range_min"], spec["range_max"]
            return col, [], True
        return col, ["lower", "upper"], False
    return col, [], False


def from_sdv(
    meta: dict[str, Any] | str | Path,
    *,
    table: str | None = None,
    data: Any = None,
    source: str = "SDV metadata",
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A tabsynth schema (as a dict) from SDV metadata, and ``{column: [fields it needs]}``.

    SDV's own metadata (SDV 2 writes ``range_values``, ``range_min``/``range_max``) carries
    domains that SDV detected from the data: they are taken, and the schema is marked
    ``inferred_from_data`` (``fit`` refuses it until reviewed). A column without them is left
    in ``needs``; with ``data`` (the table) those are drafted from it instead (not private
    either), and nothing is left in ``needs``.
    """
    if not isinstance(meta, dict):
        source = str(meta)
        meta = json.loads(Path(meta).read_text(encoding="utf-8"))
    assert isinstance(meta, dict)
    name, spec = _table(meta, table, source)
    key = spec.get("primary_key")
    columns, needs, detected = [], {}, False
    for col_name, col_spec in spec.get("columns", {}).items():
        col, need, ranged = _column(col_name, col_spec, col_name == key)
        columns.append(col)
        detected |= ranged
        if need:
            needs[col_name] = need
    out = {
        "name": name,
        "description": (
            "DRAFT from SDV metadata: SDV detects its ranges from the data, so review every "
            "domain and replace it with public knowledge"
            if detected
            else "DRAFT from SDV metadata: add every public domain listed as needed"
        ),
        # SDV's range_* fields are read from the data: not private until reviewed
        "inferred_from_data": detected or data is not None,
        "columns": columns,
    }
    if data is not None and needs:
        out = _fill_from_data(out, needs, data)
        needs = {}
    return out, needs


def _fill_from_data(out: dict[str, Any], needs: dict[str, list[str]], data: Any) -> dict[str, Any]:
    """Each column that needs a domain gets the one ``schema infer`` drafts from ``data``."""
    import warnings

    import polars as pl

    from tabsynth.errors import PrivacyLeakWarning
    from tabsynth.schema.infer import infer_schema

    frame = data if isinstance(data, pl.DataFrame) else pl.from_pandas(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrivacyLeakWarning)
        drafted = infer_schema(frame.select([c for c in needs if c in frame.columns]))
    guessed = {c.name: c.model_dump(mode="json", exclude_defaults=True) for c in drafted.columns}
    cols = []
    for col in out["columns"]:
        guess = guessed.get(col["name"])
        if col["name"] in needs and guess is not None and guess.get("kind") == col["kind"]:
            col = {**guess, **{k: v for k, v in col.items() if k != "description"}}
        elif col["name"] in needs and guess is not None:  # infer saw another kind: trust SDV
            col = {**guess, "name": col["name"]} if guess.get("kind") else col
        cols.append(col)
    return {**out, "columns": cols}


def to_sdv(schema: Any) -> dict[str, Any]:
    """SDV metadata (``METADATA_SPEC_VERSION: V1``, one table) describing ``schema``."""
    sdtype = {"numerical": "numerical", "categorical": "categorical", "boolean": "boolean",
              "datetime": "datetime", "identifier": "id", "text": "unknown"}  # fmt: skip
    back = {v: k for k, v in PII_SDTYPES.items() if k not in ("first_name", "last_name",
            "street_address", "ipv6_address")}  # fmt: skip
    columns: dict[str, Any] = {}
    key = None
    for col in schema.columns:
        if col.pii is not None and col.pii.entity in back:
            columns[col.name] = {"sdtype": back[col.pii.entity], "pii": True}
            continue
        spec: dict[str, Any] = {"sdtype": sdtype[col.kind]}
        if col.kind == "numerical" and (col.integer or col.precision is not None):
            spec["decimal_places"] = 0 if col.integer else col.precision
        if col.kind in ("numerical", "datetime", "categorical"):
            spec["range_is_nullable"] = bool(col.nullable)
        if col.kind == "numerical":  # the schema's public bounds
            spec["range_min"], spec["range_max"] = col.lower, col.upper
        if col.kind == "categorical":
            spec["range_values"] = list(col.domain)
        if col.kind == "datetime" and col.format:
            spec["datetime_format"] = col.format
        if col.kind == "identifier" and key is None and col.pii is None:
            key = col.name
        columns[col.name] = spec
    table: dict[str, Any] = {"columns": columns}
    if key is not None:
        table["primary_key"] = key
    return {"METADATA_SPEC_VERSION": "V1", "tables": {schema.name: table}, "relationships": []}
