"""Numeric margins as smooth log-densities (``margins.log_smooth_counts``, ``log_margins``).

At epsilon 1 a cell's noise is a few per cent of a small table, so a tail's rare values
cannot be told from noise cell by cell. Thresholds keep isolated noise spikes far out, which
then carry a noise-sized share of the synthetic rows (and set its range); the log-density
fit gives them the small masses the bulk's decay implies, and keeps sharp edges sharp."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import lognorm

import tabsynth
from tabsynth.models.copula.margins import (
    _fitted_support,
    _rescaled,
    heapless_runs,
    log_smooth_counts,
)

SIGMA = 25.0


def _lognormal_counts(m=32, n=1000.0):
    edges = np.linspace(0, 20, m + 1)
    return n * np.diff(lognorm(0.5, scale=3.0).cdf(edges))


def test_log_fit_loses_most_of_the_noise_and_stays_positive():
    rng = np.random.default_rng(0)
    truth = _lognormal_counts()[None]
    cells, widths = np.arange(truth.shape[1]), np.ones(truth.shape[1])
    noisy = [truth + rng.normal(0, SIGMA, truth.shape) for _ in range(30)]
    fits = [log_smooth_counts(y, cells, widths, SIGMA) for y in noisy]
    mse = lambda ys: float(np.mean([(y - truth) ** 2 for y in ys]))  # noqa: E731
    assert mse(fits) < 0.3 * mse(noisy)
    assert all((f > 0).all() for f in fits)


def test_log_fit_gives_a_far_noise_spike_a_small_mass():
    """A +3 sd spike in an empty tail keeps most of its noise under a threshold rule; the
    log-density fit carries the bulk's decay through it."""
    rng = np.random.default_rng(1)
    truth = _lognormal_counts()[None]
    cells, widths = np.arange(truth.shape[1]), np.ones(truth.shape[1])
    spike = 28
    shares = []
    for _ in range(20):
        y = truth + rng.normal(0, SIGMA, truth.shape)
        y[0, spike] = 3 * SIGMA
        fit = log_smooth_counts(y, cells, widths, SIGMA)
        shares.append(fit[0, spike] / y[0, spike])
    assert np.median(shares) < 0.05


def test_fitted_support_spans_the_kept_cells_and_keeps_sharp_edges():
    free = np.arange(20)
    support = np.zeros(20, dtype=bool)
    support[[3, 4, 5, 6, 12]] = True  # a bulk and an isolated spike
    raw = np.zeros(20)
    fit = np.zeros(20)
    fit[7:] = 1.0  # a small decaying tail would pass; here the data agree with it
    within = _fitted_support(support, free, raw, fit, sd=SIGMA, extend=False)
    assert within.tolist() == [i in range(3, 13) for i in range(20)]
    extended = _fitted_support(support, free, raw, fit, sd=SIGMA, extend=True)
    assert extended.all()  # both tails agree with the data (none), so both are kept
    # a sharp edge: the fit puts 100 rows per cell past the last kept cell, the data none
    edge = _fitted_support(support, free, raw, np.full(20, 100.0), sd=SIGMA, extend=True)
    assert not edge[13:].any() and not edge[:3].any()


def test_anchored_support_ignores_spikes_past_the_data_and_keeps_modes():
    """With anchors, the range grows from the cells clearing the noise by a margin through
    kept cells at most ``gap`` apart: a kept cell past a longer stretch of dropped cells
    (a noise spike past the data) is left out, a strong second mode is not."""
    free = np.arange(30)
    raw = np.zeros(30)
    raw[5:13] = 10 * SIGMA  # the bulk
    raw[14] = 1.2 * SIGMA  # a faint tail cell one dropped cell past it
    raw[25] = 1.2 * SIGMA  # a spike past ten dropped cells
    support = raw >= SIGMA
    fit = np.zeros(30)
    old = _fitted_support(support, free, raw, fit, sd=SIGMA, extend=False)
    assert old.tolist() == [i in range(5, 26) for i in range(30)]  # to the spike
    new = _fitted_support(support, free, raw, fit, sd=SIGMA, extend=False, anchors=2.0, gap=1)
    assert new.tolist() == [i in range(5, 15) for i in range(30)]
    no_gap = _fitted_support(support, free, raw, fit, sd=SIGMA, extend=False, anchors=2, gap=0)
    assert no_gap.tolist() == [i in range(5, 13) for i in range(30)]
    raw[22:25] = 10 * SIGMA  # a second mode: anchors of its own
    two = _fitted_support(raw >= SIGMA, free, raw, fit, sd=SIGMA, extend=False, anchors=2.0)
    assert two.tolist() == [i in range(5, 26) for i in range(30)]
    # no anchor at all (every kept cell faint): the range grows from the largest one
    faint = np.zeros(30)
    faint[[3, 4, 6, 20]] = [1.1, 1.3, 1.2, 1.4]
    faint *= SIGMA
    alone = _fitted_support(faint >= SIGMA, free, faint, fit, sd=SIGMA, extend=False, anchors=0.1)
    assert alone.tolist() == [i == 20 for i in range(30)]


