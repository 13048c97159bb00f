"""National identifiers, postal codes and street addresses of the European locales.

Presidio already ships checksummed recognizers for the UK (NINO, NHS number), Germany (tax
id, pension insurance number), Spain (DNI/NIF, NIE) and Italy (codice fiscale); they are
registered for the scan's language (``PRESIDIO_LOCALE_RECOGNIZERS``). What it lacks is here:

* ``FR_NIR``: the French social security number, 13 digits and a key ``97 - (n mod 97)``
  (Corsica's ``2A``/``2B`` read as 19/18), with or without spaces;
* ``NL_BSN``: the Dutch citizen service number, 9 digits passing the eleven-test (8 when a
  number column dropped its leading zero);
* ``POSTAL_CODE``: postal codes that are not US ZIPs. UK postcodes and Dutch ``1234 AB`` are
  distinctive on their own; the five-digit codes of Germany, France, Spain and Italy need a
  column-name hint (``plz``, ``code_postal``, ``cp``, ``cap``, ...);
* street addresses as Germanic, Romance and British exports write them (``Hauptstraße 12``,
  ``12, rue de la Paix``, ``Calle Mayor 5``, ``Via Roma, 10``, ``Kerkstraat 3``,
  ``Flat 2, 14 Mill Close``), from street-type words of each language.

The digit-only validators are also used for number columns (``scan``), where a checksum is the
only evidence strong enough without a name hint.
"""

from __future__ import annotations

import re
from typing import Any

# Presidio's own locale recognizers: (class name, entity)
PRESIDIO_LOCALE_RECOGNIZERS = (
    "UkNinoRecognizer",
    "NhsRecognizer",
    "DeTaxIdRecognizer",
    "DeSocialSecurityRecognizer",
    "EsNifRecognizer",
    "EsNieRecognizer",
    "ItFiscalCodeRecognizer",
)
# the national ids the scan finds (content order: the NHS number before the NINO, NIF before
# NIE); ``schema infer`` hashes each of them
NATIONAL_IDS = (
    "UK_NHS",
    "UK_NINO",
    "DE_TAX_ID",
    "DE_SOCIAL_SECURITY",
    "FR_NIR",
    "ES_NIF",
    "ES_NIE",
    "IT_FISCAL_CODE",
    "NL_BSN",
)
# Presidio's default phone regions, those of the supported locales it misses (ES, IT, NL),
# and the rest of Europe's larger countries, so a local number ("210 9141777") reads too
PHONE_REGIONS = (
    *("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "ES", "IT", "NL", "IE", "AT", "BE"),
    *("CH", "PT", "PL", "CZ", "SK", "HU", "RO", "BG", "GR", "HR", "SI", "SE", "DK", "NO"),
    *("FI", "TR", "RU", "UA", "MX", "AU"),
)


def _digits(text: str) -> str:
    return re.sub(r"[\s.\-/]", "", text)


def nhs_ok(text: str) -> bool:
    """UK NHS number: 10 digits (9 when stored as a number), weights 10..2, check digit
    ``11 - sum mod 11`` (11 -> 0)."""
    d = _digits(text)
    d = "0" + d if len(d) == 9 else d  # a number column dropped the leading zero
    if len(d) != 10 or not d.isdigit():
        return False
    rest = 11 - sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1), strict=True)) % 11
    return rest != 10 and (0 if rest == 11 else rest) == int(d[9])


def de_tax_id_ok(text: str) -> bool:
    """German tax id (Steuer-ID): 11 digits, no leading zero, no digit more than three times
    in the first ten, ISO 7064 MOD 11,10 check digit."""
    d = _digits(text)
    if len(d) != 11 or not d.isdigit() or d[0] == "0":
        return False
    if max(d[:10].count(c) for c in set(d[:10])) > 3:
        return False
    product = 10
    for c in d[:10]:
        total = (int(c) + product) % 10 or 10
        product = (2 * total) % 11
    return (11 - product) % 10 == int(d[10])


def fr_nir_ok(text: str) -> bool:
    """French NIR: sex (1/2, or 3/4/7/8 for provisional numbers), year, month, department
    (``2A``/``2B`` in Corsica), commune, order, then the key ``97 - (13 digits mod 97)``."""
    d = _digits(text).upper()
    if len(d) != 15 or d[0] not in "123478":
        return False
    body = d[:13].replace("2A", "19", 1) if d[5:7] == "2A" else d[:13]
    body = body.replace("2B", "18", 1) if d[5:7] == "2B" else body
    if not body.isdigit() or not d[13:].isdigit():
        return False
    return 97 - int(body) % 97 == int(d[13:])


