"""Person-level privacy (issue #24): with ``privacy_unit`` the guarantee covers one unit's rows
together. The grey-box harness adds or removes a whole unit; the certificate says who is
protected; models and engines that cannot bound a unit refuse before measuring anything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import tabsynth
from tabsynth.errors import DataValidationError, SchemaError
from tabsynth.privacy.units import bound_units
from tests.privacy.greybox import assert_coupled, coupled_pair


@pytest.fixture(scope="module")
def panel():
    """1,500 rows of the DoctorContacts panel (people with 1-5 yearly rows), its schema with
    ``max_rows_per_unit: 3`` (so bounding drops rows), and a new person with 7 rows."""
    from tabsynth.datasets import load_example

    df, schema = load_example("doctor_contacts_panel")
    df = df.head(1500).reset_index(drop=True)
    schema = tabsynth.Schema.from_dict({**schema.model_dump(mode="json"), "max_rows_per_unit": 3})
    person = df.iloc[[0] * 7].copy()
    person["person_id"] = "person-99999"
    person["mdu"] = np.arange(7) * 11  # visits no other row of the slice has
    person["age"] = 30.5 + np.arange(7)
    return df, schema, person


def test_bounding_keeps_k_rows_per_unit_chosen_by_the_units_own_rows():
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"u": rng.integers(0, 50, 2000).astype(str), "x": rng.normal(size=2000)})
    kept = bound_units(df, "u", 3, key=12345)
    per_unit = kept.group_by("u").len()
    assert per_unit["len"].max() <= 3
    assert per_unit.height == df["u"].n_unique()  # every unit keeps min(its rows, k)
    expected = df.group_by("u").len().with_columns(pl.col("len").clip(upper_bound=3))
    assert per_unit.sort("u").equals(expected.sort("u"))
    # a new unit's rows, anywhere in the table, change no other unit's kept rows
    extra = pl.DataFrame({"u": ["new"] * 9, "x": np.arange(9.0)})
    both = bound_units(pl.concat([extra, df]), "u", 3, key=12345)
    assert both.filter(pl.col("u") != "new").equals(kept)
    assert both.filter(pl.col("u") == "new").height == 3
    assert not bound_units(df, "u", 3, key=999).equals(kept)  # the choice follows the key


def test_a_null_unit_is_refused():
    df = pl.DataFrame({"u": ["a", None], "x": [1.0, 2.0]})
    with pytest.raises(DataValidationError, match="privacy unit has null values"):
        bound_units(df, "u", 2, key=1)


def test_the_certificate_names_the_unit_and_scales_every_sensitivity(panel):
    df, schema, _ = panel
    row = tabsynth.Schema.from_dict(
        {**schema.model_dump(mode="json"), "privacy_unit": None, "max_rows_per_unit": 1}
    )
    unit = tabsynth.fit(df, schema, epsilon=1.0).privacy
    plain = tabsynth.fit(df, row, epsilon=1.0).privacy
    assert unit.neighbouring == "add/remove one person_id (all its rows; at most 3 used)"
    assert "person_id" in unit.label() and plain.neighbouring == "add/remove one record"
    by_name = {m.name: m.sensitivity for m in plain.mechanisms if "atom" not in m.name}
    assert {m.name: m.sensitivity for m in unit.mechanisms} == {
        k: 3 * v for k, v in by_name.items()
    }  # atoms: from the schema only when a unit may hold several rows
    assert unit.epsilon == pytest.approx(plain.epsilon)


def test_greybox_a_whole_person_added(panel, tmp_path, monkeypatch):
    df, schema, person = panel
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0)  # noqa: E731
    d2 = pd.concat([df.iloc[:700], person, df.iloc[700:]], ignore_index=True)
    a, b = coupled_pair(fit, df, d2, tmp_path, monkeypatch)
    assert_coupled(a, b)


@pytest.mark.slow
def test_person_level_counts_meet_the_claim_and_row_level_noise_fails():
    """The statistical test of the guarantee issue, with neighbours that differ by one whole
    person: the kept-row count of D and of D' (a person with 7 rows, 3 kept) through the
    copula's count mechanism, 100,000 draws each. At the claimed (eps, delta) the hockey-stick
    divergence is within tolerance with the unit's noise, and far above it with one row's."""
    from tabsynth.models.copula import CopulaConfig
    from tabsynth.models.copula.plan import _plan
    from tabsynth.privacy import rho_to_epsilon
    from tests.privacy.test_mechanisms import TOL_MECH, _count_outputs, empirical_delta

    rng = np.random.default_rng(4)
    d = pl.DataFrame({"u": rng.integers(0, 400, 1500).astype(str), "x": rng.normal(size=1500)})
    person = pl.DataFrame({"u": ["new"] * 7, "x": np.arange(7.0)})
    d2 = pl.concat([d.head(600), person, d.slice(600)])
    c1, c2 = (bound_units(t, "u", 3, key=int(rng.integers(2**62))).height for t in (d, d2))
    assert c2 - c1 == 3

    def sigma(k):
        plan = _plan(k=k, rho=0.5, d=4, n_strata=6, cfg=CopulaConfig(), secure=True,
                     n_atom_cols=0, delta_atoms=0.0)  # fmt: skip
        return next(m for m in plan.mechanisms if m.name == "stratum counts")

    mech = sigma(3)
    assert mech.sensitivity == 3
    delta = 0.02
    eps = rho_to_epsilon(mech.rho, delta)
    ok = empirical_delta(_count_outputs(c1, mech.sigma), _count_outputs(c2, mech.sigma), eps)
    row = sigma(1).sigma  # the noise a row-level fit would add
    bad = empirical_delta(_count_outputs(c1, row), _count_outputs(c2, row), eps)
    assert ok <= delta + TOL_MECH
    assert bad > delta + TOL_MECH


def test_greybox_catches_row_level_sensitivity_for_a_whole_person(panel, tmp_path, monkeypatch):
    """The same neighbours with every sensitivity left at its per-row value: the person's
    three kept rows move the measurements past what the certificate declares."""
    from tabsynth.models.copula import model as copula

    df, schema, person = panel
    real_plan = copula._plan
    monkeypatch.setattr(copula, "_plan", lambda **kw: real_plan(**{**kw, "k": 1}))
    fit = lambda data: tabsynth.fit(data, schema, "copula", epsilon=1.0)  # noqa: E731
    d2 = pd.concat([df, person], ignore_index=True)
    a, b = coupled_pair(fit, df, d2, tmp_path, monkeypatch)
    with pytest.raises(AssertionError, match="sensitivity"):
        assert_coupled(a, b)


def _same_copula(a, b) -> None:
    assert a.strata_ == b.strata_ and a.others_ == b.others_
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.corr_, b.corr_, rtol=1e-9, atol=1e-12)
    for pa, pb in zip(a.pmfs_, b.pmfs_, strict=True):
        np.testing.assert_allclose(pa, pb, rtol=1e-9, atol=1e-12)


def test_units_split_across_batches_are_bounded_as_in_memory(panel, tmp_path):
    """Batch by batch, a unit proposes its k lowest rows and the proposals are merged: the
    kept rows are the in-memory ones, whatever the batches, so the fits are equal."""
    from functools import partial

    from tabsynth.engines import stats
    from tabsynth.engines.sources import FrameSource, ScanSource
    from tabsynth.privacy.units import kept_positions

    df, schema, _ = panel
    # shuffle so that every person's rows are spread over many small batches
    df = df.sample(frac=1.0, random_state=5).reset_index(drop=True)
    df.to_parquet(tmp_path / "p.parquet", row_group_size=97)
    conformed = tabsynth.data.conform(pl.from_pandas(df), schema)[0]
    modelled = [c.name for c in schema.columns if c.modelled]
    mem = bound_units(conformed, "person_id", 3, key=77, modelled=modelled)
    src = ScanSource(tmp_path / "p.parquet", batch_rows=97)
    src.bound_units(schema, key=77)
    assert src.keep is not None and src.keep.size == mem.height < len(df)
    kept = conformed.with_row_index("pos").filter(pl.col("pos").is_in(src.keep))
    assert kept.drop("pos").equals(mem)
    # later passes see the kept rows only
    fn = partial(stats.cell_counts, domains=_domains(schema), strata=["sex"], others=["age"])
    streamed = src.run(fn, schema)
    in_mem = FrameSource(mem).run(fn, schema)
    assert streamed.rows == in_mem.rows == mem.height
    for name, arr in in_mem.arrays.items():
        np.testing.assert_array_equal(streamed.arrays[name], arr)
    assert (
        kept_positions(  # one batch or many: the same kept positions
            stats.unit_pass(conformed, 0, unit="person_id", k=3, key=77, modelled=modelled).units
        ).tolist()
        == src.keep.tolist()
    )

    fit = lambda data: tabsynth.fit(data, schema, epsilon=1.0, seed=3, reproducible_noise=True)  # noqa: E731
    ref = fit(df)
    got = fit(tabsynth.scan(tmp_path / "p.parquet", batch_rows=97))
    _same_copula(ref, got)
    assert got.privacy.neighbouring == ref.privacy.neighbouring
    assert got.domain_report_.rows == len(df)  # the steward's report counts every row read


def _domains(schema):
    from tabsynth.data.domain import build_domains
    from tabsynth.models.copula.plan import CopulaConfig

    return {d.name: d for d in build_domains(schema, bins=CopulaConfig().bins)}


@pytest.mark.slow
def test_units_on_dask_partitions_are_bounded_as_in_memory(panel, tmp_path):
    distributed = pytest.importorskip("distributed")
    df, schema, _ = panel
    df = df.sample(frac=1.0, random_state=6).reset_index(drop=True)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, lo in enumerate(range(0, len(df), 400)):
        df.iloc[lo : lo + 400].to_parquet(parts / f"p{i}.parquet")
    fit = lambda data: tabsynth.fit(data, schema, epsilon=1.0, seed=3, reproducible_noise=True)  # noqa: E731
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        got = fit(tabsynth.scan(parts, engine="dask", client=client))
    _same_copula(fit(df), got)


def test_a_null_unit_in_a_streamed_batch_is_reported_with_the_rest(panel, tmp_path):
    df, schema, _ = panel
    bad = df.copy()
    bad.loc[5, "person_id"] = None
    bad.loc[9, "age"] = -4.0  # out of bounds: clipped, not an error
    bad.loc[311, "sex"] = "unknown"  # another batch
    bad.to_parquet(tmp_path / "bad.parquet", row_group_size=100)
    with pytest.raises(DataValidationError) as err:
        tabsynth.fit(tabsynth.scan(tmp_path / "bad.parquet", batch_rows=100), schema, epsilon=1.0)
    text = str(err.value)
    assert "privacy unit has null values" in text and "'sex'" in text


def test_stream_greybox_a_whole_person_added(panel, tmp_path, monkeypatch):
    """The streamed fit, a person's rows spread over the batches of D': only the declared
    mechanisms move, each within one person's sensitivity."""
    df, schema, person = panel
    paths = {"d": tmp_path / "d.parquet", "d2": tmp_path / "d2.parquet"}
    df.to_parquet(paths["d"])
    spread = pd.concat([df, person], ignore_index=True).sample(frac=1.0, random_state=2)
    spread.reset_index(drop=True).to_parquet(paths["d2"])
    fit = lambda p: tabsynth.fit(tabsynth.scan(p, batch_rows=200), schema, epsilon=1.0)  # noqa: E731
    a, b = coupled_pair(fit, paths["d"], paths["d2"], tmp_path, monkeypatch)
    assert_coupled(a, b)


