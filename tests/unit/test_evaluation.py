"""Evaluation on known cases: identical tables, destroyed dependence, bad input."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tabsynth
from tabsynth.errors import DataValidationError
from tabsynth.evaluation import evaluate
from tabsynth.evaluation.fidelity import fidelity


@pytest.fixture(scope="module")
def split_health(health):
    df, schema = health
    return df.iloc[:1500].reset_index(drop=True), df.iloc[1500:].reset_index(drop=True), schema


def test_identical_tables_are_perfect_and_the_attack_sees_them(split_health):
    train, holdout, schema = split_health
    res = evaluate(train, train, holdout, schema)
    assert res.fidelity["column_shapes"] == pytest.approx(1.0)
    assert res.fidelity["pair_trends"] == pytest.approx(1.0)
    assert res.fidelity["three_way_tvd"] == pytest.approx(0.0)
    assert res.fidelity["diversity"]["exact_copies_of_real_share"] == pytest.approx(1.0)
    # the positive control: releasing the training rows is caught by the attack
    assert res.privacy["mia_auc"] > 0.8 and res.privacy["mia_auc_ci95"][0] > 0.7
    assert res.privacy["exact_copies_of_train"] == pytest.approx(1.0)


def test_shuffled_columns_lose_pair_trends(split_health):
    train, holdout, schema = split_health
    rng = np.random.default_rng(0)
    shuffled = train.copy()
    for col in shuffled.columns:
        shuffled[col] = rng.permutation(shuffled[col].to_numpy())
    res = evaluate(train, shuffled, holdout, schema, utility=False)
    assert res.fidelity["column_shapes"] == pytest.approx(1.0)  # marginals untouched
    same = evaluate(train, train, holdout, schema, utility=False)
    assert res.fidelity["pair_trends"] < same.fidelity["pair_trends"] - 0.02
    assert res.fidelity["three_way_tvd"] > 0.1


def test_dp_release_is_useful_and_not_memorised(split_health):
    train, holdout, schema = split_health
    model = tabsynth.fit(train, schema, epsilon=3.0)
    res = evaluate(train, model.sample(len(train), seed=0), holdout, schema, model=model)
    gb = res.utility["models"]["gradient boosting"]
    assert gb["synthetic"]["scores"]["auc"] > 0.55  # real-trained: about 0.70 on this slice
    lo, hi = gb["synthetic"]["ci95"]["auc"]
    assert 0 < hi - lo < 0.2
    assert set(gb["synthetic"]["by_group"]) == {"gender", "ethnicity"}
    assert res.privacy["mia_auc"] < 0.6
    assert res.certificate["epsilon"] <= 3.0 and res.certificate["schema_matches"]
    json.loads(res.to_json())


def test_bad_input_is_named(split_health):
    train, holdout, schema = split_health
    with pytest.raises(DataValidationError, match="lacks column"):
        evaluate(train, train.drop(columns=["age"]), holdout, schema)
    with pytest.raises(DataValidationError, match="at least 50"):
        evaluate(train, train, holdout.head(10), schema)
    with pytest.raises(DataValidationError, match="lacks column") as err:
        evaluate(train, train, holdout.drop(columns=["insurance"]), schema)
    assert "insurance" in str(err.value)  # the missing target is named
    from tabsynth.evaluation.utility import utility

    with pytest.raises(DataValidationError, match="no target column"):
        utility(train, train, holdout, schema.model_copy(update={"target": None}))
    one_class = train.assign(insurance="yes")
    with pytest.raises(DataValidationError, match="single class"):
        evaluate(one_class, train, holdout, schema)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    _chromium() is None and os.environ.get("TABSYNTH_REQUIRE_CHROMIUM") != "1",
    reason="no chromium on PATH (.ci/run installs Debian's chromium)",
)
def test_report_opens_in_headless_chromium_with_every_plot(split_health, tmp_path):
    train, holdout, schema = split_health
    model = tabsynth.fit(train, schema, epsilon=1.0)
    html = evaluate(train, model.sample(len(train), seed=0), holdout, schema, model=model).to_html(
        tmp_path / "report.html"
    )
    assert "http://" not in html and "https://" not in html  # self-contained
    probe = (
        "<script>addEventListener('load',()=>{const i=[...document.images];"
        "document.body.dataset.probe=`images=${i.length};broken=${i.filter(x=>!(x.complete"
        "&&x.naturalWidth>0)).length}`})</script>"
    )
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", probe + "</body>"))
    out = subprocess.run(
        [
            _chromium() or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tempfile.mkdtemp()}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert 'data-probe="images=5;broken=0"' in out.stdout, out.stdout[-500:]
    console = [ln for ln in out.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert console == []
    keep = os.environ.get("TABSYNTH_ARTIFACTS")  # CI keeps a screenshot of the report
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shot = Path(keep) / "report.png"
        subprocess.run(
            [_chromium() or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
             f"--user-data-dir={tempfile.mkdtemp()}", "--hide-scrollbars",
             "--window-size=1200,3000", f"--screenshot={shot}",
             (tmp_path / "report.html").as_uri()],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        assert shot.stat().st_size > 10_000


def test_report_reads_as_prose_and_tables_not_python(split_health):
    """The guarantee first in words, a verdict when there are checks, no Python reprs, every
    plot described, missing categories named, integer columns binned on integers."""
    train, holdout, schema = split_health
    model = tabsynth.fit(train, schema, epsilon=1.0)
    result = evaluate(train, model.sample(len(train), seed=0), holdout, schema, model=model)
    result.meta["checks"] = [
        {"name": "quality", "what": "quality score", "direction": "min", "threshold": 0.99,
         "value": 0.95, "passed": False},
    ]  # fmt: skip
    html = result.to_html()
    text = re.sub(r'src="data:[^"]+"', "", html)
    assert "{'" not in text and "None" not in text and "[{" not in text
    assert text.index("What is protected") < text.index("DP certificate")
    assert "odds of 1:10 that a person is in the table become at most 1:3.7" in text
    assert "class='verdict fail'" in text and "FAIL</td>" in text
    assert 'alt="plot"' not in text and text.count("<img alt=") == 5
    assert "sampling_seed</td><td>not set (fresh randomness)" in text
    age = result.fidelity["marginals"]["age"]["labels"]
    assert all(part.isdigit() for label in age for part in label.split("-"))
    lost = result.fidelity["coverage"]["missing_categories"]
    for col, cats in lost.items():
        assert f"<td>{col}</td><td>{', '.join(cats)}" in html.replace("&lt;", "<").replace(
            "&gt;", ">"
        )


def test_a_holdout_that_overlaps_the_training_rows_is_refused(split_health):
    from tabsynth.errors import DataValidationError

    train, holdout, schema = split_health
    with pytest.raises(DataValidationError, match="every one of its rows is also a training row"):
        evaluate(train, train, train.iloc[:400], schema, utility=False)
    sch = tabsynth.Schema.from_dict(
        {
            **schema.model_dump(mode="json"),
            "columns": [
                *schema.model_dump(mode="json")["columns"],
                {"name": "rid", "kind": "identifier"},
            ],
        }  # fmt: skip
    )
    tr = train.assign(rid=[f"r{i}" for i in range(len(train))])
    ho = holdout.assign(rid=[f"r{i}" for i in range(len(holdout))])  # ids reused: same records
    with pytest.raises(DataValidationError, match="have a 'rid' that the training table holds"):
        evaluate(tr, tr, ho, sch, utility=False)


def test_report_cli(tmp_path, split_health):
    train, holdout, schema = split_health
    model = tabsynth.fit(train, schema, epsilon=1.0)
    model.save(tmp_path / "m")
    paths = {}
    for name, frame in (
        ("real", train),
        ("synthetic", model.sample(len(train), seed=1)),
        ("holdout", holdout),
    ):
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    schema.to_yaml(tmp_path / "s.yaml")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "tabsynth.cli",
            "report",
            "--real",
            str(paths["real"]),
            "--synthetic",
            str(paths["synthetic"]),
            "--holdout",
            str(paths["holdout"]),
            "--schema",
            str(tmp_path / "s.yaml"),
            "--model",
            str(tmp_path / "m"),
            "--collapse",
            "2",
            "-o",
            str(tmp_path / "r.html"),
            "--json",
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["certificate"]["epsilon"] <= 1.0
    html = (tmp_path / "r.html").read_text()
    assert "DP certificate" in html and "Model collapse" in html
    assert [g["generation"] for g in data["collapse"]] == [0, 1, 2]


def test_collapse_shows_fidelity_decay(split_health):
    from tabsynth.stress import collapse

    train, _, schema = split_health
    decay = []
    for _ in range(5):  # secure noise: one run's decay is noisy, the mean of five is not
        synthetic = tabsynth.fit(train, schema, epsilon=0.2).sample(len(train), seed=0)
        gens = collapse(train, synthetic, schema, generations=3, epsilon=0.2)
        assert [g["generation"] for g in gens] == [0, 1, 2, 3]
        decay.append(gens[0]["pair_trends"] - gens[-1]["pair_trends"])
    # refitting on its own output at epsilon 0.2 loses fidelity to the real data (measured:
    # mean decay 0.09, sd 0.04 over 40 runs; a collapse that did not refit would give 0)
    assert np.mean(decay) > 0.02
    with pytest.raises(DataValidationError, match="at least 1"):
        collapse(train, synthetic, schema, generations=0)


def test_fairness_shares_and_gaps(split_health):
    from tabsynth.evaluation.fairness import fairness

    train, holdout, schema = split_health
    model = tabsynth.fit(train, schema, epsilon=3.0)
    syn = model.sample(len(train), seed=0)
    reb = model.sample(len(train), seed=0, rebalance={"ethnicity": "uniform"})
    fair = model.sample(len(train), seed=0, fair="insurance:ethnicity")
    res = fairness(train, syn, holdout, schema, rebalanced=reb, fair=fair)
    eth = res["attributes"]["ethnicity"]
    assert set(eth["models"]) == {"real", "synthetic", "rebalanced", "fair"}
    for m in eth["models"].values():
        assert 0.5 < m["auc"] <= 1 and m["equal_opportunity_gap"] <= m["equalized_odds_gap"]
    assert eth["shares"]["rebalanced"]["other"] == pytest.approx(1 / 3, abs=0.03)
    assert eth["shares"]["real"]["other"] < 0.1
    for m in eth["models"].values():
        assert 0 <= m["demographic_parity_gap"] <= 1 and 0 <= m["equalized_odds_gap"] <= 1
        assert set(m["auc_by_group"]) == set(holdout.ethnicity.astype(str))
    with pytest.raises(DataValidationError, match="binary"):
        fairness(train, syn, holdout, schema.model_copy(update={"target": "region"}))


def test_column_shapes_agree_with_sdmetrics(credit):
    """SDMetrics' definitions (KS / TV complements), except that a missing category value is
    one more category for us (SDMetrics drops it): equal to SDMetrics where nothing is
    missing, equal to 1 - TV over value-or-missing where something is."""
    from sdmetrics.reports.single_table import QualityReport

    df, schema = credit
    train, holdout = df.iloc[:1000].copy(), df.iloc[1000:]
    train.loc[train.index[:60], "Home"] = None  # 6% missing: the model learns some missing too
    model = tabsynth.fit(train, schema, epsilon=1.0, seed=4, reproducible_noise=True)
    syn = model.sample(len(train), seed=0)
    ours = evaluate(train, syn, holdout, schema, utility=False).fidelity
    meta = {
        "columns": {
            c.name: {"sdtype": "numerical"} if c.kind == "numerical" else {"sdtype": "categorical"}
            for c in schema.columns
        }
    }
    report = QualityReport()
    report.generate(train, syn, meta, verbose=False)
    theirs = report.get_details("Column Shapes").set_index("Column")["Score"]
    kinds = {c.name: c.kind for c in schema.columns}
    with_missing = 0
    for col, score in theirs.items():
        if kinds[col] == "numerical" or not (train[col].isna().any() or syn[col].isna().any()):
            assert ours["per_column"][col] == pytest.approx(score, abs=1e-6), col
            continue
        with_missing += 1
        p = train[col].astype(object).fillna("<NA>").value_counts(normalize=True)
        q = syn[col].astype(object).fillna("<NA>").value_counts(normalize=True)
        tv = 0.5 * p.sub(q, fill_value=0).abs().sum()
        assert ours["per_column"][col] == pytest.approx(1 - tv, abs=1e-6), col
    assert with_missing >= 1  # the slice has missing categories, so both branches run


@pytest.mark.parametrize("example", ["credit_data", "doctor_contacts"])
def test_quality_score_agrees_with_sdmetrics_quality_report(example):
    """Our `quality` reproduces SDMetrics' QualityReport (thresholded pair trends, own-range
    bins, missing values dropped) on a DP release and on a non-private one, within 0.02."""
    from sdmetrics.reports.single_table import QualityReport

    from tabsynth.datasets import load_example

    df, schema = load_example(example)
    df = df.sample(1500, random_state=1).reset_index(drop=True)
    cols = [c for c in schema.modelled_columns]
    meta = {
        "columns": {
            c.name: {"sdtype": "numerical" if c.kind == "numerical" else "categorical"}
            for c in cols
        }
    }
    names = [c.name for c in cols]
    for eps in (1.0, None):
        model = tabsynth.fit(df, schema, epsilon=eps, seed=2, reproducible_noise=True)
        syn = model.sample(len(df), seed=0)
        ours = fidelity(df, syn, schema)["quality"]
        report = QualityReport()
        report.generate(df[names], syn[names], meta, verbose=False)
        props = report.get_properties().set_index("Property")["Score"]
        counted = report.get_details("Column Pair Trends")["Meets Threshold?"].fillna(False)
        assert ours["pairs_counted"] == int(counted.sum()) > 0
        assert ours["column_shapes"] == pytest.approx(props["Column Shapes"], abs=0.02)
        assert ours["pair_trends"] == pytest.approx(props["Column Pair Trends"], abs=0.02)
        assert ours["score"] == pytest.approx(report.get_score(), abs=0.02)


def _anonymeter_python():
    from tabsynth.evaluation.anonymity import anonymeter_python

    return anonymeter_python()


@pytest.mark.slow
@pytest.mark.skipif(
    _anonymeter_python() is None and os.environ.get("TABSYNTH_REQUIRE_ANONYMETER") != "1",
    reason="anonymeter not available (set TABSYNTH_ANONYMETER_PYTHON; .ci/run does)",
)
def test_anonymeter_risks_are_high_for_a_copy_and_low_for_a_dp_release(split_health, tmp_path):
    from tabsynth.evaluation.anonymity import anonymeter_risks

    train, holdout, schema = split_health
    train, holdout = train.head(1000), holdout.head(400)
    copy = anonymeter_risks(train, train, holdout, schema, n_attacks=100)
    assert copy["singling_out"]["risk"] > 0.8 and copy["inference"]["risk"] > 0.5
    model = tabsynth.fit(train, schema, epsilon=1.0)
    res = evaluate(train, model.sample(len(train), seed=0), holdout, schema, utility=False,
                   anonymeter=True)  # fmt: skip
    dp = res.privacy["anonymeter"]
    assert dp["n_attacks"] == 300
    for key in ("singling_out", "linkability", "inference"):
        lo, hi = dp[key]["risk_ci"]
        assert 0 <= lo <= dp[key]["risk"] <= hi <= 1
        assert dp[key]["risk"] < copy[key]["risk"] or dp[key]["risk"] < 0.1
    html = res.to_html(tmp_path / "r.html")
    assert "singling out (multivariate)" in html and "inference of insurance" in html


def test_anonymeter_missing_is_a_clear_error(split_health, monkeypatch):
    from tabsynth.errors import MissingExtraError
    from tabsynth.evaluation import anonymity

    train, holdout, schema = split_health
    monkeypatch.delenv(anonymity.ENV, raising=False)
    monkeypatch.setattr(anonymity.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingExtraError, match="TABSYNTH_ANONYMETER_PYTHON"):
        anonymity.anonymeter_risks(train, train, holdout, schema)


def test_tstr_auc_scores_the_classes_the_test_rows_hold():
    from tabsynth.evaluation.utility import tstr_auc

    rng = np.random.default_rng(0)
    x = rng.normal(size=3000)
    y = np.where(x < -0.5, "a", np.where(x < 0.5, "b", "c"))
    y[:5] = "rare"  # a class the test rows below do not hold
    train = pd.DataFrame({"x": x + rng.normal(0, 0.3, 3000), "y": y})
    test = train.iloc[1000:].copy()
    auc = tstr_auc(train, test, "y")
    assert np.isfinite(auc) and auc > 0.85  # x predicts the class well
    shuffled = train.assign(y=rng.permutation(train.y.to_numpy()))
    assert abs(tstr_auc(shuffled, test, "y") - 0.5) < 0.06  # no signal, no skill
    assert np.isnan(tstr_auc(train, test[test.y == "a"], "y"))  # one class: no AUC exists


def test_tstr_auc_leaves_out_a_feature_the_synthetic_rows_never_hold():
    """A synthetic column that came out all null (a thin nullable column under heavy noise)
    crashed HistGradientBoosting's binning; it teaches nothing and is left out."""
    from tabsynth.evaluation.utility import tstr_auc

    rng = np.random.default_rng(1)
    x = rng.normal(size=2000)
    train = pd.DataFrame({"x": x, "y": np.where(x + rng.normal(0, 0.5, 2000) > 0, "a", "b")})
    test = train.iloc[1000:].copy()
    empty = train.assign(v=np.nan)
    held = test.assign(v=rng.normal(size=len(test)))
    assert tstr_auc(empty, held, "y") == pytest.approx(tstr_auc(train, test, "y"))


