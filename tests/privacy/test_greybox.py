"""Grey-box neighbouring-dataset tests of every registered model and engine (see greybox.py).

For each: fit on D and on D' (one record added at the front, in the middle or at the end) with
coupled DP noise and everything else fixed; every released byte must be identical and every
measurement must move within its declared sensitivity. Each known leak, put back once, is
caught (the ``test_harness_catches_*`` tests)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import tabsynth
from tests.privacy.greybox import (
    CouplingNoise,
    assert_coupled,
    coupled_pair,
    fixed_randomness,
    insert_record,
    run_fit,
)

POSITIONS = ("front", "middle", "end")


@pytest.fixture(scope="module")
def credit_small():
    """credit_data (missing values, point masses: atoms on), 1,200 rows, and an outlier
    record whose numbers no other row holds."""
    from tabsynth.datasets import load_example

    df, schema = load_example("credit_data")
    df = df.sample(1200, random_state=3).reset_index(drop=True)
    record = df.iloc[[0]].copy()
    record["Income"], record["Assets"], record["Price"] = 333.0, 123457.0, 4321.0
    return df, schema, record


@pytest.mark.parametrize("where", POSITIONS)
def test_copula_in_memory_releases_nothing_but_its_mechanisms(credit_small, where, tmp_path,
                                                              monkeypatch):  # fmt: skip
    df, schema, record = credit_small
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0)  # noqa: E731
    a, b = coupled_pair(fit, df, insert_record(df, record, where), tmp_path, monkeypatch)
    assert_coupled(a, b)
    assert b.noise.new_keys >= 1  # the outlier's own values reached the atom threshold test


@pytest.mark.parametrize("where", ("front", "end"))
def test_copula_with_strata_over_groups_releases_nothing_but_its_mechanisms(
    credit_small, where, tmp_path, monkeypatch
):
    """Pooled histograms first, then the strata's over groups of cells chosen from them
    (``coarse.py``): the groups read the released pooled histograms only."""
    from tabsynth.models.copula.coarse import COARSE_MECHANISM, POOLED_HIST_MECHANISM

    df, schema, record = credit_small
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0, strata_cells=4)  # noqa: E731
    a, b = coupled_pair(fit, df, insert_record(df, record, where), tmp_path, monkeypatch)
    assert_coupled(a, b)
    names = [m.name for m in a.privacy.mechanisms]
    assert POOLED_HIST_MECHANISM in names and COARSE_MECHANISM in names


def test_copula_duplicate_record_and_declared_strata(credit_small, tmp_path, monkeypatch):
    """A copy of an existing row (the usual neighbour in mostly categorical tables)."""
    df, schema, _ = credit_small
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=2.0)  # noqa: E731
    a, b = coupled_pair(fit, df, insert_record(df, df.iloc[[5]], "front"), tmp_path, monkeypatch)
    assert_coupled(a, b)


@pytest.mark.parametrize("where", POSITIONS)
def test_copula_streamed_releases_nothing_but_its_mechanisms(credit_small, where, tmp_path,
                                                             monkeypatch):  # fmt: skip
    df, schema, record = credit_small
    paths = {}
    for name, data in (("d", df), ("d2", insert_record(df, record, where))):
        paths[name] = tmp_path / f"{name}.parquet"
        data.to_parquet(paths[name])

    def fit(path):
        return tabsynth.fit(tabsynth.scan(path, batch_rows=250), schema, "copula", epsilon=1.0)

    a, b = coupled_pair(fit, paths["d"], paths["d2"], tmp_path, monkeypatch)
    assert_coupled(a, b)


@pytest.mark.parametrize("where", ("front", "end"))
def test_copula_with_cell_refinement_releases_nothing_but_its_mechanisms(
    credit_small, where, tmp_path, monkeypatch
):
    from tabsynth.models.copula.refine import REFINE_MECHANISM

    df, schema, record = credit_small
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0, refine_share=0.05)  # noqa: E731
    a, b = coupled_pair(fit, df, insert_record(df, record, where), tmp_path, monkeypatch)
    assert_coupled(a, b)
    assert REFINE_MECHANISM in [m.name for m in a.privacy.mechanisms]
    state = next(json.loads(v) for k, v in a.files.items() if k == "model.json")
    assert state["edges"]["Assets"]  # cells were split


@pytest.mark.parametrize(
    "option",
    (
        {"refine_share": 0.05},
        {"pair_share": 0.3},
        {"pooled": False},
        {"strata_cells": 4},
        {"support_anchors": 2.0},
        {"zero_splits": 8},
    ),
    ids=str,
)
def test_copula_streamed_with_refinement_or_pairs(credit_small, option, tmp_path, monkeypatch):
    df, schema, record = credit_small
    paths = {}
    for name, data in (("d", df), ("d2", insert_record(df, record, "middle"))):
        paths[name] = tmp_path / f"{name}.parquet"
        data.to_parquet(paths[name])

    def fit(path):
        src = tabsynth.scan(path, batch_rows=250)
        return tabsynth.fit(src, schema, "copula", epsilon=1.0, **option)

    a, b = coupled_pair(fit, paths["d"], paths["d2"], tmp_path, monkeypatch)
    assert_coupled(a, b)


@pytest.mark.slow
def test_copula_on_dask_releases_nothing_but_its_mechanisms(credit_small, tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    df, schema, record = credit_small
    roots = {}
    for name, data in (("d", df), ("d2", insert_record(df, record, "middle"))):
        roots[name] = tmp_path / name
        roots[name].mkdir()
        for i, part in enumerate(np.array_split(data, 3)):
            part.to_parquet(roots[name] / f"part-{i}.parquet")

    def fit(root):
        return tabsynth.fit(tabsynth.scan(root, engine="dask"), schema, "copula", epsilon=1.0)

    a, b = coupled_pair(fit, roots["d"], roots["d2"], tmp_path, monkeypatch)
    assert_coupled(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("where", POSITIONS)
def test_ctgan_with_label_model_releases_nothing_but_its_mechanisms(
    credit_small, where, tmp_path, monkeypatch
):
    """DP-CTGAN, atoms on, label model on: the DP row count, atoms, marginals, and every
    DP-SGD step of the label model and the discriminator (each step's noisy sum coupled)."""
    df, schema, record = credit_small
    fit = lambda data: tabsynth.fit(data, schema, "ctgan", epsilon=3.0, epochs=1,  # noqa: E731
                                    batch_size=150, label_epochs=1, verbose=True)  # fmt: skip
    a, b = coupled_pair(fit, df, insert_record(df, record, where), tmp_path, monkeypatch)
    assert_coupled(a, b)
    assert b.noise.step_diffs  # DP-SGD steps were coupled and checked
    assert "eps=" in a.messages  # the progress output was compared too


@pytest.mark.slow
def test_ctgan_without_label_model_releases_nothing_but_its_mechanisms(credit_small, tmp_path,
                                                                       monkeypatch):  # fmt: skip
    df, schema, record = credit_small
    fit = lambda data: tabsynth.fit(data, schema, "ctgan", epsilon=3.0, epochs=1,  # noqa: E731
                                    batch_size=150, label_model=False)  # fmt: skip
    a, b = coupled_pair(fit, df, insert_record(df, record, "middle"), tmp_path, monkeypatch)
    assert_coupled(a, b)


@pytest.mark.slow
def test_ctgan_planner_releases_nothing_but_its_mechanisms(credit_small, tmp_path, monkeypatch):
    """The training planner (600 rows at epsilon 1: the defaults would need more) chooses
    epochs and batch size from the DP row count alone: D and D' (one record more) get the
    same plan, and everything released is identical."""
    df, schema, record = credit_small
    df = df.head(600)
    fit = lambda data: tabsynth.fit(data, schema, "ctgan", epsilon=1.0, label_epochs=1,  # noqa: E731
                                    verbose=True)  # fmt: skip
    a, b = coupled_pair(fit, df, insert_record(df, record, "middle"), tmp_path, monkeypatch)
    assert_coupled(a, b)
    assert any("training plan (planner)" in n for n in a.privacy.notes)
    assert "DP-CTGAN plan (planner)" in a.messages


# --- the harness has teeth: each leak from the review, put back once, is caught -----------
def test_harness_catches_an_exact_count_in_a_message(credit_small, tmp_path, monkeypatch):
    import logging

    from tabsynth.models import copula

    df, schema, record = credit_small
    real = copula.CopulaSynthesizer._fit

    def chatty(self, frame):
        logging.getLogger("tabsynth.models.copula").info("fitting %d rows", frame.height)
        return real(self, frame)

    monkeypatch.setattr(copula.CopulaSynthesizer, "_fit", chatty)
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0)  # noqa: E731
    a, b = coupled_pair(fit, df, insert_record(df, record, "end"), tmp_path, monkeypatch)
    with pytest.raises(AssertionError):
        assert b.messages == a.messages


