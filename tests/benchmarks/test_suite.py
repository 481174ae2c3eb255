"""A short run of the whole benchmark suite, so that `python -m benchmarks` keeps working."""

from benchmarks.suite import Load
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
        "batch of 50 creates",
        "5 single creates",
    ):
        assert scenarios[name]["n"] == 6 and scenarios[name]["errors"] == 0, name
        assert 0 < scenarios[name]["p50_ms"] <= scenarios[name]["p99_ms"]
    assert "command via embedded" not in scenarios
    assert results["tools_list"]["tools"] == 10 and results["tools_list"]["tokens_o200k"] > 100
    filters = results["list_filters"]
    assert {"list": "work", "status": "open"} in filters
    assert any(isinstance(f.get("parent_id"), int) for f in filters)
    ratio = results["batch_vs_single"]
    assert ratio["p50_ratio"] > 0 and ratio["p99_ratio"] > 0
    assert any(line.startswith("batch of 50 creates / 5 single creates: P50 ") for line in lines)
    targets = {check["target"]: check for check in results["targets"]}
    assert {
        "list P99 on 100k / on 10k",
        "process_command P50 / model P50",
        "tools/list tokens (o200k)",
        "batch of 50 creates / 5 single creates (P50)",
    } <= set(targets)
    assert targets["tools/list tokens (o200k)"]["limit"] == 4500
    assert targets["batch of 50 creates / 5 single creates (P50)"]["limit"] == 1.0
    assert any(line.startswith("target ") for line in lines)


def test_rounds_add_up_to_the_load_they_cut() -> None:
    assert [load.calls for load in Load(10, 30, None).rounds(3)] == [10, 10, 10]
    assert [load.calls for load in Load(2, 4, None).rounds(3)] == [2, 1, 1]
    assert [load.calls for load in Load(2, 2, None).rounds(3)] == [1, 1]
    assert [load.duration for load in Load(2, 30, 6.0).rounds(3)] == [2.0, 2.0, 2.0]
