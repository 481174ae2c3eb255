"""What tests do with an MCP client again and again: call a tool that must succeed, and change a
task by read-modify-write with expected_version until the change lands."""

from __future__ import annotations

import json
from typing import Any

from mcp import Client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The structured result of a tool call that must not fail."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


def wire(model: Any) -> dict[str, Any]:
    """A protocol object as it travels: by alias (`_meta`, `isError`), unset fields left out."""
    dumped: dict[str, Any] = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return dumped


async def add_tag_until_it_lands(client: Client, task_id: int, tag: str) -> int:
    """Read the task, write its tags plus `tag` with expected_version, retry on a version conflict;
    returns how many conflicts it met."""
    conflicts = 0
    while True:
        current = json.loads((await client.read_resource(f"task://{task_id}")).contents[0].text)
        result = await client.call_tool(
            "update_task",
            {"task_id": task_id, "tags": [*current["tags"], tag], "expected_version": current["version"]},
        )
        if not result.is_error:
            return conflicts
        assert "expected_version" in result.content[0].text, result.content
        conflicts += 1


def initialize_request(protocol_version: str = "2025-06-18") -> dict[str, Any]:
    """A raw JSON-RPC initialize, for tests that speak streamable HTTP without a client."""
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": protocol_version,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    }
