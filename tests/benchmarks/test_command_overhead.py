"""A short run of the process_command overhead benchmark, so its command keeps working."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_overhead_benchmark_reports_a_ratio() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.command_overhead", "--calls", "3", "--latency", "0.05"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["direct_ollama"]["n"] == figures["process_command"]["n"] == 3
    assert figures["direct_ollama"]["p50_ms"] >= 50  # the fixed model latency is really there
    assert figures["ratio"]["p50_ms"] > 1
