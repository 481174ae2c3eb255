"""A short run of the merged-adapter benchmark."""

from pathlib import Path

from tests.support.benchmarks import run_benchmark
from tests.support.embedded import require_embedded


def test_merged_adapter_benchmark_prints_each_model_and_the_ratios(tmp_path: Path) -> None:
    require_embedded()
    lines, figures = run_benchmark(
        "benchmarks.merged_adapter",
        *("--quants", "q8_0", "--commands", "2", "--rounds", "1", "--together", "2", "--tokens", "4"),
        *("--threads", "1", "--cache", str(tmp_path)),
        timeout=300,
    )
    assert any(line.startswith("runtime") for line in lines) and any(line.startswith("q8_0") for line in lines)
    assert figures["commands"] == 2 and set(figures["runs"]) == {"runtime", "q8_0"}
    assert set(figures["ratios"]) == {"q8_0"} and figures["ratios"]["q8_0"]["ms_per_token"] > 0
    assert figures["answers_differ"] == {"runtime": 0, "q8_0": 0}
    assert len(list(tmp_path.glob("*.q8_0.*.gguf"))) == 1  # the merged file, cached where it was told
