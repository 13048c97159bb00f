"""Column-level PII scan: which columns hold which entity, from a sample of cells and the name.

Each column is judged from up to ``sample_rows`` non-null cells (rows drawn with a fixed seed)
and from its name. A structured column gets the entity whose recognizer covers most of its
cells; a free-text column gets per-entity counts of cells with a finding. Numeric columns are
classified from their digits alone only when a checksum proves the entity (payment cards,
NPIs, NHS numbers, German tax ids, NIRs, BSNs: 90% of distinct-enough cells pass); other
numbers (IDs and amounts look like phone or account numbers) need a name hint, in some thirty
languages (``tabsynth.pii.lexicon``; a date of birth stored as a day number, a spreadsheet
serial or SAS's, is read as one under such a hint). A phone or e-mail column filled by a few
values that many rows share (a switchboard) is an organisation's contact, left public with a
note. The European national ids,
postal codes and street addresses are in ``tabsynth.pii.national``. Dates of a person's life
other than the birth (admission, discharge, death; named so in any of those languages) are
not PII by themselves but quasi-identifiers: ``ColumnScan.quasi`` says so, and
``ScanReport.findings()`` lists them with the PII columns for ``schema infer``, which
generalizes them to the year.
Raw values are never printed or stored: examples are masked to their
shape (``Xxxx Xxxxx``, ``999-99-9999``).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from tabsynth.pii.lexicon import CODE_HEADER, hint_for, strip_accents
from tabsynth.pii.names import (
    CLINICIAN_ROLE,
    NOT_PERSON_NAME,
    PERSON_ROLE,
    WEAK_PERSON,
    few_distinct,
    full_name_share,
    listed_share,
    name_shape_share,
    org_share,
)
from tabsynth.pii.national import (
    NATIONAL_IDS,
    PERSON_DATE_HINT,
    POSTAL_SHAPE,
)
from tabsynth.pii.shapes import (
    as_exported,
    checksummed_numbers,
    code_prefixed,
    counter_like,
    date_share,
    day_numbers_epoch,
    integer_text,
)

MAX_CELL_CHARS = 2000
MIN_COVER = 0.6  # a finding must cover this share of a structured cell

# entities that content alone (without a name hint) may assign: checksums or distinctive shapes
CONTENT_ENTITIES = (
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    # checksummed national ids before phone numbers (an NHS number also reads as a phone)
    *NATIONAL_IDS,
    "POSTAL_CODE",
    "US_SSN",
    "PHONE_NUMBER",
    "IP_ADDRESS",
    "URL",
    "PERSON",
    "STREET_ADDRESS",
    "MEDICAL_RECORD_NUMBER",
    "US_NPI",
)
# entities whose one value may be written in many words ("FR76 3000 6000 0112 3456 7890 189")
STRUCTURED_IN_WORDS = ("IBAN_CODE", "CREDIT_CARD", *NATIONAL_IDS)
# with a name hint, these shapes suffice
HINT_SHAPES = {
    "US_ZIP": r"\d{3,5}(-\d{4})?",  # stored as a number, a ZIP loses its leading zeros
    "US_BANK_NUMBER": r"\d{6,17}",
    "MEDICAL_RECORD_NUMBER": r"(MRN[-:# ]?)?[A-Z]{0,3}\d{5,12}",
    "US_NPI": r"[12]\d{9}",
    "ABA_ROUTING_NUMBER": r"\d{9}",
    "PHONE_NUMBER": r"[+()\d][\d ()./+-]{6,20}",
    "US_SSN": r"\d{3}-?\d{2}-?\d{4}",
    "POSTAL_CODE": rf"(?:[A-Z]{{1,3}}-)?{POSTAL_SHAPE}",  # "D-80331", "NL-1012 AB"
}
SUGGEST = {
    "DATE_OF_BIRTH": "generalize to the year (or age bands)",
    "US_ZIP": "generalize to ZIP3 (first three digits)",
    "PERSON": "fake (Faker names, consistent per value within a release)",
    "STREET_ADDRESS": "fake or drop",
    "POSTAL_CODE": "generalize to its first two characters (region)",
    "PERSON_LINKED_DATE": "generalize to the year (or 5-year bands): a quasi-identifier",
}


def _key(column: str) -> str:
    """A header lower-cased, accents set aside, separators as ``_`` (``lexicon``)."""
    camel = re.sub(r"([a-z])([A-Z])", r"\1_\2", column).lower()
    key = re.sub(r"[\W_]+", "_", strip_accents(camel))
    # a dotted abbreviation's letters are one word: "D.O.B." -> "dob", "C.P." -> "cp"
    return re.sub(r"(?<![^_])[^\W\d_](?:_[^\W\d_])+(?![^_])", lambda m: m[0].replace("_", ""), key)


def person_date_hint(column: str) -> bool:
    """Whether a column's name says it is a date of a person's life other than the birth."""
    return re.search(PERSON_DATE_HINT, _key(column)) is not None


def name_hint(column: str) -> str | None:
    """The entity a column's name suggests, if any."""
    return hint_for(_key(column), NOT_PERSON_NAME)


