"""The latent correlation behind discrete cells (post-processing of released estimates).

The copula measures the correlation of *normal scores*: a row's cell is mapped through its
column's DP CDF, and a row in a point, category or null cell is placed uniformly at random
inside its CDF interval (the distributional transform). In a latent Gaussian model with
correlation ``r`` those scores are correlated less than ``r``: inside a discrete cell the
score is drawn independently of the other columns, so only its conditional mean (the mean
of a truncated normal) carries the association. For two balanced booleans a latent 0.5 is
measured as 0.21. Sampling then draws latent normals with the *measured* correlation and
cuts them into cells again, so every association with a discrete column came out
attenuated twice (0.5 -> 0.21 -> 0.14 for the booleans).

The bridge undoes the first attenuation exactly under the model. With ``m_i`` the score's
conditional mean as a function of the latent ``Z_i`` (a step function on discrete cells,
the identity on interval cells, where the score is the latent itself), Mehler's formula
gives

    E[S_i S_j] = E[m_i(Z_i) m_j(Z_j)] = sum_{k>=1} r^k c_ik c_jk,

with ``c_ik = E[m_i(Z) He_k(Z)] / sqrt(k!)`` (probabilists' Hermite polynomials), closed
form per cell. The sum is increasing in ``r`` (both functions are non-decreasing), so the
latent correlation that reproduces each measured one is found by bisection, for all pairs
at once. Inputs are the released pmfs and correlations only: no privacy cost.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

from tabsynth.data.domain import ColumnDomain

#: Hermite terms kept: a step function's terms fall off slowly (c_k^2 ~ k^-1.5), and
#: at r = 0.99 the terms beyond 400 weigh under 0.01
TERMS = 400
#: largest latent correlation the bridge returns (the sample's Cholesky needs room)
LIMIT = 0.99


def exact_cells(dom: ColumnDomain) -> np.ndarray:
    """Which cells place a row by its value (interval cells of continuous columns)."""
    out = np.zeros(dom.n_cells, dtype=bool)
    if dom.continuous:
        out[int(dom.nullable) :] = ~dom._layout[2]
    return out


def _hermite_table(x: np.ndarray, terms: int) -> np.ndarray:
    """``phi(x) He_k(x) / sqrt(k!)`` for k = 0..terms (rows), zero at infinite x."""
    finite = np.isfinite(x)
    xf = np.where(finite, x, 0.0)
    phi = np.where(finite, np.exp(-0.5 * xf**2) / np.sqrt(2 * np.pi), 0.0)
    h = np.empty((terms + 1,) + x.shape)
    h[0] = phi
    if terms >= 1:
        h[1] = xf * phi
    for k in range(1, terms):
        h[k + 1] = (xf * h[k] - np.sqrt(k) * h[k - 1]) / np.sqrt(k + 1)
    return h


def column_coefficients(
    pmfs: list[np.ndarray], exact: list[np.ndarray], terms: int = TERMS
) -> np.ndarray:
    """``c_k`` (k = 1..terms) of every column's score: (rows of each pmf) x columns x terms.

    ``pmfs[j]`` holds rows of cell probabilities in CDF order (one per stratum) and
    ``exact[j]`` whether each cell places rows by value (score = latent there) or at random
    (score's mean = the truncated normal mean there). One Hermite recursion serves all.
    """
    probs, bounds = [], []
    for pmf in pmfs:
        p = np.maximum(np.atleast_2d(np.asarray(pmf, dtype=float)), 0.0)
        p = p / np.where(p.sum(axis=1, keepdims=True) > 0, p.sum(axis=1, keepdims=True), 1.0)
        cdf = np.concatenate([np.zeros((p.shape[0], 1)), np.cumsum(p, axis=1)], axis=1)
        cdf[:, -1] = 1.0
        probs.append(p)
        bounds.append(ndtri(np.clip(cdf, 0.0, 1.0)))  # -inf .. +inf
    sizes = [b.size for b in bounds]
    table = _hermite_table(np.concatenate([b.ravel() for b in bounds]), terms)
    parts = np.split(table, np.cumsum(sizes)[:-1], axis=1)
    k = np.arange(1, terms + 1)[:, None, None]
    scale = np.concatenate([[1.0], np.sqrt(k[1:, 0, 0] / (k[1:, 0, 0] - 1))])[:, None, None]
    out = []
    for p, t, h, ex in zip(probs, bounds, parts, exact, strict=True):
        h = h.reshape((terms + 1,) + t.shape)
        d = h[:, :, :-1] - h[:, :, 1:]  # D_k = [phi h_k](s) - [phi h_k](u), per cell
        live = p > 0
        mean = np.where(live, d[0] / np.where(live, p, 1.0), 0.0)  # truncated normal means
        # a cell placed at random: m * int_s^u He_k phi / sqrt(k!) = m * D_{k-1} / sqrt(k)
        rand = mean[None] * d[:-1] / np.sqrt(k)
        # a cell placed by value: int_s^u z He_k phi / sqrt(k!) = D_k + sqrt(k/(k-1)) D_{k-2}
        mass = (ndtr(t[:, 1:]) - ndtr(t[:, :-1]))[None]  # I_0, for k = 1
        byval = d[1:] + scale * np.concatenate([mass, d[: terms - 1]], axis=0)
        c = np.where(np.asarray(ex, dtype=bool)[None, None, :] & live[None], byval, rand)
        out.append(c.sum(axis=2).T)  # rows x terms
    return np.stack(out, axis=1)


def coefficients(pmf: np.ndarray, exact: np.ndarray, terms: int = TERMS) -> np.ndarray:
    """``c_k`` (k = 1..terms) of one column's score (one pmf in CDF order)."""
    return column_coefficients([np.asarray(pmf)[None]], [exact], terms)[0, 0]


def score_correlation(c_i: np.ndarray, c_j: np.ndarray, r: np.ndarray | float) -> np.ndarray:
    """E[S_i S_j] for latent correlation ``r`` (Mehler's series)."""
    r = np.asarray(r, dtype=float)
    powers = r[..., None] ** np.arange(1, np.shape(c_i)[-1] + 1)
    return np.sum(powers * c_i * c_j, axis=-1)  # type: ignore[no-any-return]


#: latent correlations at which each pair's series is tabulated (then interpolated)
GRID = np.linspace(-LIMIT, LIMIT, 199)
#: GRID ** k for k = 1..TERMS (terms x grid), computed once
_POWERS = GRID[None, :] ** np.arange(1, TERMS + 1)[:, None]


def latent_correlation(measured: np.ndarray, coefs: np.ndarray) -> np.ndarray:
    """The latent correlation matrices whose scores have correlations ``measured``.

    ``measured`` is (..., d, d) and ``coefs`` (..., d, terms), one row of Hermite
    coefficients per column. Each pair's series is tabulated on ``GRID`` (one matrix
    product for all pairs) and inverted by interpolation: it increases with the latent.
    Targets beyond what the margins allow are met at +-``LIMIT``; pairs with a column of
    one cell stay as measured; the caller makes the result a valid matrix.
    """
    d = measured.shape[-1]
    iu = np.triu_indices(d, 1)
    products = coefs[..., iu[0], :] * coefs[..., iu[1], :]  # (..., pairs, terms)
    terms = coefs.shape[-1]
    powers = _POWERS if terms == TERMS else GRID[None, :] ** np.arange(1, terms + 1)[:, None]
    table = products @ powers  # (..., pairs, grid), increasing along the grid
    target = measured[..., iu[0], iu[1]]
    above = (table < target[..., None]).sum(axis=-1)
    i = np.clip(above, 1, GRID.size - 1)
    lo = np.take_along_axis(table, (i - 1)[..., None], -1)[..., 0]
    hi = np.take_along_axis(table, i[..., None], -1)[..., 0]
    w = np.clip((target - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
    r = GRID[i - 1] + w * (GRID[i] - GRID[i - 1])
    # a column with (almost) one cell carries no association: its pairs stay as measured
    r = np.where(table[..., -1] - table[..., 0] > 1e-6, r, target)
    out = np.zeros(measured.shape)
    out[..., iu[0], iu[1]] = r
    out[..., iu[1], iu[0]] = r
    out[..., np.arange(d), np.arange(d)] = 1.0
    return out


def blend_valid(
    measured: np.ndarray, latent: np.ndarray, floor: float = 1e-3, rounds: int = 300
) -> np.ndarray:
    """A valid correlation matrix between ``measured`` (valid) and ``latent``, pair by pair.

    Bridged pairs are solved one at a time, so together they can be inconsistent (three
    count columns measured at 0.95 each need latents near 1 that no matrix holds).
    Clipping eigenvalues would spread that error over every pair, pulling the strongest
    ones down most. Instead, while the smallest eigenvalue is below ``floor``, the pairs
    that push the quadratic form of its eigenvector negative step back towards their
    measured value; every pair ends between its measured and its bridged value.
    """
    floor = min(floor, 0.99 * float(np.linalg.eigvalsh(measured)[0]))
    step = np.ones_like(latent)
    gap = latent - measured
    for _ in range(rounds):
        out = measured + step * gap
        w, v = np.linalg.eigh(out)
        if w[0] >= floor:
            return out  # type: ignore[no-any-return]
        x = v[:, 0]
        push = np.outer(x, x) * gap < 0
        step = np.where(push, step * 0.8, step)
    return measured + step * gap  # type: ignore[no-any-return]
