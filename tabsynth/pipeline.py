"""The whole flow in one readable place: load, fit with DP, sample, summarise."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tabsynth._io import atomic_write_text


def _summary_md(s: dict[str, Any]) -> str:
    p = s["privacy"]
    lines = [
        f"# tabsynth demo: {s['example']}",
        "",
        f"- privacy: **{p['label']}**",
        f"- rows: {s['rows']['synthetic']} synthetic, as many as the model's DP estimate of "
        f"the training rows ({s['rows']['estimate_dp']:.0f}; the exact count is private)",
        f"- fit {s['timings']['fit_s']:.2f}s, sample {s['timings']['sample_s']:.2f}s",
        f"- fidelity (from the real data, not DP): column shapes "
        f"{s['fidelity']['column_shapes']:.3f}, pairs {s['fidelity']['pair_trends']:.3f}",
    ]
    if s.get("utility"):
        u = s["utility"]
        lines.append(
            f"- TSTR: AUC {u['tstr_auc']:.3f} trained on synthetic vs "
            f"{u['real_auc']:.3f} trained on real (ratio {u['ratio']:.2f})"
        )
    if s.get("ledger"):
        st = s["ledger"]["status"]
        lines.append(
            f"- ledger: entry {s['ledger']['entry']} in {s['ledger']['ledger']}; "
            f"dataset {st['dataset']!r} has spent epsilon {st['spent_epsilon']:.3g} "
            f"of its cap {st['cap_epsilon']:.3g} at delta {st['cap_delta']:.3g} (remaining "
            f"{st['remaining_epsilon']:.3g}"
            "; `tabsynth budget show --ledger` that file)"
        )
    if s.get("strata") is not None:
        lines.append(
            f"- strata: {', '.join(s['strata']) or 'none'}; point masses found: "
            f"{s['atoms'] or 'none'}"
        )
    lines += ["", "| mechanism | sensitivity | sigma | rho | delta |", "|---|---|---|---|---|"]
    for m in p["mechanisms"]:
        lines.append(
            f"| {m['name']} | {m['sensitivity']:.3g} | {m['sigma']:.4g} | {m['rho']:.4g} | "
            f"{m.get('delta', 0):.2g} |"
        )
    return "\n".join(lines) + "\n"


def _demo_ledger(path: Path, dataset: str) -> Any:
    """The demo's own ledger, with a cap of epsilon 10 for the example on first use."""
    from tabsynth.privacy.ledger import Ledger

    book = Ledger(path)
    if book.status(dataset).get("cap_epsilon") is None:
        book.set_cap(dataset, epsilon=10.0, delta=1e-5)
    return book


def run_demo(
    *,
    out: Path,
    example: str = "health_insurance",
    epsilon: float = 1.0,
    progress: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Fit a DP copula on a bundled real table and write synthetic data, model and summary."""
    import tabsynth
    from tabsynth.data import write_table
    from tabsynth.datasets import load_example, split
    from tabsynth.evaluation import evaluate
    from tabsynth.evaluation.results import headline_utility

    step = progress or (lambda _: contextlib.nullcontext())
    t0 = time.perf_counter()
    with step(f"loading the bundled table {example}"):
        df, schema = load_example(example)
        train, holdout = split(df)
    out.mkdir(parents=True, exist_ok=True)
    book = _demo_ledger(out / "ledger.sqlite", example)
    with step(f"fitting a DP copula at epsilon={epsilon}, charged to the ledger"):
        t = time.perf_counter()
        model = tabsynth.fit(train, schema, epsilon=epsilon, dataset=example, ledger=book.location)
        fit_s = time.perf_counter() - t
    # as many rows as the DP estimate of the training rows: sampling len(train) rows would
    # publish the exact private count in the release's size
    assert model.rows_estimate_ is not None  # the copula always releases its noisy count
    n_out = max(1, round(float(model.rows_estimate_)))
    with step(f"sampling {n_out} synthetic rows (the DP estimate of the row count)"):
        t = time.perf_counter()
        synthetic = model.sample(n_out, seed=0)
        sample_s = time.perf_counter() - t
    with step("evaluating fidelity, utility and privacy risk"):
        result = evaluate(train, synthetic, holdout, schema, model=model)
    with step("writing outputs, report and summary"):
        result.to_html(out / "report.html")
        result.to_json(out / "report.json")
        write_table(tabsynth.data.to_polars(synthetic)[0], out / "synthetic.csv")
        model.save(out / "model")
        timings = {"fit_s": fit_s, "sample_s": sample_s}
        summary: dict[str, Any] = {
            "example": example,
            "schema_hash": schema.hash(),
            "privacy": model.privacy.to_dict(),
            "rows": {"synthetic": len(synthetic), "estimate_dp": model.rows_estimate_},  # type: ignore[attr-defined]
            "timings": timings,
            "fidelity": {k: result.fidelity[k] for k in ("column_shapes", "pair_trends")},
            "utility": headline_utility(result.utility),
            "privacy_risk": {
                k: result.privacy[k] for k in ("mia_auc", "dcr_share_closer_to_train")
            },
            "ledger": {
                **model.ledger_entry_,  # type: ignore[attr-defined]
                "status": book.status(example),
            },
            "strata": getattr(model, "strata_", None),
            "atoms": getattr(model, "atoms_", None),
        }
        # exact counts (train/holdout rows, clipped values) are for the steward's eyes only:
        # the report's diagnostics, never in the summary that travels with the release
        timings["total_s"] = time.perf_counter() - t0
        atomic_write_text(out / "summary.json", json.dumps(summary, indent=2, default=str))
        atomic_write_text(out / "summary.md", _summary_md(summary))
    return summary