def test_harness_catches_index_keyed_jitter(credit_small, tmp_path, monkeypatch):
    """The jitter keyed by the row's position (as it was): a record at the front moves every
    other row's normal scores, so the Gram matrix moves far beyond its sensitivity."""
    from tabsynth.engines import stats

    df, schema, record = credit_small
    monkeypatch.setattr(
        stats, "content_hashes", lambda frame: np.arange(frame.height, dtype=np.uint64)
    )
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0)  # noqa: E731
    a, b = coupled_pair(fit, df, insert_record(df, record, "front"), tmp_path, monkeypatch)
    with pytest.raises(AssertionError, match="sensitivity"):
        assert_coupled(a, b)


def test_harness_catches_an_underdeclared_sensitivity(credit_small, tmp_path, monkeypatch):
    """Histograms declared with half their real sensitivity."""
    from tabsynth.models.copula import model as copula

    df, schema, record = credit_small
    real_plan = copula._plan

    def halved(**kw):
        plan = real_plan(**kw)
        mechs = [
            type(m)(**{**m.__dict__, "sensitivity": m.sensitivity / 2})
            if m.name.startswith("per-stratum histograms")
            else m
            for m in plan.mechanisms
        ]
        plan.mechanisms = mechs
        return plan

    monkeypatch.setattr(copula, "_plan", halved)
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0)  # noqa: E731
    dup = insert_record(df, df.iloc[[7]], "end")
    a, b = coupled_pair(fit, df, dup, tmp_path, monkeypatch)
    with pytest.raises(AssertionError, match="sensitivity"):
        assert_coupled(a, b)


