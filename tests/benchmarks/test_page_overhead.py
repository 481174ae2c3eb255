"""A short run of `benchmarks.page_overhead`, so that it keeps working: the pages open their
streams, and every tool's calls succeed with and without them."""

from benchmarks.page_overhead import MODES
from benchmarks.suite import CRUD_TOOLS
from tests.support.benchmarks import run_benchmark


def test_both_modes_time_every_crud_tool() -> None:
    lines, results = run_benchmark(
        "benchmarks.page_overhead", "--clients", "2", "--calls", "2", "--rounds", "2", "--pages", "3", timeout=300
    )
    assert lines[0].split()[0] == "tool" and results["pages"] == 3
    for tool in CRUD_TOOLS:
        row = results["tools"][tool]
        for mode in MODES:
            assert row[mode]["n"] == 8 and row[mode]["errors"] == 0, (tool, mode)
        assert row["p50_ratio"] > 0 and row["p99_ratio"] > 0