def nl_bsn_ok(text: str) -> bool:
    """Dutch BSN: 9 digits (8 when stored as a number) passing the eleven-test
    ``9*d1 + 8*d2 + ... + 2*d8 - d9 = 0 mod 11``, not all zeros."""
    d = _digits(text)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9 or not d.isdigit() or int(d) == 0:
        return False
    total = sum(int(c) * w for c, w in zip(d[:8], range(9, 1, -1), strict=True)) - int(d[8])
    return total % 11 == 0


# digit-only identifiers a number column may hold, with their validators and lengths
NUMERIC_IDS: tuple[tuple[str, Any, tuple[int, ...]], ...] = (
    ("UK_NHS", nhs_ok, (9, 10)),
    ("DE_TAX_ID", de_tax_id_ok, (11,)),
    ("FR_NIR", fr_nir_ok, (15,)),
    ("NL_BSN", nl_bsn_ok, (8, 9)),
)

UK_POSTCODE = r"(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})"
NL_POSTCODE = r"[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}"
# the five-digit codes (DE, FR, ES, IT; US ZIPs are their own entity) and these two
# with a name hint, a postcode's shape is enough (outward code, space, inward code)
# Canada's ``K1A 0B1`` and Ireland's Eircode (``D02 X285``, routing key then four characters);
# Poland's ``01-351``, Portugal's ``1000-205`` and Brazil's CEP ``85871-727``
PL_BR_POSTCODE = r"\d{2}-\d{3}|\d{4}-\d{3}|\d{5}-?\d{3}"
CA_POSTCODE = r"[ABCEGHJ-NPRSTVXY]\d[A-Z] ?\d[A-Z]\d"
EIRCODE = r"(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}"
POSTAL_SHAPE = (
    rf"(?:{UK_POSTCODE}|[A-Z]{{1,2}}\d[A-Z\d]? ?\d[A-Z]{{2}}|{NL_POSTCODE}|{CA_POSTCODE}|"
    rf"{EIRCODE}|{PL_BR_POSTCODE}|\d{{4,5}})"
)

# street-type words, as exports of each language write them. Free text holds numbers too
# ("during 2 weeks", "via phone, 2 doses", "3 square metres"), so the words that are also
# English ones are matched only capitalised, and the street's words after them too.
_GERMANIC = (
    "straße|strasse|str\\.|weg|gasse|allee|platz|damm|ufer|chaussee|steig|pfad|straat|laan|"
    "plein|gracht|dijk|singel|kade|dreef|steeg|plantsoen|baan|pad|hof|markt"
)
_FRENCH = "rue|avenue|boulevard|bd|chemin|allée|impasse|quai|cours"
_FRENCH_OF = "place|route|square|passage|voie|sentier"
_ROMANCE = (
    "Calle|C/|Avenida|Avda\\.?|Plaza|Pza\\.?|Paseo|Camino|Carretera|Ronda|Travesía|Glorieta|"
    "Callejón|Urbanización|Rambla|Cañada|Alameda|Cuesta|Pasaje|Vía|Via|Viale|Piazza|Piazzale|"
    "Corso|Vicolo|Largo|Strada|Contrada|Borgo|Rotonda|Lungomare|Stretto|Vico|Salita|Traversa|"
    "Canale|Incrocio|Galleria|Lungotevere|Circonvallazione|Fondamenta|Rampa|Discesa|Calata|"
    "Rúa|Rua|Carrer|Avinguda|Plaça|Kalea|Travessa|Praça|Rodovia|Estrada|Ladeira|Vereda|Praia|"
    "Lagoa|Chácara|Recanto|Vila|Conjunto|Residencial|Setor|Quadra|Jardim|Loteamento|"
    "Condomínio|Viela|Esplanada|Núcleo|Morro|Sítio|Fazenda|"
    # Mexico's and the Americas' street types ("Cerrada Sur Rodarte 801", "Privada Juárez 4")
    "Andador|Boulevard|Calzada|Cerrada|Circuito|Circunvalación|Continuación|Corredor|Diagonal|"
    "Eje vial|Peatonal|Periférico|Privada|Prolongación|Retorno|Viaducto|Carrera|Transversal|"
    "Jirón"
)
# Polish, written in lower case before the street's name: "ul. Rejtana 73/44"
_POLISH = r"ul\.|ulica|al\.|aleja|plac|pl\.|os\.|osiedle|skwer|rondo"
_BRITISH = (
    "Close|Crescent|Gardens|Mews|Rise|Row|Walk|Green|Hill|View|Grove|Road|Street|Lane|Avenue|"
    "Drive|Way|Place|Court|Park|Square|Terrace|Parade|Wharf|Yard|Hollow|Fields"
)
# the flat, floor or door after a Romance street's number ("Piano 6", "Puerta 3", "Apt. 20")
_UNIT = (
    r"Piano|Appartamento|Interno|Int\.|Scala|Puerta|Piso|Apt\.?|Bajo|Escalera|Esc\.|Portal|"
    r"Andar|Apto\.?|Sala|Bloco|Casa|Edif\.?|Depto\.?|Dpto\.?|Interior"
)
_WORD = r"[^\W\d_][\w'’.\-]*"
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’.\-]*"
_PARTICLE = r"(?:de|del|la|las|los|di|della|delle|dei|degli|des|du|le|les|d'|l'|y|e|van|der)"


