"""SDV's synthesizer interface over tabsynth's DP models, for code written for SDV.

    # from sdv.single_table import GaussianCopulaSynthesizer
    from tabsynth.sdv import GaussianCopulaSynthesizer

    synth = GaussianCopulaSynthesizer(metadata, schema="reviewed.schema.yaml", epsilon=1.0)
    synth.fit(df)                      # or synth.fit({"table": df}), as SDV 2 takes it
    synthetic = synth.sample(num_rows=1000)
    synth.save("model/")               # a folder of JSON and arrays, never a pickle
    synth = GaussianCopulaSynthesizer.load("model/")

``metadata`` is SDV's (a ``Metadata`` object, its dict, or its JSON file). SDV's metadata holds
no public domains (SDV 2 fills its ``range_*`` fields from the data), so pass the reviewed
tabsynth ``schema``; without one, the schema drafted from the metadata is NOT FOR RELEASE and
``fit`` refuses it unless ``allow_draft=True`` (for trying things out). SDV itself is not
imported (it is BUSL-1.1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tabsynth.errors import Problem, SchemaError


def _metadata_dict(metadata: Any) -> dict[str, Any]:
    if isinstance(metadata, dict):
        return metadata
    if isinstance(metadata, str | Path):
        import json

        return json.loads(Path(metadata).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    if hasattr(metadata, "to_dict"):
        return metadata.to_dict()  # type: ignore[no-any-return]
    raise TypeError(f"metadata must be SDV Metadata, a dict or a JSON path, got {type(metadata)}")


def _single_table(data: Any) -> Any:
    """SDV 2 passes ``{table_name: df}``; SDV 1 a DataFrame."""
    if isinstance(data, dict):
        if len(data) != 1:
            raise ValueError(f"one table expected, got {len(data)}: {sorted(data)}")
        return next(iter(data.values()))
    return data


class DPSynthesizer:
    """A DP model behind SDV's ``fit`` / ``sample`` / ``save`` / ``load``."""

    model_name = "copula"

    def __init__(
        self,
        metadata: Any = None,
        *,
        schema: Any = None,
        epsilon: float = 1.0,
        delta: float = 1e-6,
        allow_draft: bool = False,
        dataset: str | None = None,
        ledger: str | Path | None = None,
        **options: Any,
    ) -> None:
        if metadata is None and schema is None:
            raise SchemaError(
                [
                    Problem(
                        "metadata",
                        "neither SDV metadata nor a schema was given",
                        "pass schema='reviewed.schema.yaml' (or SDV's metadata)",
                    )
                ]  # fmt: skip
            )
        self.metadata = metadata
        self.schema = schema
        self.epsilon, self.delta = epsilon, delta
        self.allow_draft, self.dataset, self.ledger = allow_draft, dataset, ledger
        self.options = options
        self._model: Any = None

    def _schema_for(self, df: Any) -> Any:
        from tabsynth.api import _as_schema
        from tabsynth.schema.sdv import from_sdv

        if self.schema is not None:
            return _as_schema(self.schema)
        drafted, _ = from_sdv(_metadata_dict(self.metadata), data=df)
        if not self.allow_draft:
            raise SchemaError(
                [
                    Problem(
                        "schema",
                        "only SDV metadata was given: its domains are read from the data "
                        "(SDV detects them), which is not differentially private",
                        "write a reviewed schema (`tabsynth schema from-sdv metadata.json -o "
                        "schema.yaml`, then review it) and pass schema=..., or "
                        "allow_draft=True to try it (NOT FOR RELEASE)",
                    )
                ]
            )
        from tabsynth.schema.model import Schema

        return Schema.from_dict(drafted)

    def fit(self, data: Any) -> None:
        """Fit the DP model on a DataFrame (or SDV 2's ``{table_name: df}``)."""
        import tabsynth

        df = _single_table(data)
        self._model = tabsynth.fit(
            df,
            self._schema_for(df),
            self.model_name,
            epsilon=self.epsilon,
            delta=self.delta,
            allow_draft=self.allow_draft,
            dataset=self.dataset,
            ledger=self.ledger,
            **self.options,
        )

    def sample(self, num_rows: int, *, seed: int | None = None, **_: Any) -> Any:
        """``num_rows`` synthetic rows (post-processing: no privacy cost)."""
        return self._fitted().sample(int(num_rows), seed=seed)

    @property
    def privacy(self) -> Any:
        """The fitted model's guarantee (``PrivacyInfo``)."""
        return self._fitted().privacy

    def get_metadata(self) -> dict[str, Any]:
        """SDV metadata of the fitted model's schema."""
        from tabsynth.schema.sdv import to_sdv

        return to_sdv(self._fitted().schema)

    def save(self, filepath: str | Path) -> None:
        """Save as a tabsynth model folder (JSON and arrays, hashed; never a pickle)."""
        self._fitted().save(filepath)

    @classmethod
    def load(cls, filepath: str | Path) -> DPSynthesizer:
        """A synthesizer around a saved model folder."""
        import tabsynth

        model = tabsynth.load(filepath)
        out = cls(schema=model.schema)
        out._model = model
        return out

    def _fitted(self) -> Any:
        if self._model is None:
            from tabsynth.errors import NotFittedError

            raise NotFittedError("call fit(data) first")
        return self._model


class GaussianCopulaSynthesizer(DPSynthesizer):
    """tabsynth's DP copula with SDV's interface."""

    model_name = "copula"


class CTGANSynthesizer(DPSynthesizer):
    """tabsynth's DP-CTGAN with SDV's interface (``epochs``, ``batch_size`` as options)."""

    model_name = "ctgan"
