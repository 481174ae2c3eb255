"""Lists (projects) through the MCP tools and resources: a task's list, the list filter, moving one task,
task://lists with its counts, and renaming a list in one step."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_server.app import App
from tests.support.clients import call
from tests.support.subscriptions import UpdatesHeard

pytestmark = pytest.mark.anyio


async def lists(client: Client) -> list[dict[str, Any]]:
    resource = await client.read_resource("task://lists")
    return json.loads(resource.contents[0].text)["lists"]  # type: ignore[union-attr]


async def test_a_task_is_in_the_inbox_unless_given_a_list(client: Client) -> None:
    plain = await call(client, "create_task", title="water the plants")
    work = await call(client, "create_task", title="send the report", list="  Work ")
    assert plain["list"] == "inbox"
    assert work["list"] == "work"  # trimmed and compared case-insensitively, as tags are
    page = await call(client, "list_tasks", list="WORK")
    assert [task["id"] for task in page["tasks"]] == [work["id"]]
    assert page["total"] == 1


async def test_lists_show_their_open_and_done_counts_and_vanish_when_empty(client: Client) -> None:
    first = await call(client, "create_task", title="a", list="home")
    await call(client, "create_task", title="b", list="home")
    await call(client, "create_task", title="c", list="work")
    await call(client, "complete_task", task_id=first["id"])
    assert await lists(client) == [
        {"name": "home", "open": 1, "done": 1},
        {"name": "work", "open": 1, "done": 0},
    ]
    moved = await call(client, "update_task", task_id=first["id"], list="work")
    assert moved["list"] == "work" and moved["version"] == first["version"] + 2
    await call(
        client, "update_task", task_id=(await call(client, "list_tasks", list="home"))["tasks"][0]["id"], list="work"
    )
    assert await lists(client) == [{"name": "work", "open": 2, "done": 1}]


async def test_renaming_a_list_moves_every_task_and_merges_into_an_existing_one(client: Client) -> None:
    errand = await call(client, "create_task", title="buy bread", list="errands")
    await call(client, "create_task", title="post the parcel", list="errands")
    await call(client, "create_task", title="pay rent", list="home")
    renamed = await call(client, "rename_list", name="Errands", new_name="home")
    assert renamed == {"name": "errands", "new_name": "home", "moved": 2}
    assert await lists(client) == [{"name": "home", "open": 3, "done": 0}]
    after = await call(client, "list_tasks", list="home")
    moved = next(task for task in after["tasks"] if task["id"] == errand["id"])
    assert moved["version"] == errand["version"] + 1  # a move is a change: a reader's expected_version is stale
    stale = await client.call_tool(
        "update_task", {"task_id": errand["id"], "title": "buy rye bread", "expected_version": errand["version"]}
    )
    assert stale.is_error


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ({"name": "nowhere", "new_name": "somewhere"}, "no task is in a list called 'nowhere'"),
        ({"name": "home", "new_name": " HOME "}, "already called 'home'"),
        ({"name": "home", "new_name": ""}, "new_name"),
        ({"name": "home", "new_name": "x" * 101}, "new_name"),
    ],
)
async def test_a_rename_that_cannot_be_done_says_why_and_changes_nothing(
    client: Client, arguments: dict[str, Any], said: str
) -> None:
    await call(client, "create_task", title="pay rent", list="home")
    result = await client.call_tool("rename_list", arguments)
    assert result.is_error
    assert said in result.content[0].text  # type: ignore[union-attr]
    assert await lists(client) == [{"name": "home", "open": 1, "done": 0}]


@pytest.mark.parametrize("bad", ["", "   ", "x" * 101, "a\x00b"])
async def test_a_bad_list_name_is_refused_and_creates_nothing(client: Client, bad: str) -> None:
    result = await client.call_tool("create_task", {"title": "t", "list": bad})
    assert result.is_error
    assert "list" in result.content[0].text  # type: ignore[union-attr]
    assert await lists(client) == []


async def test_a_list_cannot_be_cleared_to_nothing(client: Client) -> None:
    task = await call(client, "create_task", title="t", list="home")
    result = await client.call_tool("update_task", {"task_id": task["id"], "list": None})
    assert result.is_error
    assert (await call(client, "list_tasks", list="home"))["total"] == 1


async def test_subscribers_of_task_lists_hear_of_moves_and_renames(app: App) -> None:
    heard = UpdatesHeard()
    async with Client(app.server, mode="legacy", message_handler=heard.on_message) as subscriber:
        task = await call(subscriber, "create_task", title="watched", list="home")
        await subscriber.subscribe_resource("task://lists")
        async with Client(app.server) as writer:
            for change in (
                partial(call, writer, "update_task", task_id=task["id"], list="work"),
                partial(call, writer, "rename_list", name="work", new_name="office"),
            ):
                heard.expect_more()
                await change()
                with anyio.fail_after(10):
                    await heard.changed.wait()
                assert heard.uris[-1] == "task://lists"
