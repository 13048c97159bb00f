"""Evaluation stage: fidelity (and, as they land, utility and privacy risk)."""

from tabsynth.evaluation.fidelity import marginal_scores

__all__ = ["marginal_scores"]
