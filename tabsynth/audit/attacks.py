"""The attacks' scores: on the synthetic sample (density in the canary's cells), on the
copula's released statistics (white box), and on each signature canary (one run)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from tabsynth.audit.canaries import Signature, _discrete
from tabsynth.data import build_domains, conform


def whitebox_score(model: Any, real: pl.DataFrame, canary_row: pl.DataFrame) -> float:
    """How much more mass the released model puts on the canary's cells than the data
    without the canary hold, in rows, summed over columns (``real`` and ``canary_row``
    conformed). Columns are read inside the canary's stratum, so the noise of the stratum
    sizes does not blur them; the stratum's own size counts once."""
    from tabsynth.engines.stats import stratum_of

    if not hasattr(model, "pmfs_"):
        raise ValueError(
            "the white-box attack reads the copula's released statistics; for other models "
            "use attack='blackbox'"
        )
    domains = model._domains()  # noqa: SLF001 - same package
    k_real, _ = stratum_of(real, domains, model.strata_)
    s = int(stratum_of(canary_row, domains, model.strata_)[0][0])
    in_s = k_real == s
    n_s = max(int(in_s.sum()), 1)
    score = (float(model.weights_[s]) - n_s / real.height) * real.height
    for name, pmf in zip(model.others_, model.pmfs_, strict=True):
        dom = domains[name]
        target = dom.encode(canary_row.get_column(name))[0][0]
        share = float(np.mean(dom.encode(real.get_column(name).filter(in_s))[0] == target))
        score += (float(pmf[s, target]) - share) * n_s
    return score


def attack_score(
    synthetic: pl.DataFrame, canary_row: pl.DataFrame, schema: Any, weights: dict[str, float]
) -> float:
    """Synthetic values in the canary's cells, weighted per column and summed."""
    syn, _ = conform(synthetic, schema, modelled_only=True)
    can, _ = conform(canary_row, schema, modelled_only=True)
    score = 0.0
    for dom in build_domains(schema):
        target = dom.encode(can.get_column(dom.name))[0][0]
        cells = dom.encode(syn.get_column(dom.name))[0]
        score += weights[dom.name] * float(np.count_nonzero(cells == target))
    return score


def signature_scores(
    model: Any, real: pl.DataFrame, canaries: pl.DataFrame, sigs: list[Signature]
) -> np.ndarray:
    """Released rows in each canary's signature cell beyond the training rows there, read
    in the canary's stratum: pmf x the stratum's released size - the real count, or for a
    strata column the stratum's released size - its real size (``real`` and ``canaries``
    conformed). Without noise this is exactly 1 for a canary that is in, 0 for one out."""
    from tabsynth.engines.stats import stratum_of

    if not hasattr(model, "pmfs_") or getattr(model, "rows_estimate_", None) is None:
        raise ValueError(
            "the one-run audit reads the copula's released statistics; for other models "
            "use attack='blackbox'"
        )
    domains = model._domains()  # noqa: SLF001 - same package
    public = _discrete(model.schema)
    if any(domains[c].n_cells != public[c].n_cells for c in {s.column for s in sigs}):
        raise ValueError("the model's cells of a discrete column differ from the schema's")
    k_real, _ = stratum_of(real, domains, model.strata_)
    k_can, _ = stratum_of(canaries, domains, model.strata_)
    out = np.empty(len(sigs))
    for i, sig in enumerate(sigs):
        s = int(k_can[i])
        in_s = k_real == s
        size = float(model.weights_[s]) * float(model.rows_estimate_)
        if sig.column in model.strata_:
            out[i] = size - int(in_s.sum())
            continue
        cells = domains[sig.column].encode(real.get_column(sig.column).filter(in_s))[0]
        pmf = model.pmfs_[model.others_.index(sig.column)]
        out[i] = float(pmf[s, sig.cell]) * size - int(np.count_nonzero(cells == sig.cell))
    return out
