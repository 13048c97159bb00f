"""Sampling stage: the constraint critic (conditional sampling, rebalancing and scenarios
live on the models, which sample exactly from their own conditionals)."""

from tabsynth.sampling.constraints import Critic

__all__ = ["Critic"]
