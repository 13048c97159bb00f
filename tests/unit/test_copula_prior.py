"""The learned prior of the copula's pooled correlations (``correlation_prior="learned"``,
``estimate.learned_shrink``): nonparametric empirical Bayes over the noisy correlations,
post-processing only."""

import numpy as np
import pandas as pd
import pytest

import tabsynth
from tabsynth.models.copula.config import CopulaConfig
from tabsynth.models.copula.estimate import learned_shrink
from tabsynth.schema import Schema


def _mixture(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlations as tables have them: most near 0, a few near-functional."""
    rng = np.random.default_rng(seed)
    true = np.concatenate([np.zeros(60), rng.uniform(-0.3, 0.3, 40), np.full(8, 0.97)])
    return true, true + rng.normal(0, 0.1, true.size)


@pytest.mark.parametrize("seed", range(5))
def test_learned_prior_keeps_strong_pairs_and_beats_the_normal_one(seed):
    """At noise sd 0.1 the normal prior of spread 0.2 pulls 0.97 to about 0.78; the learned
    one keeps it near 0.97 and has the smaller error over all pairs."""
    true, x = _mixture(seed)
    post = learned_shrink(x, np.full(x.size, 0.1))
    normal = 0.04 / (0.04 + 0.01) * x
    assert np.abs(post[-8:] - 0.97).max() < 0.05
    assert np.abs(normal[-8:] - 0.97).mean() > 0.15
    assert np.mean((post - true) ** 2) < 0.75 * np.mean((normal - true) ** 2)
    assert np.abs(post[:60]).mean() < np.abs(x[:60]).mean()  # the zeros are pulled in


def test_learned_prior_without_noise_changes_nothing():
    x = np.array([0.1, -0.5, 0.93])
    assert np.array_equal(learned_shrink(x, np.zeros(3)), x)


def test_a_copula_with_the_learned_prior_keeps_near_functional_pairs():
    """Three pairs of columns at latent correlation 0.97 beside four independent columns,
    600 rows at epsilon 1, three fits (reproducible noise: the same draws for both priors):
    the learned prior keeps the pairs stronger in the model and the spurious correlations
    of the independent columns weaker than the normal prior does."""
    rng = np.random.default_rng(4)
    n, d = 600, 10
    z = rng.standard_normal((n, d))
    for i in (0, 2, 4):
        z[:, i + 1] = 0.97 * z[:, i] + np.sqrt(1 - 0.97**2) * z[:, i + 1]
    df = pd.DataFrame(z, columns=[f"x{i}" for i in range(d)])
    cols = [{"name": c, "kind": "numerical", "lower": -5, "upper": 5} for c in df.columns]
    schema = Schema.model_validate({"name": "g", "columns": cols})
    weak = ~np.eye(d, dtype=bool)
    for i in (0, 2, 4):
        weak[i, i + 1] = weak[i + 1, i] = False
    strong: dict[str, list[float]] = {"normal": [], "learned": []}
    spurious: dict[str, list[float]] = {"normal": [], "learned": []}
    for seed in (1, 2, 3):
        for prior in ("normal", "learned"):
            m = tabsynth.fit(df, schema, "copula", epsilon=1.0, seed=seed,
                             reproducible_noise=True, correlation_prior=prior,
                             discover_atoms=False)  # fmt: skip
            c = m.corr_[0]
            assert np.allclose(np.diag(c), 1.0) and np.linalg.eigvalsh(c).min() > 0
            strong[prior].append(float(np.mean([c[i, i + 1] for i in (0, 2, 4)])))
            spurious[prior].append(float(np.abs(c[weak]).mean()))
    assert np.mean(strong["learned"]) > np.mean(strong["normal"]) + 0.05
    assert np.mean(spurious["learned"]) < np.mean(spurious["normal"])


def test_an_unknown_prior_is_refused():
    with pytest.raises(ValueError, match="correlation_prior"):
        CopulaConfig(correlation_prior="flat")


def test_the_strata_spread_is_learned_from_the_noisy_deviations():
    """Method of moments: strata whose true correlations equal the pooled one give the
    floor (0.05^2) whatever the noise; strata that differ by about 0.3 give about 0.3^2."""
    from tabsynth.models.copula.measure import _spread

    rng = np.random.default_rng(2)
    d, sd = 12, 0.1
    iu = np.triu_indices(d, 1)
    pooled = np.eye(d)

    def stratum(shift: float) -> np.ndarray:
        r = np.eye(d)
        r[iu] = shift * rng.choice([-1, 1], iu[0].size) + rng.normal(0, sd, iu[0].size)
        return r

    sizes = np.array([500.0, 800.0, 1200.0])
    same = _spread([stratum(0.0) for _ in sizes], pooled, [sd**2] * 3, sizes)
    apart = _spread([stratum(0.3) for _ in sizes], pooled, [sd**2] * 3, sizes)
    assert same == pytest.approx(0.05**2)
    assert apart == pytest.approx(0.3**2, rel=0.2)
