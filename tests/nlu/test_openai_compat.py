"""The OpenAI-compatible backend against a test server speaking that API (as vLLM or llama-server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client

from harness.openai_server import FakeOpenAI
from mcp_server.app import App, open_app
from mcp_server.config import Settings
from mcp_server.nlu.actions import action_json_schema
from mcp_server.observability.health import ComponentState

pytestmark = pytest.mark.anyio
CREATE = '{"action":"create_task","params":{"title":"Review PR #42","due":"Friday","priority":"high"}}'


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


def settings(db_path: Path, base_url: str, **extra: object) -> Settings:
    return Settings(
        db=str(db_path),
        backend="openai",
        openai_base_url=base_url,
        model="task-api-prod",
        timezone="Europe/Paris",
        **extra,
    )  # type: ignore[arg-type]


async def wait(app: App, state: ComponentState) -> None:
    with anyio.fail_after(10):
        await app.health.model.wait_for(state)


async def test_command_through_mcp_with_schema_as_response_format(server: FakeOpenAI, db_path: Path) -> None:
    server.script.answer("review pr", CREATE)
    partials: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        partials.append(message or "")

    async with open_app(settings(db_path, server.base_url)) as app:
        await wait(app, ComponentState.READY)
        async with Client(app.server) as client:
            result = await client.call_tool(
                "process_command", {"command": "Create a task: review PR #42 by Friday"}, progress_callback=on_progress
            )
    assert not result.is_error, result.content[0].text
    assert result.structured_content["parser"] == "openai"
    assert result.structured_content["result"]["priority"] == "high"
    request = server.script.requests[-1]
    assert request["response_format"]["json_schema"]["schema"] == action_json_schema()
    assert request["stream"] is True and request["max_tokens"] == 256
    assert partials[-1] == CREATE


async def test_unknown_model_and_unreachable_server_are_explained(server: FakeOpenAI, db_path: Path) -> None:
    server.script.models = {"llama-3-8b"}
    async with open_app(settings(db_path, server.base_url)) as app:
        await wait(app, ComponentState.UNAVAILABLE)
        assert (
            "model task-api-prod is not served" in app.health.model.detail and "llama-3-8b" in app.health.model.detail
        )
    async with open_app(settings(db_path, "http://127.0.0.1:9/v1")) as app:
        await wait(app, ComponentState.UNAVAILABLE)
        assert "no OpenAI-compatible server reachable" in app.health.model.detail


async def test_rate_limited_server_is_a_busy_error(server: FakeOpenAI, db_path: Path) -> None:
    async with open_app(settings(db_path, server.base_url)) as app:
        await wait(app, ComponentState.READY)
        server.script.busy = True
        async with Client(app.server) as client:
            result = await client.call_tool("process_command", {"command": "anything"})
    assert result.is_error and "busy (429)" in result.content[0].text


async def test_stream_cut_mid_answer_fails_that_call_only(server: FakeOpenAI, db_path: Path) -> None:
    server.script.answer("review pr", CREATE)
    server.script.disconnect_after = 3
    async with open_app(settings(db_path, server.base_url)) as app:
        await wait(app, ComponentState.READY)
        async with Client(app.server) as client:
            cut = await client.call_tool("process_command", {"command": "Create a task: review PR #42 by Friday"})
            assert cut.is_error
            message = cut.content[0].text
            assert "broke mid-answer" in message and "RemoteProtocolError" in message, message
            assert "no OpenAI-compatible server reachable" not in message
            assert app.health.model.state == ComponentState.READY, app.health.model.detail
            assert app.health.model.snapshot()["errors"] == 1
            server.script.disconnect_after = None
            again = await client.call_tool("process_command", {"command": "Create a task: review PR #42 by Friday"})
    assert not again.is_error, again.content[0].text
    assert again.structured_content["result"]["title"] == "Review PR #42"
