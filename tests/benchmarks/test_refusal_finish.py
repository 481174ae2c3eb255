"""A short run of the refusal early-finish benchmark."""

from tests.support.benchmarks import run_benchmark
from tests.support.embedded import require_embedded


def test_refusal_benchmark_prints_both_engines_and_their_ratios() -> None:
    require_embedded()
    lines, figures = run_benchmark("benchmarks.refusal_finish", "--commands", "3", "--rounds", "1", timeout=300)
    assert any(line.startswith("early") for line in lines) and any(line.startswith("whole") for line in lines)
    assert figures["commands"] == 3 and set(figures["ratios"]) == {"p50_ms", "p99_ms", "tokens"}
    assert figures["runs"]["early"][0]["tokens"] < figures["runs"]["whole"][0]["tokens"]
