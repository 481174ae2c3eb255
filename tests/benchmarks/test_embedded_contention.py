"""A short run of the embedded-model contention benchmark (two commands at once per measurement)."""

from tests.support.benchmarks import run_benchmark
from tests.support.embedded import require_embedded


def test_contention_benchmark_prints_its_figures() -> None:
    require_embedded()
    lines, figures = run_benchmark(
        "benchmarks.embedded_contention",
        *("--calls", "2", "--concurrent", "2", "--old-threads", "1", "--new-threads", "1"),
        *("--new-shared-threads", "2", "--busy-threads", "1"),
        timeout=300,
    )
    assert any(line.startswith("old (1, shared 1)") for line in lines)
    assert any(line.startswith("new (1, shared 2)") for line in lines)
    assert figures["concurrent"] == 2 and figures["shared_threads"] == {"old": 1, "new": 2}
    for engine in figures["engines"].values():  # the two commands of a group were decoded together
        assert engine["peak_sequences"] == 2 and engine["shared_steps"] > 0
    for run in ("old_alone", "new_alone", "old_contended", "new_contended"):
        assert figures[run]["n"] == 2 and figures[run]["p50_ms"] > 0
    assert set(figures["ratios"]) >= {"old_contended_vs_alone", "new_contended_vs_alone", "new_vs_old_contended"}
