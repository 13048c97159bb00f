"""Save and load fitted models as data: a folder of JSON and a numpy ``.npz`` (no pickle).

Layout of a saved model folder::

    manifest.json   format, versions, model, schema hash, keyed data fingerprint, privacy,
                    time, and the SHA-256 of every other file
    schema.json     the public schema the model was fitted under
    model.json      the model's JSON state
    arrays.npz      the model's numeric state (loaded with allow_pickle=False), or
    arrays.safetensors  the same for models with network weights (safetensors: no code)

Integrity: the manifest lists the SHA-256 of every other file, and its own ``content_hash``
is the SHA-256 of the manifest's canonical JSON without that field, so one hash covers every
byte of the folder that tabsynth reads, the privacy statement included. Loading refuses a
folder whose manifest is unknown, whose content hash or file hashes do not match, that holds a
file the manifest does not list, or whose schema does not match the pinned schema hash.

What this protects against: any edit of a file (a flipped ``releasable``, a lowered epsilon,
swapped arrays) by someone who does not also recompute the hashes. Against a deliberate
forger who recomputes them, compare the content hash with an anchor kept elsewhere: the
ledger entry of the fit records it (``tabsynth verify MODEL --ledger L`` checks it), and with
``$TABSYNTH_ARTIFACT_KEY`` set the manifest also carries an HMAC-SHA256 of the content hash
that only holders of that key can produce or check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from tabsynth._io import atomic_dir, clean_stale
from tabsynth._version import __version__
from tabsynth.errors import ArtifactError

FORMAT = "tabsynth-model"
FORMAT_VERSION = 1
SIGNING_KEY_ENV = "TABSYNTH_ARTIFACT_KEY"
_UNHASHED = ("content_hash", "signature")
_FILES = ("schema.json", "model.json")
_ARRAY_FILES = ("arrays.npz", "arrays.safetensors")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest's canonical JSON without its own hash and signature."""
    body = {k: v for k, v in manifest.items() if k not in _UNHASHED}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_json_default)
    return "sha256:" + _sha256(text.encode())


def _signing_key() -> bytes | None:
    value = os.environ.get(SIGNING_KEY_ENV)
    return value.encode() if value else None


def _signature(key: bytes, chash: str) -> str:
    return "hmac-sha256:" + hmac.new(key, chash.encode(), "sha256").hexdigest()


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
    # hashed as it will be read back (JSON turns tuples into lists, int keys into strings)
    manifest = json.loads(json.dumps(manifest, default=_json_default))
    manifest["content_hash"] = content_hash(manifest)
    key = _signing_key()
    if key is not None:
        manifest["signature"] = _signature(key, manifest["content_hash"])
    blobs["manifest.json"] = json.dumps(manifest, indent=1, default=_json_default).encode()
    if path.exists() and not (path / "manifest.json").exists():
        raise ArtifactError(
            f"{path} exists and is not a tabsynth model folder. Fix: choose a new output path."
        )
    with atomic_dir(path, size_hint=sum(len(b) for b in blobs.values())) as tmp:
        for name, blob in blobs.items():
            (tmp / name).write_bytes(blob)
    _record_in_ledger(model, path, _sha256(blobs["manifest.json"]), manifest["content_hash"])
    return path


def _record_in_ledger(model: Any, path: Path, manifest_sha256: str, chash: str) -> None:
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
        content_hash=chash,
        # where the folder will live (a release saves it in a temporary folder first)
        location=str(Path(getattr(model, "_artifact_location", None) or path).resolve()),
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
    clean_stale(path)  # a save killed between its two renames: the old folder comes back
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
    if manifest.get("content_hash") != content_hash(manifest):
        raise ArtifactError(
            f"{mpath} was altered after saving (its content hash does not match); refusing "
            "it. Fix: re-fit, or restore the folder as it was saved."
        )
    key = _signing_key()
    if key is not None and "signature" in manifest:
        if not hmac.compare_digest(
            str(manifest["signature"]), _signature(key, manifest["content_hash"])
        ):
            raise ArtifactError(
                f"{mpath}: the signature does not match $TABSYNTH_ARTIFACT_KEY (a forged or "
                "re-hashed manifest, or another key). Fix: use the key it was saved with."
            )
    return dict(manifest)


