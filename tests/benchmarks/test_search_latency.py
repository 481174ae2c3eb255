"""A short run of the text search benchmark at two store sizes."""

from tests.support.benchmarks import run_benchmark


def test_search_benchmark_reports_each_term_at_both_sizes() -> None:
    lines, figures = run_benchmark("benchmarks.search_latency", "--small", "300", "--large", "600", "--calls", "2")
    assert figures["stores"] == [300, 600]
    assert set(figures["terms"]) == {"invoice", "dentist 99", "in", "no such words"}
    for term in figures["terms"].values():
        assert term["small_p50_ms"] > 0 and term["large_p50_ms"] > 0 and term["ratio"] > 0
    assert any(line.startswith("invoice") for line in lines)
