"""API keys over HTTP, through the whole stack in-process: each key acts for its principal on every
route (MCP tools, resources, completions, process_command's title lookup, REST), sees only that
principal's tasks, and is held to its scopes; a revoked or made-up key gets the same 401; a stateful
session answers only the principal that opened it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest

from mcp_server.config import Settings
from mcp_server.core.keys import ApiKeys
from mcp_server.core.principals import Scope
from mcp_server.store import SQLiteTaskStore
from tests.support.asgi import InProcessServer, serve_in_process
from tests.support.clients import call, initialize_request
from tests.support.subscriptions import UpdatesHeard
from tests.support.waiting import wait_until

pytestmark = pytest.mark.anyio

TOKEN = "a-shared-token-long-enough-0123456789"


async def make_keys(db_path: Path, *wanted: tuple[str, frozenset[Scope]]) -> dict[str, str]:
    """Keys made as `task-api-mcp keys create` makes them, in the store the server then opens."""
    store = SQLiteTaskStore(db_path)
    await store.open()
    try:
        made = {}
        for name, scopes in wanted:
            made[name], _ = await ApiKeys(store).create(name, scopes=scopes)
        return made
    finally:
        await store.close()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def serving(db_path: Path, **settings: Any) -> AsyncIterator[InProcessServer]:
    async with serve_in_process(
        Settings(db=str(db_path), transport="http", **{"backend": "none", **settings})
    ) as server:
        yield server


READ_WRITE = frozenset({Scope.READ, Scope.WRITE})


async def test_two_principals_never_see_each_others_tasks_on_any_route(db_path: Path) -> None:
    keys = await make_keys(db_path, ("alice", READ_WRITE), ("bob", READ_WRITE))
    async with serving(db_path, backend="rules") as server, server.http() as http:
        made = await http.post(
            "/v1/tasks", json={"title": "call the dentist", "tags": ["health"]}, headers=bearer(keys["alice"])
        )
        assert made.status_code == 201, made.text
        task_id = made.json()["id"]
        as_bob = bearer(keys["bob"])
        assert (await http.get(f"/v1/tasks/{task_id}", headers=as_bob)).status_code == 404
        assert (await http.get(f"/v1/tasks/{task_id}/history", headers=as_bob)).status_code == 404
        assert (await http.patch(f"/v1/tasks/{task_id}", json={"title": "x"}, headers=as_bob)).status_code == 404
        assert (await http.post(f"/v1/tasks/{task_id}/complete", headers=as_bob)).status_code == 404
        assert (await http.delete(f"/v1/tasks/{task_id}", headers=as_bob)).status_code == 404
        listed = (await http.get("/v1/tasks", headers=as_bob)).json()
        assert listed["tasks"] == [] and listed["total"] == 0
        assert (await http.get("/v1/lists", headers=as_bob)).json()["lists"] == []
        async with server.mcp(headers=as_bob) as bob:
            for tool, arguments in (
                ("get_task", {"task_id": task_id}),
                ("update_task", {"task_id": task_id, "title": "taken"}),
                ("complete_task", {"task_id": task_id}),
                ("delete_task", {"task_id": task_id, "permanent": True}),
            ):
                result = await bob.call_tool(tool, arguments)
                assert result.is_error and "does not exist" in str(result.content), (tool, result.content)
            assert (await call(bob, "list_tasks"))["tasks"] == []
            # process_command acts on the caller's own tasks only (its title lookup is list_tasks' search)
            said = await bob.call_tool("process_command", {"command": f"mark task {task_id} as done"})
            assert said.is_error and "does not exist" in str(said.content), said
            prompt = types.PromptReference(type="ref/prompt", name="plan_my_day")
            assert (await bob.complete(prompt, {"name": "focus_tag", "value": ""})).completion.values == []
            template = types.ResourceTemplateReference(type="ref/resource", uri="task://{task_id}")
            assert (await bob.complete(template, {"name": "task_id", "value": ""})).completion.values == []
            with pytest.raises(Exception, match=r"does not exist|not found"):
                await bob.read_resource(f"task://{task_id}")
        async with server.mcp(headers=bearer(keys["alice"])) as alice:
            task = (await call(alice, "get_task", task_id=task_id))["task"]
            assert task["title"] == "call the dentist" and task["version"] == 1


async def test_a_read_only_key_reads_and_is_refused_every_write(db_path: Path) -> None:
    keys = await make_keys(db_path, ("writer", READ_WRITE), ("reader", frozenset({Scope.READ})))
    async with serving(db_path) as server, server.http() as http:
        task = (await http.post("/v1/tasks", json={"title": "shared"}, headers=bearer(keys["writer"]))).json()
        as_reader = bearer(keys["reader"])
        # another principal (reader's own, empty), read fine; writes refused before they look anything up
        assert (await http.get("/v1/tasks", headers=as_reader)).status_code == 200
        refused = await http.post("/v1/tasks", json={"title": "no"}, headers=as_reader)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "insufficient_scope"
        assert "tasks:write" in refused.json()["error"]["message"]
        async with server.mcp(headers=as_reader) as reader:
            assert (await call(reader, "list_tasks"))["total"] == 0
            result = await reader.call_tool("create_task", {"title": "no"})
            assert result.is_error and "tasks:write" in str(result.content)
        assert (await http.get(f"/v1/tasks/{task['id']}", headers=bearer(keys["writer"]))).json()["version"] == 1


async def test_wrong_unknown_and_revoked_keys_get_the_same_401(db_path: Path) -> None:
    keys = await make_keys(db_path, ("kept", READ_WRITE), ("revoked", READ_WRITE))
    async with serving(db_path) as server, server.http() as http:
        assert (await http.get("/v1/tasks", headers=bearer(keys["revoked"]))).status_code == 200
        await server.app.keys.revoke("revoked")
        real = keys["kept"]
        forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
        unknown = "tam_000000000000_" + "A" * 43
        answers = []
        for credential in (keys["revoked"], forged, unknown, "tam_nonsense", real.upper(), ""):
            response = await http.get("/v1/tasks", headers=bearer(credential))
            answers.append((response.status_code, response.json()))
        assert {status for status, _ in answers} == {401}
        assert len({str(body) for _, body in answers}) == 1  # nothing tells which failure it was
        assert (await http.get("/v1/tasks")).status_code == 401
        assert (await http.get("/v1/tasks", headers=bearer(real))).status_code == 200
        assert (await http.get("/healthz")).status_code == 200  # the probes ask for nothing


async def test_the_first_key_made_while_serving_closes_an_open_server(db_path: Path) -> None:
    async with serving(db_path) as server, server.http() as http:
        assert (await http.get("/v1/tasks")).status_code == 200  # a loopback server of one person
        key, _ = await server.app.keys.create("first")

        async def asks_for_credentials() -> bool:
            return (await http.get("/v1/tasks")).status_code == 401

        await wait_until(asks_for_credentials, within_s=5, what="credentials asked for after the first key")
        assert (await http.get("/v1/tasks", headers=bearer(key))).status_code == 200
        await server.app.keys.revoke("first")  # revoking the last key does not open it again
        assert (await http.get("/v1/tasks")).status_code == 401


async def test_the_shared_token_still_acts_for_local_beside_keys(db_path: Path) -> None:
    keys = await make_keys(db_path, ("alice", READ_WRITE))
    async with serving(db_path, token=TOKEN) as server, server.http() as http:
        mine = await http.post("/v1/tasks", json={"title": "local's"}, headers=bearer(TOKEN))
        assert mine.status_code == 201
        assert (await http.get(f"/v1/tasks/{mine.json()['id']}", headers=bearer(keys["alice"]))).status_code == 404
        assert (await http.get("/v1/tasks", headers=bearer(TOKEN))).json()["total"] == 1


async def test_a_stateful_session_answers_only_the_principal_that_opened_it(db_path: Path) -> None:
    keys = await make_keys(db_path, ("alice", READ_WRITE), ("bob", READ_WRITE))
    initialize = initialize_request()
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with serving(db_path, stateless=False) as server, server.http() as http:
        opened = await http.post("/mcp", json=initialize, headers={**accept, **bearer(keys["alice"])})
        assert opened.status_code == 200, opened.text
        session = opened.headers["mcp-session-id"]
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_tasks", "arguments": {}}}
        with_session = {**accept, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18"}
        hijack = await http.post("/mcp", json=listing, headers={**with_session, **bearer(keys["bob"])})
        assert hijack.status_code == 404 and hijack.json()["error"]["code"] == "not_found"
        made_up = await http.post(
            "/mcp", json=listing, headers={**with_session, "mcp-session-id": "f" * 32, **bearer(keys["alice"])}
        )
        assert made_up.status_code == 404
        await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "method": "notifications/initialized"},
            headers={**with_session, **bearer(keys["alice"])},
        )
        with anyio.fail_after(10):
            own = await http.post("/mcp", json=listing, headers={**with_session, **bearer(keys["alice"])})
        assert own.status_code == 200 and "error" not in own.text[:200], own.text


async def test_subscribers_hear_only_their_own_principals_changes(db_path: Path) -> None:
    """A listen stream and a handshake-era subscription each name another principal's task and the
    lists: that principal's changes reach neither; their own do, and first."""
    keys = await make_keys(db_path, ("alice", READ_WRITE), ("bob", READ_WRITE))
    async with (
        serving(db_path) as server,
        server.mcp(headers=bearer(keys["alice"])) as alice,
        server.mcp(headers=bearer(keys["bob"])) as bob,
    ):
        hers = await call(alice, "create_task", title="hers")
        his = await call(bob, "create_task", title="his")
        watched = [f"task://{hers['id']}", f"task://{his['id']}", "task://lists"]
        async with bob.listen(resource_subscriptions=watched) as stream:
            await call(alice, "update_task", task_id=hers["id"], priority="urgent", list="elsewhere")
            await call(bob, "update_task", task_id=his["id"], priority="urgent")
            with anyio.fail_after(10):
                event = await stream.__anext__()
        assert getattr(event, "uri", None) == f"task://{his['id']}"

    heard = UpdatesHeard()
    async with (
        serving(db_path, stateless=False) as server,
        server.mcp(headers=bearer(keys["alice"])) as alice,
        server.mcp(headers=bearer(keys["bob"]), mode="legacy", message_handler=heard.on_message) as bob,
    ):
        for uri in watched:
            await bob.subscribe_resource(uri)
        await call(alice, "update_task", task_id=hers["id"], title="hers, again", list="inbox")
        await call(bob, "update_task", task_id=his["id"], title="his, again")
        with anyio.fail_after(10):
            await heard.changed.wait()
        assert heard.uris[0] == f"task://{his['id']}"


