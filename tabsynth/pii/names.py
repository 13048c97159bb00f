"""Person names in columns: the cells' shape and Faker's name lists as signals, rosters'
titles set aside, and headers that need the values' evidence (a bare ``name`` over storms,
animals and companies; ``animal_name``)."""

from __future__ import annotations

import functools
import re
import unicodedata

# letters that Unicode does not decompose into a base letter and a mark
_BASE_LETTERS = str.maketrans({"ł": "l", "ı": "i", "đ": "d", "ø": "o", "ħ": "h"})


def strip_accents(text: str) -> str:
    """``text`` without accents (``é`` -> ``e``, ``ή`` -> ``η``, ``ł`` -> ``l``; ``ß`` stays)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_BASE_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(word: str) -> str:
    """A name as the lists are kept: no accents, case folded (``MÜLLER`` -> ``muller``,
    ``ΠΑΠΑΔΌΠΟΥΛΟΣ`` -> ``παπαδοπουλοσ``)."""
    return strip_accents(word).casefold()


@functools.lru_cache(maxsize=1)
def folded_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), folded, from every locale Faker ships (some eighty, in
    Latin, Greek, Cyrillic and other scripts): one signal among several, never alone."""
    import importlib
    import pkgutil

    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    for mod in pkgutil.iter_modules(person.__path__):
        try:
            prov = importlib.import_module(f"{person.__name__}.{mod.name}").Provider
        except (ImportError, AttributeError):
            continue
        for attr, into in (("first_names", first), ("last_names", last)):
            names = getattr(prov, attr, ())
            if isinstance(names, (list, tuple, dict, set, frozenset)):  # not a property
                into.update(fold(str(v)) for v in names)
    return frozenset(first), frozenset(last)


# a person's role as the whole header ("Player", "contestant", "president"), never "patient_id"
ROLES = (
    r"player|passenger|contestant|pati[eë]nt|paziente|paciente|member|employee|customer|client|authors?|"
    # the patient in other languages (headers are matched without accents)
    r"pacjent|pacient|pacijent|pasient|patsient|pacients|pacientas|potilas|beteg|hasta|pasien|"
    r"ασθενης|пациент|пацієнт|患者|病人|"
    r"athlete|physician|doctor|nurse|guest|applicant|borrower|respondent|student|owner|"
    r"artist|president|senator|representative|politician|candidate|actor|actress|winner|"
    r"runner|driver|composer|writer|singer|coach"
)
ROLES = strip_accents(ROLES)  # headers are matched without accents (lexicon)
PERSON_ROLE = rf"^({ROLES})(_?\d+)?$"
# a clinician named anywhere in the header, in the supported languages ("attending",
# "behandelnder_arzt", "medecin_traitant", "medico_curante", "behandelaar"): a person's name
# when the values are listed names (surnames count, "J. Smith")
CLINICIAN_ROLE = (
    r"(^|_)(attending|consultant|clinician|surgeon|physician|doctor|gp|prescriber|referrer|"
    r"arzt|arztin|aerztin|hausarzt|medecin|médecin|medico|médico|behandelaar|huisarts|"
    r"chirurg|chirurgien|cirujano|chirurgo)($|_)"
)
CLINICIAN_ROLE = strip_accents(CLINICIAN_ROLE)
# headers that say "name" or a person's role but not which name: the values must show it too
# (storms, animals and companies have names; a "patient" column may hold ids)
WEAK_PERSON = (
    r"^(names?|nom|nombre|nome|naam|namn|navn|nimi|nafn|nama|nume|nev|ime|meno|jmeno|isim|"
    rf"ονομα|имя|име|ім_я|{ROLES})(_?\d+)?$"
)
# "name" qualified by a thing that is not a person: no PERSON hint ("animal_name", "drug_name")
NOT_PERSON_NAME = (
    r"(animal|pet|dog|cat|breed|species|product|company|business|brand|drug|medication|"
    r"file|host|domain|team|school|hospital|facility|clinic|plan|item|street|city|town|"
    r"country|state|region|county|place|project|program|course|device|model|song|book|"
    r"test|lab|event|hurricane|storm|ship|variable|column|table|field|inst|institution|"
    r"org|organi[sz]ation|college|university|airport|station|employer|agency|vendor|"
    r"manufacturer|mfr|site|venue|common|scientific|csa|cbsa)_(name|nm)($|_)"
)
# words that make a cell an organisation's or a place's name, not a person's
_ORG_WORDS = re.compile(
    r"\b(university|universit[äéà]t?|college|institute|school|academy|hospital|clinic|"
    r"center|centre|inc|llc|ltd|corp|corporation|company|co|bank|church|foundation|"
    r"association|department|county|city|airport|station|park|museum|hotel|restaurant|"
    r"group|services|society|council|trust|federal|national|international|regional|"
    r"municipal|airfield|field|health|medical|care|nursing|rehab|rehabilitation|"
    # places: "George Ville", "Lake Town", "Neustadt", "Eastborough"
    r"ville|town|village|borough|burgh?|heights|springs|falls|harbou?r|port|haven|dorf|stadt|"
    r"spital|klinik|klinikum|hopital|hôpital|ziekenhuis|ospedale)\b\.?",
    re.IGNORECASE,
)


