"""The Synthesizer protocol every model follows, its privacy statement, and the model registry.

``__init__`` stores, ``fit`` computes, fitted state ends in ``_``. Models register by name; a
model whose dependencies are heavy (torch, opacus) is registered as a lazy "module:Class"
path and imported only when asked for, with an ImportError naming the extra to install.
"""

from __future__ import annotations

import importlib
import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from tabsynth.errors import MissingExtraError, NotFittedError, PrivacyError, SamplingError
from tabsynth.schema.model import Schema


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


def drafted_fields(schema: Schema) -> list[tuple[str, list[str]]]:
    """(column, fields) of a schema's domains that ``schema infer`` reads from the data."""
    out = []
    for col in schema.columns:
        fields = []
        if col.kind == "categorical":
            fields.append("categories")
        if col.kind in ("numerical", "datetime"):
            fields.append("lower/upper bounds")
        if col.kind == "numerical" and getattr(col, "atoms", None):
            fields.append("atoms")
        if col.kind == "numerical" and getattr(col, "precision", None) is not None:
            fields.append("precision")
        if fields:
            out.append((col.name, fields))
    return out


def resolve_budget(schema: Schema, epsilon: Any, delta: Any) -> tuple[float | None, float]:
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


class Synthesizer(ABC):
    """Base class of tabsynth models.

    Subclasses implement ``_fit``, ``_sample``, ``_state`` and ``_from_state``; the base class
    handles input types, the fitted check and the privacy statement.
    """

    name: ClassVar[str] = "base"

    def __init__(
        self,
        schema: Schema,
        *,
        epsilon: float | None | str = "schema",
        delta: float | str = "schema",
        reproducible_noise_seed: int | None = None,
        verbose: bool = False,
        allow_draft: bool = False,
        **options: Any,
    ) -> None:
        self.schema = schema
        self.epsilon = epsilon
        self.delta = delta
        self.reproducible_noise_seed = reproducible_noise_seed
        self.verbose = verbose
        self.allow_draft = allow_draft
        self.options = options

    # --- helpers shared by the models ----------------------------------------------------
    def _make_config(self, config_cls: Any, tuples: tuple[str, ...] = ()) -> Any:
        """The model's config from the schema's ``model_options`` and keyword options; a
        bad option is a ``SchemaError`` naming the allowed ones."""
        from tabsynth.errors import Problem, SchemaError

        opts = {**self.schema.model_options, **self.options}
        for key in tuples:
            if key in opts:
                opts[key] = tuple(opts[key])
        try:
            return config_cls(**opts)
        except TypeError as exc:
            raise SchemaError(
                [
                    Problem(
                        "model_options",
                        f"unknown {self.name} option ({exc})",
                        f"use only {sorted(config_cls.__dataclass_fields__)}",
                    )
                ]
            ) from None
        except ValueError as exc:
            raise SchemaError(
                [Problem("model_options", str(exc), f"see {config_cls.__name__}")]
            ) from None

    def _budget_and_noise(self) -> tuple[float | None, float, Any]:
        """(epsilon, delta, noise source); warns when the noise follows from a seed."""
        import warnings

        from tabsynth.errors import NotForReleaseWarning
        from tabsynth.privacy.noise import make_noise

        eps, delta = resolve_budget(self.schema, self.epsilon, self.delta)
        noise = make_noise(reproducible_seed=self.reproducible_noise_seed)
        if not noise.secure and eps is not None:
            warnings.warn(
                "privacy noise drawn from a known seed: this model is NOT FOR RELEASE",
                NotForReleaseWarning,
                stacklevel=4,
            )
        return eps, delta, noise

    # --- what a fit has spent so far -------------------------------------------------------
    def _charge(self, mech: Mechanism | None = None, **entry: Any) -> None:
        """Record a measurement as spent, just before its noise is drawn: a fit that fails
        after it is charged for it (``spent_cost``), one that fails before any is refunded.
        ``entry`` is an accountant record: ``rho`` (and ``delta``), or ``q``, ``sigma`` and
        ``steps`` for DP-SGD."""
        if not hasattr(self, "spent_"):
            self.spent_: list[dict[str, Any]] = []
        if mech is not None:
            entry = {"mechanism": mech.name, "rho": mech.rho, "delta": mech.delta}
        self.spent_.append(dict(entry))

    def spent_cost(self) -> dict[str, Any] | None:
        """The cost of the measurements run so far (None when none ran): zCDP when all are
        zCDP, else composed in Rényi DP at the fit's delta."""
        spent = getattr(self, "spent_", [])
        if not spent:
            return None
        _, delta = resolve_budget(self.schema, self.epsilon, self.delta)
        d_approx = math.fsum(float(e.get("delta", 0.0)) for e in spent)
        if all("rho" in e for e in spent):
            from tabsynth.privacy import rho_to_epsilon

            rho = math.fsum(float(e["rho"]) for e in spent)
            eps = rho_to_epsilon(rho, delta - d_approx)
            return {"epsilon": eps, "delta": delta, "rho": rho, "delta_approx": d_approx}
        from tabsynth.privacy.rdp import RDPAccountant

        acct = RDPAccountant()
        for e in spent:
            acct.spend(**e)
        return {"epsilon": acct.epsilon(delta), "delta": delta, "rho": None, "delta_approx": 0.0}

    # --- fitted-state helpers -------------------------------------------------------------
    def _check_is_fitted(self) -> None:
        if not hasattr(self, "privacy_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet. "
                "Fix: call .fit(data) first, or load a saved model with "
                "tabsynth.load(path)."
            )

    @property
    def privacy(self) -> PrivacyInfo:
        """The fitted model's privacy statement (epsilon, delta, mechanisms, accountant)."""
        self._check_is_fitted()
        return self.privacy_  # type: ignore[attr-defined, no-any-return]

    def _check_draft(self) -> None:
        """A schema drafted from the data (``inferred_from_data: true``) is refused unless
        ``allow_draft``; then the model is marked NOT FOR RELEASE (see ``_withhold``)."""
        if not self.schema.inferred_from_data or self.allow_draft:
            return
        from tabsynth.errors import Problem, SchemaError

        problems = [
            Problem(
                f"column {name!r}",
                f"{', '.join(fields)} read from the private data by `schema infer`",
                "replace with public knowledge (code lists, legal ranges)",
            )
            for name, fields in drafted_fields(self.schema)
        ]
        problems.append(
            Problem(
                "inferred_from_data",
                "the schema is a draft: a model fitted on it is NOT FOR RELEASE",
                "review every domain above, then set `inferred_from_data: false`; or pass "
                "allow_draft=True (--allow-draft) to fit it for testing, marked NOT FOR RELEASE",
            )
        )
        raise SchemaError(problems)

    def _withhold(self) -> None:
        """Mark the fitted statement NOT FOR RELEASE for every reason that applies."""
        info: PrivacyInfo = self.privacy_  # type: ignore[has-type]
        if not info.is_private:
            return
        if self.schema.inferred_from_data:
            info = info.withhold(
                "draft schema (inferred_from_data: its domains came from the data)"
            )
        if self.reproducible_noise_seed is not None:
            info = info.withhold("reproducible noise (fit-time randomness from a known seed)")
        self.privacy_ = info

    # --- public API -----------------------------------------------------------------------
    def fit(self, data: Any) -> Synthesizer:
        """Fit on a pandas or polars DataFrame conforming to the schema."""
        from tabsynth.data import conform, to_polars
        from tabsynth.engines.sources import TableSource

        self._check_draft()
        self.spent_ = []
        if isinstance(data, TableSource):
            return self._fit_table_source(data)
        frame, kind = to_polars(data)
        if any(
            c.pii is not None and c.pii.policy.value == "generalize" for c in self.schema.columns
        ):
            from tabsynth.pii.policies import generalize

            frame = generalize(frame, self.schema)
        conformed, report = conform(frame, self.schema)
        from tabsynth.artifacts import data_fingerprint

        self.frame_kind_ = kind
        self.domain_report_ = report
        self._fit(conformed)
        self._withhold()
        self.data_fingerprint_ = data_fingerprint(conformed)
        return self

    def _fit_table_source(self, source: Any) -> Synthesizer:
        """Fit on a streamed or distributed table (``tabsynth.scan``)."""
        if not hasattr(self, "_fit_source"):
            from tabsynth.errors import EngineError

            raise EngineError(
                f"model {self.name!r} fits in-memory tables only. Fix: use the copula "
                "for tables larger than memory, or load the table (read_table) first."
            )
        self.frame_kind_ = "polars"
        self._fit_source(source)
        self._withhold()
        self.domain_report_ = source.domain_report
        self.data_fingerprint_ = source.fingerprint()
        return self

    def sample(
        self,
        n: int,
        *,
        seed: int | np.random.SeedSequence | None = None,
        as_frame: str | None = None,
        where: dict[str, Any] | None = None,
        rebalance: dict[str, Any] | None = None,
        scenario: str | None = None,
        drift: list[str] | None = None,
    ) -> Any:
        """Draw ``n`` synthetic rows (post-processing: no privacy cost).

        Args:
            n: number of rows.
            seed: makes the draw reproducible; None draws fresh randomness.
            as_frame: "pandas" or "polars"; default: the type given to ``fit``.
            where: ``{column: value}``: sample from the model's conditional distribution.
            rebalance: ``{column: {value: share, ...}}`` or ``{column: "uniform"}``: the
                output holds each value in that share (each part drawn conditionally).
            scenario: a stress test: "tails" (extreme quantiles of numerical columns),
                "rare" (rare category combinations as common as frequent ones).
            drift: shifted marginals, e.g. ``["age+5", "insurance=no:0.4"]``: numbers are
                moved (and clipped to the schema's bounds), one category gets a new share
                and the others keep their relative sizes.
        """
        from tabsynth.data import from_polars

        self._check_is_fitted()
        if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0:
            raise SamplingError(f"n must be a non-negative integer, got {n!r}")
        if seed is None:
            seed = getattr(self, "seed_", None)
        rng = np.random.default_rng(seed)
        cond = conditions(self.schema, where or {})
        shifts, shares = parse_drift(self.schema, drift or [])
        if shares:
            if rebalance:
                raise SamplingError(
                    "drift of a category and rebalance both set the shares of "
                    "a column. Fix: use one of them."
                )
            rebalance = self._drift_shares(*shares)
        if scenario is not None and (scenario not in ("tails", "rare") or rebalance):
            raise SamplingError(
                f"unknown scenario {scenario!r} (or combined with "
                "rebalancing). Fix: scenario='tails' or 'rare'"
            )

        def draw(m: int) -> Any:
            if scenario is not None:
                out = self._scenario(m, rng, cond, scenario)
            elif rebalance:
                out = self._rebalanced(m, rng, cond, rebalance)
            else:
                out = self._sample(m, rng, where=cond) if cond else self._sample(m, rng)
            return apply_shifts(self.schema, out, shifts)

        if self.schema.constraints and n > 0:
            from tabsynth.sampling.constraints import Critic

            critic = Critic(list(self.schema.constraints), set(self.schema.names))
            out, self.last_sample_report_ = critic.enforce(draw, int(n))
        else:
            out = draw(int(n))
            self.last_sample_report_ = {"rejection_rate": 0.0}
        if any(
            c.pii is not None and c.pii.policy.value in ("fake", "hash")
            for c in self.schema.columns
        ):
            from tabsynth.pii.policies import add_pii_columns

            out = add_pii_columns(self.schema, out, rng)
        kind: Any = as_frame or getattr(self, "frame_kind_", "polars")
        if kind not in ("pandas", "polars"):
            raise ValueError(f"as_frame must be 'pandas' or 'polars', got {kind!r}")
        return from_polars(out, kind)

    def save(self, path: Any) -> Any:
        """Save as data (JSON + numpy arrays, no pickle); see ``tabsynth.artifacts``."""
        from tabsynth.artifacts import save_model

        self._check_is_fitted()
        return save_model(self, path)

    def planned_cost(self) -> dict[str, Any]:
        """What ``fit`` will spend, known before it runs (for a ledger reservation).

        The default is the target (epsilon, delta) under basic composition; models that
        account in zCDP return their exact rho and approximate delta.
        """
        eps, delta = resolve_budget(self.schema, self.epsilon, self.delta)
        if eps is None:
            raise PrivacyError(
                "a non-private fit (epsilon=None) cannot be charged to a "
                "dataset's budget. Fix: pass an epsilon, or drop --dataset."
            )
        return {"epsilon": eps, "delta": delta, "rho": None, "delta_approx": 0.0}

    def _add_unmodelled(self, out: Any, n: int) -> Any:
        """Schema order, with fresh ids for identifier columns that are not PII."""
        import polars as pl

        cols = []
        for col in self.schema.columns:
            if col.name in out.columns:
                cols.append(out.get_column(col.name))
            elif col.kind == "identifier" and col.pii is None:
                width = max(6, len(str(n)))
                ids = pl.Series(col.name, np.arange(1, n + 1)).cast(pl.String).str.zfill(width)
                cols.append((col.prefix + ids).alias(col.name))
        return pl.DataFrame(cols)

    def _scenario(self, n: int, rng: np.random.Generator, cond: dict[str, int], name: str) -> Any:
        raise SamplingError(f"{self.name} does not support scenario {name!r} yet")

    def marginal(self, column: str) -> dict[Any, float]:
        """The model's marginal distribution of a categorical column."""
        raise SamplingError(f"{self.name} does not report marginals yet")

    def _drift_shares(self, column: str, value: str, share: float) -> dict[str, Any]:
        """Shares for a column whose ``value`` moves to ``share``; the rest keep their ratios."""
        base = {k: v for k, v in self.marginal(column).items() if k != "<null>"}
        key = next((k for k in base if str(k) == value), None)
        if key is None:
            raise SamplingError(f"{value!r} is outside the domain of {column!r}")
        rest = sum(v for k, v in base.items() if k != key)
        out = {
            k: (share if k == key else (1 - share) * v / rest if rest > 0 else 0.0)
            for k, v in base.items()
        }
        return {column: out}

    def _possible(self, column: str, cells: list[int]) -> tuple[list[int], np.ndarray]:
        """For "uniform" rebalancing: the cells the model can produce, in equal shares."""
        try:
            probs = list(self.marginal(column).values())
        except SamplingError:
            return cells, np.full(len(cells), 1 / len(cells))
        keep = [c for c in cells if probs[c] > 0]
        if len(keep) < len(cells):
            import warnings

            warnings.warn(
                f"rebalancing {column!r}: {len(cells) - len(keep)} value(s) have "
                "probability 0 in the fitted model (too rare to survive the DP "
                "noise) and are left out",
                UserWarning,
                stacklevel=4,
            )
        if not keep:
            raise SamplingError(f"no value of {column!r} has positive probability")
        return keep, np.full(len(keep), 1 / len(keep))

    def _rebalanced(
        self, n: int, rng: np.random.Generator, cond: dict[str, int], rebalance: dict[str, Any]
    ) -> Any:
        import polars as pl

        if len(rebalance) != 1:
            raise SamplingError("rebalance one column at a time, e.g. {'sex': 'uniform'}")
        ((col, spec),) = rebalance.items()
        if col in cond:
            raise SamplingError(
                f"column {col!r} is both conditioned on and rebalanced. Fix: use one or the other."
            )
        cells, shares = rebalance_shares(self.schema, col, spec)
        if spec == "uniform":
            cells, shares = self._possible(col, cells)
        counts = rng.multinomial(n, shares)
        parts = [
            self._sample(int(c), rng, where={**cond, col: cell})
            for cell, c in zip(cells, counts, strict=True)
            if c > 0
        ]
        if not parts:
            return self._sample(0, rng)
        out = pl.concat(parts, how="vertical_relaxed")
        return out[rng.permutation(out.height).tolist()] if out.height else out

    # --- to implement ---------------------------------------------------------------------
    @abstractmethod
    def _fit(self, df: Any) -> None: ...

    @abstractmethod
    def _sample(
        self, n: int, rng: np.random.Generator, where: dict[str, int] | None = None
    ) -> Any: ...

    @abstractmethod
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-ready dict, named numpy arrays) that fully describe the fitted model."""

    @classmethod
    @abstractmethod
    def _from_state(
        cls, schema: Schema, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> Synthesizer: ...


# --- registry -----------------------------------------------------------------------------
# name -> class, or a lazy ("module:Class", "extra") pair for models with heavy dependencies
_REGISTRY: dict[str, type[Synthesizer] | tuple[str, str]] = {}


def register_lazy(name: str, path: str, extra: str) -> None:
    """Register ``name`` as ``"module:Class"``, imported on first use (needs ``extra``)."""
    _REGISTRY[name] = (path, extra)


def register(cls: type[Synthesizer]) -> type[Synthesizer]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def available_models() -> list[str]:
    """Registered model names (lazy ones included)."""
    return sorted(_REGISTRY)


def get_model(name: str) -> type[Synthesizer]:
    """The model class registered as ``name``; imports lazy models on first use."""
    entry = _REGISTRY.get(name)
    if entry is None:
        raise ValueError(f"unknown model {name!r}. Fix: use one of {available_models()}")
    if isinstance(entry, tuple):
        path, extra = entry
        module, _, attr = path.partition(":")
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("tabsynth"):
                raise ValueError(f"model {name!r} is not implemented in this version") from None
            raise MissingExtraError(
                f"model {name!r} needs {exc.name}, which is not installed. "
                f"Fix: pip install 'tabsynth[{extra}]'"
            ) from exc
        entry = getattr(mod, attr)
        _REGISTRY[name] = entry
    return entry


# --- conditions (shared by every model) ---------------------------------------------------
def _cell_of(schema: Schema, column: str, value: Any) -> int:
    """The cell index of ``value`` in ``column``'s public domain, or a clear error."""
    import polars as pl

    from tabsynth.data.domain import build_domain

    try:
        col = schema.column(column)
    except KeyError:
        raise SamplingError(f"unknown column {column!r}. Fix: use one of {schema.names}") from None
    if not col.modelled or col.kind not in ("categorical", "boolean", "numerical"):
        raise SamplingError(f"cannot condition on {column!r} (kind {col.kind})")
    dom = build_domain(col)
    if col.kind == "numerical" and dom.intervals:
        raise SamplingError(
            f"{column!r} is continuous: condition on categorical, boolean or "
            "small-range integer columns"
        )
    if col.kind == "categorical":
        ok = str(value) in col.domain
        series = pl.Series([str(value)])
    elif col.kind == "boolean":
        words = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
        b = value if isinstance(value, bool) else words.get(str(value).lower())
        ok = b is not None
        series = pl.Series([bool(b)])
    else:
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = math.nan
        ok = x.is_integer() and col.lower <= x <= col.upper
        series = pl.Series([x])
    if not ok:
        allowed = (
            col.domain
            if col.kind == "categorical"
            else (
                "true/false" if col.kind == "boolean" else f"integers {col.lower:g}..{col.upper:g}"
            )
        )
        raise SamplingError(
            f"{value!r} is outside the domain of {column!r}. Fix: use one of {allowed}"
        )
    return int(dom.encode(series)[0][0])