def street_patterns() -> list[Any]:
    """Street addresses of the European locales (a case-sensitive recognizer; scoped
    ``(?i:...)`` where a language writes the word in lower case)."""
    from presidio_analyzer import Pattern

    number = r"\d{1,5}(?:\s?[a-zA-Z])?(?:\s?[-/]\s?\d{1,4})?"
    street = rf"(?:{_CAP}|{_PARTICLE})"
    return [
        # Kerkstraat 12, Hauptstr. 5a, Kordula-Mangold-Straße 8, Berliner Straße 12-14
        Pattern(
            "germanic street",
            rf"\b(?:{_CAP}\s)?[A-ZÄÖÜ][\w'’\-]*(?i:{_GERMANIC})\.?\s+{number}\b",
            0.6,
        ),
        # 12, rue de la Paix; 12 bis avenue Foch; 3 place du Marché
        Pattern(
            "number then french street",
            rf"\b\d{{1,5}}(?:\s?(?:bis|ter))?,?\s+(?:(?i:{_FRENCH})\s+{_WORD}|"
            rf"(?i:{_FRENCH_OF})\s+(?:de|du|des|d'|d’)\b)(?:\s+{_WORD}){{0,5}}",
            0.6,
        ),
        # Swiss and Belgian French: rue du Lac 12, boulevard Alain Monnet 23
        Pattern(
            "french street then number",
            rf"\b(?i:{_FRENCH}|{_FRENCH_OF})\s+(?:{street}\s+){{0,5}}{_CAP},?\s+{number}\b",
            0.6,
        ),
        # Calle Mayor 5; Via Roma, 10; Avenida de la Paz, 45 Puerta 3; Via Roma, 9 Piano 2
        Pattern(
            "romance street then number",
            rf"\b(?:{_ROMANCE})\s+(?:{street}\s+){{0,5}}{_CAP},?\s+(?:n[º°.]?\s*)?{number}\b"
            rf"(?:,?\s+(?:{_UNIT})\s*\w{{1,4}}\b)*",
            0.6,
        ),
        # ul. Rejtana 73/44; aleja Porzeczkowa 37; plac Paderewskiego 15/82
        Pattern(
            "polish street then number",
            rf"(?<![\w.])(?i:{_POLISH})\s*(?:{street}\s+){{0,4}}{_CAP}\s+{number}\b",
            0.6,
        ),
        # 14 Via Roma; 3 Calle Mayor (the international layout, number first)
        Pattern(
            "number then romance street",
            rf"\b\d{{1,5}},?\s+(?:{_ROMANCE})\s+(?:{street}\s+){{0,5}}{_CAP}\b",
            0.6,
        ),
        # the line of a postal code and a town: "12345 Berlin", "1234 AB Delft", "6000 Luzern",
        # "01-351 Zduńska Wola" (PL), "85871-727 Mendonça / AP" (a Brazilian CEP, its state)
        Pattern(
            "postal code and town",
            rf"(?:^|,\s*|\n)(?:\d{{4,5}}|{PL_BR_POSTCODE}|{NL_POSTCODE}),?\s+{_CAP}"
            rf"(?:[\s\-]+(?:{_CAP}|{_PARTICLE}|do|da|dos|das))*"
            r"(?:\s*(?:\([A-Z]{2}\)|/\s*[A-Z]{2}))?\s*$",
            0.6,
        ),
        # Flat 2, 14 Mill Close; 7 Victoria Road
        Pattern(
            "british street",
            rf"\b(?:(?:Flat|Studio|Apartment|Unit)\s+\d{{1,4}}[A-Za-z]?,?\s+(?:\d{{1,5}}[A-Za-z]?\s+)?"
            rf"|\d{{1,5}}[A-Za-z]?\s+)(?:{_CAP}\s+){{0,3}}(?:{_BRITISH})\b",
            0.6,
        ),
    ]


