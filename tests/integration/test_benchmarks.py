"""The benchmark's smoke run (`benchmarks/run.py --quick`) end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_benchmark_writes_json_and_markdown_with_every_metric(tmp_path):
    pytest.importorskip("sdv")
    res = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    saved = json.loads((tmp_path / "results" / "quick.json").read_text())
    systems = saved["results"]["health_insurance"]["systems"]
    assert {"tabsynth copula eps=1.0", "tabsynth ctgan eps=1.0", "SDV GaussianCopula (non-DP)",
            "SDV CTGAN (non-DP, 2 epochs)"} <= set(systems)  # fmt: skip
    for label, r in systems.items():
        assert "error" not in r, (label, r)
        assert 0 < r["quality"] <= 1 and 0 <= r["three_way_tvd"] <= 1, label
        assert 0 <= r["mia_auc"] <= 1 and r["fit_s"] > 0 and r["peak_mb"] >= 0, label
    assert systems["tabsynth copula eps=1.0"]["epsilon_spent"] <= 1.0
    assert not (tmp_path / "results" / "quick.partial.json").exists()
    md = (tmp_path / "RESULTS.quick.md").read_text()
    assert "| tabsynth copula eps=1.0 |" in md and "3-way TVD" in md and "MIA AUC" in md