def test_bootstrap_aucs_equal_the_rank_formula_on_each_resample():
    from tabsynth.evaluation.utility import _boot_aucs, _rank_auc

    rng = np.random.default_rng(3)
    score = np.round(rng.normal(size=400), 1)  # many ties
    positive = rng.random(400) < 1 / (1 + np.exp(-2 * score))
    idx = [rng.integers(0, 400, 300) for _ in range(20)] + [np.flatnonzero(positive)]
    got = _boot_aucs(score, positive, idx)
    want = [_rank_auc(score[i], positive[i]) for i in idx]
    assert np.isnan(got[-1]) and want[-1] is None  # one class: no AUC
    assert got[:-1] == pytest.approx(want[:-1], abs=1e-12)
    assert 0.6 < np.mean(got[:-1]) < 0.95


def test_summary_and_print_are_short_and_readable(split_health):
    train, holdout, schema = split_health
    model = tabsynth.fit(train, schema, epsilon=1.0)
    res = evaluate(train, model.sample(len(train), seed=0), holdout, schema, model=model)
    text = res.summary()
    assert str(res) == text and len(text.splitlines()) <= 8
    assert model.privacy.label() in text and "TSTR AUC" in text and "membership AUC" in text
    assert f"{res.fidelity['quality']['score']:.3f}" in text
    assert "{" not in text and "None" not in text
    assert repr(res).startswith("<EvaluationResult quality=") and len(repr(res)) < 100
