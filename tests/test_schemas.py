"""Compacted tool schemas: smaller, and still exactly as strict about what is valid."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest
from mcp import Client
from pydantic import BaseModel, Field

from mcp_server.domain import Priority, Task
from mcp_server.schemas import compact_input_schema, compact_output_schema

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
    assert schema["properties"]["priority"] == {"$ref": "#/$defs/Priority"}
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
    assert schema["properties"]["description"] == {"type": ["string", "null"]}
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
