"""Sampling stage: every request a fitted model answers, as functions over its public state
(``protocol.Samplable``): conditions, drift, rebalancing, stress scenarios and the
constraint critic; ``draw.draw_rows`` runs one request end to end. All post-processing."""

from tabsynth.sampling.constraints import Critic
from tabsynth.sampling.draw import draw_rows

__all__ = ["Critic", "draw_rows"]
