"""`GET /v1/events` through the whole HTTP stack in-process: a principal's stream hears of that
principal's writes, from REST and from MCP tools alike, and of no one else's; it needs the read
scope; it is not cut by the REST deadline; a principal's streams are capped."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.types import Receive, Scope, Send

from mcp_server.core.principals import LOCAL_PRINCIPAL
from mcp_server.core.principals import Scope as TaskScope
from mcp_server.http.events import EVENTS_PATH, Change, ChangeFeed
from mcp_server.http.timeout import RequestTimeoutMiddleware
from tests.http.test_accounts import READ_WRITE, bearer, make_keys, serving
from tests.support.clients import call
from tests.support.event_streams import listening

pytestmark = pytest.mark.anyio


async def test_a_stream_hears_of_its_principals_writes_from_rest_and_from_tools(db_path: Path) -> None:
    keys = await make_keys(db_path, ("alice", READ_WRITE))
    async with serving(db_path) as server, listening(server, bearer(keys["alice"])) as heard:
        async with server.http(headers=bearer(keys["alice"])) as http:
            made = (await http.post("/v1/tasks", json={"title": "water the plants"})).json()
            await heard.until(("task", {"id": made["id"]}))
            await heard.until(("lists", {}))
        async with server.mcp(headers=bearer(keys["alice"])) as client:
            by_agent = await call(client, "create_task", title="made by an agent")
            await heard.until(("task", {"id": by_agent["id"]}))
            await call(client, "complete_task", task_id=made["id"])
            await heard.until(("task", {"id": made["id"]}), times=2)  # created, then completed


async def test_a_stream_hears_nothing_of_another_principals_writes(db_path: Path) -> None:
    keys = await make_keys(db_path, ("alice", READ_WRITE), ("bob", READ_WRITE))
    async with (
        serving(db_path) as server,
        listening(server, bearer(keys["alice"])) as alices,
        listening(server, bearer(keys["bob"])) as bobs,
        server.http() as http,
    ):
        bobs_task = (await http.post("/v1/tasks", json={"title": "bob's"}, headers=bearer(keys["bob"]))).json()
        await bobs.until(("task", {"id": bobs_task["id"]}))
        alices_task = (await http.post("/v1/tasks", json={"title": "alice's"}, headers=bearer(keys["alice"]))).json()
        await alices.until(("task", {"id": alices_task["id"]}))
        # Alice's stream has had bob's write delivered before her own, if it was going to be at all.
        assert ("task", {"id": bobs_task["id"]}) not in alices.events
        assert ("task", {"id": alices_task["id"]}) not in bobs.events


async def test_a_stream_needs_credentials_and_the_read_scope(db_path: Path) -> None:
    keys = await make_keys(db_path, ("writer", frozenset({TaskScope.WRITE})), ("alice", READ_WRITE))
    async with serving(db_path) as server, server.http() as http:
        refused = await http.get(EVENTS_PATH)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
        no_read = await http.get(EVENTS_PATH, headers=bearer(keys["writer"]))
        assert no_read.status_code == 403 and no_read.json()["error"]["code"] == "insufficient_scope"
        foreign = await http.get(EVENTS_PATH, headers={**bearer(keys["alice"]), "Origin": "https://evil.example"})
        assert foreign.status_code == 403


async def test_a_principal_holds_a_bounded_number_of_streams(db_path: Path) -> None:
    keys = await make_keys(db_path, ("alice", READ_WRITE))
    async with serving(db_path) as server, listening(server, bearer(keys["alice"])):
        streams = [listening(server, bearer(keys["alice"])) for _ in range(15)]
        async with _all(streams):
            async with server.http(headers=bearer(keys["alice"])) as http:
                over = await http.get(EVENTS_PATH)
            assert over.status_code == 429, over.text
            assert "16 event streams" in over.json()["error"]["message"]
        async with listening(server, bearer(keys["alice"])) as again:  # the fifteen closed: room again
            assert again.events == [("ready", {})]


@asynccontextmanager
async def _all(contexts: list[Any]) -> AsyncIterator[None]:
    if not contexts:
        yield
        return
    async with contexts[0], _all(contexts[1:]):
        yield


async def test_the_rest_deadline_does_not_apply_to_the_event_stream() -> None:
    deadlines: dict[str, float] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        deadlines[scope["path"]] = anyio.current_effective_deadline()

    guarded = RequestTimeoutMiddleware(app, seconds=5)
    for path in (EVENTS_PATH, "/v1/tasks"):
        await guarded({"type": "http", "path": path}, _never, _discard)
    assert deadlines[EVENTS_PATH] == math.inf
    assert deadlines["/v1/tasks"] < math.inf


async def _never() -> dict[str, Any]:
    await anyio.sleep_forever()
    raise AssertionError


async def _discard(_: Any) -> None:
    return None


def parsed(chunk: Any) -> list[tuple[str, dict[str, Any]]]:
    """The events of one write to the stream, as (event, data) pairs."""
    text = chunk.decode() if isinstance(chunk, bytes) else chunk.encode().decode()
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


async def test_a_stream_that_falls_a_queue_behind_gets_resync_not_an_unbounded_queue() -> None:
    feed = ChangeFeed(queue_size=3)
    events = feed.stream()
    assert parsed(await anext(events)) == [("ready", {})]
    for task_id in range(1, 6):  # five changes into a queue of three, nobody reading
        feed.publish(Change("task", task_id))
    assert parsed(await anext(events)) == [("resync", {})]  # the fourth found the queue full; 5 is in the resync
    feed.publish(Change("task", 9))
    assert parsed(await anext(events)) == [("task", {"id": 9})]
    await events.aclose()
    assert feed.streams_of(LOCAL_PRINCIPAL) == 0


async def test_a_burst_of_changes_goes_out_in_one_write_each_change_once() -> None:
    feed = ChangeFeed(coalesce_s=0.05)
    events = feed.stream()
    assert parsed(await anext(events)) == [("ready", {})]
    for change in (Change("task", 1), Change("lists"), Change("task", 2), Change("task", 1), Change("lists")):
        feed.publish(change)
    assert parsed(await anext(events)) == [("task", {"id": 1}), ("lists", {}), ("task", {"id": 2})]
    await events.aclose()
