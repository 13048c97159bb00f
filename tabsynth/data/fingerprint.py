"""Keyed fingerprints of private tables: they identify data (in manifests and ledger
entries) and reveal none; without the key nobody can test a guess against one."""

from __future__ import annotations

import functools
import hmac
import io
from pathlib import Path

import polars as pl

KEY_ENV = "TABSYNTH_FINGERPRINT_KEY"


def fingerprint_key() -> bytes:
    """The key for data fingerprints: ``$TABSYNTH_FINGERPRINT_KEY``, else a local key file.

    The key never goes into an artifact; without it, nobody can test a guess of the data
    against a fingerprint.
    """
    from tabsynth._io import secret_key

    return secret_key(KEY_ENV, "fingerprint.key")


def data_fingerprint(df: pl.DataFrame) -> str:
    """Keyed HMAC-SHA256 of a table's canonical CSV form (identifies data, reveals none)."""
    buf = io.BytesIO()
    df.write_csv(buf)
    return "hmac-sha256:" + hmac.new(fingerprint_key(), buf.getvalue(), "sha256").hexdigest()


def file_fingerprint(paths: list[Path]) -> str:
    """Keyed HMAC-SHA256 of files' names and bytes, read in 1 MiB blocks (identifies an input
    file in a manifest whatever engine reads it; reveals nothing without the key)."""
    mac = hmac.new(fingerprint_key(), digestmod="sha256")
    for f in paths:
        mac.update(f.name.encode() + b"\0")
        with f.open("rb") as fh:
            for block in iter(functools.partial(fh.read, 1 << 20), b""):
                mac.update(block)
    return "hmac-sha256-files:" + mac.hexdigest()
