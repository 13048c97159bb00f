"""Stratified DP Gaussian copula: a mixture of Gaussian copulas over strata.

Design (justified with measurements in ``benchmarks/RESULTS.md``):

* Strata are the combinations of the target and protected attributes (or ``schema.strata``).
  Their list comes from the schema, so it is public. Each stratum gets its own marginals and
  its own correlation, which captures how every column depends on the target (a plain copula
  cannot) and makes conditional sampling on strata exact.
* Three measurements, all Gaussian noise on public cells, accounted in zCDP
  (add/remove-one neighbours; one record lies in exactly one stratum, so the strata are
  measured in parallel):

  1. stratum counts: L2 sensitivity 1;
  2. per-stratum histograms of every other column over its public cells: one record moves
     one cell per column, L2 sensitivity sqrt(d);
  3. per-stratum Gram matrix of normal scores (upper triangle): each record's score vector
     is scaled to norm at most C, so the sensitivity is C^2.

  The budget is split 10% / 50% / 40% of rho by default (``CopulaConfig.split``).
* Post-processing (free): stratum sizes from an inverse-variance blend of the counts and the
  histogram totals; histograms projected onto the simplex; small strata shrunk towards the
  pooled estimates in proportion to their noise; correlations projected to a valid matrix.
"""

from tabsynth.models.copula.config import CopulaConfig
from tabsynth.models.copula.model import CopulaSynthesizer

__all__ = ["CopulaConfig", "CopulaSynthesizer"]