def locale_recognizers() -> list[Any]:
    """tabsynth's recognizers for what Presidio lacks in the European locales (Presidio is
    imported here only: the hints and validators above serve without the pii extra)."""
    from presidio_analyzer import Pattern, PatternRecognizer

    class _Checked(PatternRecognizer):  # type: ignore[misc]
        """A pattern recognizer whose matches must pass ``check``."""

        def __init__(self, entity: str, name: str, regex: str, check: Any, context: list[str]):
            super().__init__(
                supported_entity=entity,
                name=name,
                patterns=[Pattern(name, regex, 0.4)],
                context=context,
            )
            self._check = check

        def validate_result(self, pattern_text: str) -> bool:
            return bool(self._check(pattern_text))

    nir = _Checked(
        "FR_NIR",
        "tabsynth NIR",
        r"\b[1-478]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}\s?\d{2}\b",
        fr_nir_ok,
        ["nir", "insee", "sécurité sociale", "securite sociale"],
    )
    tax_id = _Checked(  # Presidio's DE_TAX_ID takes the 11 digits unspaced only
        "DE_TAX_ID",
        "tabsynth Steuer-ID",
        r"\b[1-9]\d ?\d{3} ?\d{3} ?\d{3}\b",
        de_tax_id_ok,
        ["steuer", "idnr", "identifikationsnummer"],
    )
    bsn = _Checked(
        "NL_BSN", "tabsynth BSN", r"\b\d{4}\.?\d{2}\.?\d{3}\b|\b\d{8,9}\b", nl_bsn_ok, ["bsn"]
    )
    postal = PatternRecognizer(
        supported_entity="POSTAL_CODE",
        name="tabsynth postal codes",
        patterns=[
            Pattern("uk postcode", rf"\b{UK_POSTCODE}\b", 0.5),
            Pattern("nl postcode", rf"\b{NL_POSTCODE}\b", 0.5),
        ],
        global_regex_flags=re.MULTILINE,
        context=["postcode", "postal", "plz", "code postal", "cap"],
    )
    street = PatternRecognizer(
        supported_entity="STREET_ADDRESS",
        name="tabsynth european street address",
        patterns=street_patterns(),
        global_regex_flags=re.MULTILINE,
    )
    return [nir, tax_id, bsn, postal, street]


