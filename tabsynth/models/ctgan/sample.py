"""Sampling a fitted DP-CTGAN (post-processing): the generator's rows, the marginal
calibration fitted at the end of ``fit``, the label model's draws, decoding to values."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import polars as pl
from scipy.special import ndtri

from tabsynth.errors import (
    SamplingError,
    require_extra,
)
from tabsynth.models.ctgan.layout import Layout, uniform_to_cells
from tabsynth.models.ctgan.state import _Fitted

torch = require_extra("torch", "ctgan")
require_extra("opacus", "ctgan")


from tabsynth.models.ctgan.label import (  # noqa: E402
    features,
)

SGD_MECHANISM = "DP-SGD on the discriminator (Poisson-subsampled Gaussian, Opacus)"
MARGINAL_MECHANISM = "histogram of every column over its public cells"
COUNT_MECHANISM = "row count (plans DP-SGD)"


CHUNK = 65_536


LEVELS = np.linspace(0.0, 1.0, 257)


def _monotone(q: np.ndarray) -> np.ndarray:
    """Strictly increasing knots (ties broken by a tiny step), for ``np.interp``."""
    return q + np.arange(q.size) * 1e-9 * max(1.0, float(np.abs(q).max()))


def _draw(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One cell per row, drawn from softmax(``logits``) (Gumbel-max)."""
    u = rng.random(logits.shape, dtype=np.float32).clip(1e-12, 1 - 1e-7)
    return np.argmax(logits - np.log(-np.log(u)), axis=1)  # type: ignore[no-any-return]


def _fit_bias(logits: np.ndarray, target: np.ndarray, iters: int = 50) -> np.ndarray:
    """Bias b with mean(softmax(logits + b)) = target (cells of target 0 get -1e9)."""
    ok = target > 0
    b = np.where(ok, 0.0, -1e9)
    for _ in range(iters):
        cur = _softmax(logits + b).mean(axis=0)
        b[ok] += np.log(target[ok] / np.maximum(cur[ok], 1e-12))
        b[ok] -= b[ok].max()
    return b


def _softmax(a: np.ndarray) -> np.ndarray:
    a = a - a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