def conditions(schema: Schema, where: dict[str, Any]) -> dict[str, int]:
    """``{column: value}`` as ``{column: cell index}``, every value checked."""
    return {name: _cell_of(schema, name, value) for name, value in where.items()}


def rebalance_shares(schema: Schema, column: str, spec: Any) -> tuple[list[int], np.ndarray]:
    """Cells and target shares for rebalancing ``column`` ("uniform" or {value: share})."""
    col = schema.column(column) if column in schema.names else None
    if col is None or col.kind not in ("categorical", "boolean"):
        raise SamplingError(f"rebalance a categorical or boolean column; {column!r} is not one")
    if spec == "uniform":
        values: list[Any] = list(col.domain) if col.kind == "categorical" else [False, True]
        shares = np.full(len(values), 1 / len(values))
    elif isinstance(spec, dict) and spec:
        values, shares = list(spec), np.asarray(list(spec.values()), dtype=float)
        if (shares < 0).any() or abs(shares.sum() - 1) > 1e-6:
            raise SamplingError(
                f"rebalance shares for {column!r} must be >= 0 and sum to 1, got {dict(spec)}"
            )
    else:
        raise SamplingError(f"rebalance {column!r} with 'uniform' or {{value: share}}")
    return [_cell_of(schema, column, v) for v in values], shares


