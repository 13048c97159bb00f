"""A stress set declared in a file, so that a test suite can regenerate it exactly:

```yaml
scenario: {name: rare, factor: 5, below: 0.01}   # or tails, or a name alone
fixed: {region: west}                            # conditions (like --where)
shifts: ["age+5", "insurance=no:0.4"]            # drift (like --drift)
seed: 7
```

``stress_options(path)`` gives the keyword arguments of ``model.sample``; every problem in
the file is named at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tabsynth.errors import SamplingError
from tabsynth.sampling.scenarios import parse_scenario

KEYS = {"scenario": "scenario", "fixed": "where", "shifts": "drift", "seed": "seed"}


def stress_options(path: str | Path) -> dict[str, Any]:
    """``{"scenario": ..., "where": ..., "drift": ..., "seed": ...}`` from a YAML file."""
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise SamplingError(f"cannot read the scenario file {p}: {err}") from None
    if not isinstance(data, dict):
        raise SamplingError(f"{p}: a scenario file is a mapping with keys {sorted(KEYS)}")
    problems = [f"unknown key {k!r}" for k in data if k not in KEYS]
    if "fixed" in data and not isinstance(data["fixed"], dict):
        problems.append("fixed: a mapping {column: value}")
    if "shifts" in data and not (
        isinstance(data["shifts"], list) and all(isinstance(x, str) for x in data["shifts"])
    ):
        problems.append('shifts: a list such as ["age+5", "insurance=no:0.4"]')
    if "seed" in data and not (isinstance(data["seed"], int) and data["seed"] >= 0):
        problems.append("seed: a non-negative integer")
    if "scenario" in data:
        try:
            parse_scenario(data["scenario"])
        except SamplingError as err:
            problems.append(str(err))
    if problems:
        raise SamplingError(f"{p}: " + "; ".join(problems) + f". Keys: {sorted(KEYS)}")
    return {KEYS[k]: v for k, v in data.items()}
