"""DP-CTGAN (needs the ``ctgan`` extra: torch, opacus, safetensors)."""

from tabsynth.models.ctgan.config import CTGANConfig
from tabsynth.models.ctgan.model import CTGANSynthesizer
from tabsynth.models.ctgan.plan import minimum_rows

__all__ = ["CTGANConfig", "CTGANSynthesizer", "minimum_rows"]
