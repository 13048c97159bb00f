"""The fresh PII corpus: built once, scored once, never used to tune the scan (issue #18).

    python benchmarks/pii_formats.py --set fresh

Another generator than the tuning and held-out sets (Mimesis, not Faker: other name, street
and phone lists, other address layouts), other public tables (survival/pbc, survival/colon,
survival/veteran, AER/HMDA, carData/TitanicSurvival, MASS/birthwt, Ecdat/Car), other column
names (headers as spreadsheets and hospital exports write them: ``Patient First Name``,
``Geb.-Datum``, ``N° de sécurité sociale``, ``DNI/NIF``), other storage formats (ids with
dots, spaces and hyphens; cells of one column mixing numbers and text; dates in several
formats in one column) and other decoys (specimen ids, invoice numbers, ward labels,
comments with numbers, report timestamps). National ids are valid (checked with
python-stdnum, an implementation independent of tabsynth's); Mimesis has no generator for
most of them, so their digits come from ``pii_formats.national_id`` and only their layout is
new here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

FRESH = [
    ("survival", "pbc"),
    ("survival", "colon"),
    ("AER", "HMDA"),
    ("carData", "TitanicSurvival"),
    ("MASS", "birthwt"),
    ("Ecdat", "Car"),
    ("survival", "veteran"),
]
MIMESIS = {"en_US": "EN", "en_GB": "EN_GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES",
           "it_IT": "IT", "nl_NL": "NL"}  # fmt: skip
# first, last, email, phone, dob, id, postal, street, person-linked date
HEADERS = {
    "en_US": ("Patient First Name", "PatientLastName", "Email Address", "Home Phone", "DOB",
              "Member SSN", "Zip Code", "Street Address", "Admit Date"),
    "en_GB": ("Forename(s)", "Surname", "Email", "Mobile No.", "Date of Birth", "NHS No",
              "Post Code", "Address 1", "Date of Death"),
    "de_DE": ("Vorname", "Familienname", "E-Mail-Adresse", "Telefonnummer", "Geb.-Datum",
              "Steuer-ID", "PLZ", "Straße und Hausnummer", "Aufnahmedatum"),
    "fr_FR": ("Prénom", "Nom de famille", "Adresse e-mail", "Téléphone portable",
              "Date de naissance", "N° de sécurité sociale", "Code postal", "Adresse postale",
              "Date d'hospitalisation"),
    "es_ES": ("Nombre", "Primer apellido", "Correo electrónico", "Teléfono móvil",
              "Fecha de nacimiento", "DNI/NIF", "Código postal", "Domicilio",
              "Fecha de ingreso"),
    "it_IT": ("Nome", "Cognome", "Indirizzo email", "Cellulare", "Data di nascita",
              "Codice fiscale", "CAP", "Indirizzo di residenza", "Data di ricovero"),
    "nl_NL": ("Voornaam", "Achternaam", "E-mailadres", "Telefoonnummer", "Geboortedatum",
              "BSN", "Postcode", "Straat en huisnummer", "Datum van overlijden"),
}  # fmt: skip
ID_ENTITY = {"en_US": "US_SSN", "en_GB": "UK_NHS", "de_DE": "DE_TAX_ID", "fr_FR": "FR_NIR",
             "es_ES": "ES_NIF", "it_IT": "IT_FISCAL_CODE", "nl_NL": "NL_BSN"}  # fmt: skip
COMMENTS = (
    "Reviewed {a} results; repeat in {b} days.",
    "Seen in clinic room {b}, referred to ward {c}.",
    "HbA1c {a}.{b} %, target below {c}.",
    "Patient called back after {b} min, {c} questions answered.",
    "Order {a}{b}{c} shipped in {b} boxes.",
)


def _layout(value: str, entity: str, i: int) -> str:
    """The id as another system writes it: dots, spaces, hyphens or nothing."""
    if entity == "UK_NHS":
        return f"{value[:3]} {value[3:6]} {value[6:]}" if i % 2 else value
    if entity == "DE_TAX_ID":
        return f"{value[:2]} {value[2:5]} {value[5:8]} {value[8:]}" if i % 2 else value
    if entity == "FR_NIR":
        v = value
        return f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:]}" if i % 2 else v
    if entity == "NL_BSN":
        return f"{value[:4]}.{value[4:6]}.{value[6:]}" if i % 2 else value
    if entity == "ES_NIF":
        return f"{value[:-1]}-{value[-1]}" if i % 2 else value
    if entity == "IT_FISCAL_CODE":
        return value.lower() if i % 3 == 0 else value
    return value


def _valid(value: str, entity: str) -> bool:
    from stdnum.es import nif
    from stdnum.fr import nir
    from stdnum.gb import nhs
    from stdnum.it import codicefiscale
    from stdnum.nl import bsn

    check = {"UK_NHS": nhs.is_valid, "FR_NIR": nir.is_valid, "NL_BSN": bsn.is_valid,
             "ES_NIF": nif.is_valid, "IT_FISCAL_CODE": codicefiscale.is_valid}  # fmt: skip
    return check.get(entity, lambda v: True)(value)


def inject_fresh(base: pd.DataFrame, locale: str, seed: int) -> tuple[pd.DataFrame, dict]:
    """``base`` with Mimesis PII under export headers, plus decoys; labels as in
    ``pii_formats.inject``."""
    from faker import Faker
    from mimesis import Address, Datetime, Payment, Person
    from mimesis.locales import Locale
    from pii_formats import national_id  # type: ignore[import-not-found]

    loc = getattr(Locale, MIMESIS[locale])
    person, address = Person(loc, seed=seed), Address(loc, seed=seed)
    when, pay = Datetime(loc, seed=seed), Payment(seed=seed)
    fk = Faker(locale)
    fk.seed_instance(seed + 7)
    rng = np.random.default_rng(seed + 7)
    n = len(base)
    first, last, mail, phone, dob, id_col, postal, street, linked = HEADERS[locale]
    cols: dict[str, Any] = {}
    labels: dict[str, Any] = {}

    def add(name: str, values: Any, entity: str | None, fmt: str) -> None:
        cols[name] = values
        labels[name] = (entity, fmt)

    add(first, [person.first_name() for _ in range(n)], "PERSON", "text")
    add(last, [person.last_name() for _ in range(n)], "PERSON", "text")
    add("Full name" if seed % 2 else "Contact", [person.full_name() for _ in range(n)],
        "PERSON", "text")  # fmt: skip
    add(mail, [person.email() for _ in range(n)], "EMAIL_ADDRESS", "text")
    phones = [person.phone_number() for _ in range(n)]
    add(phone, phones, "PHONE_NUMBER", "text")
    digits = ["".join(ch for ch in p if ch.isdigit()) for p in phones]
    mixed = [int(d) if i % 2 and d and d[0] != "0" else p
             for i, (d, p) in enumerate(zip(digits, phones, strict=True))]  # fmt: skip
    add(f"{phone} 2", pd.Series(mixed, dtype=object), "PHONE_NUMBER", "mixed")
    births = [when.date(start=1935, end=2006) for _ in range(n)]
    add(dob, pd.to_datetime(births), "DATE_OF_BIRTH", "date")
    text_births = [b.strftime("%d.%m.%Y") if i % 3 == 0 else b.strftime("%Y-%m-%d") if i % 3 == 1
                   else b.strftime("%d/%m/%Y") for i, b in enumerate(births)]  # fmt: skip
    add(f"{dob} (text)", text_births, "DATE_OF_BIRTH", "mixed")
    entity = ID_ENTITY[locale]
    ids = []
    while len(ids) < n:
        v, _ = national_id(locale, fk, rng)
        if entity == "FR_NIR" and not v.isdigit():
            continue
        assert _valid(v, entity), (entity, v)
        ids.append(v)
    add(id_col, [_layout(v, entity, i) for i, v in enumerate(ids)], entity, "text")
    if entity in ("UK_NHS", "DE_TAX_ID", "FR_NIR", "NL_BSN"):
        add("Ref. number", [int(v) for v in ids], entity, "integer")
    if entity == "US_SSN":
        add("ssn_num", [int(v.replace("-", "")) for v in ids], entity, "integer")
    cards = [pay.credit_card_number() for _ in range(n)]
    add("Card", cards, "CREDIT_CARD", "text")
    add("Account ref", [int(c.replace(" ", "")) for c in cards], "CREDIT_CARD", "integer")
    codes = [address.postal_code() for _ in range(n)]
    zips = [int(c) if c.isdigit() and seed % 2 else c for c in codes]
    as_int = all(isinstance(z, int) for z in zips)
    add(
        postal,
        pd.Series(zips, dtype=None if as_int else object),
        "US_ZIP" if locale == "en_US" else "POSTAL_CODE",
        "integer" if as_int else "text",
    )
    add(street, [address.address() for _ in range(n)], "STREET_ADDRESS", "text")
    add("Residence", [f"{address.address()}, {address.postal_code()} {address.city()}"
                      for _ in range(n)], "STREET_ADDRESS", "text")  # fmt: skip
    dates = [when.date(start=2005, end=2024) for _ in range(n)]
    add(linked, pd.to_datetime(dates), "PERSON_LINKED_DATE", "date")
    # decoys
    add("Specimen ID", [f"S{int(v)}" for v in rng.integers(10**10, 10**11, n)], None, "text")
    add("Invoice No", rng.integers(10**9, 10**10 - 1, n), None, "integer")
    add("ICD-10", rng.choice(["E11.9", "I10", "J45.909", "K21.0", "M54.5", "F32.A"], n),
        None, "text")  # fmt: skip
    add("Amount (EUR)", np.round(rng.gamma(2, 150, n), 2), None, "public")
    add("Ward", rng.choice(["Ward 3", "Station 4B", "ICU 2", "Room 12"], n), None, "text")
    add("Comments", [str(rng.choice(COMMENTS)).format(a=rng.integers(10, 99),
        b=rng.integers(1, 30), c=rng.integers(2, 9)) for _ in range(n)], None, "text")  # fmt: skip
    add("Report generated", pd.to_datetime("2024-01-01")
        + pd.to_timedelta(rng.integers(0, 3 * 10**7, n), "s"), None, "date")  # fmt: skip
    add("Nationality", rng.choice(["DE", "FR", "ES", "IT", "NL", "GB", "US"], n), None, "text")
    out = base.reset_index(drop=True).copy()
    for name, values in cols.items():
        out[name] = values.values if isinstance(values, pd.Series) else values
    for c in base.columns:
        labels.setdefault(c, (None, "public"))
    return out, labels
