"""A short run of the start-up benchmark."""

from tests.support.benchmarks import run_benchmark


def test_startup_benchmark_prints_its_figures() -> None:
    lines, figures = run_benchmark("benchmarks.startup", "--runs", "1", timeout=120)
    assert lines[0].startswith("scenario")
    assert set(figures) == {
        "python -c pass",
        "import mcp.server.mcpserver",
        "task-api-mcp --version",
        "stdio initialize answered",
    }
    assert all(figure["n"] == 1 and figure["p50_s"] > 0 for figure in figures.values())
