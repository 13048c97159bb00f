"""What a fitted model guarantees: its measurements (``Mechanism``), its statement
(``PrivacyInfo``), and the budget a fit resolves from its schema and arguments.

Plain data, no model code: models, artifacts, the ledger and the report all read these.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from tabsynth.errors import PrivacyError


@dataclass(frozen=True)
class Mechanism:
    """One DP measurement: what was measured, its L2 sensitivity, noise std and zCDP cost
    (``rho`` is None for mechanisms accounted in Rényi DP only, such as DP-SGD)."""

    name: str
    sensitivity: float
    sigma: float
    rho: float | None
    noise: str
    delta: float = 0.0


@dataclass(frozen=True)
class PrivacyInfo:
    """What a fitted model guarantees, as computed by its accountant.

    ``epsilon is None`` means the model was fitted without differential privacy.
    ``releasable`` is False when the privacy noise came from a known seed (testing only) or
    the schema was drafted from the data; ``withheld`` says why, in words.
    """

    epsilon: float | None
    delta: float | None
    rho: float | None
    accountant: str | None
    neighbouring: str | None
    mechanisms: tuple[Mechanism, ...] = ()
    noise_source: str = "none"
    releasable: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    withheld: tuple[str, ...] = ()

    @classmethod
    def non_private(cls) -> PrivacyInfo:
        """The statement of a model fitted with ``epsilon=None``."""
        return cls(
            epsilon=None,
            delta=None,
            rho=None,
            accountant=None,
            neighbouring=None,
            noise_source="none",
            releasable=False,
            notes=("fitted without differential privacy",),
        )

    @property
    def is_private(self) -> bool:
        return self.epsilon is not None

    def label(self) -> str:
        """One line for summaries and CLI output."""
        if self.epsilon is None:
            return "NON-PRIVATE (epsilon=None): no differential-privacy guarantee"
        reasons = self.withheld or (() if self.releasable else ("reproducible noise",))
        tail = f"  [NOT FOR RELEASE: {'; '.join(reasons)}]" if reasons else ""
        rho = f"rho={self.rho:.4g}, " if self.rho is not None else ""
        return (
            f"({self.epsilon:.4g}, {self.delta:.3g})-DP via {self.accountant} "
            f"({rho}{self.neighbouring}){tail}"
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["mechanisms"] = [asdict(m) for m in self.mechanisms]
        out["label"] = self.label()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PrivacyInfo:
        d = {k: v for k, v in d.items() if k != "label"}
        d["mechanisms"] = tuple(Mechanism(**m) for m in d.get("mechanisms", []))
        d["notes"] = tuple(d.get("notes", []))
        d["withheld"] = tuple(d.get("withheld", []))
        info = cls(**d)
        if info.withheld and info.releasable:  # a releasable flag never outranks a reason
            info = replace(info, releasable=False)
        return info

    def withhold(self, reason: str) -> PrivacyInfo:
        """The same statement, marked NOT FOR RELEASE for ``reason``."""
        if reason in self.withheld:
            return self
        return replace(self, releasable=False, withheld=(*self.withheld, reason))


def resolve_budget(schema: Any, epsilon: Any, delta: Any) -> tuple[float | None, float]:
    """Explicit arguments win over the schema; ``"schema"`` means "take the schema's value"."""
    eps = schema.epsilon if epsilon == "schema" else epsilon
    dlt = schema.delta if delta == "schema" else delta
    if eps is not None and not (isinstance(eps, int | float) and math.isfinite(eps) and eps > 0):
        raise PrivacyError(
            f"epsilon must be a positive finite number or None, got {eps!r}. "
            "Fix: e.g. epsilon=1.0; None fits without privacy."
        )
    if not (isinstance(dlt, int | float) and 0 < dlt < 1):
        raise PrivacyError(f"delta must be in (0, 1), got {dlt!r}. Fix: e.g. delta=1e-6.")
    return (float(eps) if eps is not None else None), float(dlt)


def spent_so_far(spent: list[dict[str, Any]], delta: float) -> dict[str, Any] | None:
    """The cost of accountant records ``spent`` (None when empty): zCDP when all are zCDP,
    else composed in Rényi DP at ``delta``."""
    if not spent:
        return None
    d_approx = math.fsum(float(e.get("delta", 0.0)) for e in spent)
    if all("rho" in e for e in spent):
        from tabsynth.privacy.accountant import rho_to_epsilon

        rho = math.fsum(float(e["rho"]) for e in spent)
        eps = rho_to_epsilon(rho, delta - d_approx)
        return {"epsilon": eps, "delta": delta, "rho": rho, "delta_approx": d_approx}
    from tabsynth.privacy.rdp import RDPAccountant

    acct = RDPAccountant()
    for e in spent:
        acct.spend(**e)
    return {"epsilon": acct.epsilon(delta), "delta": delta, "rho": None, "delta_approx": 0.0}
