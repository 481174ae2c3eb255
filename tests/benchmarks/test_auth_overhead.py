"""A short run of `benchmarks.auth_overhead`, so that it keeps working: every mode's calls succeed."""

from benchmarks.auth_overhead import CREDENTIALS, MODES
from benchmarks.suite import CRUD_TOOLS
from tests.support.benchmarks import run_benchmark


def test_every_mode_times_every_crud_tool() -> None:
    lines, results = run_benchmark(
        "benchmarks.auth_overhead", "--clients", "2", "--calls", "2", "--rounds", "1", timeout=300
    )
    assert lines[0].split()[0] == "tool"
    for tool in CRUD_TOOLS:
        row = results["tools"][tool]
        for mode in MODES:
            assert row[mode]["n"] == 4 and row[mode]["errors"] == 0, (tool, mode)
        assert all(row[f"{mode}_p50_ratio"] > 0 for mode in CREDENTIALS)
