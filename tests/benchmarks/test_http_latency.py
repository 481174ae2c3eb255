"""A short run of the latency benchmark."""

from tests.support.benchmarks import run_benchmark


def test_benchmark_prints_a_table_and_figures() -> None:
    lines, figures = run_benchmark("benchmarks.http_latency", "--clients", "2", "--calls", "3")
    assert lines[1].split() == ["scenario", "p50", "ms", "p95", "ms", "p99", "ms", "p50/base", "p99/base"]
    for scenario in ("baseline_noop", "create_task", "list_tasks"):
        assert figures[scenario]["n"] == 6
        assert 0 < figures[scenario]["p50_ms"] <= figures[scenario]["p99_ms"]
    assert figures["ratio_vs_baseline"]["create_task"]["p50_ms"] > 0
