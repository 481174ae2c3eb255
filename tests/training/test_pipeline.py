"""`task-api-mcp train` end to end, small: data, a few steps on a few examples, export, the eval of
base and fine-tuned, the record; then the adapter it wrote runs in the embedded backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_server.app import build_embedded
from mcp_server.cli import main
from mcp_server.config import Settings
from mcp_server.nlu.llamacpp import TEST_MODEL_SHA256, sha256_of
from mcp_server.observability.health import ComponentState
from tests.support.waiting import load_ended

EVAL = Path(__file__).parents[2] / "eval"


@pytest.fixture(scope="module")
def trained(base_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train")
    subset = root / "subset.jsonl"
    typed = (EVAL / "test.jsonl").read_text().splitlines(keepends=True)[:2]
    human = (EVAL / "hwu64-dev.jsonl").read_text().splitlines(keepends=True)[:2]
    subset.write_text("".join(typed + human))
    args = [
        "train",
        "--work",
        str(root / "work"),
        "--out",
        str(root / "out"),
        "--examples",
        "24",
        "--human-refusals",
        "16",
        "--steps",
        "2",
        "--batch-size",
        "4",
        "--log-every",
        "1",
        "--held-out",
        *(str(EVAL / name) for name in ("dev.jsonl", "test.jsonl", "hwu64-dev.jsonl", "hwu64-test.jsonl")),
        "--eval-dataset",
        str(subset),
    ]
    main(args)
    (root / "args.json").write_text(json.dumps(args))
    return root


def test_the_record_says_what_was_trained_on_what(trained: Path) -> None:
    record = json.loads((trained / "out" / "training.json").read_text())
    adapter = trained / "out" / "task-api-lora.gguf"
    assert record["base"] == {"file": "SmolLM2-135M-Instruct.Q4_1.gguf", "sha256": TEST_MODEL_SHA256}
    assert record["adapter"]["sha256"] == sha256_of(adapter) and record["adapter"]["bytes"] == adapter.stat().st_size
    assert record["config"]["steps"] == 2 and record["config"]["examples"] == 24
    assert record["config"]["human_refusals"] == 16
    trained_on = [json.loads(line) for line in (trained / "work" / "train.jsonl").read_text().splitlines()]
    # HWU64's train part: every task request and a typed variant of each, 16 other requests; 24 composed.
    assert record["data"]["examples"] == len(trained_on) > 2000
    assert record["data"]["held_out_commands"] > 3000
    assert "add coffee to the grocery list" in {row["command"] for row in trained_on}
    assert record["run"]["first_loss"] > 0
    for model in ("base", "fine-tuned"):
        assert record["eval"][model]["n"] == 4 and record["eval"][model]["schema_valid_rate"] == 1.0


def test_a_second_run_with_the_same_config_reuses_the_trained_adapter(trained: Path) -> None:
    stamp = (trained / "work" / "trained.json").stat().st_mtime_ns
    args = json.loads((trained / "args.json").read_text())
    main([*args, "--no-eval"])
    assert (trained / "work" / "trained.json").stat().st_mtime_ns == stamp


@pytest.mark.anyio
async def test_the_exported_adapter_runs_in_the_embedded_backend(trained: Path) -> None:
    adapter = trained / "out" / "task-api-lora.gguf"
    parser = build_embedded(Settings(backend="llamacpp", adapter=str(adapter)))
    assert parser is not None and parser.adapter == adapter
    async with parser.running():
        await load_ended(parser.health)
        assert parser.health.state == ComponentState.READY, parser.health.detail
        assert "task-api-lora.gguf" in parser.health.detail
        outcome = await parser.parse("mark task 4 as done")
    assert outcome.parser == "llamacpp" and outcome.model == "SmolLM2-135M-Instruct.Q4_1.gguf+task-api-lora.gguf"


def test_train_reports_a_missing_held_out_set(base_gguf: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="held-out datasets not found"):
        main(["train", "--work", str(tmp_path), "--held-out", str(tmp_path / "nope.jsonl")])


def test_train_outside_the_repository_says_where_the_training_requests_should_be(
    base_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=r"the training requests are not at data/hwu64/hwu64_annotated\.jsonl"):
        main(["train", "--work", str(tmp_path), "--held-out", str(EVAL / "dev.jsonl")])


def test_train_help_lists_the_training_config(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert all(flag in out for flag in ("--steps", "--examples", "--seed", "--learning-rate", "--rank", "--device"))


def test_train_without_the_train_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "mcp_server.training.pipeline", None)  # as if its imports failed
    with pytest.raises(SystemExit, match="install the train extra"):
        main(["train"])
