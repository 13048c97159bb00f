"""Evaluation stage: fidelity, utility (TSTR) and privacy risk of a synthetic table."""

from tabsynth.evaluation.fidelity import fidelity, marginal_scores
from tabsynth.evaluation.results import EvaluationResult, evaluate

__all__ = ["EvaluationResult", "evaluate", "fidelity", "marginal_scores"]
