"""The few functions most users need: fit a model from a schema, load a saved one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tabsynth.errors import PrivacyError
from tabsynth.models.base import Synthesizer
from tabsynth.models.registry import get_model
from tabsynth.schema.model import Schema


def _as_schema(schema: Schema | str | Path | dict[str, Any]) -> Schema:
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, dict):
        return Schema.from_dict(schema)
    return Schema.from_yaml(schema)


def fit(
    data: Any,
    schema: Schema | str | Path | dict[str, Any],
    model: str | None = None,
    *,
    epsilon: float | None | str = "schema",
    delta: float | str = "schema",
    seed: int | None = None,
    reproducible_noise: bool = False,
    verbose: bool = False,
    dataset: str | None = None,
    ledger: str | Path | None = None,
    allow_draft: bool = False,
    ledger_details: dict[str, Any] | None = None,
    **options: Any,
) -> Synthesizer:
    """Fit a synthesizer on ``data`` under the public ``schema``.

    Args:
        data: a pandas or polars DataFrame (samples come back as the same type).
        schema: a Schema, a path to a YAML/JSON schema, or a dict.
        model: a registered model name; default: the schema's ``model``.
        epsilon: total epsilon; ``None`` fits without DP (labelled so everywhere); default:
            the schema's.
        delta: total delta; default: the schema's.
        seed: default seed of ``model.sample`` (sampling is post-processing). It never seeds
            the privacy noise unless ``reproducible_noise`` is set.
        reproducible_noise: derive the fit-time privacy noise from ``seed``. For tests only:
            the model is then marked NOT FOR RELEASE.
        verbose: show progress.
        dataset: charge the fit to this dataset's budget in the privacy ledger: the cap is
            checked and the cost reserved before fitting, the actual spend recorded after;
            a fit over the cap raises ``BudgetExceededError`` and records nothing.
        ledger: the ledger file (default ``$TABSYNTH_LEDGER`` or ``~/.tabsynth``).
        allow_draft: fit a schema drafted from the data (``inferred_from_data: true``),
            which is refused by default; the model is then NOT FOR RELEASE everywhere.
        ledger_details: public facts recorded with the ledger entry (e.g. the release and
            version this fit is for); only with ``dataset``.
        **options: model options (e.g. ``bins=64`` for the copula).

    Returns:
        The fitted model; ``model.privacy`` states its guarantee.
    """
    schema = _as_schema(schema)
    if reproducible_noise and seed is None:
        raise PrivacyError(
            "reproducible_noise=True needs a seed. Fix: pass seed=<int>, or "
            "leave reproducible_noise off (the default, and the only releasable "
            "setting)."
        )
    cls = get_model(model or schema.model)
    synth = cls(
        schema,
        epsilon=epsilon,
        delta=delta,
        reproducible_noise_seed=seed if reproducible_noise else None,
        verbose=verbose,
        allow_draft=allow_draft,
        **options,
    )
    # the sampling seed; models that train networks also seed their initialisation from it
    synth.seed_ = seed if seed is not None else schema.seed  # type: ignore[attr-defined]
    if dataset is None:
        synth.fit(data)
    else:
        _fit_charged(
            synth,
            data,
            dataset,
            ledger,
            seed if seed is not None else schema.seed,
            ledger_details or {},
        )
    synth.seed_ = seed if seed is not None else schema.seed  # type: ignore[attr-defined]
    return synth


def _fit_charged(
    synth: Synthesizer,
    data: Any,
    dataset: str,
    path: str | Path | None,
    seed: int | None,
    extra: dict[str, Any],
) -> None:
    """Check and reserve the budget, fit, then record the actual spend (or cancel)."""
    from tabsynth.privacy.ledger import Cost, Ledger

    synth._check_draft()  # type: ignore[attr-defined]  # refused before anything is reserved
    book = Ledger(path)
    if book.created:
        import warnings

        warnings.warn(
            f"created the ledger {_redact(book.location)} (there was none at that path)",
            UserWarning,
            stacklevel=3,
        )
    planned = synth.planned_cost()
    details = {**extra, "model": synth.name, "schema_hash": synth.schema.hash()}
    reservation = book.reserve(dataset, Cost(**planned), **details)
    try:
        synth.fit(data)
    except BaseException as exc:
        _settle_failed(book, dataset, reservation, synth, exc, details)
        raise
    p = synth.privacy
    cost = Cost(
        epsilon=float(p.epsilon or 0.0),
        delta=float(p.delta or 0.0),
        rho=p.rho,
        delta_approx=sum(m.delta for m in p.mechanisms),
    )
    entry = book.commit(
        dataset,
        reservation,
        cost,
        **details,
        data_fingerprint=getattr(synth, "data_fingerprint_", None),
        accountant=p.accountant,
        neighbouring=p.neighbouring,
        noise=p.noise_source,
        releasable=p.releasable,
        withheld=list(p.withheld),
        sampling_seed=seed,
        noise_seed=synth.reproducible_noise_seed,
        mechanisms=[
            {
                "name": m.name,
                "sensitivity": m.sensitivity,
                "sigma": m.sigma,
                "rho": m.rho,
                "delta": m.delta,
            }
            for m in p.mechanisms
        ],
        ledger=_redact(book.location),
    )
    synth._ledger_location = book.location  # type: ignore[attr-defined]  # not serialised
    synth.ledger_entry_ = {  # type: ignore[attr-defined]
        "dataset": dataset,
        "entry": entry,
        "ledger": _redact(book.location),
    }


def _settle_failed(
    book: Any,
    dataset: str,
    reservation: int,
    synth: Synthesizer,
    exc: BaseException,
    details: dict[str, Any],
) -> None:
    """A failed fit is refunded only when no private measurement ran; otherwise its noisy
    values may have left the process (a message, a progress bar), so it is charged for the
    measurements that ran."""
    from tabsynth.privacy.ledger import Cost

    reason = f"fit failed: {type(exc).__name__}"
    spent = synth.spent_cost()
    if spent is None:
        book.cancel(dataset, reservation, reason=reason)
        return
    book.commit(
        dataset,
        reservation,
        Cost(**spent),
        **details,
        failed=True,
        reason=reason + " after private measurements; charged for those that ran",
        mechanisms=[e["mechanism"] for e in getattr(synth, "spent_", [])],
        releasable=False,
    )


def load(path: str | Path) -> Synthesizer:
    """Load a model saved with ``model.save(path)`` (no pickle; altered files are refused)."""
    from tabsynth.artifacts import load_model

    return load_model(path)  # type: ignore[no-any-return]


def _redact(location: str) -> str:
    """A ledger location fit for records: any password in a URL is masked."""
    from tabsynth._io import redact

    return redact(location)
