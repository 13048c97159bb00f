"""Presidio's AnalyzerEngine, fully offline.

* NLP: a blank English spaCy pipeline (tokeniser only, no statistical model, nothing
  downloaded), saved once under ``$TABSYNTH_HOME/spacy-blank-en`` and loaded from there.
* Recognizers: Presidio's pattern recognizers (with their checksums: credit cards, IBAN, ABA
  routing, SSN, email, phone, IP, URL, dates) and tabsynth's own for what healthcare and
  finance tables hold (``tabsynth.pii.recognizers``), with the national ids, postal codes
  and street addresses of the European locales (``tabsynth.pii.national``). Presidio's NER
  recognizers need a trained model and are left out.
* ``tldextract`` (used by Presidio's email and URL recognizers) is pointed at its bundled
  public-suffix snapshot, so it never tries the network.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

from tabsynth.errors import require_extra

PRESIDIO_PATTERN_RECOGNIZERS = (
    "CreditCardRecognizer",
    "UsSsnRecognizer",
    "EmailRecognizer",
    "PhoneRecognizer",
    "IpRecognizer",
    "UrlRecognizer",
    "IbanRecognizer",
    "AbaRoutingRecognizer",
    "UsBankRecognizer",
    "DateRecognizer",
)


def presidio_recognizers() -> list[Any]:
    """Presidio's pattern recognizers as the scan uses them: for its one language ("en"),
    phone numbers of the supported locales' regions, and the European national ids."""
    from presidio_analyzer import predefined_recognizers as pre

    from tabsynth.pii.national import PHONE_REGIONS, PRESIDIO_LOCALE_RECOGNIZERS

    out = []
    for name in PRESIDIO_PATTERN_RECOGNIZERS:
        kw = {"supported_regions": PHONE_REGIONS} if name == "PhoneRecognizer" else {}
        out.append(getattr(pre, name)(**kw))
    for name in PRESIDIO_LOCALE_RECOGNIZERS:
        out.append(getattr(pre, name)(supported_language="en"))
    return out


def _offline_tldextract() -> None:
    import tldextract

    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tldextract.extract = extractor  # type: ignore[assignment]  # Presidio calls this


def _blank_spacy_path() -> Path:
    spacy = require_extra("spacy", "pii")
    home = Path(os.environ.get("TABSYNTH_HOME", Path.home() / ".tabsynth"))
    path = home / "spacy-blank-en"
    if not (path / "config.cfg").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        spacy.blank("en").to_disk(tmp)
        try:
            os.replace(tmp, path)
        except OSError:  # another process won the race
            pass
    return path


@functools.lru_cache(maxsize=1)
def analyzer() -> Any:
    """The shared offline AnalyzerEngine (built once per process)."""
    presidio = require_extra("presidio_analyzer", "pii")
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from tabsynth.pii.recognizers import tabsynth_recognizers

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    _offline_tldextract()
    nlp = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": str(_blank_spacy_path())}],
        }
    ).create_engine()
    registry = presidio.RecognizerRegistry(supported_languages=["en"])
    for rec in presidio_recognizers():
        registry.add_recognizer(rec)
    for rec in tabsynth_recognizers():
        registry.add_recognizer(rec)
    return presidio.AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
