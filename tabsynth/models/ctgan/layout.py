"""How rows become network inputs: the schema's public cells and released DP marginals only.

A categorical, boolean or small-integer column is a one-hot block over its public cells (see
``tabsynth.data.domain``). A numeric column with interval cells or many integers is one number:
the normal score of its value under the column's DP marginal (the distributional transform
through the released CDF, null first), so that the networks see smooth numbers and can learn
how they move together. This replaces CTGAN's DataTransformer, whose Gaussian mixtures and
category lists are fitted on the private data.

The conditional vector has one block per one-hot column; one block is active per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.special import ndtr, ndtri

from tabsynth.data.domain import ColumnDomain

MAX_ONEHOT_INTEGERS = 16


def is_scalar(dom: ColumnDomain) -> bool:
    """Whether a column is encoded as one normal score rather than a one-hot block."""
    return dom.is_numeric and (dom.continuous or dom.n_cells > MAX_ONEHOT_INTEGERS)


@dataclass(frozen=True)
class Layout:
    """Where each column sits in the row vector and in the conditional vector."""

    domains: tuple[ColumnDomain, ...]

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.domains]

    @property
    def cells(self) -> list[int]:
        return [d.n_cells for d in self.domains]

    @property
    def scalar(self) -> list[bool]:
        return [is_scalar(d) for d in self.domains]

    @property
    def widths(self) -> list[int]:
        """Width of each column in the row vector (and in the generator's output)."""
        return [1 if s else m for m, s in zip(self.cells, self.scalar, strict=True)]

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.widths)[:-1]]).astype(np.int64)

    @property
    def row_dim(self) -> int:
        return int(sum(self.widths))

    @property
    def discrete(self) -> list[int]:
        """Indices of the one-hot columns (the ones the conditional vector covers)."""
        return [i for i, s in enumerate(self.scalar) if not s]

    @property
    def cond_offsets(self) -> np.ndarray:
        widths = [self.cells[i] for i in self.discrete]
        return np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)

    @property
    def cond_dim(self) -> int:
        return int(sum(self.cells[i] for i in self.discrete))

    def cells_of(self, df: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(cell index, position in the cell; NaN for points) of every value, per column."""
        n = df.height
        cells = np.empty((n, len(self.domains)), dtype=np.int64)
        pos = np.empty((n, len(self.domains)))
        for j, dom in enumerate(self.domains):
            cells[:, j], pos[:, j] = dom.encode(df.get_column(dom.name))
        return cells, pos

    def encode(
        self,
        cells: np.ndarray,
        pos: np.ndarray,
        pmfs: list[np.ndarray],
        jitter: np.random.Generator | np.ndarray,
    ) -> np.ndarray:
        """Row vectors (float32): one-hots, and normal scores through the pmfs' CDFs (a
        point or null cell's mass is spread uniformly, as in the copula). ``jitter`` is a
        uniform per row and column (n, d), keyed by the row at fit time, or a generator."""
        n = cells.shape[0]
        x = np.zeros((n, self.row_dim), dtype=np.float32)
        rows = np.arange(n)
        for j, (off, sc) in enumerate(zip(self.offsets, self.scalar, strict=True)):
            if not sc:
                x[rows, off + cells[:, j]] = 1.0
                continue
            p = pmfs[j]
            lo = np.cumsum(p) - p
            u_j = jitter[:, j] if isinstance(jitter, np.ndarray) else jitter.random(n)
            frac = np.where(np.isnan(pos[:, j]), u_j, pos[:, j])
            u = lo[cells[:, j]] + p[cells[:, j]] * frac
            x[:, off] = ndtri(np.clip(u, 1e-6, 1 - 1e-6))
        return x

    def decode(self, cells: np.ndarray, pos: np.ndarray) -> pl.DataFrame:
        """A frame from cell indices (n, d) and positions within cells (n, d)."""
        cols = []
        for j, dom in enumerate(self.domains):
            cols.append(dom.decode(cells[:, j], pos[:, j] if dom.continuous else None))
        return pl.DataFrame(cols)


def uniform_to_cells(u: np.ndarray, pmf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells and positions within them for uniforms ``u`` under ``pmf`` (inverse CDF)."""
    cdf = np.cumsum(pmf)
    cdf[-1] = 1.0
    cell = np.minimum(np.searchsorted(cdf, u, side="right"), pmf.size - 1)
    lo = cdf[cell] - pmf[cell]
    pos = np.clip((u - lo) / np.maximum(pmf[cell], 1e-300), 0.0, 1.0 - 1e-9)
    return cell, pos


def scores_to_uniform(z: np.ndarray) -> np.ndarray:
    return ndtr(z)  # type: ignore[no-any-return]
