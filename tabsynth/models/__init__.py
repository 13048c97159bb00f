"""Models: the Synthesizer protocol, the registry, and the DP copula (CTGAN loads lazily)."""

from tabsynth.models.base import (
    Mechanism,
    PrivacyInfo,
    Synthesizer,
    available_models,
    get_model,
    register,
    register_lazy,
)
from tabsynth.models.copula import CopulaConfig, CopulaSynthesizer

register_lazy("ctgan", "tabsynth.models.ctgan:CTGANSynthesizer", "ctgan")

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