def load_model(path: str | Path) -> Any:
    """Load a model saved by ``save_model``, refusing unknown or altered files."""
    from tabsynth.models.registry import get_model
    from tabsynth.privacy.records import PrivacyInfo
    from tabsynth.schema.model import schema_from_dict

    path = Path(path)
    manifest = read_manifest(path)
    blobs: dict[str, bytes] = {}
    array_files = [n for n in _ARRAY_FILES if n in manifest.get("files", {})]
    if len(array_files) != 1:
        raise ArtifactError(f"{path}: the manifest must list exactly one arrays file")
    listed = set(manifest.get("files", {})) | {"manifest.json"}
    extra = sorted(p.name for p in path.iterdir() if p.name not in listed)
    if extra:
        raise ArtifactError(
            f"{path}: holds files the manifest does not list ({', '.join(extra)}); refusing "
            "it. Fix: remove them, or restore the folder as it was saved."
        )
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
    arrays = _read_arrays(path, blobs)
    cls = get_model(manifest["model"])
    try:
        model: Any = cls._from_state(schema, json.loads(blobs["model.json"]), arrays)
        model._check_state()
    except (ValueError, KeyError, IndexError, TypeError, RuntimeError) as exc:
        raise ArtifactError(
            f"{path}: the saved state does not fit its schema ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else 'no detail'}); refusing it. "
            "Fix: re-fit the model, or restore the folder as it was saved."
        ) from None
    model.privacy_ = PrivacyInfo.from_dict(manifest["privacy"])
    model.data_fingerprint_ = manifest.get("data_fingerprint")
    model.seed_ = manifest.get("sampling_seed")
    model.ledger_entry_ = manifest.get("ledger_entry")
    model.frame_kind_ = manifest.get("frame", "polars")
    model.manifest_ = manifest
    return model


def _read_arrays(path: Path, blobs: dict[str, bytes]) -> dict[str, np.ndarray]:
    """The arrays file as numeric arrays (never objects: no pickle), or an ArtifactError."""
    import zipfile

    try:
        if "arrays.npz" in blobs:
            with np.load(io.BytesIO(blobs["arrays.npz"]), allow_pickle=False) as npz:
                arrays = {k.replace("__", "/"): npz[k] for k in npz.files}
        else:
            from tabsynth.errors import require_extra

            st = require_extra("safetensors.numpy", "ctgan")
            arrays = st.load(blobs["arrays.safetensors"])
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise ArtifactError(
            f"{path}: the arrays file cannot be read as numeric arrays ({type(exc).__name__}: "
            f"{str(exc)[:160]}); refusing it. Fix: re-fit or restore the original."
        ) from None
    bad = sorted(k for k, a in arrays.items() if a.dtype.kind not in "biuf")
    if bad:
        raise ArtifactError(f"{path}: arrays {bad} hold non-numeric values; refusing them")
    return arrays


def verify_model(path: str | Path, ledger: str | Path | None = None) -> dict[str, Any]:
    """Check every file of a saved model, then state its guarantee from verified content.

    Raises ``ArtifactError`` on any mismatch (altered, missing or unlisted file; a content
    hash or signature that does not match; with ``ledger``, a content hash the ledger never
    recorded for this model's spend, or a ledger whose chain is broken).
    """
    model = load_model(path)  # every check of load
    manifest = model.manifest_
    out: dict[str, Any] = {
        "path": str(path),
        "content_hash": manifest["content_hash"],
        "files": sorted(manifest["files"]),
        "signature": (
            "none"
            if "signature" not in manifest
            else ("verified" if _signing_key() is not None else "present, not checked (no key)")
        ),
        "label": model.privacy.label(),
        "releasable": model.privacy.releasable,
        "withheld": list(model.privacy.withheld),
        "ledger": None,
    }
    if ledger is not None:
        out["ledger"] = _verify_in_ledger(manifest, ledger)
    return out


def _verify_in_ledger(manifest: dict[str, Any], location: str | Path) -> str:
    from tabsynth.privacy.ledger import Ledger

    entry = manifest.get("ledger_entry") or {}
    if not entry:
        raise ArtifactError(
            "the model was not charged to a ledger (no ledger entry in its manifest). Fix: "
            "verify without --ledger, or fit with --dataset."
        )
    book = Ledger(location)
    problems = book.audit()
    if problems:
        raise ArtifactError(f"ledger {location}: AUDIT FAILED ({problems[0]})")
    links = [
        e
        for e in book.entries(entry["dataset"])
        if e.kind == "artifact" and int(e.payload.get("commit", -1)) == int(entry["entry"])
    ]
    if not any(e.payload.get("content_hash") == manifest["content_hash"] for e in links):
        raise ArtifactError(
            f"ledger {location} holds no record of content hash {manifest['content_hash']} "
            f"for entry {entry['entry']} of dataset {entry['dataset']!r}: this folder is not "
            "the one saved after that spend"
        )
    return f"entry {entry['entry']} of dataset {entry['dataset']!r} records this content hash"