def test_unit_batches_take_a_units_rows_together():
    """DP-SGD with a unit samples units: a unit's rows are all in a step's batch or none."""
    from tabsynth.privacy.keyed import PoissonBatches, content_hashes

    rng = np.random.default_rng(1)
    units = pl.DataFrame({"u": rng.integers(0, 300, 3000).astype(str)})
    groups = content_hashes(units)
    rows = np.arange(3000, dtype=np.uint64)
    batches = PoissonBatches(rows, 0.05, key=9, groups=groups)
    sizes = []
    for step in range(20):
        idx = batches.batch(step)
        inside = set(units["u"].gather(idx).to_list())
        every = np.flatnonzero(units["u"].is_in(list(inside)).to_numpy())
        assert np.array_equal(idx, every)  # all rows of each sampled unit, no other row
        sizes.append(len(inside))
    assert 5 < np.mean(sizes) < 25  # about q x 300 units per step
    by_row = PoissonBatches(rows, 0.05, key=9)
    assert not np.array_equal(by_row.batch(0), batches.batch(0))


@pytest.fixture(scope="module")
def panel_ctgan(panel):
    pytest.importorskip("torch")
    df, schema, person = panel
    return df, schema, person


@pytest.mark.slow
def test_ctgan_greybox_a_whole_person_added(panel_ctgan, tmp_path, monkeypatch):
    """DP-CTGAN with a unit: the count, the marginals and every DP-SGD step (label model and
    discriminator, units sampled) move within one person's sensitivity, with the declared
    noise; everything released is identical."""
    df, schema, person = panel_ctgan
    fit = lambda data: tabsynth.fit(data, schema, "ctgan", epsilon=3.0, epochs=1,  # noqa: E731
                                    batch_size=150, label_epochs=1)  # fmt: skip
    d2 = pd.concat([df.iloc[:300], person, df.iloc[300:]], ignore_index=True)
    a, b = coupled_pair(fit, df, d2, tmp_path, monkeypatch)
    assert_coupled(a, b)
    assert max(b.noise.step_diffs.values()) > 0  # the person was in some batches
    assert a.privacy.neighbouring == schema.neighbouring()
    from tabsynth.models.ctgan.config import CTGANConfig

    cfg = CTGANConfig()
    sgd = {m.name.split(" (")[0]: m.sensitivity for m in a.privacy.mechanisms if m.rho is None}
    assert sgd == {  # k x each clipping norm
        "DP-SGD on the label model": 3 * cfg.label_clip,
        "DP-SGD on the discriminator": 3 * cfg.max_grad_norm,
    }