def parse_drift(
    schema: Schema, specs: list[str]
) -> tuple[dict[str, float], tuple[str, str, float] | None]:
    """``["age+5", "x-2", "insurance=no:0.4"]`` as numeric shifts and one category share."""
    import re

    shifts: dict[str, float] = {}
    share: tuple[str, str, float] | None = None
    for spec in specs:
        m = re.fullmatch(r"\s*([^=+\-]+?)\s*([+-])\s*([0-9.eE+-]+)\s*", spec)
        c = re.fullmatch(r"\s*([^=]+?)\s*=\s*(.+):\s*([0-9.eE+-]+)\s*", spec)
        if m and m.group(1) in schema.names and schema.column(m.group(1)).kind == "numerical":
            shifts[m.group(1)] = float(m.group(3)) * (1 if m.group(2) == "+" else -1)
        elif c and c.group(1) in schema.names and share is None:
            value = float(c.group(3))
            if not 0 <= value <= 1:
                raise SamplingError(f"drift share in {spec!r} must be in [0, 1]")
            share = (c.group(1), c.group(2).strip(), value)
        else:
            raise SamplingError(
                f"cannot read drift {spec!r}. Fix: 'NUMCOL+5', 'NUMCOL-2' or "
                "'CATCOL=value:0.4' (one category drift at a time)"
            )
    return shifts, share


def apply_shifts(schema: Schema, out: Any, shifts: dict[str, float]) -> Any:
    """Numbers moved by ``shifts`` and clipped to the schema's bounds (post-processing)."""
    import polars as pl

    for name, delta in shifts.items():
        col = schema.column(name)
        expr = (pl.col(name) + delta).clip(col.lower, col.upper)
        if col.integer:
            expr = expr.round(0).cast(pl.Int64)
        out = out.with_columns(expr.alias(name))
    return out