def test_harness_catches_an_underdeclared_refinement(credit_small, tmp_path, monkeypatch):
    """The cell refinement's pooled histograms declared with the sensitivity of one column."""
    from tabsynth.models.copula import model as copula
    from tabsynth.models.copula.refine import REFINE_MECHANISM

    df, schema, record = credit_small
    real_plan = copula._plan

    def one_column(**kw):
        plan = real_plan(**kw)
        plan.mechanisms = [
            type(m)(**{**m.__dict__, "sensitivity": 1.0}) if m.name == REFINE_MECHANISM else m
            for m in plan.mechanisms
        ]
        return plan

    monkeypatch.setattr(copula, "_plan", one_column)
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0, refine_share=0.05)  # noqa: E731
    a, b = coupled_pair(fit, df, insert_record(df, df.iloc[[7]], "end"), tmp_path, monkeypatch)
    with pytest.raises(AssertionError, match="sensitivity"):
        assert_coupled(a, b)


def test_harness_catches_a_split_on_exact_counts(tmp_path, monkeypatch):
    """Cells split by their exact counts, not the noisy ones: on a table whose heavy cell
    holds one row less than three parts' worth, the added record flips it to three parts.
    The honest refinement passes on the same pair."""
    from functools import partial

    from tabsynth.engines import stats
    from tabsynth.models.copula import model as copula
    from tabsynth.models.copula.refine import REFINE_MECHANISM, split_edges

    spec = {"name": "x", "kind": "numerical", "lower": 0, "upper": 3200}
    schema = tabsynth.Schema.from_dict({"name": "t", "columns": [spec]})
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0, refine_share=0.05)  # noqa: E731
    probe = fit(pd.DataFrame({"x": np.linspace(1, 99, 50)}))
    sigma = next(m.sigma for m in probe.privacy.mechanisms if m.name == REFINE_MECHANISM)
    heavy = int(np.floor(9 * sigma))  # parts of 3 sigma: 2 parts, and 3 with one more row
    df = pd.DataFrame({"x": np.r_[np.linspace(1, 99, heavy), np.linspace(1000, 3000, 20)]})
    d2 = insert_record(df, pd.DataFrame({"x": [50.0]}), "end")
    assert_coupled(*coupled_pair(fit, df, d2, tmp_path / "honest", monkeypatch))

    def exact_refine(self, src, domains, cols, plan, noise, cfg):
        part = src.run(
            partial(stats.cell_counts, domains=domains, strata=[], others=cols),
            self.schema,
            columns=cols,
        )
        hists = [part.arrays[f"hist/{c}"].ravel() for c in cols]
        self._charge(next(m for m in plan.mechanisms if m.name == REFINE_MECHANISM))
        noise.gaussian_counts(np.concatenate(hists), plan.sigma_refine)  # drawn, not used
        args = (plan.sigma_refine, cfg.bins, cfg.refine_max_split)
        return {c: split_edges(domains[c], h, *args) for c, h in zip(cols, hists, strict=True)}

    monkeypatch.setattr(copula.CopulaSynthesizer, "_refine", exact_refine)
    with pytest.raises(AssertionError, match="shape"):  # D' measures more cells than D
        assert_coupled(*coupled_pair(fit, df, d2, tmp_path / "exact", monkeypatch))


