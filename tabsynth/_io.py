"""Atomic file writes: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def secret_key(env: str, filename: str) -> bytes:
    """A local secret: ``$env`` if set, else ``$TABSYNTH_HOME/filename`` (default
    ``~/.tabsynth``), created once with 32 random bytes and mode 0600. Never put in artifacts."""
    import os

    value = os.environ.get(env)
    if value:
        return value.encode()
    path = Path(os.environ.get("TABSYNTH_HOME", Path.home() / ".tabsynth")) / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32).hex().encode())
    return path.read_bytes().strip()


def redact(location: str) -> str:
    """A ledger location fit for records and messages: any password in a URL is masked."""
    if "://" not in location or "@" not in location:
        return location
    scheme, rest = location.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