def test_support_anchors_shorten_a_range_stretched_by_noise():
    """Numbers in [0, 1.5] under a bound of 4: with the default rule the sample's range
    reaches a cell past the data in most fits (an empty cell clears one noise sd with 16%
    chance, and 20 empty cells lie past the data); anchored at a tenth of a noise spike
    expected over the column's cells, in few."""
    rng = np.random.default_rng(0)
    n = 2000
    x = np.round(rng.beta(2, 2, n) * 1.5, 3)
    df = pd.DataFrame({"x": x, "g": np.where(x + rng.normal(0, 0.3, n) > 0.75, "a", "b")})
    schema = {
        "name": "edge",
        "epsilon": 1.0,
        "delta": 1e-6,
        "columns": [
            {"name": "x", "kind": "numerical", "lower": 0.0, "upper": 4.0},
            {"name": "g", "kind": "categorical", "categories": ["a", "b"]},
        ],
    }
    past = {}
    for anchors in (0.0, 0.1):
        maxima = [
            tabsynth.fit(
                df, schema, "copula", seed=s, reproducible_noise=True, support_anchors=anchors
            )
            .sample(n, seed=s)["x"]
            .max()
            for s in range(8)
        ]
        past[anchors] = int((np.asarray(maxima) > 1.75).sum())  # cells of 0.125
    assert past[0.0] >= 5, past
    assert past[0.1] <= 2, past