@pytest.mark.slow
def test_ctgan_greybox_catches_row_level_noise_for_a_person(panel_ctgan, tmp_path, monkeypatch):
    """DP-SGD's noise left at one row's scale while the certificate declares the unit's."""
    from tabsynth.models.ctgan import train

    df, schema, person = panel_ctgan
    real = train.private_discriminator
    monkeypatch.setattr(train, "private_discriminator", lambda d, o, s, *a: real(d, o, s / 3, *a))
    fit = lambda data: tabsynth.fit(data, schema, "ctgan", epsilon=3.0, epochs=1,  # noqa: E731
                                    batch_size=150, label_model=False)  # fmt: skip
    a, b = coupled_pair(fit, df, pd.concat([df, person], ignore_index=True), tmp_path, monkeypatch)
    with pytest.raises(AssertionError, match="noise std"):
        assert_coupled(a, b)


@pytest.mark.parametrize(
    "change, needle",
    [
        ({"privacy_unit": "age"}, "'age' is not an identifier column"),
        ({"privacy_unit": "nobody"}, "'nobody' is not an identifier column"),
        ({"privacy_unit": None, "max_rows_per_unit": 3}, "set without a privacy_unit"),
    ],
)
def test_schema_checks_the_unit(panel, change, needle):
    _, schema, _ = panel
    with pytest.raises(SchemaError, match=needle):
        tabsynth.Schema.from_dict({**schema.model_dump(mode="json"), **change})


