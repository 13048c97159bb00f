"""Draft a schema from data: a drafting aid that is loudly NOT private.

Every bound and category list it writes is read from the private table. The draft is marked
``inferred_from_data: true`` and carries a banner; a ``PrivacyLeakWarning`` is raised; a
steward must review the domains and replace them with public knowledge before a release.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import polars as pl

from tabsynth.errors import PrivacyLeakWarning, RepeatedRowsWarning
from tabsynth.pii.national import NATIONAL_IDS
from tabsynth.schema.checks import MAX_CATEGORIES
from tabsynth.schema.dependencies import derived_drafts
from tabsynth.schema.model import Schema

MAX_INFERRED_CATEGORIES = 50
ID_HINTS = ("id", "rownames", "uuid", "key", "index")
# a category is written into a draft only when at least this many rows hold it; rarer ones
# go to "Other" unwritten (a value held by a handful of rows can single them out)
MIN_CATEGORY_ROWS = 10
# name tokens of columns that hold people's names or contact details, in the languages of
# the PII scan (en, de, fr, es, it, nl): such a column never gets a category list
PERSON_TOKENS = frozenset(
    "name names firstname first lastname last surname given family fullname forename "
    "middlename maiden username user login nickname vorname nachname familienname "
    "rufname nom prenom prénom nombre apellido apellidos cognome nome voornaam "
    "achternaam naam email mail e-mail emailaddress courriel correo phone telephone tel "
    "mobile cell fax telefon telefono telefoon handy portable address adresse direccion "
    "dirección indirizzo adres street strasse straße rue calle via straat ssn passport "
    "iban account card kreditkarte patient customer client kunde member".split()
)
BOOL_WORDS = {"true", "false", "yes", "no", "t", "f", "y", "n", "0", "1"}


def _decimals(s: pl.Series, cap: int = 6) -> int | None:
    vals = s.drop_nulls().head(2000).to_list()
    best = 0
    for v in vals:
        if not math.isfinite(v):
            continue
        text = f"{v:.{cap}f}".rstrip("0")
        best = max(best, len(text.split(".")[1]) if "." in text else 0)
    return best if best < cap else None


def _id_named(name: str) -> bool:
    lname = name.lower()
    return lname in ID_HINTS or lname.endswith("_id") or lname.endswith("id") and len(lname) <= 4


def _is_identifier(name: str, s: pl.Series, n: int) -> bool:
    hinted = _id_named(name)
    # mostly unique (a row id), or repeating over many values (a person's several rows)
    return bool(hinted and s.n_unique() >= 0.05 * n)


def _name_tokens(name: str) -> set[str]:
    """Lower-case tokens of a column name: ``patientName``, ``first_name``, ``E-Mail``."""
    import re

    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    tokens = {t for t in re.split(r"[^0-9A-Za-zÀ-ÿß]+", spaced.lower()) if t}
    return tokens | {"".join(sorted(tokens, key=spaced.lower().find))}


def identifying_reason(name: str, vals: pl.Series) -> str | None:
    """Why a string column would identify people if its values were written, or None.

    Signals: a column name that says name, contact or account (several languages); values
    shaped like e-mail addresses, phone numbers, codes or ids; values shaped like personal
    names (two or three capitalised alphabetic words); values that are mostly unique."""
    hint = _name_tokens(name) & PERSON_TOKENS
    if hint:
        return f"its name ({sorted(hint)[0]!r}) says it holds names, contacts or accounts"
    sample = vals.head(2000).cast(pl.String)
    if sample.len() == 0:
        return None
    shapes = {
        "e-mail addresses": r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",
        "phone numbers": r"^\+?[\d\s().\-/]{7,}$",
        "codes or ids (letters and digits)": r"^[A-Za-z\-_/.]*\d[A-Za-z0-9\-_/.]{5,}$",
        "personal names": r"^[A-ZÀ-Ý][a-zà-ÿß'\-]+( [A-ZÀ-Ý][a-zà-ÿß'\-]+){1,2}$",
    }
    # a shape identifies people only over many values: "Not Verified" / "Source Verified"
    # (three values in a loan table) are words of a code list, not names
    diverse = sample.n_unique() > 10 or sample.n_unique() >= 0.5 * sample.len()
    for what, pattern in shapes.items():
        share = float(sample.str.contains(pattern).mean() or 0.0)  # type: ignore[arg-type]
        if diverse and share >= 0.6:
            return f"its values look like {what}"
    if sample.n_unique() >= 0.5 * sample.len() and sample.len() >= 20:
        return "its values are mostly unique"
    return None


def _string_column(name: str, s: pl.Series, n: int, nullable: bool) -> dict[str, Any]:
    vals = s.drop_nulls()
    uniq = vals.n_unique()
    why = identifying_reason(name, vals)
    if why is not None:
        mean_len = float(vals.str.len_chars().mean() or 0)  # type: ignore[arg-type]
        free = mean_len >= 40 and " " in "".join(vals.head(50).to_list())
        return {
            "name": name,
            "kind": "text" if free else "identifier",
            "nullable": nullable,
            "description": f"DRAFT: not modelled, no value written: {why}. Review: declare "
            "its pii entry and policy (e.g. fake), or a public category list.",
        }
    if uniq <= MAX_INFERRED_CATEGORIES:
        counts = vals.value_counts()
        kept = counts.filter(pl.col("count") >= MIN_CATEGORY_ROWS).get_column(vals.name)
        cats = sorted(str(v) for v in kept.to_list())
        col: dict[str, Any] = {
            "name": name,
            "kind": "categorical",
            "categories": cats or ["<empty>"],
            "nullable": nullable,
        }
        if len(cats) < uniq:
            col["other"] = "Other"
            col["description"] = (
                f"DRAFT: {uniq - len(cats)} value(s) held by fewer than {MIN_CATEGORY_ROWS} "
                "rows go to 'Other', unwritten. Review: list the public categories."
            )
        return col
    mean_len = float(vals.str.len_chars().mean() or 0)  # type: ignore[arg-type]
    if (
        uniq >= 0.95 * max(len(vals), 1)
        and mean_len < 40
        and " " not in "".join(vals.head(50).to_list())
    ):
        return {"name": name, "kind": "identifier", "nullable": nullable}
    if mean_len >= 20 or uniq > MAX_CATEGORIES:
        return {"name": name, "kind": "text", "nullable": nullable}
    top = vals.value_counts(sort=True).head(MAX_INFERRED_CATEGORIES - 1)
    top = top.filter(pl.col("count") >= MIN_CATEGORY_ROWS)
    cats = sorted(str(v) for v in top.get_column(name).to_list()) or ["<empty>"]
    return {
        "name": name,
        "kind": "categorical",
        "categories": cats,
        "other": "Other",
        "nullable": nullable,
    }


def _numeric_column(name: str, s: pl.Series, nullable: bool) -> dict[str, Any]:
    x = s.cast(pl.Float64).drop_nulls().drop_nans()
    x = x.filter(x.is_finite())
    if len(x) == 0:
        return {"name": name, "kind": "numerical", "lower": 0.0, "upper": 1.0, "nullable": True}
    lo, hi = float(x.min()), float(x.max())  # type: ignore[arg-type]
    if lo == hi:
        lo, hi = lo - 1.0, hi + 1.0
    col: dict[str, Any] = {
        "name": name,
        "kind": "numerical",
        "lower": lo,
        "upper": hi,
        "nullable": nullable or s.cast(pl.Float64).is_nan().any(),
    }
    integer = s.dtype.is_integer() or bool((x.round(0) == x).all())
    if integer:
        col["integer"] = True
    else:
        dec = _decimals(x)
        if dec is not None:
            col["precision"] = dec
        uniq = x.unique()
        if len(uniq) <= 20:
            col["atoms"] = sorted(float(v) for v in uniq.to_list())
    return col


def _datetime_column(
    name: str, s: pl.Series, nullable: bool, fmt: str | None = None, note: str = ""
) -> dict[str, Any]:
    """A datetime draft; a column without two distinct values gets placeholder bounds (a
    day either side, or 1900-2100 when empty) and says so, so the draft still validates."""
    import datetime as dt

    x = s.drop_nulls()
    lo, hi = (x.min(), x.max()) if len(x) else (None, None)
    day = dt.timedelta(days=1)
    if lo is None:
        lo, hi = dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)
        note += " No values to read bounds from: 1900-2100 is a placeholder."
    elif lo == hi:
        lo, hi = lo - day, hi + day  # type: ignore[operator]
        note += " One distinct value: the bounds are a day either side of it."
    col: dict[str, Any] = {
        "name": name,
        "kind": "datetime",
        "lower": str(lo),
        "upper": str(hi),
        "nullable": nullable or len(x) == 0,
        "resolution": "day" if s.dtype == pl.Date else "second",
    }
    if fmt is not None:
        col["format"] = fmt
    if note:
        col["description"] = f"DRAFT: review.{note}"
    return col


# date formats a text column may hold (day-first before month-first: the languages of the scan)
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d-%m-%Y", "%Y%m%d")
# a text column whose values are at least this share numbers (or dates) is drafted as such
DOMINANT = 0.8
# missing-value tokens that are public words, so a draft may write them
NULL_TOKENS = frozenset("unknown n/a na nan none null missing - -- ? . unk k.a. nd".split())


def _dominant_type(name: str, text: pl.Series, nullable: bool) -> dict[str, Any] | None:
    """A text column that mostly holds numbers, or dates in one format: drafted as such,
    the other values reported as shapes (never raw) with the fix."""
    from tabsynth.errors import mask_value

    vals = text.drop_nulls().str.strip_chars()
    if len(vals) == 0:
        return None
    num = vals.cast(pl.Float64, strict=False)
    share = float(num.is_not_null().mean() or 0.0)  # type: ignore[arg-type]
    kind, parsed, fmt = "numbers", num, None
    if share < DOMINANT:
        best = max(
            DATE_FORMATS,
            key=lambda f: int(vals.str.to_datetime(f, strict=False).is_not_null().sum()),
        )
        dates = vals.str.to_datetime(best, strict=False)
        share = float(dates.is_not_null().mean() or 0.0)  # type: ignore[arg-type]
        kind, parsed, fmt = "dates", dates, best
    if share < DOMINANT:
        return None
    odd = vals.filter(parsed.is_null())
    tokens = sorted({v for v in odd.unique().to_list() if v.lower() in NULL_TOKENS})
    shapes = list(dict.fromkeys(mask_value(v) for v in odd.unique().head(50).to_list()))[:5]
    note = ""
    if len(odd):
        note = (
            f" {share:.0%} of its values are {kind}"
            + (f" (format {fmt!r})" if fmt else "")
            + f"; the others look like {shapes} (letters x/X, digits 9). Fix: clean them"
            + (", or keep the missing-value words listed in `missing`" if tokens else "")
            + (" (e.g. drop thousands separators)" if kind == "numbers" else "")
            + "."
        )
    if kind == "dates":
        col = _datetime_column(name, parsed, nullable or bool(tokens), fmt, note)
    else:
        col = _numeric_column(name, parsed, nullable or bool(tokens))
        if note:
            col["description"] = f"DRAFT: review.{note}"
    if tokens:
        col["missing"] = tokens
    return col


# what a PII column found by the scan gets in a draft: ids become keyed pseudonyms (hash:
# the same person keeps one pseudonym, so tables still join), dates of birth and ZIP codes are
# generalized over public domains (year of birth, ZIP3), names and contacts are faked, free
# text is dropped (nothing else fits it)
DEFAULT_POLICY = {
    "FREE_TEXT_PII": "drop",
    "DATE_OF_BIRTH": "generalize",
    "PERSON_LINKED_DATE": "generalize",
    "US_ZIP": "generalize",
    "POSTAL_CODE": "generalize",
    **{
        e: "hash"
        for e in (
            "US_SSN",
            "MEDICAL_RECORD_NUMBER",
            "US_NPI",
            "US_BANK_NUMBER",
            "CREDIT_CARD",
            "IBAN_CODE",
            "ABA_ROUTING_NUMBER",
            *NATIONAL_IDS,
        )  # fmt: skip
    },
}
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _leads_with_digits(s: pl.Series) -> bool:
    """Whether every value starts with a digit (a draft's shape, no value kept)."""
    head = s.drop_nulls().cast(pl.String).str.strip_chars().str.slice(0, 1)
    return bool(head.str.contains(r"^\d$").all())


def _pii_column(name: str, entity: str, nullable: bool, lead_digit: bool = True) -> dict[str, Any]:
    """A PII column of a draft: its policy, and for a generalized one the public domain of
    the generalized values (years since 1900; the 1,000 three-digit ZIP prefixes)."""
    import datetime as dt

    policy = DEFAULT_POLICY.get(entity, "fake")
    col: dict[str, Any] = {
        "name": name,
        "kind": "text" if entity == "FREE_TEXT_PII" else "identifier",
        "nullable": nullable,
        "pii": {"entity": entity, "policy": policy},
    }
    if policy == "generalize" and entity in ("DATE_OF_BIRTH", "PERSON_LINKED_DATE"):
        today = dt.date.today()
        col |= {"kind": "datetime", "lower": "1900-01-01", "upper": f"{today.year}-12-31"}
        what = "of birth" if entity == "DATE_OF_BIRTH" else "(a person-linked date)"
        col["description"] = f"DRAFT: generalized to the year {what} (public bounds 1900-now)"
    elif policy == "generalize" and entity == "POSTAL_CODE":
        # numeric codes (DE, FR, ES, IT, NL): the 100 two-digit regions; UK postcodes: a
        # letter and a letter or digit (936 pairs, the postcode areas among them)
        lead = _ALNUM[:10] if lead_digit else _ALNUM[10:]
        cats = [a + b for a in lead for b in (_ALNUM[:10] if lead_digit else _ALNUM)]
        col |= {"kind": "categorical", "categories": cats}
        col["description"] = (
            f"DRAFT: generalized to the postal code's first two characters ({len(cats)} "
            "public pairs; narrow them to your country's regions)"
        )
    elif policy == "generalize":
        col |= {"kind": "categorical", "categories": [f"{i:03d}" for i in range(1000)]}
        col["description"] = "DRAFT: generalized to ZIP3 (the public list of 3-digit prefixes)"
    return col


def infer_schema(
    df: pl.DataFrame,
    *,
    name: str = "table",
    target: str | None = None,
    epsilon: float | None = 1.0,
    delta: float = 1e-6,
    pii: dict[str, str] | None = None,
    locales: dict[str, str] | None = None,
    formats: dict[str, str] | None = None,
) -> Schema:
    """Draft a schema from ``df``. Not private: see the module docstring.

    Args:
        df: the table.
        name: the schema's name.
        target: the target column, if any.
        epsilon: the budget written into the draft.
        delta: the delta written into the draft.
        pii: ``{column: entity}`` from a PII scan (``ScanReport.findings()``: the person-linked
            dates too); those columns get a ``pii`` entry and no
            domain (no raw value of theirs goes into the draft).
        locales: ``{column: Faker locale}`` of those columns' fakes (``ScanReport.locales()``:
            the header's language, or the table's); en_US where absent.
        formats: ``{column: format}`` of dates found stored as day numbers
            (``ScanReport.date_formats()``: ``days since 1899-12-30``), written as ``format``.
    """
    warnings.warn(
        "schema inferred from the data: its bounds and categories are NOT private; "
        "review them and replace them with public knowledge before release",
        PrivacyLeakWarning,
        stacklevel=2,
    )
    n = df.height
    columns: list[dict[str, Any]] = []
    for cname in df.columns:
        s = df.get_column(cname)
        nullable = s.null_count() > 0
        if pii and cname in pii:
            lead_digit = _leads_with_digits(df.get_column(cname))
            col = _pii_column(cname, pii[cname], nullable, lead_digit)
            if locales and locales.get(cname) and locales[cname] != "en_US":
                col["pii"]["locale"] = locales[cname]
            if formats and formats.get(cname) and col["kind"] == "datetime":
                col["format"] = formats[cname]  # day numbers: "days since 1899-12-30"
            columns.append(col)
        elif s.dtype == pl.Boolean:
            columns.append({"name": cname, "kind": "boolean", "nullable": nullable})
        elif s.dtype in (pl.Date, pl.Datetime) or isinstance(s.dtype, pl.Datetime):
            columns.append(_datetime_column(cname, s, nullable))
        elif _is_identifier(cname, s, n):
            columns.append({"name": cname, "kind": "identifier", "nullable": nullable})
        elif s.dtype.is_numeric():
            columns.append(_numeric_column(cname, s, nullable))
        else:
            text = s.cast(pl.String)
            guess = None if pii and cname in pii else _dominant_type(cname, text, nullable)
            columns.append(guess or _string_column(cname, text, n, nullable))
    unit = _privacy_unit(df, columns)
    derived_drafts(df, columns, target)
    if not unit:
        from tabsynth.schema.repeats import repeats_warning

        hint = repeats_warning(df, columns)
        if hint is not None:
            warnings.warn(hint, RepeatedRowsWarning, stacklevel=2)
    return Schema.from_dict(
        {
            "name": name,
            "target": target,
            "epsilon": epsilon,
            "delta": delta,
            "inferred_from_data": True,
            "description": "DRAFT inferred from private data: review every domain before release.",
            "columns": columns,
            **unit,
        }
    )


def _privacy_unit(df: pl.DataFrame, columns: list[dict[str, Any]]) -> dict[str, Any]:
    """A privacy unit for the draft: the first identifier column named like an id whose
    values repeat (one person, several rows), with the 95th percentile of rows per unit as
    the bound. A repeating PII value (a birth date, a name) is not a unit."""
    for col in columns:
        if col["kind"] != "identifier" or not _id_named(col["name"]):
            continue
        s = df.get_column(col["name"]).drop_nulls()
        uniq = s.n_unique()
        if not 0.05 * len(s) <= uniq < len(s):
            continue
        per_unit = s.value_counts().get_column("count")
        k = int(min(1000, max(2, math.ceil(float(per_unit.quantile(0.95) or 2)))))
        col["description"] = (
            f"DRAFT: review. Its values repeat (several rows per {col['name']}), so it is "
            f"proposed as the privacy unit, with at most {k} rows each (the 95th percentile "
            "here: set a public bound)."
        )
        return {"privacy_unit": col["name"], "max_rows_per_unit": k}
    return {}
