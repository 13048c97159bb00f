"""``release``: the steward's whole flow, from one config, into a new versioned folder.

    scan for PII -> refuse undeclared PII -> split train/holdout -> fit, charged to the ledger
    -> sample -> leak check -> report -> checks -> releases/<name>/v<N>/

Each run takes the next version (v1, v2, ...; never overwriting): the folder is reserved
first (an empty ``v<N>``, created atomically, so two runs never share a number), everything
is written into a temporary folder beside it, and that folder is renamed onto the reserved
one at the end; a crash leaves no half-written version (and, if it came after the fit, a
ledger entry that names the version, which the next run will not reuse).

A version whose checks fail is still written (report, model, PII scan and manifest, so the
steward can see why) but holds no synthetic table, and its manifest says ``failed``. The
budget of its fit is spent either way: the ledger has one entry per run, each naming its
version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tabsynth.errors import DataValidationError, Problem
from tabsynth.releases.checks import Check, table
from tabsynth.releases.config import ReleaseConfig, parse_config, read_config

MANIFEST = "release.json"


@dataclass
class Release:
    """What one ``release`` run produced."""

    name: str
    version: int
    path: Path
    passed: bool
    checks: list[Check] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        head = "released" if self.passed else "FAILED its checks (no synthetic table written)"
        lines = [f"{self.name} v{self.version}: {head}", f"  folder: {self.path}"]
        if self.checks:
            lines += ["  " + line for line in table(self.checks).splitlines()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _config(config: Any) -> tuple[ReleaseConfig, str]:
    """The config and its text as given (a file's bytes, or the mapping as YAML)."""
    if isinstance(config, ReleaseConfig):
        return config, yaml.safe_dump(config.model_dump(mode="json", by_alias=True))
    if isinstance(config, dict):
        cfg = parse_config(config).resolve(Path.cwd())
        return cfg, yaml.safe_dump(config, sort_keys=False)
    path = Path(config)
    cfg = read_config(path)
    return cfg, path.read_text(encoding="utf-8")


def _versions(root: Path) -> list[int]:
    return sorted(int(m.group(1)) for p in root.iterdir() if (m := re.fullmatch(r"v(\d+)", p.name)))


def _reserve(root: Path) -> tuple[int, Path]:
    """The next version number and its (empty) folder, created atomically."""
    root.mkdir(parents=True, exist_ok=True)
    n = (_versions(root) or [0])[-1] + 1
    while True:
        final = root / f"v{n}"
        try:
            final.mkdir()
            return n, final
        except FileExistsError:
            n += 1


@contextlib.contextmanager
def _building(final: Path) -> Iterator[Path]:
    """A temporary folder beside ``final``, renamed onto it (then empty) on success."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tabsynth-{os.getpid()}.", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # a version folder is as readable as any other new folder
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(OSError):
            final.rmdir()  # only if still empty: the reservation is given back
        raise


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): _sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _undeclared_pii(found: dict[str, str], schema: Any) -> list[Problem]:
    """Columns the scan classifies as PII that the schema models without a ``pii`` entry."""
    out = []
    for col, entity in found.items():
        if col not in schema.names:
            continue
        c = schema.column(col)
        if c.pii is None and c.modelled:
            out.append(
                Problem(
                    f"column {col!r}",
                    f"the PII scan finds {entity} in it, and the schema models it as "
                    f"{c.kind} with no `pii` entry",
                    f"declare `pii: {{entity: {entity}, policy: drop}}` (or fake, hash, "
                    "generalize), or `kind: identifier` if it only identifies rows",
                )
            )
    return out


def _scan(cfg: ReleaseConfig, raw: Any, schema: Any) -> dict[str, Any] | None:
    if not cfg.pii_scan:
        return None
    from tabsynth.pii import scan

    report = scan(raw, schema, quasi=False).to_dict()
    problems = _undeclared_pii(report["pii_columns"], schema)
    if problems:
        raise DataValidationError(problems)
    return report


def release(
    config: Any,
    *,
    ledger: str | Path | None = None,
    progress: Callable[[str], Any] | None = None,
) -> Release:
    """Run a release from a config (a file path, a mapping or a ``ReleaseConfig``).

    Args:
        config: the release config (see ``tabsynth.releases.config``).
        ledger: the ledger file; default: the config's ``ledger``, else ``$TABSYNTH_LEDGER``.
        progress: ``progress(message)`` returns a context manager around each step (the
            command line's spinner); default: silent.

    Returns:
        The ``Release``: its folder, version, checks and manifest. ``passed`` is False when
        a check failed (the command line then exits 1).
    """
    from tabsynth.data import read_table
    from tabsynth.data.split import split_table
    from tabsynth.schema import read_schema

    step = progress or (lambda _: contextlib.nullcontext())
    cfg, config_text = _config(config)
    schema = read_schema(cfg.schema_path)
    with step(f"reading {cfg.data.name}"):
        raw = read_table(cfg.data)
    with step("scanning for PII"):
        scan_report = _scan(cfg, raw, schema)
    train, holdout = split_table(
        raw, holdout=cfg.holdout, seed=cfg.split_seed, by=schema.privacy_unit
    )
    version, final = _reserve(cfg.out / cfg.name)
    with _building(final) as tmp:
        from tabsynth.releases.write import write_version

        manifest, checks, passed = write_version(
            tmp,
            cfg,
            schema,
            config_text,
            train,
            holdout,
            scan_report,
            version=version,
            final=final,
            ledger=ledger if ledger is not None else cfg.ledger,
            step=step,
        )
        from tabsynth.artifacts import content_hash

        manifest["files"] = _file_hashes(tmp)
        manifest["content_hash"] = content_hash(manifest)
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
    return Release(cfg.name, version, final, passed, checks, manifest)


def verify_release(path: str | Path) -> list[str]:
    """What no longer matches in a release folder: files changed, added or missing since it
    was written, or an edited manifest (empty when the folder is as released)."""
    from tabsynth.artifacts import content_hash

    folder = Path(path)
    mpath = folder / MANIFEST
    if not mpath.is_file():
        return [f"{mpath}: not found (not a release folder)"]
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    out = []
    if manifest.get("content_hash") != content_hash(manifest):
        out.append(f"{MANIFEST}: edited since it was written (its content hash differs)")
    recorded, now = manifest.get("files", {}), _file_hashes(folder)
    for name in sorted(set(recorded) | set(now)):
        if name not in now:
            out.append(f"{name}: missing")
        elif name not in recorded:
            out.append(f"{name}: not part of the release")
        elif recorded[name] != now[name]:
            out.append(f"{name}: changed since the release")
    return out
