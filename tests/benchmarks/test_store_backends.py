"""A short run of the PostgreSQL-versus-SQLite benchmark."""

from tests.support.benchmarks import run_benchmark


def test_benchmark_prints_both_stores_and_their_ratio() -> None:
    lines, figures = run_benchmark("benchmarks.store_backends", "--clients", "2", "--calls", "3", "--rounds", "1")
    assert lines[1].split()[:3] == ["store", "scenario", "p50"]
    for store in ("sqlite", "postgres"):
        for scenario in ("create_task", "list_tasks"):
            assert figures[store][scenario]["n"] == 6
            assert 0 < figures[store][scenario]["p50_ms"] <= figures[store][scenario]["p99_ms"]
    assert figures["ratio_postgres_vs_sqlite"]["create_task"]["p50_ms"] > 0
