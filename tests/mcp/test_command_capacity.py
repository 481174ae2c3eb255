"""process_command against engines of different capacity, on the default settings, through the real
mcp client and a test server speaking Ollama's API: an engine that serves every request at once gets
ten commands at once; one that serves two and answers 503 to the rest (Ollama with
OLLAMA_NUM_PARALLEL=2 and no queue) has each command either done or refused as busy within its
timeout, and the store holds exactly the tasks of the commands that were done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client

from harness.ollama_server import FakeOllama
from mcp_server.app import open_app
from tests.support.apps import settings_for, wait_for_model

pytestmark = pytest.mark.anyio

COMMANDS = 10


def script_errands(ollama: FakeOllama) -> None:
    for n in range(COMMANDS):
        ollama.script.answer(f"errand {n}:", json.dumps({"action": "create_task", "params": {"title": f"Errand {n}"}}))


async def all_at_once(client: Client) -> dict[int, types.CallToolResult]:
    results: dict[int, types.CallToolResult] = {}

    async def one(n: int) -> None:
        results[n] = await client.call_tool("process_command", {"command": f"errand {n}: do it"})

    async with anyio.create_task_group() as group:
        for n in range(COMMANDS):
            group.start_soon(one, n)
    return results


async def test_an_engine_that_serves_everyone_at_once_gets_every_command_at_once(
    db_path: Path, ollama: FakeOllama
) -> None:
    script_errands(ollama)
    ollama.script.latency_s = 0.25
    async with open_app(settings_for(db_path, ollama)) as app:
        await wait_for_model(app)
        async with Client(app.server) as client:
            results = await all_at_once(client)
        model = app.health.model.snapshot()
    assert not any(result.is_error for result in results.values())
    assert ollama.script.peak_parallel == COMMANDS  # none waited in this server's queue
    assert model["backends"]["ollama"]["concurrency_limit"] >= COMMANDS


async def test_an_engine_that_serves_two_and_refuses_the_rest_loses_nothing(db_path: Path, ollama: FakeOllama) -> None:
    script_errands(ollama)
    ollama.script.latency_s = 0.1
    ollama.script.parallel, ollama.script.max_queue = 2, 0
    timeout_s = 5.0
    async with open_app(settings_for(db_path, ollama, model_timeout_s=timeout_s)) as app:
        await wait_for_model(app)
        async with Client(app.server) as client:
            with anyio.fail_after(timeout_s * 2):  # a retry after a narrowed limit stays within the command's time
                results = await all_at_once(client)
            page = (await client.call_tool("list_tasks", {"limit": 100})).structured_content
        model: dict[str, Any] = app.health.model.snapshot()["backends"]["ollama"]
    done = {n for n, result in results.items() if not result.is_error}
    refused = {n: result.content[0].text for n, result in results.items() if result.is_error}  # type: ignore[union-attr]
    assert done | set(refused) == set(range(COMMANDS))
    assert all("busy" in message and "retry" in message for message in refused.values()), refused
    assert sorted(task["title"] for task in page["tasks"]) == sorted(f"Errand {n}" for n in done)  # nothing lost
    assert ollama.script.peak_parallel <= 2
    assert model["concurrency_limit"] < 16  # the 503s narrowed it
    assert len(done) > 2, refused  # the narrowed limit and one more try got more than the first two through
