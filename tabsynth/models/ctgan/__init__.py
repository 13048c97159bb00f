"""DP-CTGAN (needs the ``ctgan`` extra: torch, opacus, safetensors)."""

from tabsynth.models.ctgan.model import CTGANConfig, CTGANSynthesizer, minimum_rows

__all__ = ["CTGANConfig", "CTGANSynthesizer", "minimum_rows"]
