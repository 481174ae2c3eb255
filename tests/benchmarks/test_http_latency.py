"""A short run of the latency benchmark, so that the command in the README keeps working."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_benchmark_prints_a_table_and_figures() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.http_latency", "--clients", "2", "--calls", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].split() == ["scenario", "p50", "ms", "p95", "ms", "p99", "ms", "p50/base", "p99/base"]
    figures = json.loads(lines[-1])
    for scenario in ("baseline_noop", "create_task", "list_tasks"):
        assert figures[scenario]["n"] == 6
        assert 0 < figures[scenario]["p50_ms"] <= figures[scenario]["p99_ms"]
    assert figures["ratio_vs_baseline"]["create_task"]["p50_ms"] > 0