class _Sampler(_Fitted):
    """Generation, calibration and sampling (mixed into ``CTGANSynthesizer``)."""

    # not quite: one-hot cells get a -1e9 logit bias where the DP marginal is zero, but a
    # decoded number near a cell's edge can round into a neighbouring zero cell (about 1
    # row in 10,000 seen), so the critic checks every draw
    draws_in_support: ClassVar[bool] = False

    # --- post-processing ------------------------------------------------------------------
    def _generate(
        self,
        n: int,
        rng: np.random.Generator,
        column: int | None = None,
        cells: np.ndarray | None = None,
    ) -> np.ndarray:
        """Raw generator outputs (n, row width), from numpy randomness.

        ``column``/``cells``: condition row i on cell ``cells[i]`` of one-hot column
        ``column``; otherwise the conditional vector is drawn as in training.
        """
        layout = self.layout_
        cond = np.zeros((n, layout.cond_dim), dtype=np.float32)
        disc = layout.discrete
        if column is not None and cells is not None:
            cond[np.arange(n), layout.cond_offsets[disc.index(column)] + cells] = 1.0
        elif disc and n:
            which = rng.choice(len(disc), size=n, p=self._col_probs())
            u = rng.random(n)
            pick = np.empty(n, dtype=np.int64)
            for k, j in enumerate(disc):
                sel = which == k
                c = np.cumsum(self.pmfs_[j])
                pick[sel] = np.minimum(np.searchsorted(c, u[sel], side="right"), c.size - 1)
            cond[np.arange(n), layout.cond_offsets[which] + pick] = 1.0
        z = rng.standard_normal((n, self.config_.z_dim), dtype=np.float32)
        with torch.no_grad():
            out = self.net_(torch.from_numpy(np.concatenate([z, cond], axis=1)))
        return out.numpy()  # type: ignore[no-any-return]

    def _calibrate(
        self, layout: Layout, pmfs: list[np.ndarray], seed: int, calibrate: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Post-processing that makes each column's generated distribution given the target
        match its DP estimate: per-cell logit biases for one-hot columns, and for score
        columns the generated scores' quantiles (a monotone map to uniforms, which keeps the
        scores' ranks, hence their dependence). One row per target cell."""
        rng = np.random.default_rng(seed)
        t = self.target_index_
        m_t = layout.cells[t] if t is not None else 1
        bias = np.zeros((m_t, layout.row_dim), dtype=np.float64)
        knots = np.tile(ndtri(np.clip(LEVELS, 1e-6, 1 - 1e-6)), (m_t, len(layout.cells), 1))
        per = max(2000, 20_000 // m_t)
        for k in range(m_t):
            if t is not None:
                raw = self._generate(per, rng, t, np.full(per, k))
            else:
                raw = self._generate(per, rng)
            for j, (off, w, sc) in enumerate(
                zip(layout.offsets, layout.widths, layout.scalar, strict=True)
            ):
                if sc:
                    knots[k, j] = _monotone(np.quantile(raw[:, off], LEVELS))
                elif j != t and calibrate:
                    target = self.conds_[j][k if t is not None else 0]
                    bias[k, off : off + w] = _fit_bias(raw[:, off : off + w].astype(float), target)
        if t is not None and calibrate:  # the target's own logits, when conditioning elsewhere
            raw = self._generate(per, rng)
            off, w = layout.offsets[t], layout.widths[t]
            bias[:, off : off + w] = _fit_bias(raw[:, off : off + w].astype(float), pmfs[t])
        return bias.astype(np.float32), knots

    # --- sample ---------------------------------------------------------------------------
    def _sample(
        self, n: int, rng: np.random.Generator, where: dict[str, int] | None = None
    ) -> pl.DataFrame:
        layout = self.layout_
        where = dict(where or {})
        if len(where) > 1:
            raise SamplingError(
                f"ctgan conditions on one column at a time through its conditional vector; "
                f"got {sorted(where)}. Fix: keep one condition."
            )
        column = cell = None
        if where:
            ((name, cell),) = where.items()
            column = layout.names.index(name)
            if column not in layout.discrete:
                raise SamplingError(
                    f"ctgan conditions on categorical, boolean or small-integer columns "
                    f"(at most 16 values); {name!r} is not one"
                )
            if self.pmfs_[column][cell] <= 0:
                raise SamplingError(
                    f"impossible condition {where}: the fitted model gives it probability 0. "
                    "Fix: condition on a value the data can hold."
                )
        chunks = [
            self._sample_chunk(min(CHUNK, n - start), rng, column, cell)
            for start in range(0, max(n, 1), CHUNK)
        ]
        cells = np.concatenate([c for c, _ in chunks])[:n]
        pos = np.concatenate([p for _, p in chunks])[:n]
        return self._add_unmodelled(layout.decode(cells, pos), n)

    def _sample_chunk(
        self, n: int, rng: np.random.Generator, column: int | None, cell: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cells and positions of ``n`` rows. With a target, each row's target cell is fixed
        first (drawn from its DP marginal, or by the condition), the generator is conditioned
        on it, and the other columns are decoded with that target cell's calibration."""
        layout = self.layout_
        t = self.target_index_
        asked_target = column is not None and column == t
        fixed = np.full(n, cell) if column is not None else None
        if t is not None and column is None:
            c = np.cumsum(self.pmfs_[t])
            fixed = np.minimum(np.searchsorted(c, rng.random(n), side="right"), c.size - 1)
            column = t
        raw = self._generate(n, rng, column, fixed)
        cells = np.empty((n, len(layout.cells)), dtype=np.int64)
        pos = np.full((n, len(layout.cells)), 0.5)
        offs, widths = layout.offsets, layout.widths
        y = np.zeros(n, dtype=np.int64)
        if t is not None:
            if column == t:
                y = fixed  # type: ignore[assignment]
            else:
                sl = slice(offs[t], offs[t] + widths[t])
                y = _draw(raw[:, sl] + self.bias_[0, sl], rng)
            cells[:, t] = y
        for j, sc in enumerate(layout.scalar):
            if j == t:
                continue
            sl = slice(offs[j], offs[j] + widths[j])
            if not sc:
                cells[:, j] = _draw(raw[:, sl] + self.bias_[y, sl], rng)
                continue
            for k in np.unique(y):
                rows = np.flatnonzero(y == k)
                u = np.interp(raw[rows, offs[j]], self.knots_[k, j], LEVELS)
                cells[rows, j], pos[rows, j] = uniform_to_cells(u, self.conds_[j][k])
        if column is not None and fixed is not None:
            cells[:, column] = fixed
        if self.label_ is not None and t is not None and not asked_target:
            cells[:, t] = _draw(self._label_logits(cells, pos, rng) + self.label_bias_, rng)
        return cells, pos

    def _label_logits(self, cells: np.ndarray, pos: np.ndarray, rng: Any) -> np.ndarray:
        """The label model's logits for rows given as cells and positions."""
        layout, t = self.layout_, self.target_index_
        x = layout.encode(cells, pos, self.pmfs_, rng)
        w, b = self.label_  # type: ignore[misc]
        return features(x, int(layout.offsets[t]), layout.widths[t]) @ w.T + b  # type: ignore[no-any-return, arg-type, index]

    def _calibrate_label(self, seed: int) -> np.ndarray:
        """Bias on the label model's logits that makes the generated target marginal match
        its DP estimate (post-processing, on generated rows)."""
        t = self.target_index_
        self.label_bias_ = np.zeros(self.layout_.cells[t])  # type: ignore[index]
        rng = np.random.default_rng([seed, 1])
        cells, pos = self._sample_chunk(20_000, rng, None, None)
        logits = self._label_logits(cells, pos, rng)
        return _fit_bias(logits, self.pmfs_[t])  # type: ignore[index]

    def _joint(self, columns: list[str]) -> np.ndarray | None:
        """One column's DP marginal (the joint of several is known through samples)."""
        if len(columns) != 1:
            return None
        return self.pmfs_[self.layout_.names.index(columns[0])]

    def _cell_domain(self, column: str) -> Any:
        return self.layout_.domains[self.layout_.names.index(column)]

    def marginal(self, column: str) -> dict[Any, float]:
        """The DP marginal the sampler is calibrated to, for a categorical or boolean column."""
        layout = self.layout_
        j = layout.names.index(column)
        dom = layout.domains[j]
        labels = (["<null>"] if dom.nullable else []) + list(dom.labels)
        return {label: float(p) for label, p in zip(labels, self.pmfs_[j], strict=True)}