def mask(value: str, keep: int = 0) -> str:
    """The shape of a value: letters as x/X, digits as 9, everything else kept."""
    from tabsynth.errors import mask_value

    return mask_value(value)


@dataclass
class ColumnScan:
    """What the scan concluded about one column (no raw values)."""

    column: str
    entity: str | None
    confidence: float
    share: float
    hint: str | None
    kind: str  # "structured", "free_text", "numeric", "empty", "binary"
    cells_scanned: int
    cell_counts: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    suggestion: str | None = None
    note: str | None = None
    quasi: str | None = None  # "PERSON_LINKED_DATE": a quasi-identifier, not PII by itself
    best: str | None = None  # the entity its cells leaned to when none was assigned
    #: how a date column's values read as dates, when it is not a date type or text
    #: ("days since 1899-12-30": spreadsheet serials); ``schema infer`` writes it
    date_format: str | None = None


@dataclass
class ScanReport:
    rows: int
    rows_sampled: int
    seconds: float
    columns: list[ColumnScan]
    quasi_identifiers: list[dict[str, Any]] = field(default_factory=list)

    def pii_columns(self) -> dict[str, str]:
        """{column: entity} of the columns classified as PII."""
        return {c.column: c.entity for c in self.columns if c.entity is not None}

    def locales(self) -> dict[str, str]:
        """The Faker locale of each finding's fakes: its header's language or its id's country,
        else the table's most common one, else en_US (``schema infer`` writes it)."""
        from tabsynth.pii.national import finding_locale

        found = self.findings()
        own = {c: finding_locale(_key(c), e) for c, e in found.items()}
        votes = Counter(loc for loc in own.values() if loc)
        table = votes.most_common(1)[0][0] if votes else "en_US"
        return {c: loc or table for c, loc in own.items()}

    def date_formats(self) -> dict[str, str]:
        """{column: format} of the findings stored as day numbers (``schema infer`` writes
        it as the column's ``format``, which reading the data then follows)."""
        return {c.column: c.date_format for c in self.columns if c.date_format and c.entity}

    def findings(self) -> dict[str, str]:
        """The PII columns and the person-linked dates (``PERSON_LINKED_DATE``): what
        ``schema infer`` writes a policy for."""
        quasi = {c.column: c.quasi for c in self.columns if c.quasi and c.entity is None}
        return self.pii_columns() | quasi  # type: ignore[operator]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "rows_sampled": self.rows_sampled,
            "seconds": self.seconds,
            "columns": [asdict(c) for c in self.columns],
            "quasi_identifiers": self.quasi_identifiers,
            "pii_columns": self.pii_columns(),
        }

    def summary(self) -> str:
        lines = [f"PII scan: {self.rows} rows ({self.rows_sampled} sampled), {self.seconds:.1f}s"]
        for c in self.columns:
            if c.entity is None and c.best and c.note:  # a shared contact: say why not PII
                lines.append(f"  {c.column}: not PII ({c.note})")
            if c.entity is None and not c.cell_counts:
                continue
            what = c.entity or "free text"
            counts = ", ".join(f"{k} {v}" for k, v in c.cell_counts.items())
            lines.append(
                f"  {c.column}: {what} (confidence {c.confidence:.2f}, "
                f"{c.share:.0%} of cells){' [' + counts + ']' if counts else ''}"
                f"{'  e.g. ' + ', '.join(c.examples[:2]) if c.examples else ''}"
            )
        for q in self.quasi_identifiers[:5]:
            lines.append(
                f"  quasi-identifier {'+'.join(q['columns'])}: {q['unique_share']:.1%} of rows "
                f"unique (k={q['k']}); {q['suggestion']}"
            )
        return "\n".join(lines)