def _skewed(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    x = np.round(rng.lognormal(1.0, 0.5, n), 3)
    g = np.where(x + rng.normal(0, 1, n) > 3, "a", "b")
    return pd.DataFrame({"x": x, "g": g})


_SCHEMA = {
    "name": "skewed",
    "columns": [
        {"name": "x", "kind": "numerical", "lower": 0, "upper": 100, "precision": 3},
        {"name": "g", "kind": "categorical", "categories": ["a", "b"]},
    ],
}


@pytest.mark.slow
def test_log_margins_keep_the_synthetic_tail_near_the_data():
    """At epsilon 1 with bounds far past the data (0-100, data max about 15), the share of
    synthetic rows beyond twice the data's maximum (pure noise mass), over 12 fits."""
    df = _skewed()
    far = 2 * df["x"].max()
    shares = {}
    for mode in ("none", "within"):
        out = []
        for seed in range(12):
            m = tabsynth.fit(
                df,
                _SCHEMA,
                "copula",
                epsilon=1.0,
                reproducible_noise=True,
                seed=seed,
                log_margins=mode,
            )
            out.append(float((m.sample(5000, seed=seed)["x"] > far).mean()))
        shares[mode] = np.mean(out)
    assert shares["within"] < 0.002 < shares["none"]


def test_log_margins_change_nothing_without_noise_and_reject_unknown_modes():
    df = _skewed(300)
    a = tabsynth.fit(df, _SCHEMA, "copula", epsilon=None, log_margins="none")
    b = tabsynth.fit(df, _SCHEMA, "copula", epsilon=None, log_margins="extend")
    for pa, pb in zip(a.pmfs_, b.pmfs_, strict=True):
        np.testing.assert_array_equal(pa, pb)  # the data's exact margins
    with pytest.raises(ValueError, match="log_margins must be"):
        tabsynth.fit(df, _SCHEMA, "copula", epsilon=1.0, log_margins="yes")


def test_log_fit_of_a_stratum_without_signal_is_finite():
    """A stratum whose noisy counts are all negative (no rows where noise is large) has a
    log-density pinned at its floor: the fit's penalty alone must not make it singular."""
    for m in (5, 6, 10, 16):
        y = -np.abs(np.random.default_rng(0).normal(0, SIGMA, (2, m)))
        y[1] = _lognormal_counts(m)
        fit = log_smooth_counts(y, np.arange(m), np.ones(m), SIGMA)
        assert np.isfinite(fit).all() and fit[0].sum() < 1e-3 * fit[1].sum()


def test_thin_values_keep_their_measured_total():
    """Values spread thinly (a fifth of a noise sd per cell over 40 cells: 200 rows, well
    measured in total) must not vanish because no single cell clears the noise."""
    rng = np.random.default_rng(4)
    truth = np.full((1, 40), 0.2 * SIGMA)
    cells, widths = np.arange(40), np.ones(40)
    totals = []
    for _ in range(20):
        y = truth + rng.normal(0, SIGMA, truth.shape)
        fit = log_smooth_counts(y, cells, widths, SIGMA)
        assert fit.sum() == pytest.approx(max(y.sum(), 0.0), abs=1e-6)  # 0: a tiny size
        totals.append(fit.sum())
    assert np.mean(totals) > 0.5 * truth.sum()


def test_a_thin_nullable_column_keeps_its_share_of_values_under_heavy_noise():
    """15% values spread over 32 cells, at epsilon 0.1 (a cell's noise sd is about 5 times
    its count, and the cells' noisy sum is often near 0 or below): the value share comes
    from the null cell and the table's size, both measured precisely, so no fit empties
    the column (the cells' own sum emptied 1 or 2 fits in 10)."""
    rng = np.random.default_rng(5)
    n = 3000
    v = rng.uniform(0, 40, n)
    v[rng.random(n) < 0.85] = np.nan
    df = pd.DataFrame({"v": v, "g": rng.choice(["a", "b"], n)})
    schema = {
        "name": "thin",
        "columns": [
            {"name": "v", "kind": "numerical", "lower": 0, "upper": 40, "nullable": True},
            {"name": "g", "kind": "categorical", "categories": ["a", "b"]},
        ],
    }
    shares = [
        tabsynth.fit(df, schema, "copula", epsilon=0.1, reproducible_noise=True, seed=seed)
        .sample(4000, seed=0)["v"]
        .notna()
        .mean()
        for seed in range(10)
    ]
    assert min(shares) > 0.03 and 0.08 < np.mean(shares) < 0.25


#: cell counts of a real ratio column (card spending over income, AER::CreditCard, 1,055
#: rows over 32 cells of [0, 1]): a bulk at 0 and 33 rows thinly spread past cell 9
_THIN_TAIL = np.array(
    [470, 190, 123, 87, 50, 45, 25, 20, 12, 4, 5, 4, 6, 1, 2, 2, 0, 4, 0, 2]
    + [0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0],
    dtype=float,
)


def test_a_heavier_df_weight_keeps_noise_bumps_out_of_a_thin_tail():
    """With the unbiased weight 2 the chosen fit follows noise bumps of a thin tail (the
    linearised degrees of freedom undercount them) and its tail mass is often twice the
    data's; ``smooth_df``'s default 4 errs less on the tail, over 120 noise draws at 7
    rows per cell (epsilon 1 on a thousand rows)."""
    sd, m = 7.0, _THIN_TAIL.size
    noisy = _THIN_TAIL + np.random.default_rng(0).normal(0, sd, (120, m))
    truth = _THIN_TAIL[9:].sum()
    err, over = {}, {}
    for weight in (2.0, 4.0):
        tails = np.array(
            [
                log_smooth_counts(y[None], np.arange(m), np.ones(m), sd, df_weight=weight)[0][
                    9:
                ].sum()
                for y in noisy
            ]
        )
        err[weight] = float(np.abs(tails - truth).mean())
        over[weight] = float((tails > 2 * truth).mean())
    assert err[4.0] < 0.9 * err[2.0], err
    assert over[4.0] < over[2.0], over


def test_smooth_df_reaches_the_fit_and_is_validated():
    df = _skewed(1000)
    pmfs = {
        w: tabsynth.fit(
            df, _SCHEMA, "copula", epsilon=1.0, seed=3, reproducible_noise=True, smooth_df=w
        ).pmfs_[0]
        for w in (2.0, 20.0)
    }
    assert np.abs(pmfs[2.0] - pmfs[20.0]).max() > 1e-4
    for bad in (1.0, 25.0):
        with pytest.raises(ValueError, match="smooth_df must be from 2"):
            tabsynth.fit(df, _SCHEMA, "copula", epsilon=1.0, smooth_df=bad)


def test_a_run_whose_noisy_sum_is_negative_keeps_its_fitted_shape():
    """Counts 106, 39, 19, 13, ... over 19 cells whose noise sums below 0 (as a count
    column's at epsilon 1): the log-density fit is scaled to a tiny total, not to 0, so
    that the run, sized from the other cells (``_rescaled``), still decays from its first
    cell instead of being drawn flat."""
    m = 19
    y = np.array([106.0, 39, 19, 13, 8, 5, 5, 0, 2, 0, 3] + [0] * 8)
    y[4:] += -40.0  # the noise of the thin cells: the run's sum is about -40
    assert y.sum() < 0
    fit = log_smooth_counts(y[None], np.arange(m), np.ones(m), 17.0)[0]
    assert fit[0] > 0
    support = np.zeros(m + 1, dtype=bool)
    support[: 4 + 1] = True  # cell 0 (a point of its own) and the run's first cells
    hist = np.concatenate([[850.0], fit])[None]
    pmf = _rescaled(hist, np.array([1055.0]), support, np.arange(1, m + 1))[0]
    run = pmf[1:5]
    assert run.sum() == pytest.approx(205.0)  # the size less the other cell
    assert run[0] > 2 * run[2] and (np.diff(run) < 0).all(), run


def _grid(lower: int, upper: int):
    from tabsynth.data.domain import build_domains
    from tabsynth.schema import Schema

    spec = {"name": "g", "columns": [{"name": "t", "kind": "numerical", "lower": lower,
                                      "upper": upper, "integer": True}]}  # fmt: skip
    dom = build_domains(Schema.from_dict(spec), bins=32)[0]
    assert not dom.intervals  # one cell per integer
    return dom, dom._layout[0]


def test_heaps_of_an_integer_grid_are_found_and_a_smooth_peak_is_not():
    """Loan terms: a smooth spread plus 400 rows at every multiple of 6, noise sd 28 (a
    cell's at epsilon 1): every inner heap is found in 50 of 50 draws, nothing else; a
    smooth peak of 20,000 rows (1,000 at its mode) gives no heap in 300 draws."""
    dom, v = _grid(0, 72)
    rng = np.random.default_rng(0)
    spread = 3000 * np.exp(-(((v - 40) / 15) ** 2) / 2) / 26
    heaps = np.where((v % 6 == 0) & (v > 0) & (v < 72), 400.0, 0.0)
    inner = np.arange(1, v.size - 1)  # the grid's ends are points, never smoothed
    for _ in range(50):
        cells, _ = heapless_runs(dom, spread + heaps + rng.normal(0, 28, v.size), 28.0, 4.5)
        found = v[np.setdiff1d(inner, cells)]
        np.testing.assert_array_equal(found, np.arange(6, 72, 6))
    peak = 20000 * np.exp(-(((v - 30) / 8) ** 2) / 2) / (np.sqrt(2 * np.pi) * 8)
    for _ in range(300):
        cells, _ = heapless_runs(dom, peak + rng.normal(0, 28, v.size), 28.0, 4.5)
        assert cells.size == inner.size


@pytest.mark.slow
def test_heaped_terms_stay_on_their_heaps_in_the_sample():
    """Terms at multiples of 6 only (4,000 rows, epsilon 1, 4 fits): smoothed across the
    heaps, some 4% of synthetic terms fall between them; with the heaps kept, under 2%."""
    spec = {"name": "loans", "columns": [
        {"name": "term", "kind": "numerical", "lower": 6, "upper": 72, "integer": True},
        {"name": "g", "kind": "categorical", "categories": ["a", "b"]},
    ]}  # fmt: skip
    rng = np.random.default_rng(0)
    p = np.array([3, 2, 6, 2, 12, 2, 12, 1, 20.0])
    t = rng.choice(np.arange(12, 61, 6), 4000, p=p / p.sum())
    df = pd.DataFrame({"term": t, "g": np.where(t + rng.normal(0, 10, t.size) > 40, "a", "b")})
    between = {}
    for z in (0.0, 4.5):
        shares = []
        for seed in range(4):
            m = tabsynth.fit(df, spec, "copula", epsilon=1.0, reproducible_noise=True,
                             seed=seed, heap_sds=z)  # fmt: skip
            shares.append(float((m.sample(20000, seed=seed)["term"] % 6 != 0).mean()))
        between[z] = np.mean(shares)
    assert between[4.5] < 0.02 and between[4.5] < 0.4 * between[0.0], between
    with pytest.raises(ValueError, match="heap_sds must be >= 0"):
        tabsynth.fit(df, spec, "copula", epsilon=1.0, heap_sds=-1)


def test_the_log_fit_stops_where_a_tight_tolerance_would(monkeypatch):
    """The Gauss-Newton fit stops at 0.1% steps (``_GN_TOL``); a fit run to 1e-8 gives the
    same pmf to 1e-4 of the run's mass on noisy lognormal counts, over 20 draws."""
    import tabsynth.models.copula.margins as margins

    rng = np.random.default_rng(5)
    y0 = _lognormal_counts()
    m = y0.size
    for _ in range(20):
        y = (y0 + rng.normal(0, 7.0, m))[None]
        fast = log_smooth_counts(y, np.arange(m), np.ones(m), 7.0, df_weight=4.0)[0]
        monkeypatch.setattr(margins, "_GN_TOL", 1e-8)
        tight = log_smooth_counts(y, np.arange(m), np.ones(m), 7.0, df_weight=4.0)[0]
        monkeypatch.undo()
        assert np.abs(fast - tight).max() < 1e-4 * tight.sum()
