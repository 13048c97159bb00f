"""Writing one release version: fit (charged), sample, leak check, report, checks, manifest."""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path
from typing import Any

from tabsynth.releases.checks import Check, run_checks
from tabsynth.releases.config import ReleaseConfig


def _fit(cfg: ReleaseConfig, schema: Any, train: Any, version: int, ledger: Any) -> Any:
    import tabsynth

    return tabsynth.fit(
        train,
        schema,
        cfg.model,
        epsilon=cfg.epsilon if cfg.epsilon is not None else "schema",
        delta=cfg.delta if cfg.delta is not None else "schema",
        seed=cfg.seed,
        dataset=cfg.dataset or cfg.name,
        ledger=ledger,
        ledger_details={"release": cfg.name, "version": f"v{version}"},
        **cfg.options,
    )


def _sample(cfg: ReleaseConfig, model: Any, train: Any) -> tuple[Any, dict[str, Any], Check]:
    """The synthetic table, the leak check's report, and the leak check as a check."""
    from tabsynth.errors import PIILeakError

    est = model.rows_estimate_
    if cfg.rows is None and est is None:  # never the exact count: it is private
        from tabsynth.errors import ConfigError, Problem

        raise ConfigError(
            [
                Problem(
                    "config.rows",
                    f"model {model.name!r} releases no DP row count",
                    "set rows: N (a public number of synthetic rows)",
                )
            ]  # fmt: skip
        )
    rows = cfg.rows if cfg.rows is not None else max(1, round(float(est)))  # type: ignore[arg-type]
    syn = model.sample(rows, seed=cfg.seed, as_frame="polars")
    if not any(c.pii is not None for c in model.schema.columns):
        return syn, {"checked": [], "note": "the schema declares no PII column"}, _leak(True)
    from tabsynth.pii.leak import leak_check

    try:
        syn, report = leak_check(train, syn, model.schema)
    except PIILeakError as exc:
        return syn, {"error": str(exc)}, _leak(False, "a real PII value is in the output")
    return syn, report.to_dict(), _leak(True)


def _leak(ok: bool, note: str = "") -> Check:
    what = "no real value of a PII column in the synthetic table"
    return Check("pii_leak", what, "min", 1.0, 1.0 if ok else 0.0, ok, note)


def _releasable(model: Any) -> Check:
    p = model.privacy
    note = "" if p.releasable else "NOT FOR RELEASE: " + "; ".join(p.withheld or ("",))
    what = "the certificate allows release (secure noise, reviewed schema)"
    return Check("releasable", what, "min", 1.0, float(p.releasable), bool(p.releasable), note)


def write_version(
    tmp: Path,
    cfg: ReleaseConfig,
    schema: Any,
    config_text: str,
    train: Any,
    holdout: Any,
    scan_report: dict[str, Any] | None,
    *,
    version: int,
    final: Path,
    ledger: Any,
    step: Any,
) -> tuple[dict[str, Any], list[Check], bool]:
    """Everything of one version in ``tmp``; returns (manifest, checks, passed)."""
    import json

    from tabsynth.data import write_table
    from tabsynth.evaluation import evaluate

    with step(
        f"fitting {cfg.model or schema.model} (charged to dataset {cfg.dataset or cfg.name!r})"
    ):
        model = _fit(cfg, schema, train, version, ledger)
    model._artifact_location = final / "model"  # what the ledger records: the final folder
    model.save(tmp / "model")
    with step("sampling and checking the output for real PII values"):
        syn, leaks, leak_check = _sample(cfg, model, train)
    if scan_report is not None:
        (tmp / "pii_scan.json").write_text(json.dumps(scan_report, indent=2) + "\n")
    with step("evaluating fidelity, utility and privacy risk"):
        result = evaluate(train, syn, holdout, schema, model=model, pii_scan=scan_report)
        checks = [_releasable(model), leak_check, *run_checks(result.to_dict(), cfg.checks)]
        passed = all(c.passed for c in checks)
        result.meta["release"] = {"name": cfg.name, "version": f"v{version}"}
        result.meta["checks"] = [c.to_dict() for c in checks]  # the report's verdict
        result.to_html(tmp / "report.html")
        result.to_json(tmp / "report.json")
    out_name = None
    if passed:
        fmt = cfg.format or ("parquet" if cfg.data.suffix.lower() == ".parquet" else "csv")
        out_name = f"synthetic.{fmt}"
        write_table(syn, tmp / out_name)
    (tmp / "config.yaml").write_text(config_text, encoding="utf-8")
    (tmp / f"schema{cfg.schema_path.suffix or '.yaml'}").write_bytes(cfg.schema_path.read_bytes())
    manifest = _manifest(cfg, schema, model, tmp, version, syn, out_name)
    manifest |= {
        "config_sha256": _sha256_text(config_text),
        "pii_scan": "pii_scan.json" if scan_report is not None else "not run (pii_scan: false)",
        "pii_leak_check": leaks,
        "checks": [c.to_dict() for c in checks],
    }
    return manifest, checks, passed


def _manifest(
    cfg: ReleaseConfig,
    schema: Any,
    model: Any,
    tmp: Path,
    version: int,
    syn: Any,
    out_name: str | None,
) -> dict[str, Any]:
    """The facts of a version: who is protected at what cost, from what, into what."""
    import json

    from tabsynth._version import __version__
    from tabsynth.data.fingerprint import file_fingerprint

    p = model.privacy
    model_manifest = json.loads((tmp / "model" / "manifest.json").read_text())
    return {
        "format": "tabsynth-release",
        "name": cfg.name,
        "version": f"v{version}",
        "status": "released" if out_name else "failed",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tabsynth_version": __version__,
        "python": platform.python_version(),
        "privacy": {
            "label": p.label(),
            "epsilon": p.epsilon,
            "delta": p.delta,
            "neighbouring": p.neighbouring,
            "releasable": p.releasable,
        },
        "ledger": getattr(model, "ledger_entry_", None),
        "input": {"file": cfg.data.name, "fingerprint": file_fingerprint([cfg.data])},
        "split": {"holdout": cfg.holdout, "seed": cfg.split_seed, "by": schema.privacy_unit},
        # the synthetic table's size only: the exact training count is private (the model
        # sampled its DP estimate instead); the report, for the steward, has the exact ones
        "rows": {"synthetic": syn.height},
        "files_to_share": [
            "release.json",
            "config.yaml",
            f"schema{cfg.schema_path.suffix}",
            "model/",
            *([out_name] if out_name else []),
        ],  # fmt: skip
        "files_internal": {
            name: "computed from the real data, not differentially private: for the steward"
            for name in ("report.html", "report.json", "pii_scan.json")
        },
        "model": {
            "name": model.name,
            "folder": "model",
            "content_hash": model_manifest["content_hash"],
        },
        "sampling_seed": cfg.seed,
        "synthetic": out_name,
        "schema_hash": schema.hash(),
    }


def _sha256_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()
