"""The deeper task model through the MCP tools and resources: get_task with subtasks and history,
delete then restore, batches, recurring tasks, the errors an agent gets, and the subscriptions that
fire for batch and recurrence changes."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_server.app import App
from tests.support.clients import call
from tests.support.subscriptions import UpdatesHeard

pytestmark = pytest.mark.anyio


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    text: str = result.content[0].text  # type: ignore[union-attr]
    return text


async def test_get_task_with_its_subtasks_and_history(client: Client) -> None:
    parent = await call(client, "create_task", title="launch", list="work")
    first = await call(client, "create_task", title="write notes", parent_id=parent["id"])
    await call(client, "create_task", title="tell people", parent_id=parent["id"])
    await call(client, "complete_task", task_id=first["id"])
    plain = await call(client, "get_task", task_id=parent["id"])
    assert plain["task"]["subtasks"] == {"open": 1, "done": 1}
    assert "subtasks" not in plain or plain["subtasks"] is None
    detail = await call(client, "get_task", task_id=parent["id"], include=["subtasks", "history"])
    assert [t["title"] for t in detail["subtasks"]] == ["write notes", "tell people"]
    assert [e["kind"] for e in detail["history"]] == ["created"]
    assert "in the trash" not in json.dumps(detail)
    refused = await call_error(client, "complete_task", task_id=parent["id"])
    assert "1 open subtask(s)" in refused and "tell people" in refused and "cascade" in refused


async def test_delete_then_restore_and_the_history_resource(client: Client) -> None:
    task = await call(client, "create_task", title="keep me")
    deleted = await call(client, "delete_task", task_id=task["id"])
    assert deleted["task"]["deleted_at"] is not None
    trash = await call(client, "list_tasks", status="deleted")
    assert [t["id"] for t in trash["tasks"]] == [task["id"]]
    assert (await call(client, "list_tasks"))["total"] == 0
    restored = await call(client, "restore_task", task_id=task["id"])
    assert restored["id"] == task["id"] and restored["deleted_at"] is None
    assert "not in the trash" in await call_error(client, "restore_task", task_id=task["id"])
    history = await client.read_resource(f"task://{task['id']}/history")
    entries = json.loads(history.contents[0].text)["entries"]  # type: ignore[union-attr]
    assert [e["kind"] for e in entries] == ["created", "deleted", "restored"]


async def test_a_weekly_task_completed_twice_through_the_tools(client: Client) -> None:
    task = await call(
        client,
        "create_task",
        title="standup notes",
        due="2027-03-22T09:00:00+01:00",
        recurrence="freq=weekly;byday=mo",
        timezone="Europe/Paris",
    )
    assert task["recurrence"] == "FREQ=WEEKLY;BYDAY=MO"
    await call(client, "complete_task", task_id=task["id"])
    second = await call(client, "complete_task", task_id=task["id"])
    assert (second["status"], second["due"]) == ("open", "2027-04-05T09:00:00+02:00")
    ended = await call(client, "update_task", task_id=task["id"], clear=["recurrence"])
    assert ended["recurrence"] is None


async def test_a_batch_with_one_failing_item(client: Client) -> None:
    existing = await call(client, "create_task", title="existing")
    result = await call(
        client,
        "batch_tasks",
        operations=[
            {"op": "create", "title": "buy paint", "list": "home"},
            {"op": "update", "task_id": existing["id"], "priority": "high"},
            {"op": "complete", "task_id": 999_999},
            {"op": "delete", "task_id": existing["id"]},
        ],
    )
    assert result["applied"] is True
    assert [r["ok"] for r in result["results"]] == [True, True, False, True]
    assert result["results"][2]["error"]["kind"] == "not_found"
    assert result["results"][1]["task"]["priority"] == "high"
    # each item carries the field that applies to it, never the other one as null
    assert [sorted(r) for r in result["results"]] == [["ok", "task"]] * 2 + [["error", "ok"]] + [["ok", "task"]]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"operations": []}, "operations"),
        ({"operations": [{"op": "create", "title": "x"}] * 51}, "at most 50"),
        ({"operations": [{"op": "explode"}]}, "op"),
        ({"operations": [{"op": "update", "task_id": 1, "colour": "red"}]}, "colour"),
        ({"operations": [{"op": "create", "title": "x", "due": "someday"}]}, "due"),
    ],
)
async def test_a_bad_batch_is_a_tool_error_and_changes_nothing(
    client: Client, arguments: dict[str, Any], problem: str
) -> None:
    message = await call_error(client, "batch_tasks", **arguments)
    assert problem in message
    assert (await call(client, "list_tasks"))["total"] == 0


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"title": "x", "recurrence": "FREQ=WEEKLY;BYDAY=XX", "due": "2027-01-04"}, "BYDAY"),
        ({"title": "x", "recurrence": "FREQ=WEEKLY"}, "recurrence needs a due"),
        ({"title": "x", "parent_id": 77}, "parent_id"),
        ({"title": "x", "timezone": "Nowhere/Land"}, "IANA"),
    ],
)
async def test_bad_task_fields_are_tool_errors(client: Client, arguments: dict[str, Any], problem: str) -> None:
    assert problem in await call_error(client, "create_task", **arguments)
    assert (await call(client, "list_tasks"))["total"] == 0


async def test_a_cycle_is_a_tool_error(client: Client) -> None:
    a = await call(client, "create_task", title="a")
    b = await call(client, "create_task", title="b", parent_id=a["id"])
    assert "own subtask" in await call_error(client, "update_task", task_id=a["id"], parent_id=b["id"])
    assert (await call(client, "get_task", task_id=a["id"]))["task"]["parent_id"] is None


async def test_subscribers_hear_of_batch_and_recurrence_changes(app: App) -> None:
    heard = UpdatesHeard()
    async with Client(app.server, mode="legacy", message_handler=heard.on_message) as subscriber:
        recurring = await call(
            subscriber, "create_task", title="water", due="2027-01-04", recurrence="FREQ=DAILY;INTERVAL=3"
        )
        other = await call(subscriber, "create_task", title="other")
        for task in (recurring, other):
            await subscriber.subscribe_resource(f"task://{task['id']}")
        async with Client(app.server) as writer:
            heard.expect_more()
            await call(writer, "complete_task", task_id=recurring["id"])
            with anyio.fail_after(10):
                while f"task://{recurring['id']}" not in heard.uris:
                    await heard.changed.wait()
                    heard.expect_more()
            await call(writer, "batch_tasks", operations=[{"op": "update", "task_id": other["id"], "title": "o2"}])
            with anyio.fail_after(10):
                while f"task://{other['id']}" not in heard.uris:
                    await heard.changed.wait()
                    heard.expect_more()
