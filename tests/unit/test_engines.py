"""Streaming and Dask engines: the same statistics and samples as the in-memory path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy.stats import ks_2samp

import tabsynth
from tabsynth.engines import stats
from tabsynth.engines.sampling import chunk_seed, chunks, write_sample
from tabsynth.engines.sources import DaskSource, FrameSource, ScanSource, scan
from tabsynth.errors import DataValidationError, EngineError
from tabsynth.models.copula import CopulaSynthesizer
from tabsynth.models.copula.plan import CopulaConfig, _plan
from tabsynth.privacy.noise import make_noise


def _fit(data, schema, seed=3):
    return tabsynth.fit(data, schema, epsilon=1.0, seed=seed, reproducible_noise=True)


def _same_model(a, b) -> None:
    assert a.strata_ == b.strata_ and a.others_ == b.others_
    assert a.atoms_ == b.atoms_
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.corr_, b.corr_, rtol=1e-9, atol=1e-12)
    for pa, pb in zip(a.pmfs_, b.pmfs_, strict=True):
        np.testing.assert_allclose(pa, pb, rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def health(tmp_path_factory):
    from tabsynth.datasets import load_example

    df, schema = load_example("health_insurance")
    df = df.iloc[:3000].reset_index(drop=True)
    root = tmp_path_factory.mktemp("engines")
    pl.from_pandas(df).write_parquet(root / "one.parquet", row_group_size=500)
    df.to_csv(root / "one.csv", index=False)
    parts = root / "parts"
    parts.mkdir()
    for i, lo in enumerate(range(0, len(df), 700)):  # 5 parts of unequal size
        pl.from_pandas(df.iloc[lo : lo + 700]).write_parquet(parts / f"p{i}.parquet")
    return df, schema, root


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_hash_jitter_is_uniform_and_a_function_of_the_row():
    idx = np.arange(200_000)
    u = stats.hash_uniform(7, idx)
    assert u.min() >= 0 and u.max() < 1
    assert ks_2samp(u, np.random.default_rng(0).random(u.size)).pvalue > 1e-3
    np.testing.assert_array_equal(stats.hash_uniform(7, idx[5000:6000]), u[5000:6000])
    assert not np.array_equal(stats.hash_uniform(8, idx[:100]), u[:100])


def test_stream_fit_equals_in_memory_fit(health):
    df, schema, root = health
    ref = _fit(df, schema)
    for src in (ScanSource(root / "one.parquet", batch_rows=701), scan(root / "one.csv")):
        m = _fit(src, schema)
        _same_model(ref, m)
        assert m.domain_report_.rows == len(df)
        assert m.data_fingerprint_.startswith("hmac-sha256-files:")
    # the seed matters: a different reproducible seed gives a different model
    assert not np.allclose(_fit(df, schema, seed=4).corr_, ref.corr_)


def test_exact_sums_do_not_depend_on_the_partitioning(health):
    """The noise goes on these totals, so equal totals mean equally distributed releases."""
    from functools import partial

    df, schema, root = health
    domains = _schema_domains(schema)
    fn = partial(stats.cell_counts, domains=domains, strata=["health"], others=["age", "gender"])
    one = FrameSource(tabsynth.data.conform(pl.from_pandas(df), schema)[0]).run(fn, schema)
    many = ScanSource(root / "parts", batch_rows=333).run(fn, schema)
    assert one.rows == many.rows == len(df)
    for key in one.arrays:
        np.testing.assert_array_equal(one.arrays[key], many.arrays[key])


@pytest.mark.slow
def test_noisy_statistics_have_the_same_distribution_on_one_and_many_partitions(health):
    from functools import partial

    df, schema, root = health
    domains = _schema_domains(schema)
    others = ["age", "gender", "region"]
    fn = partial(stats.cell_counts, domains=domains, strata=["health"], others=others)
    sources = {
        "one": FrameSource(tabsynth.data.conform(pl.from_pandas(df), schema)[0]),
        "many": ScanSource(root / "parts", batch_rows=257),
    }
    plan = _plan(rho=0.05, d=len(others), n_strata=2, cfg=CopulaConfig(), secure=True)
    draws = {}
    for name, src in sources.items():
        part = src.run(fn, schema)
        exact = part.arrays["hist/gender"][0, 1]
        out = []
        for _ in range(300):  # secure (OpenDP) noise, fresh every time
            _, hists = CopulaSynthesizer._measure(
                part.arrays["strata"],
                [part.arrays[f"hist/{c}"] for c in others],
                plan,
                make_noise(reproducible_seed=None),
            )
            out.append(hists[1][0, 1] - exact)
        draws[name] = np.asarray(out, dtype=float)
    # two strata measured beside their sum (``pooled``), then agreed with it: a stratum's
    # noise sd is sigma sqrt(2/3)
    sd = plan.stratum_sd(plan.sigma_hist, 2)
    assert plan.pooled and sd == pytest.approx(plan.sigma_hist * np.sqrt(2 / 3))
    for d in draws.values():
        assert d.std() == pytest.approx(sd, rel=0.15)
        assert abs(d.mean()) < 4 * sd / np.sqrt(d.size)
    assert ks_2samp(draws["one"], draws["many"]).pvalue > 1e-3


def test_every_bad_batch_is_reported_at_once(tmp_path, health):
    df, schema, _ = health
    bad = df.copy()
    bad["region"] = bad["region"].astype(str)
    bad.loc[10, "region"] = "atlantis"  # first batch
    bad.loc[2900, "gender"] = "robot"  # last batch
    path = tmp_path / "bad.parquet"
    pl.from_pandas(bad).write_parquet(path)
    with pytest.raises(DataValidationError) as err:
        tabsynth.fit(scan(path, batch_rows=1000), schema, epsilon=1.0)
    text = str(err.value)
    assert "'region'" in text and "'gender'" in text and "'xxxxxxxx'" in text
    assert "atlantis" not in text and "robot" not in text  # shapes, never raw values


def test_missing_columns_found_before_any_pass(tmp_path, health):
    df, schema, _ = health
    path = tmp_path / "short.parquet"
    pl.from_pandas(df.drop(columns=["age"]).assign(extra=1)).write_parquet(path)
    with pytest.raises(DataValidationError, match="'age'.*\n.*'extra'"):
        tabsynth.fit(scan(path), schema, epsilon=1.0)


def test_ctgan_refuses_a_streamed_table(health):
    pytest.importorskip("torch")
    _, schema, root = health
    with pytest.raises(EngineError, match="in-memory"):
        tabsynth.fit(scan(root / "one.parquet"), schema, "ctgan", epsilon=1.0)


def test_chunk_streams_are_spawned_children():
    kids = np.random.SeedSequence(11).spawn(3)
    for i, kid in enumerate(kids):
        assert chunk_seed(11, i).generate_state(4).tolist() == kid.generate_state(4).tolist()
    assert chunks(10, 4) == [(0, 4), (4, 4), (8, 2)]


def test_stream_sample_writes_chunks_with_global_ids(tmp_path, health):
    df, schema, _ = health
    spec = schema.model_dump(mode="json", exclude_none=True)
    spec["columns"].append({"name": "id", "kind": "identifier"})
    schema = tabsynth.Schema.from_dict(spec)
    model = _fit(df.assign(id=[f"{i:06d}" for i in range(len(df))]), schema)
    out = write_sample(model, 2500, tmp_path / "s.parquet", seed=5, chunk_rows=1000)
    assert out["chunks"] == 3
    got = pl.read_parquet(tmp_path / "s.parquet")
    assert got.height == 2500 and got.get_column("id").n_unique() == 2500
    assert got.get_column("id")[2499].endswith("002500")
    # the second chunk is the model's own draw from the second stream
    mid = model.sample(1000, seed=chunk_seed(5, 1), as_frame="polars")
    assert got.slice(1000, 1000).drop("id").equals(mid.drop("id"))
    csv = write_sample(model, 2500, tmp_path / "s.csv", seed=5, chunk_rows=700)
    assert csv["chunks"] == 4 and pl.read_csv(tmp_path / "s.csv").height == 2500
    again = write_sample(model, 10, tmp_path / "a.parquet")  # no seed: one is drawn, and kept
    redo = write_sample(model, 10, tmp_path / "b.parquet", seed=again["seed"])
    assert redo["seed"] == again["seed"]
    assert pl.read_parquet(tmp_path / "a.parquet").equals(pl.read_parquet(tmp_path / "b.parquet"))


@pytest.mark.slow
def test_dask_fit_and_sample_equal_the_single_machine_path(client, health, tmp_path):
    df, schema, root = health
    ref = _fit(df, schema)
    _same_model(ref, _fit(scan(root / "parts", engine="dask", client=client), schema))
    _same_model(ref, _fit(scan(root / "one.parquet", engine="dask", client=client), schema))
    # one file cut into several partitions by row groups: offsets still line up
    small = DaskSource(root / "one.parquet", client=client, blocksize=1)
    assert small.frame(schema).npartitions > 1
    _same_model(ref, _fit(small, schema))

    write_sample(ref, 5000, tmp_path / "one.parquet", seed=9, chunk_rows=1200)
    info = write_sample(
        ref, 5000, tmp_path / "dist", seed=9, chunk_rows=1200, engine="dask", client=client
    )
    assert info["chunks"] == 5 and len(list((tmp_path / "dist").glob("part-*.parquet"))) == 5
    single = pl.read_parquet(tmp_path / "one.parquet")
    spread = pl.read_parquet(sorted((tmp_path / "dist").glob("part-*.parquet")))
    assert single.equals(spread)
    # a second draw replaces the folder; a folder holding anything else is refused
    write_sample(ref, 100, tmp_path / "dist", seed=1, chunk_rows=60, engine="dask", client=client)
    assert pl.read_parquet(tmp_path / "dist").height == 100
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(EngineError, match="not an earlier sample"):
        write_sample(ref, 10, tmp_path / "mine", seed=1, engine="dask", client=client)
    assert (tmp_path / "mine" / "notes.txt").exists()


def test_pandas_batches_from_other_engines_are_accepted(health):
    """A Spark ``mapInPandas`` or Dask partition hands over pandas frames."""
    from functools import partial

    df, schema, _ = health
    fn = partial(stats.atom_values, schema=schema, cols=[])
    part = stats.apply(fn, pd.DataFrame(df.iloc[:100]), 0, schema)
    assert part.rows == 100 and not part.problems


def test_distinct_values_counted_in_hash_shards_give_the_same_atoms(tmp_path, credit):
    """Sharding bounds memory; without noise it changes nothing, with seeded noise the
    streamed fit still equals the in-memory one."""
    df, schema = credit
    path = tmp_path / "credit.parquet"
    pl.from_pandas(df).write_parquet(path)
    plain = tabsynth.fit(df, schema, epsilon=None)
    sharded = tabsynth.fit(scan(path, batch_rows=400), schema, epsilon=None, atom_shard_rows=300)
    assert plain.atoms_ and plain.atoms_ == sharded.atoms_  # Debt and Assets hold 0 often
    x = np.array([0.0, -0.0, 1.5, 2.0**60, np.pi])
    assert stats.shard_of(x, 7)[0] == stats.shard_of(x, 7)[1]
    assert set(stats.shard_of(np.arange(10_000.0), 5)) == set(range(5))
    kw = {"atom_shard_rows": 400}
    _same_model(
        tabsynth.fit(df, schema, epsilon=1.0, seed=2, reproducible_noise=True, **kw),
        tabsynth.fit(
            scan(path, batch_rows=333), schema, epsilon=1.0, seed=2, reproducible_noise=True, **kw
        ),
    )


def test_too_many_distinct_values_for_point_mass_discovery_is_a_clear_error(credit):
    df, schema = credit
    with pytest.raises(DataValidationError, match="distinct values.*atoms:.*discover_atoms") as e:
        tabsynth.fit(df, schema, epsilon=1.0, max_atom_candidates=100)
    # no count read from the data in the refusal: only the public limit
    import re

    numbers = {int(x.replace(",", "")) for x in re.findall(r"\d[\d,]*", str(e.value))}
    atom_cols = [d for d in tabsynth.data.build_domains(schema) if d.continuous]
    assert numbers <= {100, 12, 0, len(atom_cols)}  # the limit, the draw time, column count
    tabsynth.fit(df, schema, epsilon=1.0, max_atom_candidates=100, discover_atoms=False)


def _schema_domains(schema):
    """The copula's cell domains before a fit: the schema's alone (no atoms or edges released)."""
    from tabsynth.data.domain import build_domains

    return {d.name: d for d in build_domains(schema, bins=CopulaConfig().bins)}


def test_dask_fit_with_pair_calibration_equals_the_single_machine_path(client, health):
    df, schema, root = health
    opts = {"epsilon": 1.0, "seed": 3, "reproducible_noise": True, "pair_share": 0.3}
    ref = tabsynth.fit(df, schema, **opts)
    spread = tabsynth.fit(scan(root / "parts", engine="dask", client=client), schema, **opts)
    _same_model(ref, spread)
    assert ref.pairs_ and spread.pairs_ == ref.pairs_
    for a, b in zip(spread.pair_targets_, ref.pair_targets_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_dask_fit_with_zero_splits_equals_the_single_machine_path(client, tmp_path):
    """``zero_splits`` (cells split near 0 from the schema) on Dask partitions: the same
    cells, margins and correlations as in memory."""
    from tabsynth.datasets import load_example
    from tabsynth.models.copula.refine import zero_edges

    df, schema = load_example("credit_data")
    df = df.iloc[:2000].reset_index(drop=True)
    for i, lo in enumerate(range(0, len(df), 600)):
        pl.from_pandas(df.iloc[lo : lo + 600]).write_parquet(tmp_path / f"p{i}.parquet")
    opts = {"epsilon": 1.0, "seed": 5, "reproducible_noise": True, "zero_splits": 8}
    ref = tabsynth.fit(df, schema, **opts)
    spread = tabsynth.fit(scan(tmp_path, engine="dask", client=client), schema, **opts)
    _same_model(ref, spread)
    split = zero_edges(schema, CopulaConfig().bins, 8)
    assert split and all(set(e) <= set(spread._domains()[c].edges) for c, e in split.items())
