"""Plans' monthly quotas over HTTP, in-process through the whole stack: a call past the plan's month
is 429 with Retry-After and a JSON error naming the plan and limit, over REST and MCP alike; a
command in words counts 5; protocol traffic is free; counts survive a restart; /v1/usage shows them,
everyone's to the admin scope only; metrics count by plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from mcp_server.config import Settings
from mcp_server.core.keys import ApiKeys
from mcp_server.core.principals import Scope
from mcp_server.core.usage import month_end
from mcp_server.store import SQLiteTaskStore
from tests.support.asgi import InProcessServer, serve_in_process
from tests.support.clients import initialize_request
from tests.support.event_streams import listening

pytestmark = pytest.mark.anyio

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def make_key(db_path: Path, name: str, plan: str | None, scopes: frozenset[Scope] | None = None) -> str:
    store = SQLiteTaskStore(db_path)
    await store.open()
    try:
        keys = ApiKeys(store)
        key, _ = await (keys.create(name, plan=plan, scopes=scopes) if scopes else keys.create(name, plan=plan))
        return key
    finally:
        await store.close()


@asynccontextmanager
async def serving(db_path: Path, **settings: Any) -> AsyncIterator[InProcessServer]:
    merged = {"backend": "rules", "plans": "tiny=3,small=6", **settings}
    async with serve_in_process(Settings(db=str(db_path), transport="http", **merged)) as server:
        yield server


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def tool_call(name: str, arguments: dict[str, Any], request_id: int = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


async def test_a_call_past_the_plan_is_429_over_rest_and_mcp_and_protocol_traffic_is_free(db_path: Path) -> None:
    key = await make_key(db_path, "t", "tiny")
    async with serving(db_path) as server, server.http(headers=bearer(key)) as http:
        assert [(await http.get("/v1/tasks")).status_code for _ in range(3)] == [200, 200, 200]
        refused = await http.get("/v1/tasks")
        assert refused.status_code == 429
        body = refused.json()["error"]
        assert body["code"] == "quota_exceeded" and "tiny plan allows 3 requests a month" in body["message"]
        resets = month_end(dt.datetime.now(dt.UTC))
        assert resets.isoformat().replace("+00:00", "Z") in body["message"]
        retry_after = int(refused.headers["Retry-After"])
        assert 0 < retry_after <= (resets - dt.datetime.now(dt.UTC)).total_seconds() + 1
        over_mcp = await http.post("/mcp", json=tool_call("list_tasks", {}), headers=ACCEPT)
        assert over_mcp.status_code == 429 and over_mcp.json()["error"]["code"] == "quota_exceeded"
        initialize = initialize_request()
        assert (await http.post("/mcp", json=initialize, headers=ACCEPT)).status_code == 200
        usage = (await http.get("/v1/usage")).json()["usage"]
        assert [(u["principal"], u["plan"], u["used"], u["limit"]) for u in usage] == [("t", "tiny", 3, 3)]
        metrics = (await http.get("/metrics")).text
        assert 'task_api_plan_requests_total{plan="tiny"} 3.0' in metrics
        assert 'task_api_quota_refusals_total{plan="tiny"} 2.0' in metrics


async def test_the_change_stream_is_free_and_stays_open_past_the_plan(db_path: Path) -> None:
    """A page left open all month is one stream, not a request a second: opening one counts nothing,
    and one can still be opened once the plan's month is spent (the reads it prompts count as any)."""
    key = await make_key(db_path, "t", "tiny")
    async with (
        serving(db_path) as server,
        listening(server, bearer(key)) as heard,
        server.http(headers=bearer(key)) as http,
    ):
        made = (await http.post("/v1/tasks", json={"title": "one"})).json()
        await heard.until(("task", {"id": made["id"]}))
        async with listening(server, bearer(key)):
            usage = (await http.get("/v1/usage")).json()["usage"]
        assert [u["used"] for u in usage] == [1]
        assert [(await http.get("/v1/tasks")).status_code for _ in range(3)] == [200, 200, 429]
        async with listening(server, bearer(key)) as after:  # opened past the plan, still served
            assert after.events == [("ready", {})]


async def test_a_command_in_words_counts_five_and_an_mcp_call_one(db_path: Path) -> None:
    key = await make_key(db_path, "s", "small")
    async with serving(db_path) as server, server.http(headers=bearer(key)) as http:
        said = await http.post("/v1/task", json={"command": "create a task: call mum"})
        assert said.status_code == 200, said.text
        assert (await http.post("/mcp", json=tool_call("list_tasks", {}), headers=ACCEPT)).status_code == 200
        assert (await http.get("/v1/tasks")).status_code == 429  # 5 + 1 used of 6
        command = tool_call("process_command", {"command": "list my open tasks"})
        assert (await http.post("/mcp", json=command, headers=ACCEPT)).status_code == 429


async def test_counts_survive_a_restart_and_everyone_s_usage_is_for_admins_only(db_path: Path) -> None:
    user = await make_key(db_path, "user", "small")
    admin = await make_key(db_path, "ops", None, scopes=frozenset({Scope.ADMIN}))
    async with serving(db_path) as server, server.http(headers=bearer(user)) as http:
        for _ in range(4):
            assert (await http.get("/v1/tasks")).status_code == 200
    async with serving(db_path) as server, server.http() as http:
        own = (await http.get("/v1/usage", headers=bearer(user))).json()["usage"]
        assert [(u["principal"], u["used"], u["limit"]) for u in own] == [("user", 4, 6)]
        refused = await http.get("/v1/usage", params={"all": "true"}, headers=bearer(user))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
        assert (await http.get("/v1/tasks", headers=bearer(admin))).status_code == 200
        everyone = (await http.get("/v1/usage", params={"all": "true"}, headers=bearer(admin))).json()["usage"]
        assert [(u["principal"], u["plan"], u["used"]) for u in everyone] == [("ops", None, 1), ("user", "small", 4)]
        assert (await http.get("/v1/usage", params={"every": "1"}, headers=bearer(user))).status_code == 422
