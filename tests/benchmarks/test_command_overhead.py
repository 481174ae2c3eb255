"""A short run of the process_command overhead benchmark."""

from tests.support.benchmarks import run_benchmark


def test_overhead_benchmark_reports_a_ratio() -> None:
    _, figures = run_benchmark("benchmarks.command_overhead", "--calls", "3", "--latency", "0.05")
    assert figures["direct_ollama"]["n"] == figures["process_command"]["n"] == 3
    assert figures["direct_ollama"]["p50_ms"] >= 50  # the fixed model latency is really there
    assert figures["ratio"]["p50_ms"] > 1
