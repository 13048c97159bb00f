"""PII policies of the schema, applied around the model (never inside it).

* ``drop``: the column is neither modelled nor released.
* ``fake``: not modelled; the release gets Faker values of the column's entity, drawn from a
  pool so that a value repeats consistently within one release, seeded by the sampling seed.
* ``hash``: not modelled; the release gets keyed HMAC-SHA256 pseudonyms of fake values. The key
  comes from ``$TABSYNTH_PII_KEY`` or ``$TABSYNTH_HOME/pii.key`` and is never written to an
  artifact.
* ``generalize``: modelled after coarsening before the fit: ZIP codes to ZIP3, other postal
  codes to their first two characters, dates to the year, numbers (ages) down to 5-unit
  bands. The schema declares the coarse domain.
* ``keep``: modelled as declared (the steward accepts the risk; the leak check still runs).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from tabsynth.data.validate import day_numbers
from tabsynth.errors import require_extra

POOL = 5000
KEY_ENV = "TABSYNTH_PII_KEY"


def fake_npi(rng: np.random.Generator) -> str:
    """A valid NPI: "1" and 8 random digits, then the Luhn check digit over 80840 + them."""
    from tabsynth.pii.recognizers import luhn_ok

    body = "1" + "".join(str(d) for d in rng.integers(0, 10, 8))
    return next(body + str(c) for c in range(10) if luhn_ok("80840" + body + str(c)))


def _method(fake: Any, *names: str) -> Callable[[], Any]:
    """The first of Faker's methods that ``fake``'s locale has (``zipcode`` is en_US's only:
    de_DE has ``postcode``); a UUID when it has none."""
    return next((getattr(fake, n) for n in names if hasattr(fake, n)), fake.uuid4)


def fakers(fake: Any, rng: np.random.Generator) -> dict[str, Callable[[], Any]]:
    """A value maker per entity, for any of Faker's locales."""
    return {
        "PERSON": fake.name,
        "EMAIL_ADDRESS": fake.email,
        "PHONE_NUMBER": fake.phone_number,
        "US_SSN": _method(fake, "ssn"),
        "STREET_ADDRESS": fake.street_address,
        "CREDIT_CARD": fake.credit_card_number,
        "IBAN_CODE": fake.iban,
        "MEDICAL_RECORD_NUMBER": lambda: f"MRN{rng.integers(10**7, 10**8)}",
        "US_NPI": lambda: fake_npi(rng),
        "DATE_OF_BIRTH": lambda: fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
        "US_ZIP": _method(fake, "zipcode", "postcode"),
        "POSTAL_CODE": _method(fake, "postcode", "zipcode"),
        "PERSON_LINKED_DATE": lambda: fake.date_between("-30y").isoformat(),
        "IP_ADDRESS": fake.ipv4,
        "URL": fake.url,
        "US_BANK_NUMBER": _method(fake, "bban"),
        "ABA_ROUTING_NUMBER": _method(fake, "aba"),
    }


def fake_values(
    entity: str, n: int, rng: np.random.Generator, locale: str = "en_US", exclude: Any = ()
) -> list[Any]:
    """``n`` fake values of ``entity`` from a pool (values repeat consistently), avoiding
    ``exclude`` (real values, when the leak check knows them)."""
    faker = require_extra("faker", "pii")
    fake = faker.Faker(locale)
    fake.seed_instance(int(rng.integers(2**31)))
    makers = fakers(fake, rng)
    make = makers.get(entity, fake.uuid4)  # ids without a maker are hashed: any fake will do
    size = max(1, min(n, POOL))
    blocked = set(exclude)
    pool: list[Any] = []
    tries = 0
    while len(pool) < size and tries < 20 * size:
        v = make()
        tries += 1
        if v not in blocked:
            pool.append(v)
    idx = rng.integers(0, len(pool), n)
    return [pool[i] for i in idx]


def pii_key() -> bytes:
    """The pseudonymisation key (``$TABSYNTH_PII_KEY`` or ``$TABSYNTH_HOME/pii.key``)."""
    from tabsynth._io import secret_key

    return secret_key(KEY_ENV, "pii.key")


