"""A self-contained HTML release report: plots are inline PNGs, no script, no network.

It renders an ``EvaluationResult``: numbers that ``evaluate`` computed, never raw rows.
"""

from __future__ import annotations

import html
from typing import Any

from tabsynth.report.plots import (
    collapse_plot,
    correlation_heatmaps,
    distance_plot,
    marginal_plots,
    pair_heatmap,
    plt_,
    png,
    tstr_plot,
)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;
color:#1d2433;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:2px solid #e3e7ef;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #d5dbe6;padding:.3em .6em;
text-align:left}th{background:#f3f5f9}.ok{color:#17663a}.warn{color:#a4361c;font-weight:600}
.note{color:#5a6478;font-size:.9em}img{max-width:100%}.cards{display:flex;gap:1em;flex-wrap:wrap}
.card{border:1px solid #d5dbe6;border-radius:8px;padding:.8em 1.2em;min-width:180px}
.card b{font-size:1.5em;display:block}
.statement{background:#f3f7fd;border-left:5px solid #5b7db1;padding:.6em 1.2em;margin:1em 0}
.verdict{padding:.6em 1.2em;border-radius:8px;margin:1em 0;font-weight:600}
.pass{background:#e3f4e8;color:#17663a}.fail{background:#fbe6e1;color:#a4361c}
td.pass,td.fail{font-weight:600}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _fmt(x: Any, digits: int = 3) -> str:
    """A value as a reader wants it: numbers rounded, no Python reprs (dicts, lists, None)."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.{digits}f}" if x == 0 or abs(x) >= 0.01 else f"{x:.3g}"
    if isinstance(x, dict):
        return ", ".join(f"{_esc(k)} {_fmt(v, digits)}" for k, v in x.items())
    if isinstance(x, list | tuple):
        return ", ".join(_fmt(v, digits) for v in x)
    return _esc(x)


def _audit_section(audit: dict[str, Any]) -> str:
    """The empirical audit (``tabsynth audit -o``): claim, bound, attack AUC, verdict, plot."""
    runs = [r for r in (audit.get("audit"), audit.get("control")) if r]
    rows = [
        (
            r["model"],
            "none" if r["claimed_epsilon"] is None else _fmt(r["claimed_epsilon"]),
            r.get("group_size", 1),
            r["epsilon_lower_bound"],
            r["attack_auc"],
            r["trials"],
            f"{r.get('attack', 'blackbox')}",
        )
        for r in runs
    ]
    plt = plt_()
    fig, ax = plt.subplots(figsize=(6, 2.6))
    names = [r["model"] for r in runs]
    ax.barh(names, [r["epsilon_lower_bound"] for r in runs], color="#4c78a8", label="lower bound")
    for i, r in enumerate(runs):
        allowed = r.get("claimed_group_epsilon") or r["claimed_epsilon"]
        if allowed is not None:
            ax.plot([allowed, allowed], [i - 0.4, i + 0.4], color="#e45756", lw=2)
    ax.set_xlabel("epsilon (bar: empirical lower bound; red: what the claim allows)")
    ax.invert_yaxis()
    head = ("model", "claimed epsilon", "group", "lower bound", "attack AUC", "trials", "attack")
    return (
        "<h2>Empirical privacy audit</h2>"
        + _table(rows, head)
        + f"<p class='note'><b>{_esc(audit.get('verdict', ''))}</b> Lower bounds at "
        f"{_fmt(runs[0]['confidence'])} confidence (Clopper-Pearson); an audit can prove a "
        "claim wrong, never right.</p>"
        + png(fig, "Bar chart of each model's empirical epsilon lower bound against its claim.")
    )


def _table(rows: list[tuple[Any, ...]], head: tuple[str, ...]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in r) + "</tr>")
    return "".join(out) + "</table>"


def _certificate(cert: dict[str, Any] | None) -> str:
    if cert is None:
        return (
            "<p class='warn'>No model given: the DP certificate is missing. Pass "
            "<code>--model MODEL</code> (or <code>model=</code>) to include it.</p>"
        )
    status = (
        "<span class='ok'>releasable</span>"
        if cert.get("releasable")
        else "<span class='warn'>NOT releasable (non-private, or reproducible noise)</span>"
    )
    rows = [("guarantee", cert.get("label")), ("status", "")]
    entry = cert.get("ledger_entry")
    shown = {
        "sampling_seed": "not set (fresh randomness)"
        if cert.get("sampling_seed") is None
        else cert.get("sampling_seed"),
        "ledger_entry": "not charged to a ledger"
        if not entry
        else f"entry {entry.get('entry')} of dataset {entry.get('dataset')!r} "
        f"({entry.get('ledger')})",
        "rho": "—" if cert.get("rho") is None else cert.get("rho"),
        "derived_columns": "; ".join(
            f"{k} {v}" for k, v in (cert.get("derived_columns") or {}).items()
        )
        + " (computed from each sampled row: no measurement, no privacy cost)"
        if cert.get("derived_columns")
        else "none",
    }
    rows += [
        (k, shown.get(k, cert.get(k)))
        for k in (
            "epsilon",
            "delta",
            "rho",
            "accountant",
            "neighbouring",
            "noise_source",
            "model",
            "sampling_seed",
            "schema_hash",
            "schema_matches",
            "data_fingerprint",
            "ledger_entry",
            "derived_columns",
        )
    ]
    body = _table(rows, ("field", "value")).replace(
        "<td>status</td><td></td>", f"<td>status</td><td>{status}</td>"
    )
    mech = [
        (m["name"], m["sensitivity"], m["sigma"], m["rho"], m.get("delta", 0.0))
        for m in cert.get("mechanisms", [])
    ]
    return body + _table(mech, ("mechanism", "L2 sensitivity", "noise sd", "rho", "delta"))


def _utility_section(util: dict[str, Any] | None) -> str:
    if util is None:
        return "<p class='note'>No target: utility not measured.</p>"
    rows = []
    for name, entry in util["models"].items():
        for source in ("real", "synthetic"):
            sc, ci = entry[source]["scores"], entry[source]["ci95"]
            for metric, v in sc.items():
                lo_hi = ci.get(metric)
                rows.append(
                    (
                        name,
                        f"trained on {source}",
                        metric,
                        v,
                        f"[{lo_hi[0]:.3f}, {lo_hi[1]:.3f}]" if lo_hi else "",
                    )
                )
    groups = []
    for name, entry in util["models"].items():
        real_by, syn_by = entry["real"]["by_group"], entry["synthetic"]["by_group"]
        for col, by in real_by.items():
            for value, sc in by.items():
                other = syn_by.get(col, {}).get(value, {})
                groups.append((name, col, value, sc.get("n"), _main(sc), _main(other)))
    ratios = ", ".join(
        f"{n}: {e['ratio']:.3f}" for n, e in util["models"].items() if e.get("ratio") is not None
    )
    return (
        f"<p>TSTR / TRTR ratio of the headline metric — {_esc(ratios)}</p>"
        + tstr_plot(util)
        + _table(rows, ("model", "training data", "metric", "value", "95% interval"))
        + "<h3>By protected group (holdout subsets)</h3>"
        + _table(
            groups,
            (
                "model",
                "attribute",
                "group",
                "holdout rows",
                "trained on real",
                "trained on synthetic",
            ),
        )  # fmt: skip
        + "<p class='note'>AUC (R² for a numeric target) within each group of the holdout.</p>"
    )


def _main(sc: dict[str, Any]) -> Any:
    v = sc.get("auc", sc.get("r2"))
    return "—" if v is None else v


def _pii_section(pii: dict[str, Any]) -> str:
    note = (
        f"Scanned {pii['rows_scanned']} sampled rows; examples are masked to their shape."
        if pii.get("scanned")
        else "No scan given: the schema's declared PII columns."
    )
    rows = [
        (
            c["column"],
            c.get("entity") or "",
            _fmt(c["confidence"]) if c.get("confidence") is not None else "",
            _fmt(c["share"]) if c.get("share") is not None else "",
            ", ".join(c.get("examples", [])),
            c["policy"],
        )
        for c in pii["columns"]
    ]
    html = f"<h2>PII</h2><p class='note'>{_esc(note)} A column marked NOT DECLARED holds PII "
    html += "the schema does not handle: fix the schema before a release.</p>"
    html += _table(rows, ("column", "entity", "confidence", "share", "examples", "policy"))
    if pii.get("quasi_identifiers"):
        qrows = [
            ("+".join(q["columns"]), _fmt(q["unique_share"]), q["k"], q["suggestion"])
            for q in pii["quasi_identifiers"]
        ]
        html += "<h3>Quasi-identifiers</h3>" + _table(
            qrows, ("columns", "share of rows unique", "k", "generalise")
        )
    return html


def _anonymeter_section(an: dict[str, Any] | None) -> str:
    if not an:
        return (
            "<p class='note'>anonymeter's singling-out, linkability and inference risks: not "
            "run (<code>tabsynth report --anonymeter</code>, with anonymeter in its own "
            "environment named by <code>TABSYNTH_ANONYMETER_PYTHON</code>).</p>"
        )
    rows = []
    for key, label in (
        ("singling_out", "singling out (multivariate)"),
        ("linkability", "linkability (two halves of the columns)"),
        ("inference", f"inference of {an.get('inference', {}).get('secret', '?')}"),
    ):
        r = an[key]
        rows.append(
            (
                label,
                f"{r['risk']:.3f} [{r['risk_ci'][0]:.3f}, {r['risk_ci'][1]:.3f}]",
                r["attack_rate"],
                r["baseline_rate"],
                r["control_rate"],
            )
        )
    head = ("anonymeter attack", "risk [95% CI]", "attack rate", "baseline", "control")
    return (
        f"<h3>anonymeter ({an['n_attacks']} attacks each)</h3>"
        + _table(rows, head)
        + f"<p class='note'>{_esc(an['note'])}</p>"
    )


def _cards(result: Any) -> str:
    """The headline figures, one card each."""
    fid, priv, util = result.fidelity, result.privacy, result.utility
    cert = result.certificate
    cards = [
        ("quality (SDMetrics)", fid["quality"]["score"]),
        ("column shapes", fid["column_shapes"]),
        ("pair trends", fid["pair_trends"]),
        ("3-way TVD", fid["three_way_tvd"]),
        ("MIA AUC", priv["mia_auc"]),
    ]
    if util:
        first = next(iter(util["models"].values()))
        if first.get("ratio") is not None:
            cards.insert(2, ("TSTR / real", first["ratio"]))
    if cert and cert.get("epsilon") is not None:
        cards.insert(0, ("epsilon", cert["epsilon"]))
    return "".join(f"<div class='card'>{_esc(k)}<b>{_fmt(v)}</b></div>" for k, v in cards)


def _fidelity_table(fid: dict[str, Any]) -> str:
    return _table(
        [
            ("column shapes (1 - KS / TV)", fid["column_shapes"]),
            ("pair trends (every pair, schema cells)", fid["pair_trends"]),
            (
                "quality, SDMetrics QualityReport's definition "
                f"({fid['quality']['pairs_counted']} of {fid['quality']['pairs']} pairs "
                "strong enough to count)",
                fid["quality"]["score"],
            ),
            ("mean 3-way total variation distance", fid["three_way_tvd"]),
            ("category coverage", fid["coverage"]["category_coverage"]),
            ("range coverage", fid["coverage"]["range_coverage"]),
            ("unique synthetic rows", fid["diversity"]["unique_row_share"]),
            ("synthetic rows copying a real row", fid["diversity"]["exact_copies_of_real_share"]),
        ],
        ("measure", "value"),
    ) + _missing(fid["coverage"].get("missing_categories", {}))


def _missing(missing: dict[str, list[str]]) -> str:
    if not missing:
        return "<p class='note'>Every category of the real table appears in the synthetic one.</p>"
    rows = [(col, ", ".join(cats)) for col, cats in missing.items()]
    return (
        "<p class='warn'>Categories the real table holds and the synthetic one never produces "
        "(rare cells the DP noise hid):</p>" + _table(rows, ("column", "missing categories"))
    )


def _risk_table(priv: dict[str, Any]) -> str:
    mia_ci = priv["mia_auc_ci95"]
    eq = priv.get("exact_copies_equal_size")
    if eq:
        size = f" ({eq['synthetic_rows']:,} synthetic rows against {eq['real_rows_each']:,} real)"
        copies, base = eq["train"], eq["holdout"]
    else:
        size, copies, base = "", priv["exact_copies_of_train"], priv["exact_matches_of_holdout"]
    return _table(
        [
            ("synthetic rows closer to train than to holdout", priv["dcr_share_closer_to_train"]),
            (f"synthetic rows that copy a train row{size}", copies),
            (
                "synthetic rows that copy a holdout row: the base rate of copies a model that "
                f"never saw those people makes{size}",
                base,
            ),
            (
                "membership-inference AUC",
                f"{priv['mia_auc']:.3f} [{mia_ci[0]:.3f}, {mia_ci[1]:.3f}]",
            ),
        ],
        ("measure", "value"),
    )


def _collapse_section(collapse: list[dict[str, Any]]) -> str:
    return (
        "<h2>Model collapse</h2><p class='note'>Each generation is fitted on the "
        "previous one's output and scored against the real data.</p>"
        + collapse_plot(collapse)
        + _table(
            [
                (g["generation"], g["column_shapes"], g["pair_trends"], g["three_way_tvd"])
                for g in collapse
            ],
            ("generation", "column shapes", "pair trends", "3-way TVD"),
        )
    )


def _odds(eps: float) -> str:
    """epsilon in odds: what an attacker's 1:10 prior can become at most."""
    import math

    after = 10 / math.exp(eps)
    return f"1:{after:.2g}" if after < 10 else "1:10"


def _statement(result: Any) -> str:
    """The guarantee in plain language, first: who is protected, what epsilon means in odds,
    what the public schema discloses."""
    cert = result.certificate
    meta = result.meta
    made, version = meta.get("created", ""), meta.get("tabsynth_version", "")
    when = f"Report of {_esc(made)}, tabsynth {_esc(version)}."
    if cert is None or cert.get("epsilon") is None:
        what = (
            "<b>No differential-privacy guarantee is stated here</b>: no model was given, or it "
            "was fitted without privacy."
        )
        return f"<div class='statement'><p>{what}</p><p class='note'>{when}</p></div>"
    eps, delta = float(cert["epsilon"]), cert.get("delta") or 0.0
    who = cert.get("neighbouring") or "add/remove one record"
    unit = "each person (all of their rows)" if "all its rows" in who else "each row (one record)"
    released = (
        "" if cert.get("releasable") else " <b class='warn'>This model is NOT FOR RELEASE.</b>"
    )
    return (
        "<div class='statement'>"
        f"<p><b>What is protected:</b> {unit}: {_esc(who)}. Whatever an attacker knows "
        f"besides, this release changes the odds of any conclusion about one of them by a "
        f"factor of at most e<sup>ε</sup> = {2.718281828**eps:.3g} (ε = {eps:.3g}), except "
        f"with probability δ = {delta:.2g}: odds of 1:10 that a person is in the table become "
        f"at most {_odds(eps)}.{released}</p>"
        "<p><b>What the schema discloses:</b> the schema is public and is released as written "
        "(column names, kinds, category lists, bounds; hash "
        f"{_esc(str(meta.get('schema_hash', ''))[:12])}…); the guarantee covers what the model "
        "learned from the rows, not what the schema says.</p>"
        f"<p class='note'>{when} The figures below the certificate were computed from the real "
        "data: diagnostics for the data steward, not part of the guarantee.</p></div>"
    )


def _verdict(checks: list[dict[str, Any]] | None) -> str:
    """The release's checks, colour-coded, with the overall verdict."""
    if not checks:
        return ""
    ok = all(c["passed"] for c in checks)
    rows = "".join(
        f"<tr><td>{_esc(c['name'])}</td><td>{_esc(c['what'])}</td>"
        f"<td>{_fmt(c['value'])}</td><td>{'≥' if c['direction'] == 'min' else '≤'} "
        f"{_fmt(c['threshold'])}</td><td class='{'pass' if c['passed'] else 'fail'}'>"
        f"{'pass' if c['passed'] else 'FAIL'}</td></tr>"
        for c in checks
    )
    head = "<tr><th>check</th><th>what</th><th>value</th><th>required</th><th>result</th></tr>"
    word = "Every check passed" if ok else "FAILED: a check is not met, nothing is released"
    return (
        f"<div class='verdict {'pass' if ok else 'fail'}'>{word}</div><table>{head}{rows}</table>"
    )


def _release(meta: dict[str, Any]) -> str:
    rel = meta.get("release")
    return f" — release {_esc(rel['name'])} {_esc(rel['version'])}" if rel else ""


def _rows_line(rows: Any) -> str:
    if not isinstance(rows, dict):
        return _fmt(rows)
    return ", ".join(f"{int(v):,} {_esc(k)}" for k, v in rows.items())


def render(result: Any, *, fragment: bool = False) -> str:
    """The report as HTML text (a whole page, or a fragment for Jupyter)."""
    fid, priv, util = result.fidelity, result.privacy, result.utility
    body = f"""
<h1>tabsynth release report: {_esc(result.meta.get("schema", ""))}{_release(result.meta)}</h1>
{_statement(result)}
{_verdict(result.meta.get("checks"))}
<p class='note'>Rows: {_rows_line(result.meta.get("rows"))}.</p>
<div class='cards'>{_cards(result)}</div>
<h2>DP certificate</h2>{_certificate(result.certificate)}
<h2>Fidelity</h2>
{_fidelity_table(fid)}
<h3>Marginals</h3>{marginal_plots(fid)}
<h3>Correlations of the numeric columns</h3>{correlation_heatmaps(fid)}
<h3>Pairwise similarity</h3>{pair_heatmap(fid)}
<h2>Utility: train on synthetic, test on real</h2>{_utility_section(util)}
<h2>Privacy risk</h2>
{_risk_table(priv)}
<p class='note'>A share near 0.5 and an AUC near 0.5 mean an attacker holding the release
cannot tell the people it was fitted on from fresh people.</p>
{distance_plot(priv)}
{_anonymeter_section(priv.get("anonymeter"))}
"""
    if result.collapse:
        body += _collapse_section(result.collapse)
    if result.pii:
        body += _pii_section(result.pii)
    if getattr(result, "audit", None):
        body += _audit_section(result.audit)
    if fragment:
        return f"<div class='tabsynth-report'><style>{CSS}</style>{body}</div>"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>tabsynth report: {_esc(result.meta.get('schema', ''))}</title>"
        f"<style>{CSS}</style></head><body>{body}</body></html>"
    )
