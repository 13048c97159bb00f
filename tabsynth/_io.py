"""Atomic file writes: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from tabsynth.errors import OutputError

_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
_MARK = ".tabsynth-"  # in every temporary name: ".{target}.tabsynth-{pid}.{random}.tmp"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def clean_stale(path: Path) -> int:
    """Remove the temporary files and folders that killed runs left beside ``path`` (their
    process is gone); returns how many, with a warning naming them."""
    stale = []
    for tmp in path.parent.glob(f".{glob.escape(path.name)}{_MARK}*"):
        pid = tmp.name[len(path.name) + 1 + len(_MARK) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            stale.append(tmp)
    for tmp in stale:
        kept = tmp / path.name
        if tmp.suffix == ".old" and kept.exists() and not path.exists():
            os.replace(kept, path)  # killed between its two renames: the old one comes back
            warnings.warn(f"restored {path} from {tmp.name}", UserWarning, stacklevel=3)
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
    if stale:
        warnings.warn(
            f"removed {len(stale)} temporary file(s) left beside {path} by a run that was "
            f"killed ({', '.join(t.name for t in stale)})",
            UserWarning,
            stacklevel=3,
        )
    return len(stale)


def _prefix(path: Path) -> str:
    return f".{path.name}{_MARK}{os.getpid()}."


def _errno(exc: BaseException) -> int | None:
    """The OS error number of ``exc``; polars reports it only in its text ("os error 28")."""
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    m = re.search(r"os error (\d+)", str(exc))
    return int(m.group(1)) if m else None


def _full(code: int, path: Path, size_hint: int | None) -> OutputError:
    free = shutil.disk_usage(path.parent).free
    need = f"about {size_hint / 1e6:.1f} MB needed, " if size_hint else ""
    return OutputError(
        f"cannot write {path}: {os.strerror(code).lower()} ({need}"
        f"{free / 1e6:.1f} MB free there). Nothing was written under that name. "
        "Fix: free some space (or lift the file-size limit), or write to another disk."
    )


def _limit_met(tmp: Path, size_hint: int | None) -> int | None:
    """For writers that lose the OS error (polars' parquet writer may report a file cut
    short by the size limit as "Invalid thrift: transport error"): the error number of a limit
    the expected size meets, if it does (a process file-size limit, or the free space)."""
    if not size_hint:
        return None
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        if soft != resource.RLIM_INFINITY and size_hint > soft:
            return errno.EFBIG
    except (ImportError, OSError, ValueError):  # no such limit on this platform
        pass
    written = tmp.stat().st_size if tmp.is_file() else 0
    return errno.ENOSPC if shutil.disk_usage(tmp.parent).free + written < size_hint else None


@contextlib.contextmanager
def _space_errors(path: Path, size_hint: int | None, tmp: Path) -> Iterator[None]:
    """A full disk or a size limit met inside the block, as an ``OutputError`` (the
    temporary ``tmp`` removed first, so the free space it reports is the real one)."""
    try:
        yield
    except Exception as exc:
        if (code := _errno(exc) or _limit_met(tmp, size_hint)) in _FULL:
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
            raise _full(code, path, size_hint) from None  # type: ignore[arg-type]
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path, size_hint: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block succeeds.

    A full disk (or a file-size limit) becomes an ``OutputError`` naming the path and the
    space; temporary files of earlier killed runs are removed first (``clean_stale``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        with _space_errors(path, size_hint, tmp_path):
            yield tmp_path
            os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | Path, size_hint: int | None = None) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``, renamed to ``path`` if the block succeeds.

    An existing ``path`` is renamed aside first, then the new folder renamed in, then the old
    one deleted: a crash at any point leaves the old folder or the new one under its name,
    or the old one aside, which the next use of the path renames back (``clean_stale``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent))
    try:
        with _space_errors(path, size_hint, tmp):
            yield tmp
            old = None
            if path.exists():
                old = Path(tempfile.mkdtemp(prefix=_prefix(path), suffix=".old", dir=path.parent))
                os.replace(path, old / path.name)
            os.replace(tmp, path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


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
