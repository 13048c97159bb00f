"""The folder tree is the data flow (DESIGN.md): no import circle between files, stages import
only what lies below them, and no module or function grows past what one reader can hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.layout import cycles, graph, long_functions, modules

ROOT = Path(__file__).resolve().parents[2] / "tabsynth"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

# what sits above the Python API: nothing below it may import these
ABOVE_API = ("tabsynth", "tabsynth.api", "tabsynth.pipeline", "tabsynth.cli", "tabsynth.audit",
             "tabsynth.stress", "tabsynth.releases", "tabsynth.sdv")  # fmt: skip
# (stage, stages it must not import): DESIGN.md's arrows, and the rooms of issue #20
FORBIDDEN = {
    "tabsynth.privacy": ("tabsynth.models", "tabsynth.sampling", "tabsynth.evaluation"),
    "tabsynth.sampling": ("tabsynth.models", "tabsynth.artifacts", "tabsynth.evaluation"),
    "tabsynth.schema": ("tabsynth.data", "tabsynth.models", "tabsynth.privacy"),
    "tabsynth.data": ("tabsynth.models", "tabsynth.privacy", "tabsynth.evaluation"),
    "tabsynth.evaluation": ("tabsynth.models",),
    "tabsynth.report": ("tabsynth.models", "tabsynth.evaluation", "tabsynth.data"),
}


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _above(module: str) -> bool:
    return module == "tabsynth" or any(_under(module, a) for a in ABOVE_API[1:])


def _violations(edges: dict[str, set[str]]) -> list[str]:
    out = []
    for src, targets in sorted(edges.items()):
        for dst in sorted(targets):
            if _above(dst) and not _above(src):
                out.append(f"{src} imports {dst}, which sits above the API")
            for stage, banned in FORBIDDEN.items():
                if _under(src, stage) and any(_under(dst, b) for b in banned):
                    out.append(f"{src} imports {dst}")
    return out


def test_no_import_circle_between_files():
    found = cycles(graph(ROOT))
    assert not found, "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_stages_import_only_what_lies_below_them():
    assert not _violations(graph(ROOT))


def test_module_and_function_sizes():
    too_long = []
    for name, path in modules(ROOT).items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_MODULE_LINES:
            too_long.append(f"{name}: {n} lines")
        too_long += [f"{name}.{f}: {k} lines" for f, k in long_functions(path, MAX_FUNCTION_LINES)]
    assert not too_long, f"over {MAX_MODULE_LINES} per module / {MAX_FUNCTION_LINES} per function"


# --- the checks have teeth ----------------------------------------------------------------
def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "tabsynth"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


TC = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"


def test_a_lazy_circle_is_found_and_a_typing_only_import_is_not(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "def f():\n    from tabsynth.b import g\n",
            "b.py": "from . import c\n",
            "c.py": TC + "    from tabsynth import b\ndef h():\n    import tabsynth.a\n",
            "d.py": TC + "    from tabsynth import e\n",
            "e.py": "from tabsynth import d\n",
        },
    )
    assert cycles(graph(root)) == [["tabsynth.a", "tabsynth.b", "tabsynth.c"]]


def test_an_upward_import_is_found(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "api.py": "",
            "privacy/__init__.py": "",
            "privacy/x.py": "def f():\n    from tabsynth.models.base import S\n",
            "evaluation/__init__.py": "from tabsynth.api import fit\n",
            "models/__init__.py": "",
            "models/base.py": "",
        },
    )
    assert _violations(graph(root)) == [
        "tabsynth.evaluation imports tabsynth.api, which sits above the API",
        "tabsynth.privacy.x imports tabsynth.models.base",
    ]


@pytest.mark.parametrize("limit, expected", [(3, [("f", 4)]), (4, [])])
def test_long_functions_are_measured_with_their_decorators(tmp_path, limit, expected):
    path = tmp_path / "m.py"
    path.write_text("@dec\ndef f():\n    x = 1\n    return x\n")
    assert long_functions(path, limit) == expected
