"""Checks shared by the tests of the copula's opt-in cell options (refinement, zero splits):
conditions, rebalancing, a constraint and a streamed fit still hold with them."""

import pandas as pd

import tabsynth


def credit_with_constraint() -> tuple[pd.DataFrame, tabsynth.Schema]:
    """The bundled credit table, its schema with ``Amount <= Price`` declared."""
    from tabsynth.datasets import load_example

    df, schema = load_example("credit_data")
    d = schema.model_dump(mode="json")
    d["constraints"] = ["Amount <= Price"]
    return df, tabsynth.Schema.from_dict(d)


def assert_sampling_and_stream(model, df, schema, opts, tmp_path) -> tabsynth.Synthesizer:
    """``model`` (fitted on ``df`` with ``opts``) honours a condition, a rebalancing and the
    constraint, and a streamed fit with ``opts`` samples the same rows; the streamed model."""
    out = model.sample(4000, seed=0, where={"Home": "owner"})
    assert (out.Home == "owner").all() and (out.Amount <= out.Price).all()
    out = model.sample(4000, seed=0, rebalance={"Job": "uniform"})
    assert out.Job.value_counts(normalize=True).sub(0.25).abs().max() < 0.02
    path = tmp_path / "credit.parquet"
    df.to_parquet(path)
    streamed = tabsynth.fit(tabsynth.scan(path, batch_rows=700), schema, **opts)
    same = {"seed": 2, "as_frame": "pandas"}
    pd.testing.assert_frame_equal(streamed.sample(500, **same), model.sample(500, **same))
    return streamed