@pytest.mark.slow
def test_harness_catches_stream_keyed_randomness_in_ctgan(credit_small, tmp_path, monkeypatch):
    """Real rows' conditional vectors drawn from one stream (as they were): a record in a
    batch shifts the draws of the rows after it."""
    from tabsynth.privacy.keyed import PoissonBatches

    df, schema, record = credit_small
    rng = {}

    def stream_uniforms(self, step, idx, salt):
        gen = rng.setdefault("g", np.random.default_rng(1))
        return gen.random(len(idx))

    monkeypatch.setattr(PoissonBatches, "uniforms", stream_uniforms)
    fit = lambda data: tabsynth.fit(data, schema, "ctgan", epsilon=3.0, epochs=1,  # noqa: E731
                                    batch_size=150, label_model=False)  # fmt: skip
    fixed_randomness(monkeypatch)
    a = run_fit(fit, df, CouplingNoise("record"), tmp_path, monkeypatch, "a")
    rng.clear()
    fixed_randomness(monkeypatch)
    b = run_fit(fit, insert_record(df, record, "front"),
                CouplingNoise("replay", a.noise.draws), tmp_path, monkeypatch, "b")  # fmt: skip
    with pytest.raises(AssertionError, match="moved"):
        assert_coupled(a, b)


def test_harness_catches_an_exact_count_deciding_the_plan(credit_small, tmp_path, monkeypatch):
    """DP-CTGAN's plan from the exact row count (as it was): the sampling rate, hence every
    released number, changes with one record."""
    from tabsynth.models.ctgan import model as ctgan

    df, schema, _ = credit_small
    real_plan = ctgan.CTGANSynthesizer._plan_sgd

    def exact(self, eps, delta, n_rows, cfg, fixed):
        return real_plan(self, eps, delta, float(self._exact_n), cfg, fixed)

    real_fit = ctgan.CTGANSynthesizer._fit

    def fit_exact(self, frame):
        self._exact_n = frame.height
        return real_fit(self, frame)

    monkeypatch.setattr(ctgan.CTGANSynthesizer, "_plan_sgd", exact)
    monkeypatch.setattr(ctgan.CTGANSynthesizer, "_fit", fit_exact)
    small = df.head(300)
    fit = lambda data: tabsynth.fit(data, schema, "ctgan", epsilon=3.0, epochs=1,  # noqa: E731
                                    batch_size=149, label_model=False)  # fmt: skip
    with pytest.raises(AssertionError, match="noise scale differs"):
        d2 = insert_record(small, small.iloc[[1]], "end")
        a, b = coupled_pair(fit, small, d2, tmp_path, monkeypatch)
        assert_coupled(a, b)


