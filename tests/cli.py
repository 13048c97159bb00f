"""Run the command line as a user would: a real subprocess with a wide, colourless terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 300
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tabsynth.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=full_env,
    )
