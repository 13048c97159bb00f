"""Privacy stage: noise sources and accountants. Imports nothing from ``tabsynth.models``."""

from tabsynth.privacy.accountant import (
    NEIGHBOURING,
    ZCDPAccountant,
    check_epsilon_delta,
    epsilon_to_rho,
    gaussian_rho,
    gaussian_sigma,
    rho_to_epsilon,
)
from tabsynth.privacy.accountants import ACCOUNTANTS, get_accountant
from tabsynth.privacy.noise import NoiseSource, SecureNoise, SeededNoise, make_noise

__all__ = [
    "ACCOUNTANTS",
    "NEIGHBOURING",
    "NoiseSource",
    "SecureNoise",
    "SeededNoise",
    "ZCDPAccountant",
    "check_epsilon_delta",
    "epsilon_to_rho",
    "gaussian_rho",
    "gaussian_sigma",
    "get_accountant",
    "make_noise",
    "rho_to_epsilon",
]
