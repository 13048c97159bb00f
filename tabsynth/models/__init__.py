"""Models: the Synthesizer protocol, the registry, and the DP copula (CTGAN loads lazily)."""

from tabsynth.models.base import Synthesizer
from tabsynth.models.copula import CopulaConfig, CopulaSynthesizer
from tabsynth.models.registry import (
    available_models,
    get_model,
    model_name_problem,
    register,
    register_lazy,
)
from tabsynth.privacy.records import Mechanism, PrivacyInfo

register_lazy("ctgan", "tabsynth.models.ctgan:CTGANSynthesizer", "ctgan")

__all__ = [
    "CopulaConfig",
    "CopulaSynthesizer",
    "Mechanism",
    "PrivacyInfo",
    "Synthesizer",
    "available_models",
    "get_model",
    "model_name_problem",
    "register",
]