# column-name hints of the national ids and postal codes (lower-cased, separators as "_")
ID_HINTS: tuple[tuple[str, str], ...] = (
    (r"(^|_)(nino|ni_no|ni_number|national_insurance(_number|_no)?)($|_)", "UK_NINO"),
    (r"(^|_)nhs(_number|_no|_num|_nr)?($|_)", "UK_NHS"),
    (
        r"(^|_)(steuer_?id\w*|steuer_?identifikationsnummer|identifikationsnummer|idnr)($|_)",
        "DE_TAX_ID",
    ),
    (
        r"(^|_)(sozialversicherungs_?nummer|rentenversicherungs_?nummer|versicherungsnummer|"
        r"sv_?nummer|sv_?nr|rv_?nummer|rvnr)($|_)",
        "DE_SOCIAL_SECURITY",
    ),
    (
        r"(^|_)(nir|insee|num(ero)?_secu|n_secu|no_secu|secu|(num(e|é)ro_de_)?s(e|é)curit(e|é)_"
        r"sociale)($|_)",
        "FR_NIR",
    ),
    (r"(^|_)(dni|nif|documento(_de)?(_identidad)?)($|_)", "ES_NIF"),
    (r"(^|_)nie($|_)", "ES_NIE"),
    (r"(^|_)(codice_fiscale|cod_fiscale|codfisc|codice_fisc|cf)($|_)", "IT_FISCAL_CODE"),
    (r"(^|_)(bsn|burgerservicenummer|sofi_?nummer)($|_)", "NL_BSN"),
    (
        r"(^|_)(postcode|post_code|postal_?code|plz|postleitzahl|code_postal|cp|"
        r"c(o|ó)d(igo)?_postal|cap|postcodes?|npa|eircode|postal|cep|kod_pocztowy|postnummer|"
        r"postnr)($|_)",
        "POSTAL_CODE",
    ),
)
# dates linked to a person other than the birth: quasi-identifiers (HIPAA's Safe Harbor
# removes every such date but its year)
PERSON_DATE_HINT = (
    r"(^|_)(admission|admitted|admit|discharge|discharged|death|died|deceased|dod|"
    r"date_of_death|aufnahme\w*|entlass\w*|sterbe\w*|todes\w*|tod|admission\w*|sortie|"
    r"hospitali[sz]ation|hospitalizaci(o|ó)n|ospedalizzazione|ingresso|krankenhausaufnahme|"
    r"ziekenhuisopname|"
    r"d(e|é)c(e|è)s|ingreso|alta|defunci(o|ó)n|fallecimiento|ricovero|dimissione|decesso|morte|"
    r"opname\w*|ontslag\w*|overlijden\w*|overlijdens\w*|(ó|o)bito|zgon\w*|d(ö|ø|o)ds\w*|"
    r"d(ö|ø)d)($|_)"
)


# the Faker locale a finding's fakes should come from: its header's language, or its id's
# country (checked in this order; the first match wins)
HEADER_LOCALES: tuple[tuple[str, str], ...] = (
    ("en_GB", r"(^|_)(nhs|nino|ni_no|national_insurance|forename|postcode|post_code|surname)"),
    ("de_DE", r"(vorname|nachname|familienname|rufname|telefon($|_|nummer)|geburt|geb_|"
              r"stra(ss|ß)e|anschrift|plz|postleitzahl|steuer|versicherungsnummer|aufnahme|"
              r"entlass|handy)"),
    ("fr_FR", r"(pr(e|é)nom|(^|_)nom($|_)|nom_de_famille|courriel|t(e|é)l(e|é)phone|naissance|"
              r"adresse|code_postal|secu|(^|_)nir($|_)|insee|d(e|é)c(e|è)s|hospitalisation)"),
    ("es_ES", r"(nombre|apellido|correo|tel(e|é)fono|nacimiento|direcci(o|ó)n|domicilio|"
              r"c(o|ó)digo_postal|(^|_)(dni|nif|nie)($|_)|m(o|ó)vil|ingreso)"),
    ("it_IT", r"((^|_)nome($|_)|cognome|nascita|indirizzo|(^|_)cap($|_)|codice_fiscale|"
              r"cellulare|ricovero|dimissione)"),
    ("nl_NL", r"(voornaam|achternaam|(^|_)naam($|_)|telefoon|geboorte|(^|_)adres($|_)|straat|"
              r"(^|_)bsn($|_)|burgerservicenummer|roepnaam|geslachtsnaam|mobiel|opname|ontslag)"),
)  # fmt: skip
ENTITY_LOCALES = {
    "UK_NHS": "en_GB", "UK_NINO": "en_GB", "DE_TAX_ID": "de_DE", "DE_SOCIAL_SECURITY": "de_DE",
    "FR_NIR": "fr_FR", "ES_NIF": "es_ES", "ES_NIE": "es_ES", "IT_FISCAL_CODE": "it_IT",
    "NL_BSN": "nl_NL", "US_SSN": "en_US", "US_ZIP": "en_US", "US_NPI": "en_US",
}  # fmt: skip


def finding_locale(key: str, entity: str | None) -> str | None:
    """The locale a column's header (lower-cased, ``_``-separated) or entity points to."""
    if entity in ENTITY_LOCALES:
        return ENTITY_LOCALES[entity]
    return next((loc for loc, rx in HEADER_LOCALES if re.search(rx, key)), None)
