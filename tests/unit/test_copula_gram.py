"""The copula's Gram measurement: only its off-diagonal is noised (sensitivity
``C sqrt((d-1)/(2d))``), the diagonal comes from the clipped scores' known variance, and the
clipping's pull of correlations towards 0 is undone (``estimate.unclip_correlation``)."""

import numpy as np
import pandas as pd
import pytest

import tabsynth
from tabsynth.engines.stats import clip_rows
from tabsynth.models.copula.estimate import (
    _upper,
    clipped_score_variance,
    gram_sensitivity,
    unclip_correlation,
)
from tabsynth.models.copula.plan import CopulaConfig, _plan
from tabsynth.schema import Schema


def _equicorrelated(d, r, n, seed=0):
    c = np.full((d, d), r)
    np.fill_diagonal(c, 1.0)
    return np.random.default_rng(seed).standard_normal((n, d)) @ np.linalg.cholesky(c).T


@pytest.mark.parametrize("d", [3, 10])
def test_clipped_variance_matches_a_simulation(d):
    clip_sq = 1.5 * d
    z = clip_rows(_equicorrelated(d, 0.0, 400_000), np.sqrt(clip_sq))
    assert clipped_score_variance(d, clip_sq) == pytest.approx((z**2).mean(), abs=0.006)


@pytest.mark.parametrize("d", [2, 5, 12])
def test_gram_sensitivity_is_the_worst_row(d):
    """No row moves the strict upper triangle by more than the declared sensitivity; a row
    of equal squared scores on the clip's sphere moves it by exactly that much."""
    clip_sq = 1.5 * d
    sens = gram_sensitivity(clip_sq, d)
    rows = clip_rows(_equicorrelated(d, 0.5, 20_000, seed=d) * 3, np.sqrt(clip_sq))
    moves = np.sqrt(((rows[:, :, None] * rows[:, None, :])[:, *np.triu_indices(d, 1)] ** 2).sum(1))
    assert moves.max() <= sens * (1 + 1e-12)
    worst = np.full(d, np.sqrt(clip_sq / d))
    assert np.sqrt((_upper(np.outer(worst, worst), 1) ** 2).sum()) == pytest.approx(sens)
    # the full upper triangle (the old measurement) costs more: its worst row is one-hot
    one_hot = np.zeros(d)
    one_hot[0] = np.sqrt(clip_sq)
    assert np.sqrt((_upper(np.outer(one_hot, one_hot)) ** 2).sum()) > sens


def test_plan_declares_the_off_diagonal_sensitivity():
    for gram, want in (("offdiag", gram_sensitivity(1.5 * 6, 6)), ("full", 1.5 * 6)):
        plan = _plan(rho=0.1, d=6, n_strata=1, cfg=CopulaConfig(gram=gram), secure=True)
        mech = next(m for m in plan.mechanisms if "Gram" in m.name)
        assert mech.sensitivity == pytest.approx(want)
    full = _plan(rho=0.1, d=6, n_strata=1, cfg=CopulaConfig(gram="full"), secure=True)
    half = _plan(rho=0.1, d=6, n_strata=1, cfg=CopulaConfig(), secure=True)
    assert half.sigma_gram**2 == pytest.approx(full.sigma_gram**2 * 5 / 12)


@pytest.mark.parametrize("r", [0.3, 0.6, 0.9])
def test_unclip_recovers_the_correlation_of_clipped_scores(r):
    d = 8
    clip_sq = 1.5 * d
    z = clip_rows(_equicorrelated(d, r, 200_000), np.sqrt(clip_sq))
    measured = z.T @ z / (len(z) * clipped_score_variance(d, clip_sq))
    off = ~np.eye(d, dtype=bool)
    assert np.abs(measured[off] - r).max() > 0.04 * r / 0.3  # the pull being undone
    got = unclip_correlation(measured, clip_sq)
    assert np.abs(got[off] - r).max() < 0.02
    np.testing.assert_allclose(np.diag(got), 1.0)
    # a stack is solved matrix by matrix
    stack = unclip_correlation(np.stack([measured, np.eye(d)]), clip_sq)
    np.testing.assert_allclose(stack[0], got)
    np.testing.assert_allclose(stack[1], np.eye(d), atol=0.02)


def test_a_fitted_copula_keeps_a_strong_correlation():
    """Six continuous columns at latent correlation 0.7: a private fit (large budget, so
    the noise is small) gives back about 0.7 in its model; without the unclipping about
    0.6 (the clipping's pull), as before."""
    d, n = 6, 20_000
    z = _equicorrelated(d, 0.7, n, seed=3)
    df = pd.DataFrame(z, columns=[f"x{i}" for i in range(d)])
    schema = Schema.model_validate(
        {
            "name": "gauss",
            "columns": [
                {"name": c, "kind": "numerical", "lower": -6, "upper": 6} for c in df.columns
            ],
        }
    )
    off = ~np.eye(d, dtype=bool)
    got = {}
    for unclip in (True, False):
        m = tabsynth.fit(
            df, schema, "copula", epsilon=20.0, seed=0, reproducible_noise=True,
            unclip=unclip, discover_atoms=False,
        )  # fmt: skip
        got[unclip] = float(m.corr_[0][off].mean())
    assert got[True] == pytest.approx(0.7, abs=0.03)
    assert got[False] < 0.66


def test_rows_past_the_noisy_support_score_as_its_outermost_cells():
    """A row in a cell the noisy pmf left empty past either end of its support scores as
    the middle of the outermost cell the pmf holds (not about -6 or +6, the CDF's clipped
    ends, which would weigh 36 typical rows in the Gram matrix); inside the support an
    empty cell keeps its place in the CDF, and rows in held cells are untouched."""
    from scipy.special import ndtri

    from tabsynth.engines.stats import normal_scores

    pmf = np.array([[0.0, 0.0, 0.2, 0.0, 0.5, 0.3, 0.0, 0.0]])
    order = np.arange(8)
    cells = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    z = normal_scores(cells, np.full(8, np.nan), pmf, order, np.zeros(8, dtype=int),
                      np.full(8, 0.5))  # fmt: skip
    assert z[0] == z[1] == pytest.approx(ndtri(0.1))  # the middle of cell 2
    assert z[6] == z[7] == pytest.approx(ndtri(0.85))  # the middle of cell 5
    assert z[3] == pytest.approx(ndtri(0.2))  # an empty cell inside: its CDF point
    assert z[2] == pytest.approx(ndtri(0.1)) and z[4] == pytest.approx(ndtri(0.45))
    assert np.abs(z).max() < 1.5
    # a log-density's far tail leaves cells of about 1e-20: they hold nothing either
    tiny = pmf.copy()
    tiny[0, 6] = 1e-20
    z = normal_scores(cells, np.full(8, np.nan), tiny, order, np.zeros(8, dtype=int),
                      np.full(8, 0.5))  # fmt: skip
    assert z[6] == z[7] == pytest.approx(ndtri(0.85))
