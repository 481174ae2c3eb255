"""Compacted tool schemas: smaller, and still exactly as strict about what is valid."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client
from pydantic import BaseModel, Field

from mcp_server.app import open_app
from mcp_server.config import Settings
from mcp_server.core.domain import Priority, Task
from mcp_server.mcp.schemas import compact_input_schema, compact_output_schema

pytestmark = pytest.mark.anyio


class Arguments(BaseModel):
    title: str = Field(description="The task's title.")
    due: str | None = Field(default=None, description="When it is due.")
    priority: Priority | None = None


def test_input_schema_drops_titles_and_null_branches_but_keeps_property_names() -> None:
    schema = compact_input_schema(Arguments.model_json_schema())
    text = json.dumps(schema)
    assert '"title": "' not in text.replace('"title": {', "")  # no title keywords left
    assert set(schema["properties"]) == {"title", "due", "priority"}
    assert schema["properties"]["due"] == {"type": "string", "description": "When it is due."}
    assert schema["properties"]["priority"] == {"enum": ["low", "normal", "high", "urgent"], "type": "string"}
    assert "$defs" not in schema  # a definition used once is written in place
    assert schema["required"] == ["title"]


def test_input_schema_accepts_and_refuses_what_the_original_does_for_given_values() -> None:
    original, compact = Arguments.model_json_schema(), compact_input_schema(Arguments.model_json_schema())
    for instance, valid in (
        ({"title": "a"}, True),
        ({"title": "a", "due": "2026-12-01", "priority": "high"}, True),
        ({"due": "2026-12-01"}, False),
        ({"title": "a", "priority": "someday"}, False),
        ({"title": 3}, False),
    ):
        assert jsonschema.Draft202012Validator(original).is_valid(instance) is valid
        assert jsonschema.Draft202012Validator(compact).is_valid(instance) is valid


def test_output_schema_keeps_null_where_outputs_carry_it() -> None:
    schema = compact_output_schema(Task.model_json_schema())
    assert schema["properties"]["description"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert "default" not in json.dumps(schema)
    now = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    task = Task(id=1, title="t", created_at=now, updated_at=now, version=1).model_dump(mode="json")
    assert task["description"] is None and task["completed_at"] is None
    jsonschema.validate(task, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**task, "status": "someday"}, schema)


def test_nested_descriptions_are_merged_not_lost() -> None:
    schema = {"anyOf": [{"type": "string", "description": "ISO 8601 date."}, {"type": "null"}], "description": "Due."}
    assert compact_input_schema(schema) == {"type": "string", "description": "Due. ISO 8601 date."}


async def test_the_server_advertises_compact_schemas(client: Client) -> None:
    tools = (await client.list_tools()).tools
    for tool in tools:
        text = json.dumps([tool.input_schema, tool.output_schema])
        assert '"type": "null"}]' not in json.dumps(tool.input_schema), tool.name
        assert '"title": "' not in text.replace('"title": {', ""), tool.name


def test_a_definition_used_once_is_written_in_place_and_one_used_twice_is_kept() -> None:
    class Pair(BaseModel):
        first: Priority
        second: Priority
        task: Task

    schema = compact_output_schema(Pair.model_json_schema())
    assert set(schema["$defs"]) == {"Priority"}  # Task is used once; Status, inside it, once
    assert schema["properties"]["task"]["properties"]["status"]["enum"] == ["open", "done"]
    assert schema["properties"]["first"] == {"$ref": "#/$defs/Priority"}
    now = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    task = Task(id=1, title="t", created_at=now, updated_at=now, version=1).model_dump(mode="json")
    jsonschema.validate({"first": "low", "second": "high", "task": task}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"first": "low", "second": "high", "task": {**task, "status": "someday"}}, schema)


def _type_keywords(node: Any) -> Iterator[Any]:
    """Every value of the `type` keyword in a schema (a property named "type" is not one)."""
    if isinstance(node, list):
        for item in node:
            yield from _type_keywords(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "type":
                yield value
            elif key in ("properties", "$defs"):
                yield from _type_keywords(list(value.values()))
            else:
                yield from _type_keywords(value)


def _task_schema(get_task_output: dict[str, Any]) -> dict[str, Any]:
    """The task of get_task's output: a definition, as its subtasks are tasks too."""
    ref = get_task_output["properties"]["task"]["$ref"]
    return get_task_output["$defs"][ref.removeprefix("#/$defs/")]


