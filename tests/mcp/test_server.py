"""The MCP adapter through the real mcp client (in memory): tools, errors, resources, prompts,
completions, subscriptions and client log levels."""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcp_server.app import App
from tests.support.clients import call

pytestmark = pytest.mark.anyio

TOOLS = {
    "create_task",
    "list_tasks",
    "update_task",
    "delete_task",
    "complete_task",
    "rename_list",
    "get_task",
    "restore_task",
    "batch_tasks",
    "process_command",
}


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return result.content[0].text


async def all_tasks(client: Client) -> list[dict[str, Any]]:
    return (await call(client, "list_tasks", limit=100))["tasks"]


async def test_tools_are_described_with_schemas_and_annotations(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and tool.title
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None
        assert tool.annotations.open_world_hint is False
    assert tools["list_tasks"].annotations.read_only_hint is True
    assert tools["delete_task"].annotations.destructive_hint is True
    assert tools["create_task"].annotations.idempotent_hint is False
    assert tools["complete_task"].annotations.idempotent_hint is False  # a recurring task moves on each time
    assert tools["create_task"].input_schema["required"] == ["title"]


async def test_create_returns_structured_task(client: Client) -> None:
    task = await call(
        client,
        "create_task",
        title=" Review PR #42 ",
        priority="high",
        tags=["Work", "work"],
        due="2026-12-04",
        description="before the release",
    )
    assert task["id"] == 1 and task["title"] == "Review PR #42"
    assert (task["priority"], task["tags"], task["due"], task["status"]) == ("high", ["work"], "2026-12-04", "open")
    assert task["version"] == 1 and task["completed_at"] is None


async def test_retried_create_with_idempotency_key_does_not_duplicate(client: Client) -> None:
    first = await call(client, "create_task", title="pay rent", idempotency_key="req-1")
    again = await call(client, "create_task", title="pay rent", idempotency_key="req-1")
    assert again["id"] == first["id"]
    assert len(await all_tasks(client)) == 1
    message = await call_error(client, "create_task", title="pay bills", idempotency_key="req-1")
    assert "different parameters" in message


async def test_list_filters_and_pages(client: Client) -> None:
    for n in range(5):
        await call(client, "create_task", title=f"task {n}", tags=["odd" if n % 2 else "even"])
    page = await call(client, "list_tasks", tag="even", limit=2)
    assert [t["title"] for t in page["tasks"]] == ["task 0", "task 2"] and page["total"] == 3
    rest = await call(client, "list_tasks", tag="even", limit=2, cursor=page["next_cursor"])
    assert [t["title"] for t in rest["tasks"]] == ["task 4"] and rest["next_cursor"] is None
    message = await call_error(client, "list_tasks", tag="odd", cursor=page["next_cursor"])
    assert "different filters" in message


async def test_update_is_partial_and_checks_versions(client: Client) -> None:
    task = await call(client, "create_task", title="draft", description="notes", due="2026-12-01", tags=["a"])
    updated = await call(client, "update_task", task_id=task["id"], priority="urgent", expected_version=1)
    assert (updated["title"], updated["description"], updated["priority"], updated["version"]) == (
        "draft",
        "notes",
        "urgent",
        2,
    )
    cleared = await call(client, "update_task", task_id=task["id"], clear=["description", "due"])
    assert cleared["description"] is None and cleared["due"] is None and cleared["tags"] == ["a"]
    message = await call_error(client, "update_task", task_id=task["id"], title="stale", expected_version=1)
    assert "version 3" in message and "expected_version=3" in message
    assert (await all_tasks(client))[0]["title"] == "draft"


async def test_complete_is_idempotent_and_reopen_clears_completion(client: Client) -> None:
    task = await call(client, "create_task", title="ship it")
    done = await call(client, "complete_task", task_id=task["id"])
    again = await call(client, "complete_task", task_id=task["id"])
    assert done["status"] == "done" and done["completed_at"]
    assert again == done
    reopened = await call(client, "update_task", task_id=task["id"], status="open")
    assert reopened["completed_at"] is None


async def test_delete_returns_the_task_and_then_it_is_gone(client: Client) -> None:
    task = await call(client, "create_task", title="temp")
    deleted = await call(client, "delete_task", task_id=task["id"])
    assert deleted["deleted"] is True and deleted["permanent"] is False and deleted["task"]["deleted_at"]
    assert deleted["task"]["version"] == task["version"] + 1
    assert "already in the trash" in await call_error(client, "delete_task", task_id=task["id"])
    assert "in the trash" in await call_error(client, "get_task", task_id=task["id"])
    purged = await call(client, "delete_task", task_id=task["id"], permanent=True)
    assert purged["permanent"] is True
    assert "does not exist" in await call_error(client, "delete_task", task_id=task["id"])


BAD_CALLS = [
    ("create_task", {"title": ""}, "title: String should have at least 1 character"),
    ("create_task", {"title": "   "}, "title: String should have at least 1 character"),
    ("create_task", {"title": "x" * 501}, "title: String should have at most 500 characters"),
    ("create_task", {"title": "a", "due": "next friday"}, "due must be an ISO 8601 date"),
    ("create_task", {"title": "a", "due": "2026-02-30"}, "due must be an ISO 8601 date"),
    ("create_task", {"title": "a", "due": "2026-12-01T10:00:00"}, "has no timezone"),
    (
        "create_task",
        {"title": "a", "priority": "asap"},
        "priority: Input should be 'low', 'normal', 'high' or 'urgent'",
    ),
    ("create_task", {"title": "a", "colour": "red"}, "colour: unknown argument"),
    ("create_task", {"title": 42}, "title: Input should be a valid string"),
    ("create_task", {"title": "a", "tags": "work"}, "tags: Input should be a valid array"),
    ("create_task", {"title": "a", "tags": [""]}, "tags.0: String should have at least 1 character"),
    ("create_task", {}, "title: Field required"),
    ("update_task", {"task_id": 999, "title": "b"}, "task 999 does not exist"),
    ("update_task", {"task_id": "one", "title": "b"}, "task_id: Input should be a valid integer"),
    ("update_task", {"task_id": 1}, "at least one field"),
    ("update_task", {"task_id": 1, "due": "2026-12-01", "clear": ["due"]}, "both set and cleared"),
    ("update_task", {"task_id": 1, "status": "archived"}, "status: Input should be 'open' or 'done'"),
    ("update_task", {"task_id": 0, "title": "b"}, "task_id: Input should be greater than or equal to 1"),
    ("complete_task", {"task_id": 999}, "task 999 does not exist"),
    ("delete_task", {"task_id": -5}, "task_id: Input should be greater than or equal to 1"),
    ("list_tasks", {"limit": 1000000}, "limit: Input should be less than or equal to 100"),
    ("list_tasks", {"limit": 0}, "limit: Input should be greater than or equal to 1"),
    ("list_tasks", {"cursor": "not-a-cursor"}, "cursor is not one this server issued"),
    ("list_tasks", {"due_before": "soon"}, "due must be an ISO 8601 date"),
    ("list_tasks", {"sort": "title"}, "sort: unknown argument"),
]


@pytest.mark.parametrize(("tool", "arguments", "expected"), BAD_CALLS, ids=[f"{t}-{e[:25]}" for t, _, e in BAD_CALLS])
async def test_bad_input_is_a_clear_tool_error_and_changes_nothing(
    client: Client, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    await call(client, "create_task", title="keep me", tags=["safe"])
    before = await all_tasks(client)
    message = await call_error(client, tool, **arguments)
    assert expected in message
    assert "Traceback" not in message
    assert await all_tasks(client) == before


async def test_health_resource_counts_calls_and_errors(client: Client) -> None:
    await call(client, "create_task", title="a")
    await call_error(client, "complete_task", task_id=77)
    result = await client.read_resource("health://status")
    report = json.loads(result.contents[0].text)
    assert report["status"] == "ok" and report["ready"] is True
    assert report["components"]["store"]["status"] == "up"
    assert report["version"] and report["uptime_seconds"] >= 0
    assert report["tool_calls"]["total"] == 2 and report["tool_calls"]["errors"] == 1
    assert report["tool_calls"]["by_tool"]["complete_task"] == {"calls": 1, "errors": 1}


async def test_health_reports_a_store_that_is_down(app: App, client: Client) -> None:
    await app.service.store.close()
    report = json.loads((await client.read_resource("health://status")).contents[0].text)
    assert report["status"] == "down" and report["ready"] is False
    assert "closed" in report["components"]["store"]["error"]
    message = await call_error(client, "list_tasks")
    assert "store is closed" in message


async def test_task_resource_reads_one_task(client: Client) -> None:
    task = await call(client, "create_task", title="read me")
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["task://{task_id}", "task://{task_id}/history"]
    result = await client.read_resource(f"task://{task['id']}")
    assert json.loads(result.contents[0].text) == task
    with pytest.raises(MCPError, match="task 99 does not exist"):
        await client.read_resource("task://99")
    with pytest.raises(MCPError, match="positive integer"):
        await client.read_resource("task://abc")


async def test_plan_my_day_orders_by_due_then_priority(client: Client) -> None:
    await call(client, "create_task", title="no date, urgent", priority="urgent")
    await call(client, "create_task", title="later", due="2026-12-10", tags=["work"])
    await call(client, "create_task", title="sooner, low", due="2026-12-01", priority="low", tags=["work"])
    done = await call(client, "create_task", title="already done", due="2026-11-01")
    await call(client, "complete_task", task_id=done["id"])
    prompts = (await client.list_prompts()).prompts
    assert [p.name for p in prompts] == ["plan_my_day"]
    text = (await client.get_prompt("plan_my_day", {})).messages[0].content.text
    assert text.index("sooner, low") < text.index("later") < text.index("no date, urgent")
    assert "already done" not in text
    focused = (await client.get_prompt("plan_my_day", {"focus_tag": "work", "hours_available": "3"})).messages
    assert "no date" not in focused[0].content.text and "3 hours" in focused[0].content.text


PROMPT_REFUSALS = [
    ("nope", {}, "unknown prompt 'nope'; prompts/list shows plan_my_day"),
    ("plan_my_day", {"focus": "work"}, "takes no argument 'focus'; its arguments are focus_tag, hours_available"),
    ("plan_my_day", {"hours_available": "lots"}, "hours_available must be a number of hours above 0 and at most 24"),
    ("plan_my_day", {"hours_available": "-2"}, "hours_available must be a number of hours above 0 and at most 24"),
    ("plan_my_day", {"focus_tag": "t" * 51}, "is not a tag: String should have at most 50 characters"),
]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_get_prompt_refuses_unknown_names_and_bad_arguments_as_invalid_params(
    app: App, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Client(app.server, mode=mode) as client:
        for name, arguments, expected in PROMPT_REFUSALS:
            with pytest.raises(MCPError) as refused:
                await client.get_prompt(name, arguments)
            assert (refused.value.error.code, name) == (-32602, name), refused.value.error
            assert expected in refused.value.error.message
        planned = await client.get_prompt("plan_my_day", {"hours_available": "1.5"})
        assert "I have about 1.5 hours." in planned.messages[0].content.text
    assert not [record.getMessage() for record in caplog.records if record.exc_info]


async def test_completions_suggest_tags_and_open_task_ids(client: Client) -> None:
    await call(client, "create_task", title="a", tags=["work", "writing"])
    await call(client, "create_task", title="b", tags=["work"])
    prompt = types.PromptReference(type="ref/prompt", name="plan_my_day")
    result = await client.complete(prompt, {"name": "focus_tag", "value": "w"})
    assert result.completion.values == ["work", "writing"]
    template = types.ResourceTemplateReference(type="ref/resource", uri="task://{task_id}")
    assert (await client.complete(template, {"name": "task_id", "value": ""})).completion.values == ["2", "1"]
    unknown = types.PromptReference(type="ref/prompt", name="nope")
    assert (await client.complete(unknown, {"name": "x", "value": ""})).completion.values == []


class Collector:
    """Collects what a client receives; `wait_for(n)` returns once n items have arrived."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = anyio.Event()

    def add(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()

    async def wait_for(self, count: int) -> None:
        with anyio.fail_after(5):
            while len(self.items) < count:
                self._changed = anyio.Event()
                await self._changed.wait()


async def test_legacy_subscribers_hear_about_their_task_only(app: App) -> None:
    updates = Collector()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            updates.add(message.params.uri)

    async with Client(app.server, mode="legacy", message_handler=on_message) as client:
        first = await call(client, "create_task", title="watched")
        other = await call(client, "create_task", title="not watched")
        await client.subscribe_resource(f"task://{first['id']}")
        await call(client, "update_task", task_id=first["id"], title="watched, renamed")
        await call(client, "update_task", task_id=other["id"], title="other renamed")
        await call(client, "complete_task", task_id=first["id"])
        await updates.wait_for(2)
        await client.unsubscribe_resource(f"task://{first['id']}")
        await call(client, "delete_task", task_id=first["id"])
        await call(client, "list_tasks")  # a later round trip: any stray notification would be here by now
    assert updates.items == [f"task://{first['id']}"] * 2


async def test_listen_subscribers_hear_about_changes(app: App) -> None:
    async with Client(app.server) as client:
        task = await call(client, "create_task", title="watched")
        async with client.listen(resource_subscriptions=[f"task://{task['id']}"]) as subscription:
            await call(client, "complete_task", task_id=task["id"])
            with anyio.fail_after(5):
                event = await subscription.__anext__()
        assert getattr(event, "uri", None) == f"task://{task['id']}"


async def test_log_notifications_follow_the_level_the_client_set(app: App) -> None:
    collected = Collector()

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        collected.add(params)

    async with Client(app.server, mode="legacy", logging_callback=on_log) as client:
        await call(client, "create_task", title="before any level")
        await client.set_logging_level("error")
        await call(client, "create_task", title="info is below error")
        await call_error(client, "complete_task", task_id=404)
        await client.set_logging_level("info")
        await call(client, "list_tasks")
        await collected.wait_for(2)
    logs = collected.items
    assert [(entry.level, entry.data["tool"]) for entry in logs] == [("error", "complete_task"), ("info", "list_tasks")]
    assert logs[0].data["error_kind"] == "not_found"


async def test_text_content_mirrors_structured_content_compactly(client: Client) -> None:
    result = await client.call_tool("create_task", {"title": "compact"})
    text = result.content[0].text
    assert json.loads(text) == result.structured_content
    assert "\n" not in text and ", " not in text
