"""The accountants by name: zCDP (``accountant.py``) and Rényi DP (``rdp.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tabsynth.errors import PrivacyError
from tabsynth.privacy.accountant import ZCDPAccountant
from tabsynth.privacy.rdp import RDPAccountant

ACCOUNTANTS: dict[str, Callable[[], Any]] = {"zcdp": ZCDPAccountant, "rdp": RDPAccountant}


def get_accountant(name: str) -> Any:
    """A fresh accountant registered under ``name``."""
    try:
        return ACCOUNTANTS[name]()
    except KeyError:
        raise PrivacyError(f"unknown accountant {name!r}; known: {sorted(ACCOUNTANTS)}") from None
