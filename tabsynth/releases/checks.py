"""A release's checks: figures of its report against the thresholds of its config."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tabsynth.evaluation.results import headline_utility
from tabsynth.releases.config import CHECKS


@dataclass(frozen=True)
class Check:
    """One check: the figure measured, the threshold, and whether the release meets it."""

    name: str
    what: str
    direction: str  # "min": at least the threshold; "max": at most
    threshold: float
    value: float | None  # None: not measurable on this table (e.g. no target for TSTR)
    passed: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        sign = ">=" if self.direction == "min" else "<="
        got = "n/a" if self.value is None else f"{self.value:.3f}"
        mark = "ok  " if self.passed else "FAIL"
        note = f"  ({self.note})" if self.note else ""
        return f"{mark} {self.name:<14} {got:>7}  {sign} {self.threshold:g}{note}"


def figures(report: dict[str, Any]) -> dict[str, float | None]:
    """Every checkable figure of an evaluation (``EvaluationResult.to_dict()``)."""
    fid, risk = report["fidelity"], report["privacy_risk"]
    head = headline_utility(report.get("utility"))
    return {
        "quality": fid["quality"]["score"],
        "column_shapes": fid["column_shapes"],
        "pair_trends": fid["pair_trends"],
        "three_way_tvd": fid.get("three_way_tvd"),
        "tstr_ratio": head["ratio"] if head else None,
        "mia_auc": risk.get("mia_auc"),
        "exact_copies": risk.get("exact_copies_of_train"),
    }


def run_checks(report: dict[str, Any], thresholds: dict[str, float]) -> list[Check]:
    """The config's checks in its order; a figure that cannot be measured fails its check
    (a threshold the steward asked for is never waived silently)."""
    got = figures(report)
    out = []
    for name, limit in thresholds.items():
        what, direction = CHECKS[name]
        value = got[name]
        if value is None:
            out.append(Check(name, what, direction, limit, None, False, "not measurable here"))
            continue
        ok = value >= limit if direction == "min" else value <= limit
        out.append(Check(name, what, direction, float(limit), float(value), bool(ok)))
    return out


def table(checks: list[Check]) -> str:
    """The checks as aligned text lines (for the command line and the error)."""
    return "\n".join(c.line() for c in checks)
