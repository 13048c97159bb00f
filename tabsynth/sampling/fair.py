"""Fair sampling (statistical parity by construction, post-processing): the target has the
same distribution in every protected group, each group keeps its share, and every other
column is drawn from the model's conditional distribution given the group and the target.

With the model's joint P(g, y) of the protected group g and the target y, the fair law is
P(g) * P(y) * P(x | g, y): the group shares and the overall target distribution are the
model's own, and within a group the target is independent of it. Exact for the copula's
strata (and one more column) and, by rejection on the other columns, for every model.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from tabsynth.errors import SamplingError
from tabsynth.sampling.cells import draw_cells, joint_probs, shuffled


@dataclass(frozen=True)
class Fair:
    """What ``fair=`` asks: parity of ``target`` across the groups of ``protected``."""

    target: str
    protected: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "protected": list(self.protected)}


def parse_fair(schema: Any, spec: Any) -> Fair:
    """``{"target": T, "protected": [A, ...]}`` or ``"T:A,B"``, checked against the schema
    (every problem at once)."""
    if isinstance(spec, str):
        target, sep, rest = spec.partition(":")
        if not sep:
            raise SamplingError(f"fair takes TARGET:PROTECTED[,PROTECTED], got {spec!r}")
        spec = {"target": target.strip(), "protected": [p.strip() for p in rest.split(",")]}
    if not isinstance(spec, dict) or set(spec) - {"target", "protected"}:
        raise SamplingError('fair takes {"target": COLUMN, "protected": [COLUMN, ...]}')
    target = spec.get("target") or schema.target
    given = spec.get("protected")
    if given is None:
        given = [c.name for c in schema.columns if c.protected]
    protected: list[str] = [given] if isinstance(given, str) else list(given)
    problems = []
    for name in [target, *protected]:
        if name not in schema.names:
            problems.append(f"unknown column {name!r}")
        elif schema.column(name).kind not in ("categorical", "boolean"):
            problems.append(f"{name!r} is {schema.column(name).kind}, not categorical or boolean")
    if not protected:
        problems.append("no protected column (name one, or mark columns `protected: true`)")
    if target in protected:
        problems.append(f"{target!r} is both the target and protected")
    if problems:
        raise SamplingError("fair sampling: " + "; ".join(problems))
    return Fair(str(target), tuple(protected))


def fair_rows(
    model: Any, n: int, rng: np.random.Generator, fair: Fair
) -> tuple[Any, dict[str, Any]]:
    """``n`` rows with the target's distribution the same in every protected group, and
    what was changed (for the manifest)."""
    cols = [fair.target, *fair.protected]
    joint = joint_probs(model, cols, rng)  # axes: target, then each protected column
    p_y = joint.reshape(joint.shape[0], -1).sum(axis=1)
    p_g = joint.sum(axis=0)
    names = {c: _cell_labels(model, c) for c in cols}
    groups = [g for g in itertools.product(*map(range, p_g.shape)) if p_g[g] > 0]
    missing = [
        (y, *g) for g in groups for y in np.flatnonzero(p_y > 0).tolist() if joint[(y, *g)] <= 0
    ]
    if missing:
        raise SamplingError(
            f"fair sampling: the model gives {_name(names, cols, missing[0])} probability 0, so "
            f"no sample can hold the same {fair.target!r} shares in every group. Fix: merge "
            "rare groups in the schema, or rebalance one column instead."
        )
    share_g = np.array([p_g[g] for g in groups])
    per_group = rng.multinomial(n, share_g / share_g.sum())
    wanted: dict[tuple[int, ...], int] = {}
    for g, m in zip(groups, per_group, strict=True):
        for y, c in enumerate(rng.multinomial(int(m), p_y / p_y.sum()).tolist()):
            if c:
                wanted[(y, *g)] = c
    parts = draw_cells(model, rng, cols, wanted, lambda key: _name(names, cols, key))
    out = shuffled(parts, rng, lambda: model._sample(0, rng))
    info = {
        **fair.to_dict(),
        "target_shares": {names[fair.target][y]: float(p) for y, p in enumerate(p_y) if p > 0},
        "group_shares": {
            _group(names, fair.protected, g): float(p_g[g] / share_g.sum()) for g in groups
        },
        "changed": f"in every group of {list(fair.protected)}, {fair.target!r} is drawn from "
        "its overall distribution (statistical parity); the group shares and every other "
        "column given group and target are the model's",
        "exact": "copula strata" if model._can_condition(cols) else "rejection on the groups",
    }
    return out, info


def _cell_labels(model: Any, column: str) -> list[str]:
    return model._cell_domain(column).cell_names()  # type: ignore[no-any-return]


def _name(names: dict[str, list[str]], cols: list[str], key: tuple[int, ...]) -> str:
    return ", ".join(f"{c}={names[c][k]}" for c, k in zip(cols, key, strict=True))


def _group(names: dict[str, list[str]], cols: tuple[str, ...], g: tuple[int, ...]) -> str:
    return "|".join(names[c][k] for c, k in zip(cols, g, strict=True))
