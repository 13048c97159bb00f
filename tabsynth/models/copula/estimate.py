"""Post-processing of the copula's noisy measurements (free): histograms projected onto
the simplex, Gram matrices turned into valid correlation matrices, noisy tails trimmed."""

from __future__ import annotations

from typing import Any

import numpy as np


def project_simplex(
    counts: np.ndarray, total: float | np.ndarray, support: np.ndarray | None = None
) -> np.ndarray:
    """Euclidean projection of each row of ``counts`` onto {p >= 0, sum p = total}.

    Cells outside ``support`` (a boolean mask over columns) are held at zero: a projection
    that must add mass would otherwise spread it over cells known to be empty.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    total_arr = np.broadcast_to(np.asarray(total, dtype=float), counts.shape[:1])
    keep = np.ones(counts.shape[1], dtype=bool) if support is None else np.asarray(support)
    out = np.zeros_like(counts)
    if not keep.any():
        return out
    for i, (row, t) in enumerate(zip(counts[:, keep], total_arr, strict=True)):
        if t <= 0:
            continue
        # the projection commutes with shifting every cell by one constant: shift so the
        # largest cell is 0, or large equal counts would swamp a small total in rounding
        row = row - row.max()
        srt = np.sort(row)[::-1]
        css = np.cumsum(srt) - t
        k = np.arange(1, row.size + 1)
        r = np.nonzero(srt - css / k > 0)[0][-1]
        p = np.maximum(row - css[r] / (r + 1), 0.0)
        out[i, keep] = p * (t / p.sum())
    return out


def nearest_correlation(r: np.ndarray, floor: float = 1e-4) -> np.ndarray:
    """A valid correlation matrix near ``r``: eigenvalue clipping, then unit diagonal."""
    r = (r + r.T) / 2
    w, v = np.linalg.eigh(r)
    r = (v * np.maximum(w, floor)) @ v.T
    d = np.sqrt(np.diag(r))
    r = r / np.outer(d, d)
    np.fill_diagonal(r, 1.0)
    return r


def _tail_support(hist: np.ndarray, start: int, limit: float) -> np.ndarray:
    """False for the outermost value cells (from index ``start`` on) while the pooled noisy
    mass beyond them stays below ``limit``: such tails cannot be told from noise, and
    keeping them stretches the released range far past the data's."""
    keep = np.ones(hist.shape[1], dtype=bool)
    pooled = np.maximum(hist.sum(axis=0)[start:], 0)
    if pooled.size == 0:
        return keep
    tail = (np.cumsum(pooled) < limit) | (np.cumsum(pooled[::-1])[::-1] < limit)
    if not tail.all():
        keep[start:] = ~tail
    return keep


def _to_corr(g: np.ndarray, n: float) -> np.ndarray:
    """Correlation from a (noisy) Gram matrix; tiny or negative variances are floored."""
    diag = np.maximum(np.diag(g), max(0.5 * n, 1.0))
    return g / np.sqrt(np.outer(diag, diag))


def _upper(g: np.ndarray) -> np.ndarray:
    iu = np.triu_indices(g.shape[-1])
    return g[..., iu[0], iu[1]]


def _from_upper(v: np.ndarray, d: int) -> np.ndarray:
    iu = np.triu_indices(d)
    g = np.zeros(v.shape[:-1] + (d, d))
    g[..., iu[0], iu[1]] = v
    g[..., iu[1], iu[0]] = v
    return g


#: penalties tried by ``smooth_counts`` (relative to median-width cells), and 0
_LAMBDAS = np.concatenate([[0.0], np.logspace(-2, 6, 49)])


def smooth_runs(dom: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The cells of a numeric column that ``smooth_counts`` may smooth, and their widths.

    Interval cells (between the schema's edges) of a continuous column, or the inner
    integers of an integer grid; never the null cell, a point mass (an atom or a bound,
    where clipped values pile up) or a category. From the public domain only.
    """
    if not dom.is_numeric:
        return None
    lo, hi, pt = dom._layout
    off = int(dom.nullable)
    if dom.intervals:
        idx = np.flatnonzero(~pt)
        widths = (hi - lo)[idx]
    else:
        idx = np.arange(1, lo.size - 1)
        widths = np.ones(idx.size)
    if idx.size < 5 or not (widths > 0).all():
        return None
    return idx + off, widths / np.median(widths)


def smooth_counts(
    hist: np.ndarray, cells: np.ndarray, widths: np.ndarray, sigma: float
) -> np.ndarray:
    """Noisy counts of ordered cells smoothed by a penalised least-squares fit of their
    density (second differences, a Whittaker smoother), its strength chosen by Stein's
    unbiased risk estimate from the known noise ``sigma`` (summed over the strata, one
    strength per column; 0, no smoothing, is among the choices). Free post-processing.

    Counts ``y = w * f + noise`` with cell widths ``w``: the smoother is
    ``S = (I + lam * A)^-1`` with ``A = W^-1 D'D W^-1``; SURE(lam) =
    ``||y - S y||^2 + 2 sigma^2 tr(S)`` per stratum, up to a constant.
    """
    m = cells.size
    d2 = np.diff(np.eye(m), n=2, axis=0)
    a = d2.T @ d2 / np.outer(widths, widths)
    e, v = np.linalg.eigh(a)
    e = np.maximum(e, 0.0)
    y = hist[:, cells]
    z2 = ((y @ v) ** 2).sum(axis=0)  # squared coordinates, summed over strata
    shrink = _LAMBDAS[:, None] * e[None, :]
    resid = ((shrink / (1 + shrink)) ** 2 * z2[None, :]).sum(axis=1)
    risk = resid + 2 * sigma**2 * y.shape[0] * (1 / (1 + shrink)).sum(axis=1)
    lam = _LAMBDAS[int(np.argmin(risk))]
    if lam == 0:
        return hist
    out = hist.astype(float, copy=True)
    out[:, cells] = ((y @ v) / (1 + lam * e)) @ v.T
    return out
