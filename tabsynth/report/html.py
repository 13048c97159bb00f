"""A self-contained HTML release report: plots are inline PNGs, no script, no network.

It renders an ``EvaluationResult``: numbers that ``evaluate`` computed, never raw rows.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from tabsynth.errors import require_extra

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;
color:#1d2433;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:2px solid #e3e7ef;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #d5dbe6;padding:.3em .6em;
text-align:left}th{background:#f3f5f9}.ok{color:#17663a}.warn{color:#a4361c;font-weight:600}
.note{color:#5a6478;font-size:.9em}img{max-width:100%}.cards{display:flex;gap:1em;flex-wrap:wrap}
.card{border:1px solid #d5dbe6;border-radius:8px;padding:.8em 1.2em;min-width:180px}
.card b{font-size:1.5em;display:block}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _fmt(x: Any, digits: int = 3) -> str:
    if isinstance(x, float):
        return f"{x:.{digits}f}" if x == 0 or abs(x) >= 0.01 else f"{x:.3g}"
    return _esc(x)


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="plot" src="data:image/png;base64,{data}">'


def _plt() -> Any:
    mpl = require_extra("matplotlib", "report")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _marginal_plots(fid: dict[str, Any], max_cols: int = 16) -> str:
    plt = _plt()
    items = list(fid.get("marginals", {}).items())[:max_cols]
    if not items:
        return ""
    ncol = 4
    nrow = (len(items) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 2.6 * nrow), squeeze=False)
    for ax, (name, m) in zip(axes.ravel(), items, strict=False):
        x = range(len(m["labels"]))
        width = 0.42
        ax.bar([i - width / 2 for i in x], m["real"], width, label="real", color="#5b7db1")
        ax.bar(
            [i + width / 2 for i in x], m["synthetic"], width, label="synthetic", color="#e39a4b"
        )
        ax.set_title(f"{name} (score {fid['per_column'].get(name, float('nan')):.3f})", fontsize=9)
        step = max(1, len(m["labels"]) // 6)
        ax.set_xticks(list(x)[::step])
        ax.set_xticklabels(m["labels"][::step], rotation=45, fontsize=7, ha="right")
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes.ravel()[len(items) :]:
        ax.axis("off")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)


def _pair_heatmap(fid: dict[str, Any]) -> str:
    import numpy as np

    plt = _plt()
    names = list(fid.get("per_column", {}))
    if len(names) < 2:
        return ""
    idx = {n: i for i, n in enumerate(names)}
    mat = np.ones((len(names), len(names)))
    for key, score in fid["per_pair"].items():
        a, b = key.split("|")
        mat[idx[a], idx[b]] = mat[idx[b], idx[a]] = score
    fig, ax = plt.subplots(figsize=(0.45 * len(names) + 2, 0.45 * len(names) + 1.5))
    im = ax.imshow(mat, vmin=min(0.5, float(mat.min())), vmax=1, cmap="RdYlGn")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=7)
    fig.colorbar(im, ax=ax, fraction=0.046, label="pair similarity (1 = identical)")
    return _png(fig)


def _tstr_plot(util: dict[str, Any]) -> str:
    plt = _plt()
    main = "r2" if util["task"] == "regression" else "auc"
    labels, vals, los, his, colors = [], [], [], [], []
    for name, entry in util["models"].items():
        for source, color in (("real", "#5b7db1"), ("synthetic", "#e39a4b")):
            v = entry[source]["scores"].get(main)
            ci = entry[source]["ci95"].get(main, [v, v])
            if v is None:
                continue
            labels.append(f"{name}\ntrained on {source}")
            vals.append(v)
            los.append(v - ci[0])
            his.append(ci[1] - v)
            colors.append(color)
    fig, ax = plt.subplots(figsize=(1.6 * len(vals) + 1, 3))
    ax.bar(range(len(vals)), vals, yerr=[los, his], color=colors, capsize=4)
    ax.set_xticks(range(len(vals)))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel(f"{main.upper()} on the real holdout")
    ax.set_ylim(min(0.5, min(vals) - 0.05) if main == "auc" else None, None)
    return _png(fig)


def _distance_plot(priv: dict[str, Any]) -> str:
    plt = _plt()
    h = priv.get("distance_histogram")
    if not h:
        return ""
    edges = h["edges"]
    mids = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]
    width = edges[1] - edges[0]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(mids, h["to_train"], width, alpha=0.6, label="synthetic → nearest train row")
    ax.bar(mids, h["to_holdout"], width, alpha=0.6, label="synthetic → nearest holdout row")
    ax.set_xlabel("distance to the closest real record")
    ax.set_ylabel("synthetic rows")
    ax.legend(fontsize=8)
    return _png(fig)


def _collapse_plot(gens: list[dict[str, Any]]) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3))
    x = [g["generation"] for g in gens]
    for key, label in (("column_shapes", "column shapes"), ("pair_trends", "pair trends")):
        ax.plot(x, [g[key] for g in gens], marker="o", label=label)
    ax.plot(x, [1 - g["three_way_tvd"] for g in gens], marker="o", label="1 - 3-way TVD")
    ax.set_xlabel("generation (refits on the previous generation's output)")
    ax.set_ylabel("fidelity to the real data")
    ax.set_xticks(x)
    ax.legend(fontsize=8)
    return _png(fig)


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
    plt = _plt()
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
        "claim wrong, never right.</p>" + _png(fig)
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
    rows += [
        (k, cert.get(k))
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
        for source in ("real", "synthetic"):
            for col, by in entry[source]["by_group"].items():
                for value, sc in by.items():
                    main = sc.get("auc", sc.get("r2"))
                    groups.append((name, source, col, value, main if main is not None else "-"))
    ratios = ", ".join(
        f"{n}: {e['ratio']:.3f}" for n, e in util["models"].items() if e.get("ratio") is not None
    )
    return (
        f"<p>TSTR / TRTR ratio of the headline metric — {_esc(ratios)}</p>"
        + _tstr_plot(util)
        + _table(rows, ("model", "training data", "metric", "value", "95% interval"))
        + "<h3>By protected group (holdout subsets)</h3>"
        + _table(groups, ("model", "trained on", "attribute", "group", "AUC / R²"))
    )


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
    )


def _risk_table(priv: dict[str, Any]) -> str:
    mia_ci = priv["mia_auc_ci95"]
    return _table(
        [
            ("synthetic rows closer to train than to holdout", priv["dcr_share_closer_to_train"]),
            ("exact copies of train rows", priv["exact_copies_of_train"]),
            ("exact matches of holdout rows (base rate)", priv["exact_matches_of_holdout"]),
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
        + _collapse_plot(collapse)
        + _table(
            [
                (g["generation"], g["column_shapes"], g["pair_trends"], g["three_way_tvd"])
                for g in collapse
            ],
            ("generation", "column shapes", "pair trends", "3-way TVD"),
        )
    )


def render(result: Any, *, fragment: bool = False) -> str:
    """The report as HTML text (a whole page, or a fragment for Jupyter)."""
    fid, priv, util = result.fidelity, result.privacy, result.utility
    body = f"""
<h1>tabsynth release report: {_esc(result.meta.get("schema", ""))}</h1>
<p class='note'>Rows: {_esc(result.meta.get("rows"))}. Schema hash
{_esc(str(result.meta.get("schema_hash", ""))[:16])}…. All fidelity, utility and risk figures
below were computed from the real data: they are diagnostics for the data steward, not part of
the differential-privacy guarantee.</p>
<div class='cards'>{_cards(result)}</div>
<h2>DP certificate</h2>{_certificate(result.certificate)}
<h2>Fidelity</h2>
{_fidelity_table(fid)}
<h3>Marginals</h3>{_marginal_plots(fid)}
<h3>Pairwise similarity</h3>{_pair_heatmap(fid)}
<h2>Utility: train on synthetic, test on real</h2>{_utility_section(util)}
<h2>Privacy risk</h2>
{_risk_table(priv)}
<p class='note'>A share near 0.5 and an AUC near 0.5 mean an attacker holding the release
cannot tell the people it was fitted on from fresh people.</p>
{_distance_plot(priv)}
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
