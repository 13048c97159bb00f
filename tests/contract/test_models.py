"""The contract every registered model must pass (like scikit-learn's estimator checks)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import tabsynth
from tabsynth.data import build_domains
from tabsynth.errors import (
    ArtifactError,
    DataValidationError,
    NotFittedError,
    NotForReleaseWarning,
    PrivacyError,
)
from tabsynth.models import get_model

MODELS = tabsynth.available_models()
FAST = {"copula": {}, "ctgan": {"epochs": 2}}  # options that keep the contract suite quick


def _fit(name, data, schema, **kw):
    return tabsynth.fit(data, schema, name, **{**FAST.get(name, {}), **kw})


@pytest.fixture(params=MODELS)
def model_name(request):
    return request.param


def test_output_shape_columns_and_domain(model_name, credit):
    df, schema = credit
    model = _fit(model_name, df, schema, epsilon=1.0)
    out = model.sample(700, seed=1)
    assert list(out.columns) == schema.names and len(out) == 700
    for col in schema.columns:
        s = out[col.name]
        if not col.nullable:
            assert s.notna().all(), col.name
        if col.kind == "categorical":
            assert set(s.dropna()) <= set(col.domain), col.name
        if col.kind == "numerical":
            assert s.min() >= col.lower and s.max() <= col.upper, col.name
            if col.integer:
                assert (s.dropna() == s.dropna().round()).all(), col.name
    # the output conforms to the schema it was fitted under
    tabsynth.data.conform(pl.from_pandas(out), schema)


def test_same_seed_same_output_and_different_seed_differs(model_name, health):
    df, schema = health
    model = _fit(model_name, df, schema, epsilon=1.0)
    a, b = model.sample(300, seed=5), model.sample(300, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(model.sample(300, seed=6))


def test_save_load_round_trip(model_name, health, tmp_path):
    df, schema = health
    model = _fit(model_name, df, schema, epsilon=1.0)
    model.save(tmp_path / "m")
    again = tabsynth.load(tmp_path / "m")
    pd.testing.assert_frame_equal(model.sample(200, seed=3), again.sample(200, seed=3))
    assert again.privacy == model.privacy
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["schema_hash"] == schema.hash()
    assert manifest["data_fingerprint"].startswith("hmac-sha256:")


def test_altered_or_unknown_artifact_refused(model_name, health, tmp_path):
    df, schema = health
    _fit(model_name, df, schema, epsilon=1.0).save(tmp_path / "m")
    path = tmp_path / "m" / "model.json"
    path.write_text(path.read_text().replace("[", "[ ", 1))
    with pytest.raises(ArtifactError, match="altered"):
        tabsynth.load(tmp_path / "m")
    with pytest.raises(ArtifactError, match="not a tabsynth model"):
        tabsynth.load(tmp_path)


def test_no_pickle_in_artifact(model_name, health, tmp_path):
    df, schema = health
    _fit(model_name, df, schema, epsilon=1.0).save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    for name in files:
        path = tmp_path / "m" / name
        if name.endswith(".json"):
            json.loads(path.read_text())
        elif name.endswith(".npz"):
            with np.load(path, allow_pickle=False) as npz:
                for key in npz.files:
                    assert npz[key].dtype != object, key
        elif name.endswith(".safetensors"):
            from safetensors.numpy import load_file

            assert load_file(path)
        else:
            raise AssertionError(f"unexpected file {name} in a saved model")
    assert not any(open(tmp_path / "m" / n, "rb").read(2) == b"\x80\x04" for n in files)


def test_bad_input_refused(model_name, health):
    df, schema = health
    cls = get_model(model_name)
    with pytest.raises(NotFittedError):
        cls(schema).sample(3)
    with pytest.raises(DataValidationError, match="'age'"):
        _fit(model_name, df.drop(columns=["age"]), schema, epsilon=1.0)
    with pytest.raises(PrivacyError):
        _fit(model_name, df, schema, epsilon=-1.0)
    model = _fit(model_name, df, schema, epsilon=1.0)
    with pytest.raises(ValueError, match="non-negative"):
        model.sample(-1)


def test_privacy_statement(model_name, health):
    df, schema = health
    model = _fit(model_name, df, schema, epsilon=0.7, delta=1e-7)
    p = model.privacy
    assert p.epsilon <= 0.7 + 1e-9 and p.delta == 1e-7 and p.releasable
    assert p.accountant and p.mechanisms and p.neighbouring
    if p.rho is not None:  # zCDP accounting: the mechanisms' rhos add up
        assert sum(m.rho for m in p.mechanisms) == pytest.approx(p.rho)
    else:  # Renyi-DP accounting (DP-SGD): every mechanism states its noise
        assert p.accountant == "rdp" and all(m.sigma > 0 for m in p.mechanisms)
    non_private = _fit(model_name, df, schema, epsilon=None)
    assert not non_private.privacy.is_private
    assert "NON-PRIVATE" in non_private.privacy.label()


def test_secure_noise_by_default_reproducible_only_on_request(model_name, health):
    df, schema = health
    a = _fit(model_name, df, schema, epsilon=1.0, seed=1).sample(300)
    b = _fit(model_name, df, schema, epsilon=1.0, seed=1).sample(300)
    assert not a.equals(b), "fit-time noise must not follow from the seed by default"
    with pytest.warns(NotForReleaseWarning):
        m1 = _fit(model_name, df, schema, epsilon=1.0, seed=1, reproducible_noise=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotForReleaseWarning)
        m2 = _fit(model_name, df, schema, epsilon=1.0, seed=1, reproducible_noise=True)
    pd.testing.assert_frame_equal(m1.sample(300), m2.sample(300))
    assert not m1.privacy.releasable and "NOT FOR RELEASE" in m1.privacy.label()


def test_every_cell_of_the_domain_is_reachable(model_name, toy, toy_schema):
    model = _fit(model_name, toy, toy_schema, epsilon=None)
    out = pl.from_pandas(model.sample(20_000, seed=0))
    for dom in build_domains(toy_schema):
        if dom.kind == "categorical":
            assert set(out[dom.name].drop_nulls()) == set(dom.labels)
