"""Save and load fitted models as data: a folder of JSON and a numpy ``.npz`` (no pickle).

Layout of a saved model folder::

    manifest.json   format, versions, model, schema hash, keyed data fingerprint, privacy,
                    time, and the SHA-256 of every other file
    schema.json     the public schema the model was fitted under
    model.json      the model's JSON state
    arrays.npz      the model's numeric state (loaded with allow_pickle=False), or
    arrays.safetensors  the same for models with network weights (safetensors: no code)

Loading refuses a folder whose manifest is unknown, whose files do not match their hashes, or
whose schema does not match the pinned schema hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tabsynth._version import __version__
from tabsynth.errors import ArtifactError

FORMAT = "tabsynth-model"
FORMAT_VERSION = 1
KEY_ENV = "TABSYNTH_FINGERPRINT_KEY"
_FILES = ("schema.json", "model.json")
_ARRAY_FILES = ("arrays.npz", "arrays.safetensors")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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


def _arrays_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    named: dict[str, Any] = {k.replace("/", "__"): np.asarray(v) for k, v in arrays.items()}
    np.savez(buf, **named)
    return buf.getvalue()


def _safetensors_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    from tabsynth.errors import require_extra

    st = require_extra("safetensors.numpy", "ctgan")
    return st.save({k: np.ascontiguousarray(v) for k, v in arrays.items()})  # type: ignore[no-any-return]


def save_model(model: Any, path: str | Path) -> Path:
    """Write ``model`` to the folder ``path`` atomically (built aside, then renamed)."""
    path = Path(path)
    meta, arrays = model._state()
    blobs = {
        "schema.json": json.dumps(model.schema.model_dump(mode="json"), indent=1).encode(),
        "model.json": json.dumps(meta, indent=1, default=_json_default).encode(),
    }
    if getattr(model, "array_format", "npz") == "safetensors":
        blobs["arrays.safetensors"] = _safetensors_bytes(arrays)
    else:
        blobs["arrays.npz"] = _arrays_bytes(arrays)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tabsynth_version": __version__,
        "model": model.name,
        "schema_name": model.schema.name,
        "schema_hash": model.schema.hash(),
        "data_fingerprint": getattr(model, "data_fingerprint_", None),
        "privacy": model.privacy.to_dict(),
        "sampling_seed": getattr(model, "seed_", None),
        "ledger_entry": getattr(model, "ledger_entry_", None),
        "frame": getattr(model, "frame_kind_", "polars"),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": {name: _sha256(b) for name, b in blobs.items()},
    }
    blobs["manifest.json"] = json.dumps(manifest, indent=1, default=_json_default).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for name, blob in blobs.items():
            (tmp / name).write_bytes(blob)
        if path.exists():
            if not (path / "manifest.json").exists():
                raise ArtifactError(
                    f"{path} exists and is not a tabsynth model folder. "
                    "Fix: choose a new output path."
                )
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    _record_in_ledger(model, path, _sha256(blobs["manifest.json"]))
    return path


def _record_in_ledger(model: Any, path: Path, manifest_sha256: str) -> None:
    """If the fit was charged to a ledger, link this artifact to its spend there."""
    entry = getattr(model, "ledger_entry_", None)
    location = getattr(model, "_ledger_location", None)
    if not entry or not location:
        return
    from tabsynth.privacy.ledger import Ledger

    Ledger(location).record_artifact(
        entry["dataset"],
        int(entry["entry"]),
        manifest_sha256=manifest_sha256,
        location=str(path.resolve()),
    )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a saved model, after checking it is one."""
    path = Path(path)
    mpath = path / "manifest.json"
    if not mpath.is_file():
        raise ArtifactError(
            f"{path} is not a tabsynth model folder (no manifest.json). "
            "Fix: pass the folder written by `tabsynth fit -o` / model.save()."
        )
    try:
        manifest = json.loads(mpath.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{mpath} is not valid JSON ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise ArtifactError(f"{mpath}: unknown format {manifest.get('format')!r}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"{mpath}: format version {manifest.get('format_version')!r} is not "
            f"supported by tabsynth {__version__} (expects {FORMAT_VERSION})"
        )
    return dict(manifest)


def load_model(path: str | Path) -> Any:
    """Load a model saved by ``save_model``, refusing unknown or altered files."""
    from tabsynth.models.base import PrivacyInfo, get_model
    from tabsynth.schema.io import schema_from_dict

    path = Path(path)
    manifest = read_manifest(path)
    blobs: dict[str, bytes] = {}
    array_files = [n for n in _ARRAY_FILES if n in manifest.get("files", {})]
    if len(array_files) != 1:
        raise ArtifactError(f"{path}: the manifest must list exactly one arrays file")
    for name in (*_FILES, *array_files):
        fpath = path / name
        if not fpath.is_file():
            raise ArtifactError(f"{path}: {name} is missing")
        blobs[name] = fpath.read_bytes()
        if _sha256(blobs[name]) != manifest["files"].get(name):
            raise ArtifactError(
                f"{path}: {name} was altered after saving (hash mismatch); "
                "refusing to load it. Fix: re-fit or restore the original."
            )
    schema = schema_from_dict(json.loads(blobs["schema.json"]), source=f"{path}/schema.json")
    if schema.hash() != manifest["schema_hash"]:
        raise ArtifactError(f"{path}: schema does not match the pinned schema hash")
    if "arrays.npz" in blobs:
        with np.load(io.BytesIO(blobs["arrays.npz"]), allow_pickle=False) as npz:
            arrays = {k.replace("__", "/"): npz[k] for k in npz.files}
    else:
        from tabsynth.errors import require_extra

        arrays = require_extra("safetensors.numpy", "ctgan").load(blobs["arrays.safetensors"])
    cls = get_model(manifest["model"])
    model: Any = cls._from_state(schema, json.loads(blobs["model.json"]), arrays)
    model.privacy_ = PrivacyInfo.from_dict(manifest["privacy"])
    model.data_fingerprint_ = manifest.get("data_fingerprint")
    model.seed_ = manifest.get("sampling_seed")
    model.ledger_entry_ = manifest.get("ledger_entry")
    model.frame_kind_ = manifest.get("frame", "polars")
    model.manifest_ = manifest
    return model
