"""The Synthesizer protocol every model follows: ``__init__`` stores, ``fit`` computes,
fitted state ends in ``_``. The privacy statement lives in ``tabsynth.privacy.records``, the
registry in ``tabsynth.models.registry``, sampling requests in ``tabsynth.sampling``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from tabsynth.errors import NotFittedError, PrivacyError, SamplingError
from tabsynth.privacy.records import Mechanism, PrivacyInfo, resolve_budget, spent_so_far
from tabsynth.schema.model import Schema


class Synthesizer(ABC):
    """Base class of tabsynth models.

    Subclasses implement ``_fit``, ``_sample``, ``_state`` and ``_from_state``; the base class
    handles input types, the fitted check and the privacy statement.
    """

    name: ClassVar[str] = "base"
    # the most rows per privacy unit whose contribution the model's mechanisms bound
    unit_rows_supported: ClassVar[int] = 1
    #: the released (noisy) row count, the default size of a release; None if unknown
    rows_estimate_: float | None = None
    # the stress scenarios of ``tabsynth.sampling.scenarios`` the model can draw
    scenarios: ClassVar[tuple[str, ...]] = ()
    # True when the sampler draws every cell from a DP marginal, so that no row can hold a
    # value the marginal puts at zero (the critic's implausibility check is then moot)
    draws_in_support: ClassVar[bool] = False

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
        _, delta = resolve_budget(self.schema, self.epsilon, self.delta)
        return spent_so_far(getattr(self, "spent_", []), delta)

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
        from tabsynth.schema.checks import drafted_fields

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
        self._check_unit_support()
        from tabsynth.data.fingerprint import data_fingerprint

        self.frame_kind_ = kind
        self.domain_report_ = report
        self._fit(self._bounded(conformed))
        self._withhold()
        self.data_fingerprint_ = data_fingerprint(conformed)
        return self

    def _check_unit_support(self) -> None:
        """Refuse a privacy unit with more rows than this model can bound (before any
        measurement, from the schema alone)."""
        k = self.schema.max_rows_per_unit
        if self.schema.privacy_unit is not None and k > self.unit_rows_supported:
            from tabsynth.errors import Problem, SchemaError

            raise SchemaError(
                [
                    Problem(
                        "max_rows_per_unit",
                        f"{k} rows per {self.schema.privacy_unit}: model {self.name!r} bounds "
                        f"at most {self.unit_rows_supported} per unit in this version",
                        f"set max_rows_per_unit: {self.unit_rows_supported}, or use model: copula",
                    )
                ]
            )

    def _bounded(self, df: Any) -> Any:
        """At most ``max_rows_per_unit`` rows of each privacy unit (``privacy/units.py``)."""
        if self.schema.privacy_unit is None:
            return df
        from tabsynth.privacy.units import bound_units

        unit, k = self.schema.privacy_unit, self.schema.max_rows_per_unit
        modelled = [c.name for c in self.schema.columns if c.modelled]
        return bound_units(df, unit, k, self._unit_key(), modelled)

    def _unit_key(self) -> int:
        from tabsynth.privacy.keyed import fit_key

        return fit_key(self.reproducible_noise_seed, salt=3)

    def _fit_table_source(self, source: Any) -> Synthesizer:
        """Fit on a streamed or distributed table (``tabsynth.scan``); with a privacy unit,
        its first pass bounds each unit's rows as ``fit`` does in memory."""
        if not hasattr(self, "_fit_source"):
            from tabsynth.errors import EngineError

            raise EngineError(
                f"model {self.name!r} fits in-memory tables only. Fix: use the copula "
                "for tables larger than memory, or load the table (read_table) first."
            )
        self._check_unit_support()
        if self.schema.privacy_unit is not None:
            source.bound_units(self.schema, self._unit_key())
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
        scenario: Any = None,
        drift: list[str] | None = None,
        fair: Any = None,
    ) -> Any:
        """Draw ``n`` synthetic rows (post-processing: no privacy cost).

        Args:
            n: number of rows.
            seed: makes the draw reproducible; None draws fresh randomness.
            as_frame: "pandas" or "polars"; default: the type given to ``fit``.
            where: ``{column: value}``: sample from the model's conditional distribution.
            rebalance: ``{column: {value: share, ...}}`` or ``{column: "uniform"}``: the
                output holds each value in that share (each part drawn conditionally).
            scenario: a stress test, a name or a mapping with its parameters: "rare"
                (``{"name": "rare", "factor": 5, "below": 0.01}``: rows in a cell of a pair
                of columns below 1% of the model's distribution made 5 times as common) or
                "tails" (``{"name": "tails", "share": 0.05, "columns": [...]}``: rows in
                the outer 5% quantiles of numerical columns).
            fair: ``{"target": T, "protected": [A, ...]}`` (or ``"T:A,B"``): the target
                has the same distribution in every protected group (statistical parity);
                group shares and everything else given group and target are the model's.
            drift: shifted marginals, e.g. ``["age+5", "insurance=no:0.4"]``: numbers are
                moved (and clipped to the schema's bounds), one category gets a new share
                and the others keep their relative sizes.
        """
        from tabsynth.data import from_polars
        from tabsynth.sampling.draw import draw_rows

        self._check_is_fitted()
        if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0:
            raise SamplingError(f"n must be a non-negative integer, got {n!r}")
        if seed is None:
            seed = getattr(self, "seed_", None)
        rng = np.random.default_rng(seed)
        out, self.last_sample_report_ = draw_rows(
            self,
            int(n),
            rng,
            where=where,
            rebalance=rebalance,
            scenario=scenario,
            drift=drift,
            fair=fair,
        )
        if any(
            c.pii is not None and c.pii.policy.value == "generalize" for c in self.schema.columns
        ):
            from tabsynth.pii.policies import generalize

            out = generalize(out, self.schema)  # released as coarse as fitted (year, ZIP3)
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
        """Schema order, with derived columns computed from their sources and fresh ids for
        identifier columns that are not PII."""
        import polars as pl

        from tabsynth.schema.derived import derive

        out = derive(out, self.schema)
        cols = []
        for col in self.schema.columns:
            if col.name in out.columns:
                cols.append(out.get_column(col.name))
            elif col.kind == "identifier" and col.pii is None:
                width = max(6, len(str(n)))
                ids = pl.Series(col.name, np.arange(1, n + 1)).cast(pl.String).str.zfill(width)
                cols.append((col.prefix + ids).alias(col.name))
        return pl.DataFrame(cols)

    def marginal(self, column: str) -> dict[Any, float]:
        """The model's marginal distribution of a categorical column."""
        raise SamplingError(f"{self.name} does not report marginals yet")

    def _can_condition(self, columns: list[str]) -> bool:
        """Whether ``_sample(where=...)`` draws exactly given all of ``columns`` at once."""
        return len(columns) <= 1

    def _cell_domain(self, column: str) -> Any:
        """The public cells ``_joint`` counts ``column`` in."""
        from tabsynth.data.domain import build_domain

        return build_domain(self.schema.column(column))

    def _joint(self, columns: list[str]) -> np.ndarray | None:
        """The model's exact joint pmf of ``columns`` over their public cells (an array of
        their cell counts' shape), or None where it is known only through samples."""
        return None

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

    @abstractmethod
    def _check_state(self) -> None:
        """Raise ValueError when the loaded state's arrays do not fit the public schema
        (``load`` refuses the folder)."""

    @classmethod
    @abstractmethod
    def _from_state(
        cls, schema: Schema, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> Synthesizer: ...


def check_arrays(expected: dict[str, tuple[Any, tuple[int, ...]]]) -> None:
    """Each ``name: (array, shape)`` has exactly that shape and finite numbers only; the
    first that does not is a ValueError naming it (a loaded state is checked before use)."""
    for name, (arr, shape) in expected.items():
        a = np.asarray(arr)
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{name} holds {a.dtype} values, not numbers")
        if a.shape != shape:
            raise ValueError(f"{name} has shape {a.shape}; the schema implies {shape}")
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise ValueError(f"{name} holds non-finite values")
