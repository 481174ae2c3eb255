"""A short run of the forced-decoding benchmark."""

from tests.support.benchmarks import run_benchmark
from tests.support.embedded import require_embedded


def test_forced_decoding_benchmark_prints_both_engines_and_their_ratios() -> None:
    require_embedded()
    lines, figures = run_benchmark(
        "benchmarks.forced_decoding", "--commands", "4", "--rounds", "1", "--together", "2", timeout=300
    )
    assert any(line.startswith("forced") for line in lines) and any(line.startswith("sampled") for line in lines)
    assert figures["commands"] == 4 and set(figures["ratios"]) == {"1", "2"}
    forced, sampled = figures["runs"]["forced"][0]["1"], figures["runs"]["sampled"][0]["1"]
    assert forced["sampled"] < sampled["sampled"] and forced["appended"] > 0 == sampled["appended"]
