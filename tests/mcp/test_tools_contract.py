"""The contract `tools/list` hands an agent: what it costs the agent's context (o200k tokens, under a
budget), and every tool's schema as last reviewed, in snapshots/tools.json, so that a change of the
contract shows up in review as a diff of that file.

After a deliberate change of a tool, regenerate the snapshot and review its diff:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/mcp/test_tools_contract.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import bpe_openai
import mcp_types as types
import pytest
from mcp import Client

pytestmark = pytest.mark.anyio

TOOLS_LIST_BUDGET = 4_500  # o200k_base tokens for the whole tools/list result, as an agent receives it
SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"
CONTRACT_FIELDS = ("name", "title", "description", "inputSchema", "outputSchema", "annotations")


def tools_list_text(tools: list[types.Tool]) -> str:
    """The tools as the client receives them, compact JSON (as benchmarks/suite.py counts them)."""
    return json.dumps(
        [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], separators=(",", ":")
    )


def contract(tools: list[types.Tool]) -> dict[str, dict[str, Any]]:
    dumped = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
    return {
        tool["name"]: {key: tool.get(key) for key in CONTRACT_FIELDS}
        for tool in sorted(dumped, key=lambda t: t["name"])
    }


async def test_tools_list_stays_within_its_token_budget(client: Client) -> None:
    tokens = len(bpe_openai.get_encoding("o200k_base").encode(tools_list_text((await client.list_tools()).tools)))
    assert tokens <= TOOLS_LIST_BUDGET, (
        f"tools/list costs {tokens} o200k tokens, over its budget of {TOOLS_LIST_BUDGET}"
    )


async def test_every_tool_schema_is_the_reviewed_one(client: Client) -> None:
    current = contract((await client.list_tools()).tools)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n")
    reviewed = json.loads(SNAPSHOT.read_text())
    assert sorted(current) == sorted(reviewed), "tools were added or removed: regenerate with UPDATE_SNAPSHOTS=1"
    for name, schema in current.items():
        assert schema == reviewed[name], f"{name} changed: review it, then regenerate with UPDATE_SNAPSHOTS=1"
