"""process_command over real streamable HTTP: readiness follows the model, progress streams live."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client

from harness.ollama_server import FakeOllama
from harness.servers import HttpServer, start_http_server

pytestmark = pytest.mark.anyio

CREATE = '{"action":"create_task","params":{"title":"Review PR #42","due":"Friday","priority":"high"}}'


def serve_with(ollama: FakeOllama, db_path: Path, tmp_path: Path) -> HttpServer:
    return start_http_server(
        db_path, tmp_path / "server.log", "--backend", "ollama", "--ollama-host", ollama.host, "--model-timeout", "5"
    )


async def readyz(server: HttpServer) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(f"{server.base_url}/readyz", timeout=2)


async def wait_ready(server: HttpServer) -> httpx.Response:
    with anyio.move_on_after(15):
        while (response := await readyz(server)).status_code != 200:  # noqa: ASYNC110 - polling a process
            await anyio.sleep(0.05)
    return response


async def test_readyz_is_503_while_the_model_loads_and_tools_work(
    ollama: FakeOllama, db_path: Path, tmp_path: Path
) -> None:
    ollama.script.load_s = 2.0
    server = serve_with(ollama, db_path, tmp_path)
    try:
        loading = await readyz(server)
        async with httpx.AsyncClient() as http:
            spec_loading = await http.get(f"{server.base_url}/health")
        assert spec_loading.status_code == 503 and spec_loading.json()["is_ready"] is False
        assert spec_loading.json()["model_status"] == "loading"
        assert loading.status_code == 503
        assert loading.json()["status"] == "not_ready" and "model: loading task-api-prod" in loading.json()["reason"]
        async with Client(server.mcp_url) as client:
            assert not (await client.call_tool("create_task", {"title": "while loading"})).is_error
            busy = await client.call_tool("process_command", {"command": "anything"})
            assert busy.is_error and "loading" in busy.content[0].text
        assert (await wait_ready(server)).status_code == 200
        async with httpx.AsyncClient() as http:
            spec_ready = await http.get(f"{server.base_url}/health")
        assert spec_ready.status_code == 200 and spec_ready.json()["is_ready"] is True
        assert spec_ready.json()["model"] == "ollama"
    finally:
        server.stop()


async def test_store_readiness_takes_traffic_while_the_model_loads(
    ollama: FakeOllama, db_path: Path, tmp_path: Path
) -> None:
    """Replicas behind a load balancer: ready once the store answers; the model's state stays visible."""
    ollama.script.load_s = 2.0
    server = start_http_server(
        db_path, tmp_path / "server.log", "--backend", "ollama", "--ollama-host", ollama.host, "--readiness", "store"
    )
    try:
        ready = await readyz(server)
        assert ready.status_code == 200
        assert ready.json()["components"]["model"]["status"] == "loading"
        async with httpx.AsyncClient() as http:
            spec = await http.get(f"{server.base_url}/health")
        assert spec.status_code == 503 and spec.json()["model_status"] == "loading"
    finally:
        server.stop()


async def test_readyz_names_the_missing_model(ollama: FakeOllama, db_path: Path, tmp_path: Path) -> None:
    ollama.script.models = {"some-other-model"}
    server = serve_with(ollama, db_path, tmp_path)
    try:
        with anyio.fail_after(10):
            while "not found" not in (reason := (await readyz(server)).json().get("reason", "")):  # noqa: ASYNC110
                await anyio.sleep(0.05)
        assert "ollama create task-api-prod -f Modelfile" in reason
    finally:
        server.stop()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_command_over_http_streams_progress(ollama: FakeOllama, db_path: Path, tmp_path: Path, mode: str) -> None:
    ollama.script.answer("review pr", CREATE)
    ollama.script.token_delay_s = 0.02
    server = serve_with(ollama, db_path, tmp_path)
    partials: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        partials.append(message or "")

    try:
        assert (await wait_ready(server)).status_code == 200
        async with Client(server.mcp_url, mode=mode) as client:
            with anyio.fail_after(30):
                result = await client.call_tool(
                    "process_command",
                    {"command": "Create a task: review PR #42 by Friday, high priority"},
                    progress_callback=on_progress,
                )
    finally:
        server.stop()
    assert not result.is_error, result.content
    assert result.structured_content["result"]["title"] == "Review PR #42"
    assert len(partials) >= 5 and partials[-1] == CREATE
