"""The latent bridge (``tabsynth/models/copula/bridge.py``): its series against a simulation
of the copula's own scores, and the attenuation it removes from a fitted model's sample."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr, ndtri

import tabsynth
from tabsynth.models.copula.bridge import (
    blend_valid,
    coefficients,
    latent_correlation,
    score_correlation,
)
from tabsynth.schema import Schema

MARGINS = {  # (pmf over cells in CDF order, which cells place rows by value)
    "boolean": (np.array([0.5, 0.5]), np.array([False, False])),
    "rare boolean": (np.array([0.9, 0.1]), np.array([False, False])),
    "count": (np.array([0.6, 0.2, 0.1, 0.05, 0.03, 0.02]), np.zeros(6, bool)),
    "null + numbers": (np.array([0.3, 0.35, 0.35]), np.array([False, True, True])),
    "number": (np.array([1.0]), np.array([True])),
}


def _scores(z, pmf, exact, rng):
    """The copula's normal scores (``engines.stats.normal_scores``) of latent normals."""
    cdf = np.concatenate([[0.0], np.cumsum(pmf)])
    cdf[-1] = 1.0
    u = ndtr(z)
    cell = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, len(pmf) - 1)
    placed = np.where(exact[cell], u, cdf[cell] + pmf[cell] * rng.random(z.size))
    return ndtri(np.clip(placed, 1e-12, 1 - 1e-12))


@pytest.mark.parametrize("r", [0.35, 0.8, -0.6])
def test_series_matches_simulated_scores(r):
    rng = np.random.default_rng(7)
    n = 200_000
    z1 = rng.standard_normal(n)
    z2 = r * z1 + np.sqrt(1 - r * r) * rng.standard_normal(n)
    for a, (pa, ea) in MARGINS.items():
        for b, (pb, eb) in MARGINS.items():
            simulated = np.corrcoef(_scores(z1, pa, ea, rng), _scores(z2, pb, eb, rng))[0, 1]
            series = score_correlation(coefficients(pa, ea), coefficients(pb, eb), r)
            assert series == pytest.approx(simulated, abs=0.01), (a, b)
    # two numbers placed by value: no attenuation at all
    c = coefficients(*MARGINS["number"])
    assert score_correlation(c, c, r) == pytest.approx(r, abs=1e-9)


def test_inversion_and_a_valid_matrix():
    coefs = np.stack([coefficients(*m) for m in MARGINS.values()])
    measured = np.full((5, 5), 0.12)
    np.fill_diagonal(measured, 1.0)
    latent = latent_correlation(measured, coefs)
    for i in range(5):
        for j in range(i + 1, 5):
            got = score_correlation(coefs[i], coefs[j], latent[i, j])
            assert got == pytest.approx(0.12, abs=1e-4)
    assert latent[0, 1] > 0.2  # two booleans: 0.12 in scores is far more in the latent
    # a column of one cell carries nothing: its pairs stay as measured
    one = np.stack([coefficients(np.array([1.0]), np.array([False])), coefs[0]])
    kept = latent_correlation(np.array([[1.0, 0.3], [0.3, 1.0]]), one)
    assert kept[0, 1] == pytest.approx(0.3)
    # inconsistent pairs step back towards the measured matrix, pair by pair
    bad = np.array([[1, 0.99, 0.99], [0.99, 1, -0.9], [0.99, -0.9, 1.0]])
    ok = blend_valid(np.eye(3), bad)
    assert np.linalg.eigvalsh(ok)[0] > 0


def test_a_fitted_copula_keeps_the_association_of_binary_columns():
    """Without the bridge the sample's association of two booleans is attenuated twice
    (latent 0.7: real phi 0.49, sample about 0.2); with it, it is kept."""
    rng = np.random.default_rng(3)
    n = 20_000
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.7, 0.5], [0.7, 1, 0.4], [0.5, 0.4, 1]], n)
    df = pd.DataFrame({"a": z[:, 0] > 0, "b": z[:, 1] > 0.5, "x": z[:, 2]})
    schema = Schema.from_dict(
        {
            "version": 1,
            "name": "bridge",
            "columns": [
                {"name": "a", "kind": "boolean"},
                {"name": "b", "kind": "boolean"},
                {"name": "x", "kind": "numerical", "lower": -5, "upper": 5},
            ],
        }
    )

    def phi(frame):
        return np.corrcoef(frame.a.astype(float), frame.b.astype(float))[0, 1]

    real = phi(df)
    # a fit's tie-breaking jitter comes from the secure source: phi varies by about 0.01 from
    # fit to fit, so the mean of three fits is compared (one fit failed 1 run in ~30)
    fits = [tabsynth.fit(df, schema, epsilon=None).sample(n, seed=0) for _ in range(3)]
    kept = fits[0]
    old = tabsynth.fit(df, schema, epsilon=None, latent_bridge=False).sample(n, seed=0)
    assert np.mean([phi(f) for f in fits]) == pytest.approx(real, abs=0.03)
    assert phi(old) < real - 0.15
    # a boolean with a number: the point-biserial correlation is kept too
    pb = np.corrcoef(df.a.astype(float), df.x)[0, 1]
    assert np.corrcoef(kept.a.astype(float), kept.x)[0, 1] == pytest.approx(pb, abs=0.03)
