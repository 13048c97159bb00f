"""A synthetic table with a known truth, for tests of what a model keeps."""

import numpy as np
import pandas as pd


def make_toy(n: int, seed: int = 0, rho: float = 0.7) -> pd.DataFrame:
    """x, w correlated by ``rho`` within class; x shifted by +1.5 in class b; k ~ Poisson."""
    rng = np.random.default_rng(seed)
    y = rng.choice(["a", "b"], n, p=[0.7, 0.3])
    z1 = rng.standard_normal(n)
    z2 = rho * z1 + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    x = np.clip(z1 + np.where(y == "b", 1.5, 0.0), -4, 4)
    k = rng.poisson(3, n).astype(float)
    k[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "y": y,
            "x": x,
            "w": np.clip(z2, -4, 4),
            "k": pd.array(np.where(np.isnan(k), None, k), dtype="Int64"),
            "flag": rng.random(n) < 0.4,
            "pid": [f"P{i:06d}" for i in range(n)],
        }
    )