def test_neighbour_tables_differ_by_one_record(credit_small):
    df, _, record = credit_small
    for where in POSITIONS:
        d2 = insert_record(df, record, where)
        assert len(d2) == len(df) + 1
        merged = pd.concat([df, record]).astype(str).value_counts()
        assert (d2.astype(str).value_counts().sort_index() == merged.sort_index()).all()


def test_harness_catches_a_domain_read_from_the_data(credit_small, tmp_path, monkeypatch):
    """A schema drafted from the rows (what `fit` now refuses): the outlier widens a bound."""
    import warnings

    import polars as pl

    df, _, record = credit_small
    record = record.copy()
    record["Price"] = df["Price"].max() * 3  # beyond every row: the draft's bound moves

    def fit(data):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            draft = tabsynth.infer_schema(pl.from_pandas(data), target="Status")
        return tabsynth.fit(data, draft, "copula", epsilon=1.0, allow_draft=True)

    with pytest.raises(AssertionError):
        a, b = coupled_pair(fit, df, insert_record(df, record, "end"), tmp_path, monkeypatch)
        assert_coupled(a, b)


@pytest.mark.slow
def test_harness_catches_a_private_batch_loss_in_the_progress(credit_small, tmp_path,
                                                               monkeypatch):  # fmt: skip
    """The discriminator's loss on real batches shown while training (as it was)."""
    import logging

    from tabsynth.models.ctgan import model as ctgan

    df, schema, record = credit_small
    real_step = ctgan.CTGANSynthesizer._d_step

    def shown(real_in, fake_in, disc, opt_d, crit):
        loss = real_step(real_in, fake_in, disc, opt_d, crit)
        logging.getLogger("tabsynth.models.ctgan").info("loss_d=%.6f", loss)
        return loss

    monkeypatch.setattr(ctgan.CTGANSynthesizer, "_d_step", staticmethod(shown))
    fit = lambda data: tabsynth.fit(data, schema, "ctgan", epsilon=3.0, epochs=1,  # noqa: E731
                                    batch_size=150, label_model=False)  # fmt: skip
    a, b = coupled_pair(fit, df, insert_record(df, record, "end"), tmp_path, monkeypatch)
    with pytest.raises(AssertionError):
        assert_coupled(a, b)


@pytest.mark.parametrize("where", ("front", "end"))
def test_copula_with_pair_calibration_releases_nothing_but_its_mechanisms(
    credit_small, where, tmp_path, monkeypatch
):
    from tabsynth.models.copula.pairs import PAIR_MECHANISM, PAIR_SELECT_MECHANISM

    df, schema, record = credit_small
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0, pair_share=0.3)  # noqa: E731
    a, b = coupled_pair(fit, df, insert_record(df, record, where), tmp_path, monkeypatch)
    assert_coupled(a, b)
    names = [m.name for m in a.privacy.mechanisms]
    assert PAIR_SELECT_MECHANISM in names and PAIR_MECHANISM in names
    assert len(b.noise.choices) == len(schema.modelled_columns)  # one choice per pair
    assert max(b.noise.linf_diffs.values()) > 0  # the scores did move: the check means something


@pytest.mark.parametrize("what", ("selection", "counts"))
def test_harness_catches_an_underdeclared_pair_calibration(credit_small, what, tmp_path,
                                                           monkeypatch):  # fmt: skip
    """The pairs' scores, or their counts, declared with a tenth of their sensitivity."""
    from tabsynth.models.copula import model as copula
    from tabsynth.models.copula.pairs import PAIR_MECHANISM, PAIR_SELECT_MECHANISM

    df, schema, record = credit_small
    real_plan = copula._plan
    target = PAIR_SELECT_MECHANISM if what == "selection" else PAIR_MECHANISM

    def tenth(**kw):
        plan = real_plan(**kw)
        plan.mechanisms = [
            type(m)(**{**m.__dict__, "sensitivity": m.sensitivity / 10}) if m.name == target else m
            for m in plan.mechanisms
        ]
        return plan

    monkeypatch.setattr(copula, "_plan", tenth)
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0, pair_share=0.3)  # noqa: E731
    a, b = coupled_pair(fit, df, insert_record(df, record, "end"), tmp_path, monkeypatch)
    with pytest.raises(AssertionError, match="sensitivity"):
        assert_coupled(a, b)
