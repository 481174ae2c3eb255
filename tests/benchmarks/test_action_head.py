"""A short run of the action-head benchmark."""

from tests.support.benchmarks import run_benchmark
from tests.support.embedded import require_embedded


def test_action_head_benchmark_scores_the_model_and_the_head_on_both_dev_sets() -> None:
    require_embedded()
    lines, figures = run_benchmark("benchmarks.action_head", "--train-every", "400", "--dev-limit", "4", timeout=300)
    assert set(figures["sets"]) == {"eval/dev.jsonl", "eval/hwu64-dev.jsonl"}
    assert 10 <= figures["training_commands"] <= 30
    for results in figures["sets"].values():
        assert set(results) == {"model", "head", "model, refusals overruled by the head"}
        for result in results.values():
            assert 0 <= result["action_accuracy"] <= 1 and result["destructive_misfires"] >= 0
    assert sum(line.startswith("eval/") for line in lines) == 6
