"""process_command against engines of different capacity, on the default settings, through the real
mcp client and a test server speaking Ollama's API: an engine that serves every request at once gets
ten commands at once; one that serves two and answers 503 to the rest (Ollama with
OLLAMA_NUM_PARALLEL=2 and no queue) has each command either done or refused as busy within its
timeout, and the store holds exactly the tasks of the commands that were done."""

from __future__ import annotations

import json
from dataclasses import dataclass
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


async def all_at_once(client: Client, took: dict[int, float] | None = None) -> dict[int, types.CallToolResult]:
    """The ten commands sent together; `took`, if given, gets how long each one took to answer."""
    results: dict[int, types.CallToolResult] = {}

    async def one(n: int) -> None:
        started = anyio.current_time()
        results[n] = await client.call_tool("process_command", {"command": f"errand {n}: do it"})
        if took is not None:
            took[n] = anyio.current_time() - started

    async with anyio.create_task_group() as group:
        for n in range(COMMANDS):
            group.start_soon(one, n)
    return results


def outcomes(results: dict[int, types.CallToolResult]) -> tuple[set[int], dict[int, str]]:
    done = {n for n, result in results.items() if not result.is_error}
    refused = {n: result.content[0].text for n, result in results.items() if result.is_error}  # type: ignore[union-attr]
    return done, refused


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


@dataclass
class Run:
    """Ten commands sent together to an engine, on the default settings but the command's time."""

    done: set[int]
    refused: dict[int, str]  # the error each refused command answered
    model: dict[str, Any]  # the backend's health after


async def ten_at_once(db_path: Path, ollama: FakeOllama, timeout_s: float) -> Run:
    script_errands(ollama)
    took: dict[int, float] = {}
    async with open_app(settings_for(db_path, ollama, model_timeout_s=timeout_s)) as app:
        await wait_for_model(app)
        async with Client(app.server) as client:
            results = await all_at_once(client, took)
            page = (await client.call_tool("list_tasks", {"limit": 100})).structured_content
        model: dict[str, Any] = app.health.model.snapshot()["backends"]["ollama"]
    done, refused = outcomes(results)
    assert done | set(refused) == set(range(COMMANDS))
    assert max(took.values()) < timeout_s + 0.5, took  # each answered within its time
    stored = sorted(task["title"] for task in page["tasks"])
    assert stored == sorted(f"Errand {n}" for n in done)  # nothing lost, nothing run twice
    return Run(done, refused, model)


async def test_an_engine_that_serves_two_and_refuses_the_rest_loses_nothing(db_path: Path, ollama: FakeOllama) -> None:
    ollama.script.latency_s = 0.3
    ollama.script.parallel, ollama.script.max_queue = 2, 0
    run = await ten_at_once(db_path, ollama, timeout_s=2.0)
    assert all("busy" in message and "retry" in message for message in run.refused.values()), run.refused
    assert ollama.script.peak_parallel <= 2
    assert run.model["concurrency_limit"] < 16 and run.model["engine_busy"] >= 8  # the 503s cut it
    assert run.model["busy_refusals"] == len(run.refused)  # a command refused is counted once
    assert len(run.done) > 2, run.refused  # the cut limit and one more try got more than the first two through


async def test_an_engine_that_queues_them_all_answers_each_command_within_its_time(
    db_path: Path, ollama: FakeOllama
) -> None:
    """Ollama's default: one at a time, the rest in its own queue. A command's time covers that wait
    too: each is done, or a clear timeout, within its time; the timeouts cut the limit."""
    ollama.script.latency_s = 0.3
    ollama.script.parallel = 1
    run = await ten_at_once(db_path, ollama, timeout_s=1.0)
    assert 1 <= len(run.done) < COMMANDS
    assert all("did not answer within 1 s" in message for message in run.refused.values()), run.refused
    assert run.model["concurrency_limit"] < 16