def org_share(cells: list[str]) -> float:
    """The share of cells with a word that names an organisation or a place ("Alabama A & M
    University", "Trinity Medical Center"): a column of them is no person's names."""
    return sum(bool(_ORG_WORDS.search(c)) for c in cells) / max(len(cells), 1)


_CAP_WORD = re.compile(r"[^\W\d_a-zà-ÿ][^\W\d_]*(?:['’\-][^\W\d_]+)?")


def full_name_share(cells: list[str]) -> float:
    """Without a hint: cells of two or three capitalised words whose first is a listed first
    name or whose last is a listed last name ("Yoann Vallée", "Talha Vander Laan"), or
    family first in capitals ("PAPADOPOULOS Giorgos"), in a column whose values vary like
    names do; the other word may be outside the lists."""
    if len(set(cells)) < 0.5 * len(cells):
        return 0.0
    first, last = folded_lists()

    def full(cell: str) -> bool:
        words = clean_name(cell).replace(",", " ").split()
        shaped = 2 <= len(words) <= 3 and all(_CAP_WORD.fullmatch(w) for w in words)
        if not shaped:
            return False
        head, tail = fold(words[0]), fold(words[-1])
        return head in first or tail in last or (words[0].isupper() and head in last)

    return sum(full(c) for c in cells) / max(len(cells), 1)


# one to three alphabetic words, or "Last, First" / "Last, F" / "F. Last" as rosters write them
_NAME_SHAPE = re.compile(
    r"[^\W\d_][^\W\d_'’\-]*\.?(?:(?:, ?| |['’\-])[^\W\d_][^\W\d_'’\-]*\.?){0,3}"
)


_TITLES = re.compile(
    r"\b(mr|mrs|miss|ms|mx|dr|prof|master|rev|sir|dame|lady|lord|col|capt|herr|frau|fr|m|mme|"
    r"mlle|sr|sra|srta|don|doña|sig|sig\.ra|dott|dhr|mevr|mw)\.?(?=\s|,|$)",
    re.IGNORECASE,
)


def clean_name(cell: str) -> str:
    """A roster's cell without titles, bracketed or quoted parts and edge punctuation:
    ``Allen, Miss. Elisabeth Walton (Lily)`` -> ``Allen, Elisabeth Walton``."""
    text = re.sub(r"\^+", " ", cell.strip("^"))  # HL7's FAMILY^GIVEN^MIDDLE
    text = re.sub(r"\([^)]*\)|\"[^\"]*\"|'[^']*'(?=\s)|\bet al\b\.?", " ", text)
    text = _TITLES.sub(" ", text)
    text = re.sub(r"\s+,", ",", re.sub(r"\s+", " ", text))
    return text.strip(" ,.;:-_*+#/\\|")


_INITIAL_SURNAME = re.compile(r"[^\W\d_](?:\. ?| )([^\W\d_][^\W\d_'’\-]+)")


def few_distinct(cells: list[str], case: bool = True) -> bool:
    """Whether a few values fill the column (under 20 distinct and under 30% of its cells):
    a category or a short list ("English", "Spanish"; a shot log's three players), not a
    column of people's names."""
    values = set(cells) if case else {c.lower() for c in cells}
    return len(values) < min(20, 0.3 * len(cells))


def listed_share(cells: list[str], surnames: bool = False) -> float:
    """The share of cells with a word from the first-name lists, written ``Last, ...`` or
    ``I Suzuki`` with a listed last name: the evidence a bare "name" header needs. With
    ``surnames`` (a role header: "Player", "authors"), a listed last name alone counts too
    ("Irving", "Watson et al.", "Klein & Nelson")."""
    if not surnames and few_distinct(cells):
        return 0.0  # under a role header a few people may fill the column (a shot log)
    first, last = folded_lists()

    def listed(cell: str) -> bool:
        text = clean_name(cell)
        words = [fold(w) for w in re.findall(r"[^\W\d_]+", text)]
        if any(w in first for w in words):
            return True
        if surnames and any(w in last for w in words):
            return True
        head = fold(text.split(",")[0].strip())
        initial = _INITIAL_SURNAME.fullmatch(text)
        if initial is not None and fold(initial.group(1)) in last:
            return True
        return "," in text and head in last

    return sum(listed(c) for c in cells) / max(len(cells), 1)


def name_shape_share(cells: list[str]) -> float:
    """With a name hint: the share of cells shaped like names (one to four alphabetic words
    in any script and case, once titles, nicknames and edge punctuation are set aside), when
    they vary like names do (not a short code list)."""
    if few_distinct(cells, case=False):
        return 0.0
    return sum(bool(_NAME_SHAPE.fullmatch(clean_name(c))) for c in cells) / max(len(cells), 1)
