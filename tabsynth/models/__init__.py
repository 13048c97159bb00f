"""Models: the Synthesizer protocol, the registry, and the DP copula (CTGAN loads lazily)."""

from tabsynth.models.base import (
    Mechanism,
    PrivacyInfo,
    Synthesizer,
    available_models,
    get_model,
    register,
)
from tabsynth.models.copula import CopulaConfig, CopulaSynthesizer

__all__ = [
    "CopulaConfig",
    "CopulaSynthesizer",
    "Mechanism",
    "PrivacyInfo",
    "Synthesizer",
    "available_models",
    "get_model",
    "register",
]
