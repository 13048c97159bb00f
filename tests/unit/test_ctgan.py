"""DP-CTGAN: sampling, DP-SGD noise, accounting, refusals and conditional sampling."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("opacus")

import tabsynth  # noqa: E402
from tabsynth.errors import NotForReleaseWarning, PrivacyError, SamplingError  # noqa: E402
from tabsynth.models.ctgan import CTGANConfig, CTGANSynthesizer, minimum_rows  # noqa: E402
from tabsynth.models.ctgan.dpsgd import private_discriminator  # noqa: E402
from tabsynth.privacy import epsilon_to_rho  # noqa: E402
from tabsynth.privacy.rdp import (  # noqa: E402
    RDPAccountant,
    calibrate_sigma,
    rdp_to_epsilon,
    sgm_rdp,
)

FAST = {"epochs": 2}


# --- accounting ------------------------------------------------------------------------------
def test_rdp_matches_opacus_reference_values():
    # opacus tests/accountants_test.py: sigma 1.5, q 0.04, 2250 steps, delta 1e-5 -> RDP
    # epsilon 7.3291 with its default orders; PRV, the tightest, gives 6.7774
    eps = rdp_to_epsilon(sgm_rdp(0.04, 1.5, 2250), 1e-5)
    assert 6.7774 < eps <= 7.32911117143 + 1e-9


def test_calibrated_sigma_never_overshoots_and_is_tight():
    fixed = RDPAccountant()
    fixed.spend(mechanism="marginals", rho=epsilon_to_rho(1.0, 1e-6) * 0.2)
    for eps, q, steps in [(1.0, 0.07, 140), (3.0, 0.14, 70), (8.0, 0.04, 2250)]:
        sigma = calibrate_sigma(epsilon=eps, delta=1e-6, q=q, steps=steps, fixed=fixed)
        spent = rdp_to_epsilon(fixed.curve() + sgm_rdp(q, sigma, steps), 1e-6)
        assert spent <= eps
        less = rdp_to_epsilon(fixed.curve() + sgm_rdp(q, sigma * 0.99, steps), 1e-6)
        assert less > eps  # within 1% of the smallest sigma that fits


def test_zcdp_mechanisms_compose_in_rdp_like_in_zcdp():
    from tabsynth.privacy import rho_to_epsilon

    acct = RDPAccountant()
    acct.spend(mechanism="a", rho=0.05)
    acct.spend(mechanism="b", rho=0.05)
    # RDP over a grid of orders is a little looser than the exact zCDP conversion
    assert acct.epsilon(1e-6) == pytest.approx(rho_to_epsilon(0.1, 1e-6), rel=0.03)
    assert acct.epsilon(1e-6) >= rho_to_epsilon(0.1, 1e-6) - 1e-9


# --- Poisson sampling --------------------------------------------------------------------------
def test_sampling_rate_is_expected_batch_over_rows_and_batches_are_poisson(health):
    df, schema = health
    model = tabsynth.fit(df, schema, "ctgan", epsilon=1.0, batch_size=200, **FAST)
    batches = model._batches
    n = batches.n
    # the rate is the public batch size over a DP row count, close to the true count
    assert batches.q == pytest.approx(200 / n, rel=0.05)
    q = batches.q
    assert f"rate {q:.4g}" in model.privacy.mechanisms[-1].name
    assert len(batches) == int(1 / q)  # steps per epoch, as the accountant is told
    draws = [batches.batch(t) for t in range(300)]
    sizes = np.array([len(b) for b in draws])
    mean, var = n * q, n * q * (1 - q)
    assert abs(sizes.mean() - mean) < 4 * math.sqrt(var / sizes.size)
    assert 0.75 < sizes.var() / var < 1.33  # binomial, not fixed-size batches
    assert len(set(sizes.tolist())) > 10
    # each row joins independently with probability q, in every step
    joins = np.bincount(np.concatenate(draws), minlength=n) / len(draws)
    assert abs(joins.mean() - q) < 0.1 * q
    pair = np.mean([np.isin([0, 1], b).all() for b in draws[:300]])
    assert pair < 5 * q * q + 0.02  # two rows together about q^2 of the time, not q


# --- DP-SGD noise ------------------------------------------------------------------------------
class _Zero(torch.nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(d, 1)

    def forward(self, x):
        return self.lin(x).squeeze(1) * 0.0  # every gradient is zero: only noise moves it


@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_dp_sgd_noise_level(sigma):
    """As opacus tests it: with zero gradients, SGD(lr=1) moves each parameter by the noise
    alone, N(0, k (sigma C / B)^2) after k steps."""
    d, batch, steps, clip = 2000, 50, 9, 1.5
    disc = _Zero(d)
    before = disc.lin.weight.detach().clone()
    gen = torch.Generator().manual_seed(0)
    module, opt, crit = private_discriminator(
        disc, torch.optim.SGD(disc.parameters(), lr=1.0), sigma, clip, batch, gen
    )
    x = torch.randn(batch, d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            CTGANSynthesizer._d_step(x, x, module, opt, crit)
    moved = (disc.lin.weight.detach() - before).ravel().numpy()
    expected = math.sqrt(steps) * sigma * clip / batch
    assert moved.std() == pytest.approx(expected, rel=0.05)
    assert abs(moved.mean()) < 4 * expected / math.sqrt(moved.size)


def test_dp_sgd_clips_each_row():
    """One huge row moves the discriminator no more than the clipping bound allows."""
    d, batch, clip = 5, 20, 1.0
    disc = torch.nn.Sequential(torch.nn.Linear(d, 1))
    with torch.no_grad():
        disc[0].weight.fill_(-0.1)  # the huge row gets a large, unsaturated loss gradient

    class Wrap(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = disc

        def forward(self, x):
            return self.net(x).squeeze(1)

    net = Wrap()
    before = [p.detach().clone() for p in net.parameters()]
    gen = torch.Generator().manual_seed(0)
    module, opt, crit = private_discriminator(
        net, torch.optim.SGD(net.parameters(), lr=1.0), 1e-6, clip, batch, gen
    )
    real = torch.zeros(1, d)
    real[0, 0] = 1e6
    fake = torch.zeros(0, d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        CTGANSynthesizer._d_step(real, fake, module, opt, crit)
    step = torch.cat(
        [(p.detach() - b).ravel() for p, b in zip(net.parameters(), before, strict=True)]
    )
    assert float(step.norm()) <= clip / batch * (1 + 1e-3)
    assert float(step.norm()) > 0.5 * clip / batch  # and it did move


@pytest.mark.parametrize("sigma", [1.0, 4.0])
def test_label_model_noise_level_and_poisson_batches(sigma):
    """The label model's DP-SGD: with inputs of zero, its weights get no gradient, so SGD(lr=1)
    moves them by the noise alone, N(0, k (sigma C / B)^2) after k steps; batches are Poisson
    at the planned rate and the planned number of steps is taken."""
    from tabsynth.models.ctgan.label import LabelPlan, fit_label_model

    n, d, batch, clip = 1000, 1500, 50, 1.5
    plan = LabelPlan(q=batch / n, steps_per_epoch=n // batch, epochs=1, sigma=sigma)
    x = np.zeros((n, d), dtype=np.float32)
    y = np.zeros(n, dtype=np.int64)
    gen = torch.Generator().manual_seed(0)
    w, b, steps = fit_label_model(x, y, 2, plan, clip=clip, batch_size=batch, lr=1.0, priv_gen=gen)
    assert steps == plan.steps == 20
    expected = math.sqrt(steps) * sigma * clip / batch
    assert w.std() == pytest.approx(expected, rel=0.05)
    assert abs(w.mean()) < 4 * expected / math.sqrt(w.size)


def test_label_model_clips_each_row():
    """One huge row moves the label model no more than the clipping bound allows."""
    from tabsynth.models.ctgan.dpsgd import private_module
    from tabsynth.models.ctgan.label import label_step

    batch, clip = 20, 1.0
    lin = torch.nn.Linear(5, 2)
    with torch.no_grad():
        lin.weight.zero_()
        lin.bias.zero_()
    module, opt, crit = private_module(
        lin,
        torch.optim.SGD(lin.parameters(), lr=1.0),
        1e-6,
        clip,
        batch,
        torch.Generator().manual_seed(0),
        torch.nn.CrossEntropyLoss(reduction="mean"),
    )
    x = torch.zeros(1, 5)
    x[0, 0] = 1e6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        label_step(module, opt, crit, x, torch.tensor([1]))
    step = torch.cat([p.detach().ravel() for p in lin.parameters()])
    assert float(step.norm()) <= clip / batch * (1 + 1e-3)
    assert float(step.norm()) > 0.5 * clip / batch


def test_label_model_is_accounted_and_draws_the_target(toy, toy_schema):
    """The label model spends its share (its noise alone would give label_share * epsilon),
    the discriminator's noise is calibrated for the rest, and everything together meets the
    target. After one epoch the GAN has barely learnt how y depends on x; the label model
    gives the synthetic rows the real dependence, keeps y's DP marginal, and a condition on
    the target is kept as asked."""
    from sklearn.metrics import roc_auc_score

    from tabsynth.models.ctgan.label import LABEL_MECHANISM

    model = tabsynth.fit(toy, toy_schema, "ctgan", epsilon=3.0, epochs=1)
    label = [m for m in model.privacy.mechanisms if m.name.startswith(LABEL_MECHANISM)]
    assert len(label) == 1
    plan = model.label_plan_
    alone = RDPAccountant()
    alone.spend(mechanism="label", q=plan.q, sigma=plan.sigma, steps=plan.steps)
    assert alone.epsilon(toy_schema.delta) == pytest.approx(0.2 * 3.0, rel=0.01)
    assert model.privacy.epsilon <= 3.0 * (1 + 1e-9)
    assert model.privacy.epsilon == pytest.approx(3.0, rel=0.01)
    without = tabsynth.fit(toy, toy_schema, "ctgan", epsilon=3.0, epochs=1, label_model=False)
    assert not any(m.name.startswith(LABEL_MECHANISM) for m in without.privacy.mechanisms)
    # the label model's share is not free: at the same row count (the fitted models' noisy
    # counts differ), the discriminator gets more noise with it than without it
    synth = CTGANSynthesizer(toy_schema, epsilon=3.0)
    cfgs = [CTGANConfig(epochs=1), CTGANConfig(epochs=1, label_model=False)]
    fixed = synth._plan_marginals(synth._split(3.0, toy_schema.delta, 5, 0, cfgs[0]), 5, 4000.0,
                                  cfgs[0])  # fmt: skip
    disc = [synth._plan_sgd(3.0, toy_schema.delta, 4000.0, c, fixed).sigma for c in cfgs]
    assert disc[0] > disc[1]

    real = roc_auc_score(toy["y"] == "b", toy["x"])
    out = model.sample(20_000, seed=0)
    assert roc_auc_score(out["y"] == "b", out["x"]) > real - 0.03
    assert (out["y"] == "b").mean() == pytest.approx(model.marginal("y")["b"], abs=0.015)
    assert (model.sample(500, seed=0, where={"y": "b"})["y"] == "b").all()


# --- refusals and extras -----------------------------------------------------------------------
def test_too_few_rows_names_the_minimum(health):
    df, schema = health
    small = df.head(300)
    with pytest.raises(PrivacyError, match=r"needs at least (\d+)") as err:
        tabsynth.fit(small, schema, "ctgan", epsilon=0.5, epochs=50)
    need = int(err.value.args[0].split("needs at least ")[1].split()[0])
    assert need > 300
    cfg = CTGANConfig(epochs=50)
    synth = CTGANSynthesizer(schema, epsilon=0.5)
    synth._plan_marginals(synth._split(0.5, schema.delta, 11, 0, cfg), 11, 300.0, cfg)
    # the histograms' planned share moves with the rows: the minimum re-plans it at each size
    at = synth._fixed_at
    assert minimum_rows(0.5, schema.delta, cfg, at, label=True) == pytest.approx(need, rel=0.002)
    assert at(300.0).epsilon(schema.delta) > at(need).epsilon(schema.delta)


def test_missing_torch_or_opacus_names_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['opacus'] = None\n"
        "import tabsynth\n"
        "from tabsynth.errors import MissingExtraError\n"
        "try:\n"
        "    from tabsynth.models import get_model; get_model('ctgan')\n"
        "except MissingExtraError as e:\n"
        "    print('ERR', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "ERR" in out.stdout and "tabsynth[ctgan]" in out.stdout, out.stderr


# --- seeds, artifacts, progress ----------------------------------------------------------------
def test_same_seed_same_model_with_reproducible_noise(health):
    df, schema = health
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotForReleaseWarning)
        a = tabsynth.fit(df, schema, "ctgan", epsilon=1.0, seed=3, reproducible_noise=True, **FAST)
        b = tabsynth.fit(df, schema, "ctgan", epsilon=1.0, seed=3, reproducible_noise=True, **FAST)
    for (ka, va), (kb, vb) in zip(
        a.net_.state_dict().items(), b.net_.state_dict().items(), strict=True
    ):
        assert ka == kb and torch.equal(va, vb), ka
    assert not a.privacy.releasable


def test_device_auto_is_the_cpu_without_cuda_and_changes_nothing_else(health, monkeypatch):
    """``device="auto"`` trains on the CPU where CUDA is absent and gives the very model that
    ``device="cpu"`` gives (same seed, reproducible noise), with the same plan and accounting;
    a CUDA device asked for where there is none is refused before anything is measured."""
    df, schema = health
    df = df.head(1500)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotForReleaseWarning)
        for dev in ("auto", "cpu"):
            fits[dev] = tabsynth.fit(df, schema, "ctgan", epsilon=1.0, seed=3,
                                     reproducible_noise=True, device=dev, **FAST)  # fmt: skip
    a, b = fits["auto"], fits["cpu"]
    assert a.device_ == b.device_ == "cpu"
    assert any("trained on cpu" in n for n in a.privacy.notes)
    for (ka, va), (kb, vb) in zip(
        a.net_.state_dict().items(), b.net_.state_dict().items(), strict=True
    ):
        assert ka == kb and torch.equal(va, vb), ka
    assert a.privacy.epsilon == b.privacy.epsilon and a.steps_ == b.steps_
    assert [m.sigma for m in a.privacy.mechanisms] == [m.sigma for m in b.privacy.mechanisms]
    spent = []
    monkeypatch.setattr(CTGANSynthesizer, "_split", lambda *a, **k: spent.append(1))
    with pytest.raises(tabsynth.SchemaError, match="no CUDA device") as err:
        tabsynth.fit(df, schema, "ctgan", epsilon=1.0, device="cuda", **FAST)
    assert "device='auto'" in str(err.value) and not spent
    with pytest.raises(tabsynth.SchemaError, match="device must be 'auto', 'cpu', 'cuda'"):
        tabsynth.fit(df, schema, "ctgan", epsilon=1.0, device="tpu", **FAST)


def test_weights_saved_as_safetensors(health, tmp_path):
    df, schema = health
    model = tabsynth.fit(df, schema, "ctgan", epsilon=1.0, **FAST)
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "arrays.safetensors").is_file()
    assert not (tmp_path / "m" / "arrays.npz").exists()


def test_progress_bar_shows_epochs_generator_loss_and_epsilon_only(health, capsys):
    df, schema = health
    tabsynth.fit(df, schema, "ctgan", epsilon=1.0, verbose=True, **FAST)
    err = capsys.readouterr().err
    assert "2/2" in err and "loss_g=" in err and "eps=" in err
    assert "loss_d" not in err  # the discriminator's loss is on private batches


# --- sampling ----------------------------------------------------------------------------------
def test_conditional_and_rebalanced_sampling_through_the_conditional_vector(health):
    df, schema = health
    model = tabsynth.fit(df, schema, "ctgan", epsilon=2.0, **FAST)
    out = model.sample(2000, seed=0, where={"insurance": "no"})
    assert (out["insurance"] == "no").all()
    out = model.sample(2000, seed=0, where={"gender": "female"})
    assert (out["gender"] == "female").all()
    out = model.sample(20_000, seed=0, rebalance={"insurance": {"yes": 0.3, "no": 0.7}})
    assert (out["insurance"] == "no").mean() == pytest.approx(0.7, abs=0.01)
    with pytest.raises(SamplingError, match="outside the domain"):
        model.sample(10, where={"insurance": "maybe"})
    # fair: drawn given the target through the conditional vector, kept by group
    fair = model.sample(20_000, seed=0, fair="insurance:ethnicity")
    assert model.last_sample_report_["fair"]["exact"] == "rejection on the groups"
    shares = pd.crosstab(fair.ethnicity, fair.insurance, normalize="index")["yes"]
    overall = (fair.insurance == "yes").mean()
    for group, share in shares.items():
        se = np.sqrt(overall * (1 - overall) / (fair.ethnicity == group).sum())
        assert abs(share - overall) < 4.5 * se, group


def test_marginals_match_their_dp_estimate(health):
    """The calibration is post-processing that makes the sampler's marginals equal the DP
    marginals (up to sampling error)."""
    df, schema = health
    model = tabsynth.fit(df, schema, "ctgan", epsilon=2.0, **FAST)
    out = model.sample(40_000, seed=1)
    # the critic re-draws rows with a value in a cell the DP marginal puts at zero
    from tabsynth.sampling.plausible import plausibility

    check = plausibility(model, set())
    assert check is not None and check(model.sample(40_000, seed=1, as_frame="polars")).all()
    assert 0 <= model.last_sample_report_["implausible_rate"] < 0.01
    for col in ("ethnicity", "region", "insurance"):
        want = model.marginal(col)
        got = out[col].value_counts(normalize=True)
        for value, p in want.items():
            assert got.get(value, 0.0) == pytest.approx(p, abs=0.015), (col, value)


def test_learns_the_dependence_of_numbers_non_private(credit):
    """A strong numeric correlation (Amount ~ Price) survives: scores, not one-hots."""
    df, schema = credit
    real = df[["Amount", "Price"]].corr().iloc[0, 1]
    syn = []
    # fit-to-fit spread is about 0.09 about a mean of 0.71 (28 fits: 0.48 to 0.88), but one CI
    # fit in many collapsed to 0.22: the median of three fits tolerates one such fit
    for _ in range(3):
        model = tabsynth.fit(df, schema, "ctgan", epsilon=None, epochs=40)
        out = model.sample(len(df), seed=0)
        syn.append(out[["Amount", "Price"]].corr().iloc[0, 1])
    assert real > 0.6 and np.median(syn) > 0.4
    assert isinstance(out, pd.DataFrame)


def test_generator_average_and_extra_generator_steps_are_free(health):
    from tabsynth.models.ctgan.train import _Average

    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    w0 = net[0].weight.detach().clone()
    avg = _Average(net, 0.5)
    with torch.no_grad():
        net[0].weight.add_(2.0)
        net[1].running_mean.fill_(4.0)
    avg.update(net)  # 0.5 * old + 0.5 * new
    avg.copy_to(net)
    assert torch.allclose(net[0].weight, w0 + 1.0)
    assert torch.allclose(net[1].running_mean, torch.full((2,), 2.0))
    with pytest.raises(ValueError, match="generator_ema"):
        CTGANConfig(generator_ema=1.0)
    with pytest.raises(ValueError, match="generator_steps"):
        CTGANConfig(generator_steps=0)
    with pytest.raises(ValueError, match=r"label_share=1.5.*label_model=False"):
        CTGANConfig(label_share=1.5)
    with pytest.raises(ValueError, match="got 0.3 and 0"):
        CTGANConfig(label_clip=0)
    df, schema = health
    with warnings.catch_warnings():  # same seeded noise: the same noisy row count
        warnings.simplefilter("ignore", NotForReleaseWarning)
        plain, extra = (
            tabsynth.fit(
                df, schema, "ctgan", epsilon=1.0, seed=5, reproducible_noise=True, **FAST, **opts
            )
            for opts in ({}, {"generator_ema": 0.9, "generator_steps": 2})
        )
    # post-processing of the private discriminator: the same plan (rate, steps, noise) and
    # the same spend; a different generator
    assert plain.privacy.mechanisms == extra.privacy.mechanisms
    assert plain.privacy.epsilon == extra.privacy.epsilon <= 1.0
    a, b = (m.net_.state_dict()["head.weight"] for m in (plain, extra))
    assert not torch.equal(a, b)
    assert extra.sample(200, seed=0).shape[1] == plain.sample(200, seed=0).shape[1]


def test_the_planner_fits_small_tables_by_default_and_says_what_it_chose(health):
    """800 rows at epsilon 1: the defaults (20 epochs of batch 500) would need more rows, so
    the planner picks fewer, smaller steps; explicit settings are kept (and refused)."""
    from tabsynth.models.ctgan.config import COUNT_MECHANISM, MARGINAL_MECHANISM
    from tabsynth.models.ctgan.plan import PLAN_BATCHES, PLAN_EPOCHS, planned_marginal_share

    df, schema = health
    small = df.head(800)
    m = tabsynth.fit(small, schema, "ctgan", epsilon=1.0)
    chosen = (m.config_.epochs, m.config_.batch_size)
    assert m.plan_["chosen"] == "planner" and chosen != (20, 500)
    assert m.config_.batch_size in PLAN_BATCHES and m.config_.epochs in PLAN_EPOCHS
    assert m.steps_ <= 20 * max(1, int(800 / 500)) + 5  # never more steps than the defaults
    note = next(n for n in m.privacy.notes if n.startswith("training plan"))
    assert f"{m.config_.epochs} epochs of expected batch {m.config_.batch_size}" in note
    # the histograms' share from the DP count: 0.5 at 800 rows, falling to 0.2 by 12,500
    assert m.plan_["marginal_share"] == planned_marginal_share(m.rows_estimate_) == 0.5
    assert [planned_marginal_share(n) for n in (8000, 12_500, 10**6)] == [0.25, 0.2, 0.2]
    hist = next(x for x in m.privacy.mechanisms if x.name.startswith(MARGINAL_MECHANISM))
    count = next(x for x in m.privacy.mechanisms if x.name.startswith(COUNT_MECHANISM))
    assert hist.rho == pytest.approx(count.rho / 0.02 * (0.5 - 0.02))
    assert any("histograms: 0.5 of rho" in n for n in m.privacy.notes)
    assert m.privacy.epsilon <= 1.0 + 1e-9
    with pytest.raises(PrivacyError, match="needs at least"):
        tabsynth.fit(small, schema, "ctgan", epsilon=1.0, epochs=20)
    big = tabsynth.fit(df, schema, "ctgan", epsilon=3.0, epochs=1, marginal_share=0.3)
    assert big.plan_["chosen"] == "as configured" and big.config_.epochs == 1
    assert big.plan_["marginal_share"] == 0.3
    with pytest.raises(PrivacyError, match="most lenient plan"):
        tabsynth.fit(df.head(60), schema, "ctgan", epsilon=0.1)
