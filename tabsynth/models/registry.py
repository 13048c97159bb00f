"""The model registry: models register by name; a model whose dependencies are heavy
(torch, opacus) is registered as a lazy "module:Class" path and imported only when asked
for, with an error naming the extra to install."""

from __future__ import annotations

import difflib
import importlib
from typing import Any

from tabsynth.errors import MissingExtraError, Problem, SchemaError

# --- registry -----------------------------------------------------------------------------
# name -> class, or a lazy ("module:Class", "extra") pair for models with heavy dependencies
_REGISTRY: dict[str, type[Any] | tuple[str, str]] = {}


def register_lazy(name: str, path: str, extra: str) -> None:
    """Register ``name`` as ``"module:Class"``, imported on first use (needs ``extra``)."""
    _REGISTRY[name] = (path, extra)


def register(cls: type[Any]) -> type[Any]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def available_models() -> list[str]:
    """Registered model names (lazy ones included)."""
    return sorted(_REGISTRY)


def model_name_problem(name: Any, where: str = "model") -> Problem | None:
    """A ``Problem`` naming the closest registered model when ``name`` is not one."""
    if isinstance(name, str) and name in _REGISTRY:
        return None
    close = difflib.get_close_matches(str(name), available_models(), n=1, cutoff=0.4)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Problem(where, f"unknown model {name!r}", f"{hint}use one of {available_models()}")


def get_model(name: str) -> type[Any]:
    """The model class registered as ``name``; imports lazy models on first use."""
    entry = _REGISTRY.get(name)
    if entry is None:
        raise SchemaError([model_name_problem(name)])  # type: ignore[list-item]
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
