"""Every kind of error has an answer in both adapters: an HTTP status with the JSON error body over REST,
and an isError tool result (with the message an agent can act on) plus its kind in the metrics over MCP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from mcp_server.app import App
from mcp_server.core.errors import ErrorKind, TaskError
from mcp_server.http.errors import SOFT_KINDS, STATUS_BY_KIND
from mcp_server.http.rest import build_rest_app
from mcp_server.mcp.tooling import ManagedTool

pytestmark = pytest.mark.anyio


def error_classes() -> dict[ErrorKind, type[TaskError]]:
    """One TaskError class for each kind the service raises on purpose."""
    found: dict[ErrorKind, type[TaskError]] = {}
    pending = list(TaskError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found.setdefault(cls.kind, cls)
    return found


def raise_kind(kind: ErrorKind) -> TaskError:
    cls = error_classes().get(kind, TaskError)
    error = Exception.__new__(cls)  # the constructors differ; the message and kind are what is mapped
    Exception.__init__(error, f"the {kind} message")
    return error


def test_every_kind_but_internal_is_raised_by_some_error() -> None:
    assert set(error_classes()) == set(ErrorKind) - {ErrorKind.INTERNAL}


def test_every_kind_has_an_http_status() -> None:
    assert set(STATUS_BY_KIND) == set(ErrorKind)
    assert SOFT_KINDS.issubset(ErrorKind)
    assert all(400 <= STATUS_BY_KIND[kind] < 500 for kind in SOFT_KINDS)  # an answer is never a server failure


@pytest.mark.parametrize("kind", list(ErrorKind))
async def test_each_kind_answers_its_status_and_code_over_rest(app: App, kind: ErrorKind) -> None:
    rest = build_rest_app(app.service, app.runner)

    @rest.get("/v1/raise")
    async def raise_it() -> None:
        raise raise_kind(kind)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rest), base_url="http://127.0.0.1") as http:
        response = await http.get("/v1/raise")
    assert response.status_code == STATUS_BY_KIND[kind]
    assert response.json() == {"error": {"code": kind.value, "message": f"the {kind} message"}}


@pytest.mark.parametrize("kind", list(ErrorKind))
async def test_each_kind_is_an_error_result_of_a_tool(kind: ErrorKind) -> None:
    observed: list[tuple[str, str | None]] = []

    async def observer(tool: str, _ms: float, outcome: str, error_kind: str | None, _ctx: Any) -> None:
        observed.append((outcome, error_kind))

    async def failing() -> str:
        """Always fails."""
        raise raise_kind(kind)

    tool = ManagedTool.create(failing, title="Failing", annotations=ToolAnnotations(), observer=observer)
    async with Client(MCPServer("errors", tools=[tool])) as client:
        result = await client.call_tool("failing", {})
    assert result.is_error
    assert result.content[0].text == f"the {kind} message"  # type: ignore[union-attr]
    assert observed == [("error", kind)]
