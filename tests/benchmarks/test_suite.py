"""A short run of the whole benchmark suite, so that `python -m benchmarks` keeps working."""

from tests.support.benchmarks import run_benchmark


def test_suite_prints_every_scenario_its_targets_and_the_tool_list_size() -> None:
    lines, results = run_benchmark(
        "benchmarks",
        *("--clients", "2", "--calls", "3", "--small-store", "200", "--large-store", "2000"),
        *("--model-latency", "0.05", "--skip", "embedded"),
        timeout=300,
    )
    assert lines[1].split()[:3] == ["scenario", "n", "err"]
    scenarios = results["scenarios"]
    for name in (
        "baseline (no-op tool)",
        "create_task",
        "list_tasks",
        "delete_task",
        "list@10k",
        "list@100k",
        "model alone (ollama)",
        "command via ollama",
        "command via rules",
    ):
        assert scenarios[name]["n"] == 6 and scenarios[name]["errors"] == 0, name
        assert 0 < scenarios[name]["p50_ms"] <= scenarios[name]["p99_ms"]
    assert "command via embedded" not in scenarios
    assert results["tools_list"]["tools"] == 10 and results["tools_list"]["tokens_o200k"] > 100
    targets = {check["target"] for check in results["targets"]}
    assert {"list P99 on 100k / on 10k", "process_command P50 / model P50", "tools/list tokens (o200k)"} <= targets
    assert any(line.startswith("target ") for line in lines)