def test_schemas_without_a_unit_keep_their_hash():
    """The new fields left unset hash as before, so earlier models still load."""
    from tabsynth.datasets import example_schema

    assert example_schema("health_insurance").hash() == (
        "406bdaac4df63eab36f4f88f50b22986fe7ad501d3820e8a96323275d5bfa6e6"
    )


def test_infer_proposes_a_repeating_identifier_as_the_privacy_unit(panel):
    import warnings

    from tabsynth.schema import infer_schema

    df, _, _ = panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        draft = infer_schema(pl.from_pandas(df))
        flat = infer_schema(pl.from_pandas(df.drop_duplicates("person_id")))
    assert draft.privacy_unit == "person_id" and 2 <= draft.max_rows_per_unit <= 5
    assert "privacy unit" in draft.column("person_id").description
    assert flat.privacy_unit is None  # one row per person: nothing to propose


def test_infer_warns_when_rows_repeat_person_level_columns_without_a_unit():
    """DoctorContacts as published (no person column): each person's time-invariant columns
    repeat on their yearly rows, far more often than independent rows would; tables of one
    row per person get no warning."""
    import warnings

    from tabsynth.datasets import load_example
    from tabsynth.errors import RepeatedRowsWarning
    from tabsynth.schema import infer_schema

    def hints(name, drop=()):
        df = pl.from_pandas(load_example(name)[0]).drop(list(drop))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            draft = infer_schema(df)
        return draft, [str(w.message) for w in caught if w.category is RepeatedRowsWarning]

    _, found = hints("doctor_contacts")
    assert len(found) == 1 and "several rows may belong to one person" in found[0]
    assert "privacy_unit" in found[0]
    for name in ("health_insurance", "credit_data", "loans"):
        assert hints(name)[1] == [], name
    draft, found = hints("doctor_contacts_panel")  # the person column is there: proposed
    assert draft.privacy_unit == "person_id" and found == []


def test_the_audit_inserts_one_canary_person_and_tests_the_person_level_claim(panel):
    from tabsynth.audit import audit, canary, group_canary

    df, schema, _ = panel
    frame = pl.from_pandas(df)
    for rows in (group_canary(frame, schema, 3), canary(frame, schema)):
        assert rows["person_id"].unique().to_list() == ["tabsynth-canary-unit"]
    out = audit(df, schema, "copula", epsilon=1.0, trials=40, attack="whitebox", group=3,
                control=False)  # fmt: skip
    res = out["audit"]
    assert res["as_unit"] and res["group_size"] == 3
    assert res["claimed_group_epsilon"] == 1.0  # one person's 3 rows: epsilon, not 3 x epsilon
    assert "for one person_id: its 3 canary rows together" in out["verdict"]


def test_the_ledger_entry_names_who_is_protected(panel, tmp_path):
    from tabsynth.privacy.ledger import Ledger

    df, schema, _ = panel
    book = tmp_path / "ledger.sqlite"
    Ledger(book).set_cap("panel", epsilon=5.0, delta=1e-5)
    tabsynth.fit(df, schema, epsilon=1.0, dataset="panel", ledger=book)
    spend = [e for e in Ledger(book).entries("panel") if e.kind == "commit"][-1]
    assert spend.payload["neighbouring"] == schema.neighbouring()
    assert "person_id" in spend.payload["neighbouring"]
