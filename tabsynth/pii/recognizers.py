"""tabsynth's own Presidio recognizers for healthcare and finance tables.

Person names are recognised from Faker's name lists (thousands of first and last names of
the English-speaking and the European locales, shipped with Faker: no download); the scan
adds the cells' shape as a second signal for names outside the lists. The others are patterns,
with checksums where the identifier has one (NPI: Luhn over the 80840 prefix).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

NAME_LOCALES = (
    *("en_US", "en_GB", "en_CA", "en_AU", "en_IE", "en_NZ", "en_IN"),
    *("de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"),
)
_TOKEN = re.compile(r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?")


@functools.lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) from Faker's person providers."""
    import importlib

    first: set[str] = set()
    last: set[str] = set()
    for loc in NAME_LOCALES:
        try:
            mod = importlib.import_module(f"faker.providers.person.{loc}")
        except ImportError:
            continue
        prov = mod.Provider
        for attr, into in (("first_names", first), ("last_names", last)):
            into.update(str(v) for v in getattr(prov, attr, ()))
    return frozenset(first), frozenset(last)


class PersonNameRecognizer(EntityRecognizer):  # type: ignore[misc]
    """PERSON: a first name from the lists followed by a last name from the lists (or a lone
    list name when the whole cell is one capitalised word)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="tabsynth person names")

    def load(self) -> None:
        name_lists()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        first, last = name_lists()
        tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        out = []
        stripped = text.strip()
        if len(tokens) == 1 and tokens[0][0] == stripped:
            word = tokens[0][0]
            if word in first or word in last:
                out.append(RecognizerResult("PERSON", tokens[0][1], tokens[0][2], 0.6))
            return out
        i = 0
        while i < len(tokens) - 1:
            (a, s, _), (b, _, e) = tokens[i], tokens[i + 1]
            gap = text[tokens[i][2] : tokens[i + 1][1]]
            if a in first and b in last and gap.strip(" .") == "":
                # "First Middle Last" or "First M. Last"
                if i + 2 < len(tokens) and tokens[i + 2][0] in last:
                    e = tokens[i + 2][2]
                    i += 1
                out.append(RecognizerResult("PERSON", s, e, 0.85))
                i += 2
                continue
            i += 1
        return out


# a person named by a title and a capitalised family name, in the supported languages ("Mr
# Harper", "Frau Seifert", "Mme Coste", "Sr. Noguera", "Sig.ra Foscari", "Mevr. de Witte"):
# a note that says so names someone, even when the name is in no list
_TITLE_WORDS = (
    r"Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|Dra|Sig|Sig\.ra|Sig\.na|Dott|"
    r"Dott\.ssa|Dhr|Mevr|Mw"
)
TITLED_NAME = (
    rf"(?<![\w.])(?:{_TITLE_WORDS})\.?\s+(?:(?:van|von|de|der|den|di|da|del|della|du|le|la|"
    r"die|ter|ten|zu)\s+){0,2}[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’\-]+(?:\s+[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’\-]+)?"
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


class NpiRecognizer(PatternRecognizer):  # type: ignore[misc]
    """US National Provider Identifier: 10 digits, Luhn check over "80840" + the digits."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="US_NPI",
            name="tabsynth NPI",
            patterns=[Pattern("npi", r"\b[12]\d{9}\b", 0.3)],
            context=["npi", "provider"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        return luhn_ok("80840" + pattern_text)


_SUFFIX_WORDS = (
    "Street St Avenue Ave Road Rd Lane Ln Drive Dr Court Ct Boulevard Blvd Way Place Pl Circle "
    "Cir Trail Trl Parkway Pkwy Terrace Ter Highway Hwy Square Sq Loop Path Pike Plaza Plz"
).split()


@functools.lru_cache(maxsize=1)
def street_suffixes() -> str:
    """Street suffixes: common abbreviations plus Faker's USPS list (225 words)."""
    words = set(_SUFFIX_WORDS)
    try:
        from faker.providers.address.en_US import Provider

        words.update(str(w) for w in Provider.street_suffixes)
    except ImportError:
        pass
    return "|".join(sorted(words, key=len, reverse=True))


class CardNumberRecognizer(PatternRecognizer):  # type: ignore[misc]
    """Payment card numbers as bare digit strings of 13 to 19 digits that pass Luhn."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="CREDIT_CARD",
            name="tabsynth card numbers",
            patterns=[Pattern("digits", r"\b\d{13,19}\b", 0.3)],
            context=["card", "credit", "payment"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        return luhn_ok(pattern_text)


def tabsynth_recognizers() -> list[Any]:
    """The recognizers tabsynth adds to Presidio's pattern recognizers."""
    address = PatternRecognizer(
        supported_entity="STREET_ADDRESS",
        name="tabsynth street address",
        patterns=[
            Pattern(
                "number street suffix",
                rf"\b\d{{1,6}}\s+(?:[A-Z][A-Za-z'.-]*\s+){{1,4}}(?:{street_suffixes()})\b\.?"
                r"(?:\s+(?:Apt\.?|Suite|Unit|#)\s*\w+)?",
                0.7,
            ),
            Pattern("po box", r"\bP\.?\s?O\.?\s+Box\s+\d{1,6}\b", 0.7),
        ],
        global_regex_flags=re.MULTILINE,
    )
    mrn = PatternRecognizer(
        supported_entity="MEDICAL_RECORD_NUMBER",
        name="tabsynth MRN",
        patterns=[Pattern("mrn prefix", r"\bMRN[-:# ]?\d{5,12}\b", 0.9)],
        context=["mrn", "medical record"],
    )
    zip_code = PatternRecognizer(
        supported_entity="US_ZIP",
        name="tabsynth ZIP",
        patterns=[Pattern("zip", r"\b\d{5}(?:-\d{4})?\b", 0.05)],
        context=["zip", "postal"],
    )
    titled = PatternRecognizer(
        supported_entity="PERSON",
        name="tabsynth titled names",
        patterns=[Pattern("title family", TITLED_NAME, 0.6)],
        global_regex_flags=re.MULTILINE,  # case matters: "Dr. med." is no name
    )
    from tabsynth.pii.national import locale_recognizers

    return [
        PersonNameRecognizer(),
        titled,
        NpiRecognizer(),
        CardNumberRecognizer(),
        address,
        mrn,
        zip_code,
        *locale_recognizers(),
    ]
