"""Short runs of the benchmark commands, so that the commands in the README keep working."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]


def run_benchmark(module: str, *args: str, timeout: float = 180) -> tuple[list[str], dict[str, Any]]:
    """Run `python -m module args...` from the repository root: its output lines and the final JSON."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    return lines, json.loads(lines[-1])
