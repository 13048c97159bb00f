"""Accountant tests against an independent implementation (OpenDP's conversion), the
analytic Gaussian bound (Balle and Wang 2018) and the closed form of Bun and Steinke (2016)."""

import math

import opendp.prelude as dp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from tabsynth.errors import PrivacyError
from tabsynth.privacy import (
    ZCDPAccountant,
    epsilon_to_rho,
    gaussian_rho,
    gaussian_sigma,
    get_accountant,
    rho_to_epsilon,
)

dp.enable_features("contrib")


def _opendp_epsilon(sigma: float, delta: float) -> float:
    space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l2_distance(T="i64")
    meas = dp.c.make_fix_delta(
        dp.c.make_zCDP_to_approxDP(space >> dp.m.then_gaussian(scale=sigma)), delta
    )
    return meas.map(1)[0]


def _analytic_delta(eps: float, sigma: float) -> float:
    """Exact privacy profile of the Gaussian mechanism with sensitivity 1."""
    a = 1 / (2 * sigma)
    return norm.cdf(-eps * sigma + a) - math.exp(eps) * norm.cdf(-eps * sigma - a)


@pytest.mark.parametrize("sigma", [0.8, 2.0, 20.0, 300.0])
@pytest.mark.parametrize("delta", [1e-5, 1e-6, 1e-9])
def test_conversion_matches_opendp(sigma, delta):
    rho = gaussian_rho(sensitivity=1, sigma=sigma)
    assert rho_to_epsilon(rho, delta) == pytest.approx(_opendp_epsilon(sigma, delta), rel=1e-6)


@pytest.mark.parametrize("sigma", [1.0, 5.0, 50.0])
def test_conversion_is_sound_and_tighter_than_bun_steinke(sigma):
    delta = 1e-6
    rho = gaussian_rho(sensitivity=1, sigma=sigma)
    eps = rho_to_epsilon(rho, delta)
    assert eps <= rho + 2 * math.sqrt(rho * math.log(1 / delta))
    # sound: the true Gaussian mechanism meets (eps, delta)
    assert _analytic_delta(eps, sigma) <= delta


def test_published_value_bun_steinke_example():
    # rho = 0.5 (sigma = 1): Bun-Steinke closed form gives 0.5 + 2 sqrt(0.5 ln 1e5)
    assert rho_to_epsilon(0.5, 1e-5) < 0.5 + 2 * math.sqrt(0.5 * math.log(1e5))


@settings(max_examples=60, deadline=None)
@given(eps=st.floats(0.01, 20), log_delta=st.floats(-12, -2))
def test_calibrated_rho_never_overshoots(eps, log_delta):
    delta = 10**log_delta
    rho = epsilon_to_rho(eps, delta)
    assert rho_to_epsilon(rho, delta) <= eps
    assert rho_to_epsilon(rho * 1.001, delta) > eps * (1 - 1e-6)  # and is (nearly) tight


@settings(max_examples=40, deadline=None)
@given(sens=st.floats(0.1, 100), rho=st.floats(1e-4, 10))
def test_sigma_and_rho_are_inverse(sens, rho):
    sigma = gaussian_sigma(sensitivity=sens, rho=rho)
    assert gaussian_rho(sensitivity=sens, sigma=sigma) == pytest.approx(rho)


def test_approximate_zcdp_spends_delta():
    acct = get_accountant("zcdp")
    acct.spend(mechanism="sparse histogram", rho=0.01, delta=1e-7)
    acct.spend(mechanism="gaussian", rho=0.01)
    assert acct.delta_spent == pytest.approx(1e-7)
    assert acct.epsilon(1e-6) == pytest.approx(rho_to_epsilon(0.02, 9e-7))
    assert acct.epsilon(1e-7) == math.inf
    again = ZCDPAccountant.from_state_dict(acct.state_dict())
    assert again.delta_spent == acct.delta_spent


def test_composition_adds_rho():
    acct = get_accountant("zcdp")
    acct.spend(mechanism="a", rho=0.01)
    acct.spend(mechanism="b", rho=0.02)
    assert acct.rho == pytest.approx(0.03)
    assert acct.epsilon(1e-6) == pytest.approx(rho_to_epsilon(0.03, 1e-6))
    again = ZCDPAccountant.from_state_dict(acct.state_dict())
    assert again.rho == acct.rho


@pytest.mark.parametrize(
    "eps,delta", [(0, 1e-6), (-1, 1e-6), (math.nan, 1e-6), (math.inf, 1e-6), (1, 0), (1, 1.5)]
)
def test_bad_parameters_refused(eps, delta):
    with pytest.raises(PrivacyError):
        epsilon_to_rho(eps, delta)


def test_unknown_accountant():
    with pytest.raises(PrivacyError, match="known"):
        get_accountant("moments")
