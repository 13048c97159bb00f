"""The copula's options (``CopulaConfig``) as users read them."""

import dataclasses
import re

from tabsynth.models.copula.config import CopulaConfig


def test_every_copula_option_is_documented():
    """``CopulaConfig``'s docstring is the options' reference (``model_options``): each
    field has an entry there."""
    doc = CopulaConfig.__doc__ or ""
    fields = [f.name for f in dataclasses.fields(CopulaConfig)]
    missing = [f for f in fields if not re.search(rf"^\s+{f}: ", doc, re.M)]
    assert not missing