async def test_nullable_output_fields_are_written_with_anyof(client: Client) -> None:
    """`"type": ["string", "null"]` is legal, but some clients read `type` as one string."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for tool in tools.values():
        assert all(isinstance(kind, str) for kind in _type_keywords(tool.output_schema)), tool.name
    task = _task_schema(tools["get_task"].output_schema)["properties"]
    for name in ("description", "due", "completed_at", "parent_id", "recurrence", "deleted_at"):
        assert {"type": "null"} in task[name]["anyOf"], name
    page = tools["list_tasks"].output_schema["properties"]
    assert page["next_cursor"]["anyOf"] == [{"type": "string"}, {"type": "null"}]


async def test_process_command_names_every_task_action_it_can_return(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    action = tools["process_command"].output_schema["properties"]["action"]
    assert set(action["properties"]["action"]["enum"]) == {
        "create_task",
        "list_tasks",
        "update_task",
        "delete_task",
        "complete_task",
        "restore_task",
    }
    validator = jsonschema.Draft202012Validator(action)
    assert validator.is_valid({"action": "delete_task", "params": {"task_id": 3}})
    for wrong in ({}, {"action": "error", "message": "no"}, {"action": "create_task"}):
        assert not validator.is_valid(wrong), wrong


async def test_tools_that_return_a_task_name_it_and_get_task_describes_it(client: Client) -> None:
    """A task's full schema costs ~300 tokens: written once (get_task), named in a line elsewhere."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    full = _task_schema(tools["get_task"].output_schema)
    assert set(full["properties"]) >= {"id", "list", "parent_id", "subtasks", "recurrence", "deleted_at", "version"}
    for name in ("create_task", "update_task", "complete_task", "restore_task"):
        schema = tools[name].output_schema
        assert "get_task" in schema["description"] and schema["required"] == ["id", "version"], name


@pytest.fixture
async def rules_client(tmp_path: Path) -> AsyncIterator[Client]:
    async with open_app(Settings(db=str(tmp_path / "tasks.db"), backend="rules")) as app, Client(app.server) as c:
        yield c


async def test_structured_content_of_every_tool_fits_its_output_schema(rules_client: Client) -> None:
    schemas = {tool.name: tool.output_schema for tool in (await rules_client.list_tools()).tools}
    calls = [
        ("create_task", {"title": "a", "due": "2026-12-04T17:00:00+01:00", "tags": ["x"], "description": "d"}),
        ("create_task", {"title": "b", "list": "work"}),
        ("rename_list", {"name": "work", "new_name": "office"}),
        ("list_tasks", {"limit": 1}),
        ("update_task", {"task_id": 1, "priority": "high"}),
        ("complete_task", {"task_id": 1}),
        ("process_command", {"command": "create a task: buy milk"}),
        ("process_command", {"command": "list high priority tasks"}),
        ("process_command", {"command": "set the priority of task 2 to urgent"}),
        ("process_command", {"command": "mark task 2 as done"}),
        ("process_command", {"command": "delete task 3", "dry_run": True}),
        ("process_command", {"command": "delete task 3", "confirm": True}),
        ("get_task", {"task_id": 1, "include": ["subtasks", "history"]}),
        ("create_task", {"title": "sub", "parent_id": 1}),
        ("batch_tasks", {"operations": [{"op": "create", "title": "c"}, {"op": "complete", "task_id": 99}]}),
        ("delete_task", {"task_id": 1}),
        ("restore_task", {"task_id": 1}),
    ]
    seen = set()
    for tool, arguments in calls:
        result = await rules_client.call_tool(tool, arguments)
        assert not result.is_error, result.content
        jsonschema.Draft202012Validator(schemas[tool]).validate(result.structured_content)
        seen.add(tool)
    assert seen == set(schemas)