def pseudonym(value: Any, key: bytes) -> str:
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:20]


def add_pii_columns(schema: Any, out: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The release's faked and hashed columns, in schema order (dropped ones left out)."""
    n = out.height
    cols = []
    key = None
    for col in schema.columns:
        if col.name in out.columns:
            cols.append(out.get_column(col.name))
            continue
        pii = col.pii
        if pii is None or pii.policy.value not in ("fake", "hash"):
            continue
        vals = fake_values(pii.entity, n, rng, pii.locale)
        if pii.policy.value == "hash":
            key = key or pii_key()
            vals = [pseudonym(v, key) for v in vals]
        cols.append(pl.Series(col.name, [str(v) for v in vals], dtype=pl.String))
    return pl.DataFrame(cols)


def month_name_dates(e: pl.Expr) -> pl.Expr:
    """Dates written with the month's name in a supported language (``12. März 1985``,
    ``August 27, 1971``) as datetimes, vectorised: accents and case folded, each month's
    name replaced by its number, then day, month and year read in the order written."""
    from tabsynth.pii.shapes import MONTH_NUMBERS

    accents = ("ä", "ö", "ü", "é", "è", "ê", "ë", "à", "â", "û", "ù", "ô", "î", "ç", "ã", "õ")
    plain = ("a", "o", "u", "e", "e", "e", "e", "a", "a", "u", "u", "o", "i", "c", "a", "o")
    text = e.str.strip_chars().str.to_lowercase().str.replace_many(list(accents), list(plain))
    month_first = text.str.contains(r"^[^\W\d_]")
    for word in sorted(MONTH_NUMBERS, key=len, reverse=True):
        text = text.str.replace_all(rf"\b{word}\b\.?", f" {MONTH_NUMBERS[word]:02d} ")
    parts = text.str.extract_groups(r"(\d{1,2})\D+(\d{1,2})\D+(\d{4})")
    first, second = parts.struct.field("1"), parts.struct.field("2")
    day = pl.when(month_first).then(second).otherwise(first)
    month = pl.when(month_first).then(first).otherwise(second)
    iso = pl.concat_str(
        [parts.struct.field("3"), month.str.zfill(2), day.str.zfill(2)], separator="-"
    )
    return iso.str.to_datetime("%Y-%m-%d", strict=False)


def generalize(df: pl.DataFrame, schema: Any) -> pl.DataFrame:
    """Coarsen the columns whose policy is ``generalize`` (before conforming and fitting)."""
    exprs = []
    for col in schema.columns:
        if col.pii is None or col.pii.policy.value != "generalize" or col.name not in df.columns:
            continue
        s = df.get_column(col.name)
        e = pl.col(col.name)
        if col.kind == "datetime":
            days = day_numbers(s, col.format)  # a spreadsheet serial, a SAS date
            if days is not None:
                e = pl.lit(days)
            elif s.dtype == pl.String:  # text dates (a CSV): parsed as conform will read them
                e = e.str.strip_chars().str.to_datetime(format=col.format, strict=False)
                if col.format is None:  # "12. März 1985": the month's name, any language
                    e = pl.coalesce(e, month_name_dates(pl.col(col.name)))
            exprs.append(e.dt.truncate("1y").alias(col.name))
        elif col.kind == "numerical":
            exprs.append((e // 5 * 5).cast(s.dtype))
        else:  # ZIP codes: ZIP3; other postal codes: their region (first two characters)
            text = e.cast(pl.String)
            if col.pii.entity in ("US_ZIP", "POSTAL_CODE") and s.dtype.is_numeric():
                text = text.str.zfill(5)  # a CSV reader took 02139 for the number 2139
            if col.pii.entity == "POSTAL_CODE":
                text = text.str.to_uppercase().str.replace_all(r"\s", "")
                text = text.str.replace(r"^[A-Z]{1,3}-", "")  # "D-80331": the country's prefix
            exprs.append(text.str.slice(0, 2 if col.pii.entity == "POSTAL_CODE" else 3))
    return df.with_columns(exprs) if exprs else df
