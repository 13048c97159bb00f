"""Empirical privacy audit: a lower bound on epsilon from canary membership inference.

Protocol (Jagielski, Ullman and Oprea 2020; the usual "audit by canaries" of DP-SGD):

1. Build a canary from the schema's public domain: in every modelled column the cell that
   holds the fewest training records (an extreme bound, a rare category), so that together
   the canary is an outlier.
2. Run ``trials`` fits; in each, a fair coin decides whether the canary joins the training
   data. Every fit is sampled, and the attack scores the release: how many synthetic values
   fall in the canary's cells, summed over columns (a density attack on exactly what the
   canary can change).
3. The scores of the first half of the trials choose the threshold; on the second half, the
   attack's true- and false-positive rates get Clopper-Pearson bounds at ``confidence``, and
   any (epsilon, delta)-DP mechanism must satisfy TPR <= e^epsilon FPR + delta, so

       epsilon >= ln((TPR_lower - delta) / FPR_upper)

   is a lower bound on the true epsilon that holds with that confidence.
4. A positive control runs the same pipeline without DP: if its bound is not clearly higher,
   the attack is too weak to say anything.

A bound below the claim does not prove the claim (audits are lower bounds); a bound above it
proves the mechanism broken, whatever the reason.
"""

from tabsynth.audit.attacks import attack_score, signature_scores, whitebox_score
from tabsynth.audit.bounds import (
    AuditResult,
    ceiling,
    epsilon_bound,
    one_run_epsilon_bound,
    one_run_p_value,
    perfect_bound,
    trials_needed,
)
from tabsynth.audit.canaries import Signature, canary, group_canary, signature_canaries
from tabsynth.audit.run import audit, model_fit, run_audit, run_one_run_audit

__all__ = [
    "AuditResult",
    "Signature",
    "attack_score",
    "audit",
    "canary",
    "ceiling",
    "epsilon_bound",
    "group_canary",
    "model_fit",
    "one_run_epsilon_bound",
    "one_run_p_value",
    "perfect_bound",
    "run_audit",
    "run_one_run_audit",
    "signature_canaries",
    "signature_scores",
    "trials_needed",
    "whitebox_score",
]