async def test_every_change_leaves_an_audit_line_without_content(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mcp_server.audit")
    keys = await make_keys(db_path, ("alice", READ_WRITE), ("reader", frozenset({Scope.READ})))
    async with serving(db_path) as server, server.http() as http:
        made = await http.post(
            "/v1/tasks",
            json={"title": "secret plan", "list": "hidden-list"},
            headers={**bearer(keys["alice"]), "X-Request-ID": "req-1"},
        )
        task_id = made.json()["id"]
        await http.patch("/v1/lists/hidden-list", json={"new_name": "elsewhere"}, headers=bearer(keys["alice"]))
        async with server.mcp(headers=bearer(keys["alice"])) as alice:
            await call(alice, "complete_task", task_id=task_id)
            assert (await alice.call_tool("delete_task", {"task_id": task_id + 100})).is_error
        async with server.mcp(headers=bearer(keys["reader"])) as reader:
            assert (await reader.call_tool("create_task", {"title": "not allowed"})).is_error
        await http.get("/v1/tasks", headers=bearer(keys["alice"]))  # a read: no audit line
    lines = [
        {name: getattr(r, name) for name in ("principal", "entry", "request_id", "operation", "task_ids", "outcome")}
        for r in caplog.records
        if r.getMessage() == "audit" and hasattr(r, "task_ids")
    ]
    made_keys = [(r.operation, r.subject) for r in caplog.records if getattr(r, "operation", None) == "create_key"]
    assert made_keys == [("create_key", "alice"), ("create_key", "reader")]
    assert [
        (line["principal"], line["entry"], line["operation"], line["task_ids"], line["outcome"]) for line in lines
    ] == [
        ("alice", "POST /v1/tasks", "create_task", [task_id], "ok"),
        ("alice", "PATCH /v1/lists/{name:path}", "rename_list", [task_id], "ok"),
        ("alice", "tool:complete_task", "complete_task", [task_id], "ok"),
        ("alice", "tool:delete_task", "delete_task", [task_id + 100], "not_found"),
        ("reader", "tool:create_task", "create_task", [], "insufficient_scope"),
    ]
    assert lines[0]["request_id"] == "req-1" and all(line["request_id"] for line in lines)
    logged = " ".join(str(vars(r)) for r in caplog.records if r.getMessage() == "audit")
    assert "secret plan" not in logged and "hidden-list" not in logged and "not allowed" not in logged
    assert not any(key in logged for key in keys.values())
