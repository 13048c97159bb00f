"""The DP copula's options (``CopulaConfig``): ``schema.model_options`` or keyword
arguments of ``tabsynth.fit``; its docstring is the options' reference."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class CopulaConfig:
    """Options of the DP copula (from ``schema.model_options`` or keyword arguments).

    Attributes:
        bins: histogram bins of continuous columns without their own ``bins``.
        max_strata: most strata; strata columns beyond it are modelled inside the copula.
        split: shares of rho for (stratum counts, histograms, correlations).
        clip_factor: score vectors are clipped to squared norm ``clip_factor * d``.
        shrink_tau: prior spread of correlations between strata (shrinkage strength).
        correlation_prior: the prior the pooled correlations are shrunk under: ``"normal"``
            (spread ``shrink_tau`` about 0, in latent units) or ``"learned"`` (a prior on a
            grid fitted to all the noisy correlations, ``estimate.learned_shrink``: strong
            pairs keep their strength); ``"learned_spread"`` also learns the strata's spread
            about the pooled correlation (``shrink_tau``) from the noisy deviations. All are
            post-processing.
        discover_atoms: find the point masses of continuous columns (values many rows
            share, such as 0 or round amounts) with a thresholded Gaussian sparse histogram
            of distinct values (``models/atoms.py``); they become cells of their own.
            Skipped where a unit may hold several rows.
        atom_share: share of rho for that discovery (taken before the split).
        atom_delta_share: share of delta for it: a value held by a single record passes
            the threshold with probability at most this share of delta.
        max_atoms: most point masses kept per column (those with the largest noisy counts).
        atom_shard_rows: distinct values of continuous columns are counted in hash shards of
            about this many rows (one pass each), which bounds the memory of big fits.
        max_atom_candidates: most distinct values that point-mass discovery may noise (one
            exact discrete-Gaussian draw each, about 12 microseconds); beyond it the fit
            stops and says how to declare point masses in the schema instead.
        latent_bridge: turn the measured correlations of normal scores into the latent
            correlations that reproduce them through discrete cells (``bridge.py``; free
            post-processing). False keeps the scores' correlations (the old model).
        cell_threshold: cells whose noisy count summed over the strata is below this many
            of its noise sds are taken as empty in every stratum (noise alone would scatter
            mass over cells, and ranges, the data never reach).
        tail_sds: a numeric column's outermost cells are cut while the noisy mass beyond
            them (summed over the strata, floored at 0 cell by cell) stays below this many
            noise sds; 0 keeps them to the thresholds alone.
        min_stratum_rows: default strata (the target first, then protected attributes) are
            kept only while they average at least this many rows (the noisy row count's).
        size_share: share of rho for that noisy row count (only with default strata).
        stratum_snr: a protected attribute is added to the default strata only while
            strata also average this many histogram noise sds of rows.
        correlation: ``"stratum"`` measures a Gram matrix per stratum (shrunk towards the
            pooled one); ``"pooled"`` measures one over all rows.
        smooth_margins: smooth the noisy histograms of numeric columns over their ordered
            cells (a penalised fit of the density whose strength is chosen from the known
            noise by Stein's unbiased risk estimate; free post-processing).
        log_margins: ``"within"`` smooths numeric columns' ordered cells as a smooth
            log-density (``margins.log_smooth_counts``) instead of smoothing the counts,
            between the outermost cells the thresholds keep (isolated noise spikes in the
            tails get the fit's small masses instead of a noise-sized one);
            ``"extend"`` also keeps the fit's decaying tails past them where the noisy
            counts agree; ``"none"`` smooths the counts (the model before 2026-12-07
            pm). Free post-processing; needs ``smooth_margins``. Default ``"within"``
            since 2026-12-07 (7-table ablation, epsilon 1: quality 0.911 -> 0.914, pair
            trends 0.850 -> 0.859, 3-way TVD 0.177 -> 0.173; credit_data +0.029,
            doctor_visits +0.009, credit_card +0.009, but loans -0.014 and nmes1988
            -0.012, whose heavy tails the spikes happened to mimic; TSTR/real 0.958 ->
            0.928, all of it loans', whose real AUC is 0.59: 1.18 -> 0.98; the other six
            average 0.920 both).
        smooth_df: how strongly a log-density margin is smoothed: its penalty is the one
            that minimises the residual plus this many times the fit's degrees of freedom
            (``margins.log_smooth_counts``). 2 is Stein's unbiased risk estimate, but the
            degrees of freedom are the fit's linearised ones, which undercount how a fit
            of a thin tail follows its noise spikes (at epsilon 1 a cell's noise sd is some
            7 rows of a thousand: bumps of 30-60 rows past the bulk, where the data have
            a few); a heavier weight, as Gu's 1.4 in generalised cross-validation, picks
            smoother fits. Free post-processing. Default 4 since 2026-12-07 evening
            (``ablation.py`` row 59, 7 tables, 3 paired fits, epsilon 1: quality 0.917 ->
            0.920, pair trends 0.865 -> 0.871, 3-way TVD 0.173 -> 0.170; held-out tables,
            ``heldout.py`` with 16 paired fits: quality 0.890 -> 0.895, house_prices
            +0.015, cps1985 +0.007, computers -0.003).
        heap_sds: an integer grid's values whose noisy count (summed over the strata)
            stands more than this many sds above the median of their neighbours' (two on
            each side) are heaps (``margins.heapless_runs``): they keep their own counts,
            as point masses do, and the smoothing fits the rest. Loan terms pile up at
            multiples of 6 months: smoothed across, 4% of synthetic terms fell between
            them (none in the data), or a rough fit that follows them follows the noise
            between them too. At 4.5 a noise spike in an empty tail clears it with chance
            about 3e-6 per value (at 3.5 one did in nmes1988: quality 0.916 -> 0.905).
            0 smooths every value. Free post-processing. Default 4.5 since 2026-12-07
            (``sweep.py``, 7 tables, 4 paired fits, epsilon 1: credit_data 3-way TVD
            0.270 -> 0.261, quality equal, no table down by 0.001; the held-out tables
            have no integer grid).
        support_anchors: with log-density margins, how far a numeric column's released
            range reaches (``margins._fitted_support``): from the outermost cells whose
            noisy count about this many of the column's cells would clear on noise alone,
            outward through kept cells at most ``support_gap`` cells apart; 0 (the
            default): to the outermost cell any threshold keeps, which an empty cell
            clears by noise with 16% chance, so that a column whose bound lies far past
            its data has its range stretched at any epsilon. Free post-processing. At 2
            (``ablation.py``, 7 tables, 3 paired fits, epsilon 1): quality 0.917 -> 0.922
            (doctor_visits 0.927 -> 0.944, nmes1988 0.905 -> 0.918), pair trends 0.865 ->
            0.876; but on the 4 held-out tables (``heldout.py``, 8 fits) 0.893 -> 0.885
            (house_prices 0.846 -> 0.828, computers 0.922 -> 0.911: heavy tails and values
            with gaps, such as memory sizes, that it cut), so it stays off by default.
        support_gap: cells the thresholds dropped that the range may bridge.
        zero_splits: split the first schema cell of every interval column bounded below
            at 0 into this many more cells, at ``w/2, w/4, ..., w/2**zero_splits`` (``w``
            the cell's width; ``refine.zero_edges``): amounts, ratios and durations pile
            up near 0 at scales far finer than a cell of generous bounds (card spending
            over income, bounded at 1, has a quarter of its rows under 0.003, inside the
            first of 32 cells, where the sample was drawn flat). Public: from the schema
            alone, nothing is measured for it; the new cells nearest 0 are taken as empty
            while their noisy sum stays under 2 noise sds (``margins._empty_prefix``).
            0 (the default) keeps the schema's cells: at 8 (``ablation.py`` row 58, 7
            tables, 3 paired fits) quality 0.917 -> 0.921, pair trends 0.865 -> 0.872,
            3-way TVD 0.173 both, but TSTR/real 0.938 -> 0.898 (loans 1.04 -> 0.85), and on
            the held-out tables (``heldout.py``, 8 fits) 0.893 -> 0.886.
        gram: ``"offdiag"`` measures only the Gram matrices' off-diagonal (sensitivity
            ``C sqrt((d-1)/(2d))`` instead of ``C``, C the squared clip norm: half the noise
            variance) and takes each diagonal from the noisy stratum size times the clipped
            scores' known variance; ``"full"`` measures the whole upper triangle (the old
            model).
        unclip: undo the norm clipping's pull of correlations towards 0
            (``estimate.unclip_correlation``; free post-processing).
        pooled: with two strata or more, measure each histogram and Gram matrix summed over
            the strata beside the strata's own, in the same Gaussian mechanism (a record
            moves one cell of each: the sensitivity times sqrt(2)), and make the strata
            agree with their measured sum by least squares. The pooled margins and
            correlations (column shapes, pairs) then carry noise of variance about
            2 sigma^2 instead of S sigma^2 over S strata; each stratum's, 2S/(S+1) sigma^2
            instead of sigma^2. The strata's margins are then raked to the pooled one.
            Default since 2026-12-07 (7-table ablation, epsilon 1: quality 0.903 -> 0.910,
            3-way TVD 0.187 -> 0.177, TSTR/real 0.962 -> 0.954).
        refine_share: share of rho for the cell refinement (``refine.py``): one pooled
            noisy histogram of the interval columns, whose heavy cells are then split;
            0 (the default: within the fit-to-fit spread on the 7 benchmark tables, see
            ``benchmarks/ABLATION.md``) keeps the schema's equal-width cells.
        refine_max_split: most parts one schema cell is split into.
        refine_min_split: fewest parts a split cell gets (cells that would get fewer
            stay whole: only the heavy ones are split).
        pair_share: share of rho for the pair calibration (``pairs.py``): pairs of columns
            chosen privately where the copula misses their 2-way marginal, measured, and
            the sample raked to them; 0 (the default) samples the copula alone. At 0.3, on
            the 7 benchmark tables (``benchmarks/ABLATION.md``), it lifts health_insurance
            (0.959 -> 0.970) and doctor_contacts (0.888 -> 0.900; 0.927 with untempered
            weights) but loses a little on four others: quality 0.903 against 0.902 on
            average, TSTR/real 0.960 against 0.967, 3-way TVD 0.199 against 0.188.
        pair_groups: most groups of cells per column in the measured 2-way tables.
        pair_count: how many pairs are chosen and measured (each record adds to every
            measured table: the sensitivity grows as its square root); 0 chooses one per
            modelled column. 6 pairs at ``pair_share`` 0.2 with untempered weights, on
            the log-density margins (7-table ablation): quality 0.914 -> 0.921
            (doctor_contacts 0.912 -> 0.944), but 3-way TVD 0.173 -> 0.183 and TSTR/real
            0.928 -> 0.904 (loans, health), so the pair calibration stays off by default.
        pair_select_share: share of ``pair_share`` that chooses the pairs (the rest
            measures them).
        pair_oversample: rows drawn from the copula per row sampled, before raking.
        pair_min_ess: least effective share of the drawn rows that the raking weights
            keep in use (stronger weights are tempered).
        pair_draw_rows: rows drawn from the fitted copula to estimate its own 2-way
            tables (the pairs' scores).
        pair_correlation: correct the latent correlation of each measured pair of copula
            columns by the polychoric correlations of its measured and model tables
            (``pairs.py``; post-processing) before raking.
        strata_cells: with two strata or more, measure every column's histogram pooled
            over the strata first, then each stratum's over at most this many groups of
            cells chosen from the pooled one (``coarse.py``), in place of the per-stratum
            histograms and their sum; 0 (the default) measures every cell per stratum.
            A stratum's share of each group is measured far better than its cells (a
            tenth less L1 error on 8 strata of 250 rows at the default shares; none left
            with 0.7 of the rho to the pooled histograms), but it takes the pooled shape
            within a group. 7-table ablation at epsilon 1 (8 groups, ``strata_cells_snr``
            2, ``strata_cells_share`` 0.7, session 25): quality
            0.915 against 0.917, 3-way TVD 0.170 against 0.173, TSTR/real 0.935 against
            0.948 (credit_data 0.956 against 0.939; credit_card 0.839 against 0.859):
            off by default.
        strata_cells_snr: fewer groups when a median stratum would hold fewer than this
            many noise sds per group (at least 2 groups).
        strata_cells_share: share of the histograms' rho for the pooled ones.
    """

    bins: int = 32
    max_strata: int = 64
    split: tuple[float, float, float] = (0.1, 0.5, 0.4)
    clip_factor: float = 1.5
    shrink_tau: float = 0.2
    correlation_prior: str = "normal"
    discover_atoms: bool = True
    atom_share: float = 0.1
    atom_delta_share: float = 0.1
    max_atoms: int = 32
    atom_shard_rows: int = 2_000_000
    max_atom_candidates: int = 5_000_000
    cell_threshold: float = 1.0
    tail_sds: float = 2.0
    min_stratum_rows: int = 500
    size_share: float = 0.02
    stratum_snr: float = 50.0
    correlation: str = "stratum"
    latent_bridge: bool = True
    smooth_margins: bool = True
    log_margins: str = "within"
    smooth_df: float = 4.0
    heap_sds: float = 4.5
    support_anchors: float = 0.0
    support_gap: int = 1
    zero_splits: int = 0
    gram: str = "offdiag"
    unclip: bool = True
    pooled: bool = True
    refine_share: float = 0.0
    refine_max_split: int = 32
    refine_min_split: int = 2
    pair_share: float = 0.0
    pair_groups: int = 8
    pair_count: int = 0
    pair_select_share: float = 0.3
    pair_oversample: int = 4
    pair_min_ess: float = 0.3
    pair_draw_rows: int = 50_000
    pair_correlation: bool = True
    strata_cells: int = 0
    strata_cells_snr: float = 3.0
    strata_cells_share: float = 0.5

    def __post_init__(self) -> None:
        if len(self.split) != 3 or any(s < 0 for s in self.split) or sum(self.split) <= 0:
            raise ValueError(f"split must be three non-negative shares, got {self.split}")
        if self.max_strata < 1 or self.bins < 2 or self.clip_factor <= 0:
            raise ValueError("need max_strata >= 1, bins >= 2 and clip_factor > 0")
        if self.correlation not in ("stratum", "pooled"):
            raise ValueError(f"correlation must be 'stratum' or 'pooled', got {self.correlation!r}")
        if self.correlation_prior not in ("normal", "learned", "learned_spread"):
            raise ValueError(
                "correlation_prior must be 'normal', 'learned' or 'learned_spread', got "
                f"{self.correlation_prior!r}"
            )
        if self.pair_count < 0:
            raise ValueError(
                f"pair_count must be 0 (one per column) or more, got {self.pair_count}"
            )
        if self.log_margins not in ("none", "within", "extend"):
            raise ValueError(
                f"log_margins must be 'none', 'within' or 'extend', got {self.log_margins!r}"
            )
        if not 2 <= self.smooth_df <= 20:
            raise ValueError(
                "smooth_df must be from 2 (Stein's unbiased risk estimate) to 20, got "
                f"{self.smooth_df}"
            )
        if self.heap_sds < 0:
            raise ValueError(f"heap_sds must be >= 0 (0: no heaps), got {self.heap_sds}")
        if self.support_anchors < 0 or self.support_gap < 0:
            raise ValueError(
                "need support_anchors >= 0 (0: the outermost kept cells) and support_gap >= 0, "
                f"got {self.support_anchors} and {self.support_gap}"
            )
        if not (0 <= self.zero_splits <= 30 and float(self.zero_splits).is_integer()):
            raise ValueError(
                "zero_splits must be a whole number of splits from 0 (the schema's cells) to "
                f"30, got {self.zero_splits}"
            )
        if self.gram not in ("offdiag", "full"):
            raise ValueError(f"gram must be 'offdiag' or 'full', got {self.gram!r}")
        if not (0 <= self.atom_share < 1 and 0 < self.atom_delta_share < 1):
            raise ValueError("need 0 <= atom_share < 1 and 0 < atom_delta_share < 1")
        splits_ok = 1 <= self.refine_min_split <= self.refine_max_split
        if not (0 <= self.refine_share < 1 - self.atom_share) or not splits_ok:
            raise ValueError(
                "need 0 <= refine_share < 1 - atom_share and 1 <= refine_min_split <= "
                f"refine_max_split, got {self.refine_share}, {self.refine_min_split} and "
                f"{self.refine_max_split}"
            )
        pairs_ok = (
            0 <= self.pair_share and self.atom_share + self.refine_share + self.pair_share < 1
        )
        if not pairs_ok or self.pair_groups < 2 or not 0 < self.pair_select_share < 1:
            raise ValueError(
                "need 0 <= pair_share, atom_share + refine_share + pair_share < 1, "
                f"pair_groups >= 2 and 0 < pair_select_share < 1, got {self.pair_share}, "
                f"{self.pair_groups} and {self.pair_select_share}"
            )
        if self.strata_cells < 0 or self.strata_cells_snr <= 0:
            raise ValueError(
                "need strata_cells >= 0 (0: every cell per stratum) and strata_cells_snr > 0, "
                f"got {self.strata_cells} and {self.strata_cells_snr}"
            )
        if not 0 < self.strata_cells_share < 1:
            raise ValueError(f"need 0 < strata_cells_share < 1, got {self.strata_cells_share}")
        if self.pair_oversample < 1 or not 0 <= self.pair_min_ess <= 1 or self.pair_draw_rows < 1:
            raise ValueError(
                "need pair_oversample >= 1, 0 <= pair_min_ess <= 1, pair_draw_rows >= 1"
            )
