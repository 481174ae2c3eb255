"""A short run of the auth on/off service benchmark."""

from tests.support.benchmarks import run_benchmark


def test_service_benchmark_reports_auth_ratios() -> None:
    _, figures = run_benchmark("benchmarks.service_latency", "--clients", "2", "--calls", "2", "--latency", "0.02")
    for mode in ("auth_off", "auth_on"):
        assert figures[mode]["rest_task"]["n"] == figures[mode]["mcp_create_task"]["n"] == 4
    assert figures["ratio_on_off"]["rest_task"]["p50_ms"] > 0
