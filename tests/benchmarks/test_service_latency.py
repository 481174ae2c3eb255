"""A short run of the auth on/off service benchmark, so its command keeps working."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_service_benchmark_reports_auth_ratios() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.service_latency", "--clients", "2", "--calls", "2", "--latency", "0.02"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    for mode in ("auth_off", "auth_on"):
        assert figures[mode]["rest_task"]["n"] == figures[mode]["mcp_create_task"]["n"] == 4
    assert figures["ratio_on_off"]["rest_task"]["p50_ms"] > 0
