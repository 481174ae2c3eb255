"""process_command over streamable HTTP (in-process through the HTTP stack): readiness follows the
model, progress streams live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import anyio
import httpx
import pytest

from harness.ollama_server import FakeOllama
from mcp_server.config import Settings
from mcp_server.observability.health import ComponentState
from tests.support.apps import wait_for_model
from tests.support.asgi import InProcessServer, serve_in_process

pytestmark = pytest.mark.anyio

CREATE = '{"action":"create_task","params":{"title":"Review PR #42","due":"Friday","priority":"high"}}'


@asynccontextmanager
async def serve_with(ollama: FakeOllama, settings: Settings, **overrides: Any) -> AsyncIterator[InProcessServer]:
    with_model = replace(settings, backend="ollama", ollama_host=ollama.host, model_timeout_s=5, **overrides)
    async with serve_in_process(with_model) as server:
        yield server


async def readyz(http: httpx.AsyncClient) -> httpx.Response:
    return await http.get("/readyz", timeout=2)


async def test_readyz_is_503_while_the_model_loads_and_tools_work(ollama: FakeOllama, http_settings: Settings) -> None:
    ollama.script.load_s = 2.0
    async with serve_with(ollama, http_settings) as server, server.http() as http:
        loading = await readyz(http)
        spec_loading = await http.get("/health")
        assert spec_loading.status_code == 503 and spec_loading.json()["is_ready"] is False
        assert spec_loading.json()["model_status"] == "loading"
        assert loading.status_code == 503
        assert loading.json()["status"] == "not_ready" and "model: loading task-api-prod" in loading.json()["reason"]
        async with server.mcp() as client:
            assert not (await client.call_tool("create_task", {"title": "while loading"})).is_error
            busy = await client.call_tool("process_command", {"command": "anything"})
            assert busy.is_error and "loading" in busy.content[0].text
        await wait_for_model(server.app, within_s=15)
        assert (await readyz(http)).status_code == 200
        spec_ready = await http.get("/health")
    assert spec_ready.status_code == 200 and spec_ready.json()["is_ready"] is True
    assert spec_ready.json()["model"] == "ollama"


async def test_store_readiness_takes_traffic_while_the_model_loads(ollama: FakeOllama, http_settings: Settings) -> None:
    """Replicas behind a load balancer: ready once the store answers; the model's state stays visible."""
    ollama.script.load_s = 2.0
    async with serve_with(ollama, http_settings, readiness="store") as server, server.http() as http:
        ready = await readyz(http)
        spec = await http.get("/health")
    assert ready.status_code == 200
    assert ready.json()["components"]["model"]["status"] == "loading"
    assert spec.status_code == 503 and spec.json()["model_status"] == "loading"


async def test_readyz_names_the_missing_model(ollama: FakeOllama, http_settings: Settings) -> None:
    ollama.script.models = {"some-other-model"}
    async with serve_with(ollama, http_settings) as server, server.http() as http:
        await wait_for_model(server.app, ComponentState.UNAVAILABLE)
        reason = (await readyz(http)).json()["reason"]
    assert "not found" in reason and "ollama create task-api-prod -f Modelfile" in reason


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_command_over_http_streams_progress(ollama: FakeOllama, http_settings: Settings, mode: str) -> None:
    ollama.script.answer("review pr", CREATE)
    ollama.script.token_delay_s = 0.02
    partials: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        partials.append(message or "")

    async with serve_with(ollama, http_settings) as server:
        await wait_for_model(server.app, within_s=15)
        async with server.mcp(mode=mode) as client:
            with anyio.fail_after(30):
                result = await client.call_tool(
                    "process_command",
                    {"command": "Create a task: review PR #42 by Friday, high priority"},
                    progress_callback=on_progress,
                )
    assert not result.is_error, result.content
    assert result.structured_content["result"]["title"] == "Review PR #42"
    assert len(partials) >= 5 and partials[-1] == CREATE
