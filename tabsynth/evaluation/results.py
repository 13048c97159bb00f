"""``evaluate``: fidelity, utility and privacy risk of a synthetic table in one results object."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tabsynth._version import __version__
from tabsynth.data import to_polars
from tabsynth.errors import DataValidationError, Problem
from tabsynth.schema.model import Schema

MIN_HOLDOUT = 50


@dataclass(repr=False)
class EvaluationResult:
    """Everything ``evaluate`` measured; renders inline in Jupyter and as an HTML report."""

    fidelity: dict[str, Any]
    utility: dict[str, Any] | None
    privacy: dict[str, Any]
    certificate: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    pii: dict[str, Any] | None = None
    collapse: list[dict[str, Any]] | None = None
    audit: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "certificate": self.certificate,
            "fidelity": self.fidelity,
            "utility": self.utility,
            "privacy_risk": self.privacy,
            "pii": self.pii,
            "collapse": self.collapse,
            "audit": self.audit,
        }

    def summary(self) -> str:
        """The headline figures in a few lines (``str(result)`` is the same text)."""
        fid, risk = self.fidelity, self.privacy
        head = headline_utility(self.utility)
        cert = self.certificate
        lines = [
            f"tabsynth evaluation of {self.meta.get('schema', 'a table')}: "
            + ", ".join(f"{v:,} {k}" for k, v in self.meta.get("rows", {}).items()),
            f"  guarantee: {cert['label'] if cert else 'not stated (no model given)'}",
            f"  fidelity:  quality {fid['quality']['score']:.3f}, column shapes "
            f"{fid['column_shapes']:.3f}, pair trends {fid['pair_trends']:.3f}, 3-way TVD "
            f"{fid['three_way_tvd']:.3f}",
        ]
        if head:
            lines.append(
                f"  utility:   TSTR AUC {head['tstr_auc']:.3f} against {head['real_auc']:.3f} "
                f"trained on real (ratio {head['ratio']:.3f})"
            )
        lines.append(
            f"  risk:      membership AUC {risk['mia_auc']:.3f} (0.5 = coin flip), copies of "
            f"training rows {risk['exact_copies_of_train']:.3f}"
        )
        lost = fid.get("coverage", {}).get("missing_categories", {})
        if lost:
            lines.append(
                "  missing:   " + "; ".join(f"{c}: {', '.join(v)}" for c, v in lost.items())
            )
        lines.append("  (figures from the real data: diagnostics, not part of the guarantee)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        q = self.fidelity["quality"]["score"]
        head = headline_utility(self.utility)
        tstr = f" tstr_ratio={head['ratio']:.3f}" if head else ""
        return f"<EvaluationResult quality={q:.3f}{tstr} mia_auc={self.privacy['mia_auc']:.3f}>"

    def to_json(self, path: str | Path | None = None) -> str:
        """JSON text of the results, written atomically when ``path`` is given."""
        from tabsynth._io import atomic_write_text

        text = json.dumps(self.to_dict(), indent=2, default=str) + "\n"
        if path is not None:
            atomic_write_text(path, text)
        return text

    def to_html(self, path: str | Path | None = None) -> str:
        """One self-contained HTML page (plots inline, no network), written atomically."""
        from tabsynth._io import atomic_write_text
        from tabsynth.report.html import render

        text = render(self)
        if path is not None:
            atomic_write_text(path, text)
        return text

    def _repr_html_(self) -> str:
        from tabsynth.report.html import render

        return render(self, fragment=True)


def _check_inputs(real: Any, synthetic: Any, holdout: Any, schema: Schema) -> None:
    problems = []
    frames = {"real": real, "synthetic": synthetic, "holdout": holdout}
    cols = {k: set(to_polars(v)[0].columns) for k, v in frames.items()}
    modelled = {c.name for c in schema.modelled_columns}
    for name, have in cols.items():
        missing = sorted(modelled - have)
        if missing:
            problems.append(
                Problem(
                    f"{name} table",
                    f"lacks column(s) {missing}",
                    "pass tables with the schema's modelled columns",
                )
            )
    if schema.target is not None and schema.target not in cols["holdout"]:
        problems.append(
            Problem("holdout", f"lacks the target {schema.target!r}", "include the target column")
        )
    problems += _overlap(to_polars(real)[0], to_polars(holdout)[0], schema)
    n_hold = to_polars(holdout)[0].height
    if n_hold < MIN_HOLDOUT:
        problems.append(
            Problem(
                "holdout",
                f"has {n_hold} rows",
                f"keep at least {MIN_HOLDOUT} real rows out of training",
            )
        )
    if problems:
        raise DataValidationError(problems)


def _overlap(real: Any, holdout: Any, schema: Schema) -> list[Problem]:
    """A holdout that holds training rows measures nothing: refused. Rows are matched by the
    schema's identifier columns when both tables have one (a shared id is the same record),
    else the holdout is refused only when every one of its rows is also a training row."""
    ids = [c.name for c in schema.columns if c.kind == "identifier" and c.pii is None]
    for col in ids:
        if col in real.columns and col in holdout.columns:
            values = real.get_column(col).drop_nulls()
            # a record id (unique per row) or the privacy unit names who a row is; codes
            # that repeat (a diagnosis code kept as an identifier) do not
            if col != schema.privacy_unit and values.n_unique() < values.len():
                continue
            shared = holdout.get_column(col).is_in(values.implode()).sum()
            if shared:
                return [
                    Problem(
                        "holdout",
                        f"{shared} of its rows have a {col!r} that the training table holds "
                        "too (the same records)",
                        "keep the holdout apart: `tabsynth split DATA --holdout 0.2` (with "
                        "--by for a privacy unit)",
                    )
                ]
    cols = [c for c in holdout.columns if c in real.columns]
    if holdout.height and cols:
        inside = holdout.select(cols).join(
            real.select(cols).unique(), on=cols, how="semi", nulls_equal=True
        )
        if inside.height == holdout.height and real.select(cols).n_unique() > 0.5 * real.height:
            return [
                Problem(
                    "holdout",
                    "every one of its rows is also a training row",
                    "pass real rows kept out of training (`tabsynth split`)",
                )
            ]
    return []


def evaluate(
    real: Any,
    synthetic: Any,
    holdout: Any,
    schema: Schema,
    *,
    model: Any = None,
    utility: bool = True,
    seed: int = 0,
    pii_scan: Any = None,
    anonymeter: bool | str = False,
) -> EvaluationResult:
    """Measure a synthetic table against the real table it was fitted on.

    Args:
        real: the training table (pandas or polars).
        synthetic: the synthetic table.
        holdout: real rows kept out of training (for TSTR and the privacy attacks).
        schema: the public schema.
        model: the fitted model, or a saved model folder: adds the DP certificate.
        utility: measure TSTR (needs scikit-learn and a target).
        seed: seed of the evaluation's own sampling (bootstrap, subsets).
        pii_scan: a ``tabsynth.pii.scan`` report (or its JSON dict): adds the PII section;
            the schema's declared PII columns and policies are listed either way.
        anonymeter: True (or the path of a Python that has anonymeter) adds anonymeter's
            singling-out, linkability and inference risks to the privacy section (see
            ``tabsynth.evaluation.anonymity``).

    Returns:
        The results; ``.to_html(path)`` writes the release report.
    """
    from tabsynth.evaluation.fidelity import fidelity
    from tabsynth.evaluation.privacy import privacy_risk
    from tabsynth.evaluation.utility import utility as tstr

    _check_inputs(real, synthetic, holdout, schema)
    util = tstr(real, synthetic, holdout, schema, seed=seed) if utility and schema.target else None
    n = {
        k: to_polars(v)[0].height
        for k, v in (("real", real), ("synthetic", synthetic), ("holdout", holdout))
    }
    priv = privacy_risk(real, synthetic, holdout, schema, seed=seed)
    if anonymeter:
        from tabsynth.evaluation.anonymity import anonymeter_risks

        python = anonymeter if isinstance(anonymeter, str) else None
        priv["anonymeter"] = anonymeter_risks(
            real, synthetic, holdout, schema, python=python, seed=seed
        )
    return EvaluationResult(
        fidelity=fidelity(real, synthetic, schema, seed=seed),
        utility=util,
        privacy=priv,
        certificate=certificate(model, schema) if model is not None else None,
        pii=pii_section(schema, pii_scan),
        meta={
            "schema": schema.name,
            "schema_hash": schema.hash(),
            "rows": n,
            "evaluation_seed": seed,
            "created": _now(),
            "tabsynth_version": __version__,
        },
    )


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def headline_utility(util: dict[str, Any] | None) -> dict[str, float] | None:
    """The gradient-boosting TSTR AUC beside the real-trained one, and their ratio."""
    if not util or "gradient boosting" not in util["models"]:
        return None
    gb = util["models"]["gradient boosting"]
    real, syn = gb["real"]["scores"].get("auc"), gb["synthetic"]["scores"].get("auc")
    if real is None or syn is None:
        return None
    return {"real_auc": real, "tstr_auc": syn, "ratio": syn / real}


def pii_section(schema: Schema, scan: Any = None) -> dict[str, Any] | None:
    """What the report says about PII: the schema's policies, and the scan's findings (masked
    examples only), with the quasi-identifiers it found."""
    declared = {
        c.name: {"entity": c.pii.entity, "policy": c.pii.policy.value}
        for c in schema.columns
        if c.pii is not None
    }
    if scan is None and not declared:
        return None
    found = scan.to_dict() if hasattr(scan, "to_dict") else scan
    columns = []
    for c in (found or {}).get("columns", []):
        if c.get("entity") or c["column"] in declared:
            columns.append(
                {
                    "column": c["column"],
                    "entity": c.get("entity"),
                    "confidence": c.get("confidence"),
                    "share": c.get("share"),
                    "examples": c.get("examples", [])[:2],
                    "policy": declared.get(c["column"], {}).get("policy", "NOT DECLARED"),
                }
            )
    seen = {c["column"] for c in columns}
    for name, d in declared.items():
        if name not in seen:
            columns.append({"column": name, "entity": d["entity"], "policy": d["policy"]})
    return {
        "scanned": found is not None,
        "rows_scanned": (found or {}).get("rows_sampled"),
        "columns": columns,
        "quasi_identifiers": (found or {}).get("quasi_identifiers", [])[:10],
    }


def certificate(model: Any, schema: Schema) -> dict[str, Any]:
    """The DP certificate of a fitted model (or saved model folder)."""
    from tabsynth.artifacts import read_manifest

    if isinstance(model, str | Path):
        manifest = read_manifest(model)
        privacy, extra = manifest["privacy"], manifest
    else:
        privacy = model.privacy.to_dict()
        extra = {
            "model": model.name,
            "schema_hash": model.schema.hash(),
            "sampling_seed": getattr(model, "seed_", None),
            "ledger_entry": getattr(model, "ledger_entry_", None),
            "data_fingerprint": getattr(model, "data_fingerprint_", None),
        }
    return {
        "label": privacy.get("label"),
        "epsilon": privacy.get("epsilon"),
        "delta": privacy.get("delta"),
        "rho": privacy.get("rho"),
        "accountant": privacy.get("accountant"),
        "neighbouring": privacy.get("neighbouring"),
        "mechanisms": privacy.get("mechanisms", []),
        "noise_source": privacy.get("noise_source"),
        "releasable": privacy.get("releasable"),
        "model": extra.get("model"),
        "sampling_seed": extra.get("sampling_seed"),
        "schema_hash": extra.get("schema_hash"),
        "schema_matches": extra.get("schema_hash") == schema.hash(),
        "data_fingerprint": extra.get("data_fingerprint"),
        "ledger_entry": extra.get("ledger_entry"),
        "derived_columns": derived_summary(schema),
    }


def derived_summary(schema: Schema) -> dict[str, str]:
    """Each derived column and how it is computed (post-processing of sampled rows: read
    by no mechanism, so in no line of the certificate's accounting)."""
    out = {}
    for col in schema.columns:
        d = col.derived
        if d is not None:
            out[col.name] = (
                f"= {d.formula}" if d.formula is not None else f"a public map of {d.source}"
            )
        if col.present_when is not None:
            held = f"present exactly where {col.present_when}"
            out[col.name] = f"{out[col.name]}; {held}" if col.name in out else held
    return out