def _as_strings(df: pl.DataFrame) -> dict[str, tuple[list[str], str]]:
    """Each column's non-null cells as strings, and its broad type."""
    out: dict[str, tuple[list[str], str]] = {}
    for name in df.columns:
        s = df.get_column(name)
        if s.dtype == pl.Binary:
            out[name] = ([], "binary")
            continue
        kind = "numeric" if s.dtype.is_numeric() else "string"
        if s.dtype in (pl.Date, pl.Datetime) or isinstance(s.dtype, pl.Datetime):
            kind = "date"
        try:
            vals = s.drop_nulls().cast(pl.String).to_list()
        except Exception:  # noqa: BLE001 - unusual dtypes: scan their text form
            vals = [str(v) for v in s.drop_nulls().to_list()]
        vals = [v[:MAX_CELL_CHARS] for v in vals if v is not None and v.strip() != ""]
        out[name] = (vals, kind)
    return out


def _coverage(analyzer: Any, cells: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Per entity: cells it covers (structured sense), and cells with any finding."""
    cover: dict[str, int] = {}
    anywhere: dict[str, int] = {}
    for cell in cells:
        text = as_exported(cell.strip())
        found = analyzer.analyze(text, language="en", score_threshold=0.3)
        seen_c: set[str] = set()
        seen_a: set[str] = set()
        for r in found:
            if r.entity_type == "PHONE_NUMBER" and _digit_count(text[r.start : r.end]) < 9:
                continue  # "BP 120/80" is no phone: every supported locale's has 9+ digits
            seen_a.add(r.entity_type)
            if (r.end - r.start) >= MIN_COVER * len(text):
                seen_c.add(r.entity_type)
        for e in seen_c:
            cover[e] = cover.get(e, 0) + 1
        for e in seen_a:
            anywhere[e] = anywhere.get(e, 0) + 1
    return cover, anywhere


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _free_text(
    cells: list[str], words: float, examples: list[str], analyzer: Any, base: dict[str, Any]
) -> ColumnScan:
    """A column of longer text: free text with per-entity cell counts, or whole addresses."""
    n = len(cells)
    cover, anywhere = _coverage(analyzer, cells)
    whole = max(STRUCTURED_IN_WORDS, key=lambda e: cover.get(e, 0))
    if cover.get(whole, 0) >= 0.7 * n:  # an IBAN in groups of four: one value, many words
        share = cover[whole] / n
        return ColumnScan(entity=whole, confidence=share, share=share, kind="structured",
                          examples=examples, suggestion=SUGGEST.get(whole), **base)  # fmt: skip
    anywhere.pop("DATE_TIME", None)
    anywhere.pop("US_ZIP", None)
    anywhere.pop("US_BANK_NUMBER", None)
    hit = max(anywhere.values()) if anywhere else 0
    street, postal = anywhere.get("STREET_ADDRESS", 0), anywhere.get("POSTAL_CODE", 0)
    if words <= 12 and (street >= 0.7 * n or postal >= 0.8 * n):
        # whole postal addresses ("Kerkstraat 3, 1234 AB Delft"): a structured column
        share = max(street, postal) / n
        return ColumnScan(entity="STREET_ADDRESS", confidence=share, share=share,
                          kind="structured", examples=examples,
                          suggestion=SUGGEST["STREET_ADDRESS"], **base)  # fmt: skip
    entity = "FREE_TEXT_PII" if hit else None
    return ColumnScan(entity=entity, confidence=hit / n, share=hit / n, kind="free_text",
                      cell_counts=dict(sorted(anywhere.items())), examples=examples,
                      suggestion="drop, or keep out of the model (text)" if hit else None,
                      **base)  # fmt: skip


def _classify(name: str, cells: list[str], kind: str, analyzer: Any) -> ColumnScan:
    hint = name_hint(name)
    n = len(cells)
    base: dict[str, Any] = {"column": name, "hint": hint, "cells_scanned": n}
    if kind == "binary":
        return ColumnScan(entity=None, confidence=0.0, share=0.0, kind="binary",
                          note="binary cells are not scanned", **base)  # fmt: skip
    if n == 0:
        return ColumnScan(entity=None, confidence=0.0, share=0.0, kind="empty",
                          note="no non-null cells", **base)  # fmt: skip
    examples = [mask(c) for c in cells[:3]]
    mean_len = float(np.mean([len(c) for c in cells]))
    words = float(np.mean([len(c.split()) for c in cells]))
    if kind == "string" and mean_len > 30 and words >= 4 and hint not in ("STREET_ADDRESS",):
        return _free_text(cells, words, examples, analyzer, base)
    if kind == "numeric":
        cells = [integer_text(c) for c in cells]
        examples = [mask(c) for c in cells[:3]]
    if kind == "numeric" and hint is None:
        entity, share = checksummed_numbers(cells)
        if entity is not None:
            return ColumnScan(entity=entity, confidence=share, share=share, kind="numeric",
                              examples=examples, suggestion=SUGGEST.get(entity),
                              **base)  # fmt: skip
        return ColumnScan(entity=None, confidence=0.0, share=0.0, kind="numeric", **base)
    if kind == "date":
        entity = "DATE_OF_BIRTH" if hint == "DATE_OF_BIRTH" else None
        quasi = "PERSON_LINKED_DATE" if entity is None and person_date_hint(name) else None
        return ColumnScan(entity=entity, confidence=1.0 if entity or quasi else 0.0, share=1.0,
                          kind="date", examples=examples, quasi=quasi,
                          suggestion=SUGGEST.get(entity or quasi or ""), **base)  # fmt: skip
    if hint is None and person_date_hint(name) and date_share(cells) >= 0.5:
        return ColumnScan(entity=None, confidence=1.0, share=date_share(cells),
                          kind="structured", examples=examples, quasi="PERSON_LINKED_DATE",
                          suggestion=SUGGEST["PERSON_LINKED_DATE"], **base)  # fmt: skip
    cover, anywhere = _coverage(analyzer, cells)
    shares = {e: c / n for e, c in cover.items()}
    if hint is not None:
        share = shares.get(hint, 0.0)
        if hint == "DATE_OF_BIRTH":
            share = max(share, shares.get("DATE_TIME", 0.0), date_share(cells))
            num = kind == "numeric"
            epoch, days = day_numbers_epoch(cells, _key(name)) if num else (None, 0.0)
            if days >= 0.5 and days > share:  # a spreadsheet serial, a SAS date: say which
                share, base["date_format"] = days, epoch
        if hint == "PERSON":
            share = _person_share(name, cells, share)
        if hint == "STREET_ADDRESS":  # a whole address: the street is a part of the cell
            share = max(share, anywhere.get(hint, 0) / n)
        if hint in HINT_SHAPES:
            share = max(share, _shape_share(hint, cells))
        if share >= (0.3 if hint == "PERSON" else 0.5):
            return ColumnScan(entity=hint, confidence=min(1.0, 0.5 + share / 2), share=share,
                              kind="structured", examples=examples,
                              suggestion=SUGGEST.get(hint), **base)  # fmt: skip
    if kind == "numeric":
        return ColumnScan(entity=None, confidence=0.0, share=0.0, kind="numeric", **base)
    best = max(CONTENT_ENTITIES, key=lambda e: shares.get(e, 0.0))
    share = shares.get(best, 0.0)
    digits_only = sum(c.strip().isdigit() for c in cells) / n
    if best in ("PHONE_NUMBER",) and (digits_only > 0.5 or counter_like(cells)
                                      or code_prefixed(cells)):  # fmt: skip
        share = 0.0  # bare digit strings, numbered records: codes and IDs, not phone numbers
    if best in ("PHONE_NUMBER", "IP_ADDRESS") and re.search(CODE_HEADER, _key(name)):
        share = 0.0  # "ndc_code", "app_version": the header says what the digits are
    if best == "PERSON" and few_distinct(cells, case=False):
        share = 0.0  # a few capitalised words repeated ("English", "Spanish"): a category
    if share < 0.7 and kind == "string":
        full = full_name_share(cells)
        best, share = ("PERSON", full) if full >= 0.8 else (best, share)
    if best == "PERSON" and (re.search(NOT_PERSON_NAME, _key(name)) or org_share(cells) >= 0.2):
        share = 0.0  # "animal_name": Bella and Max are pets here; "... University"
    if share >= 0.7:
        return ColumnScan(entity=best, confidence=share, share=share, kind="structured",
                          examples=examples, suggestion=SUGGEST.get(best), **base)  # fmt: skip
    return ColumnScan(entity=None, confidence=0.0, share=share, kind="structured", best=best,
                      **base)  # fmt: skip


def _shape_share(hint: str, cells: list[str]) -> float:
    """The share of cells in the shape a hint's entity takes (``HINT_SHAPES``), read as
    exported (labels and extensions set aside; postcodes in any case: "2772 gl")."""
    rx = re.compile(HINT_SHAPES[hint])
    fold = str.upper if hint == "POSTAL_CODE" else str.strip
    return sum(bool(rx.fullmatch(fold(as_exported(c.strip())))) for c in cells) / len(cells)


def _person_share(name: str, cells: list[str], share: float) -> float:
    """The evidence for a column whose header names a person: a bare ``name`` or a role
    (a clinician's too) needs names people have (a role: surnames count); a clear name
    header, name-shaped cells; institutions' names never count."""
    key = _key(name)
    clinician = re.search(CLINICIAN_ROLE, key) is not None
    if clinician or re.search(WEAK_PERSON, key):
        share = listed_share(cells, surnames=clinician or re.search(PERSON_ROLE, key) is not None)
        # a few people fill it (a shot log): all of them must be listed
        share = share if share >= (0.8 if few_distinct(cells) else 0.4) else 0.0
    else:
        share = max(share, name_shape_share(cells))
    return 0.0 if org_share(cells) >= 0.2 else share  # "Amridge University": institutions


SHARED_ENTITIES = ("PHONE_NUMBER", "EMAIL_ADDRESS", "STREET_ADDRESS", "IBAN_CODE")


def _shared_contact(col: ColumnScan, cells: list[str]) -> ColumnScan:
    """A phone, e-mail, address or account column filled by a few values, each shared by many
    rows (a hospital's switchboard, its inbox, its sites, its own IBAN on every invoice: at
    most 5 values, each in 10+ sampled rows and 5% of them) is an organisation's, not a
    person's identifier. It is left
    public with a note saying so; a schema that declares it PII still wins."""
    if col.entity not in SHARED_ENTITIES or len(cells) < 50:
        return col
    counts = Counter(c.strip() for c in cells)
    if len(counts) <= 5 and min(counts.values()) >= max(10, 0.05 * len(cells)):
        col.best, col.entity, col.confidence = col.entity, None, 0.0
        col.suggestion = None
        col.note = (
            "a shared contact: at most 5 values, each on many rows (an organisation's, not a "
            "person's; no count of the data is given); declare it PII in the schema if it is "
            "a person's"
        )
    return col


def numbered_siblings(cols: list[ColumnScan]) -> None:
    """A column numbered like a PII column (``name2`` beside ``name1``, ``phone_2``) holds the
    same entity when its own cells lean that way (30% of them): the pair is one list."""
    found = {_stem(c.column): c for c in cols if c.entity is not None and c.kind == "structured"}
    for c in cols:
        twin = found.get(_stem(c.column))
        if (c.entity is None and twin is not None and twin.column != c.column
                and _stem(c.column) != _key(c.column) and c.best == twin.entity
                and c.share >= 0.3):  # fmt: skip
            c.entity, c.confidence = twin.entity, c.share
            c.note = f"numbered like {twin.column!r}, which holds {twin.entity}"


def _stem(column: str) -> str:
    return re.sub(r"_?\d+$", "", _key(column))


def scan(
    data: Any,
    schema: Any = None,
    *,
    sample_rows: int = 200,
    seed: int = 0,
    quasi: bool = True,
) -> ScanReport:
    """Scan a table (pandas or polars) for PII, column by column; see the module docstring.

    Args:
        data: the table.
        schema: optional; its declared ``pii`` entries are reported beside the findings.
        sample_rows: rows sampled per scan (cells of each column come from these rows).
        seed: the row sample's seed.
        quasi: also look for quasi-identifier combinations (k-anonymity).
    """
    from tabsynth.pii.engine import analyzer

    t0 = time.perf_counter()
    df = _to_polars(data)
    eng = analyzer()
    n = df.height
    take = np.sort(np.random.default_rng(seed).permutation(n)[: min(sample_rows, n)])
    sample = df[take.tolist()] if n else df
    cols = [
        _shared_contact(_classify(name, cells, kind, eng), cells)
        for name, (cells, kind) in _as_strings(sample).items()
    ]
    numbered_siblings(cols)
    if schema is not None:
        for c in cols:
            declared = schema.column(c.column).pii if c.column in schema.names else None
            if declared is not None and c.entity is None:
                c.entity, c.note = declared.entity, "declared in the schema"
    report = ScanReport(rows=n, rows_sampled=sample.height, seconds=0.0, columns=cols)
    if quasi:
        from tabsynth.pii.quasi import quasi_identifiers

        report.quasi_identifiers = quasi_identifiers(df, report)
    report.seconds = time.perf_counter() - t0
    return report


def _to_polars(data: Any) -> pl.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        out = {}
        for c in data.columns:
            s = data[c]
            if s.dtype == object:  # mixed types: their text form
                s = s.map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                          else (v.hex() if isinstance(v, bytes) else str(v)))  # fmt: skip
            out[str(c)] = s
        return pl.from_pandas(pd.DataFrame(out))
    raise TypeError(f"scan a pandas or polars DataFrame, got {type(data).__name__}")
