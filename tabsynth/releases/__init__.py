"""Versioned, checked releases from one declarative config (``tabsynth release CONFIG``)."""

from tabsynth.releases.checks import CHECKS, Check
from tabsynth.releases.config import ReleaseConfig, read_config
from tabsynth.releases.run import Release, release, verify_release

__all__ = [
    "CHECKS",
    "Check",
    "Release",
    "ReleaseConfig",
    "read_config",
    "release",
    "verify_release",
]
