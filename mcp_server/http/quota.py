"""Plans' monthly quotas on HTTP: each call is counted for its principal, and one past the plan's
month is answered 429 with `Retry-After` (seconds until the month ends) and a JSON error naming the
plan and its limit, before it does any work.

What counts (core/usage.py): an MCP `tools/call` (a JSON-RPC request in the POST body; a batch counts
each), a REST call under /v1 (`POST /v1/task`, a command in words, and `process_command` count
COMMAND_UNITS); nothing else (initialize, tools/list, listen streams, /v1/events, /v1/usage, the docs, /metrics).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.core.principals import acting_principal
from mcp_server.core.usage import COMMAND_UNITS, QuotaExceeded, UsageMeter
from mcp_server.http.auth import authenticated
from mcp_server.http.body import read_body, replay
from mcp_server.http.errors import error_response
from mcp_server.http.events import EVENTS_PATH

COMMAND_TOOL = "process_command"
FREE_PATHS = frozenset({"/v1/usage", EVENTS_PATH})


def _tool_call_units(message: Any) -> int:
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return 0
    params = message.get("params")
    name = params.get("name") if isinstance(params, dict) else None
    return COMMAND_UNITS if name == COMMAND_TOOL else 1


def mcp_units(body: bytes) -> int:
    """What an MCP POST body costs: its tool calls (a body that is no JSON costs nothing here: the
    transport refuses it)."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return 0
    messages = parsed if isinstance(parsed, list) else [parsed]
    return sum(_tool_call_units(message) for message in messages)


def rest_units(method: str, path: str) -> int:
    if not path.startswith("/v1/") or path in FREE_PATHS:
        return 0
    return COMMAND_UNITS if (method, path) == ("POST", "/v1/task") else 1


class QuotaMiddleware:
    def __init__(self, app: ASGIApp, meter: UsageMeter) -> None:
        self.app = app
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method == "POST" and path == "/mcp":
            messages, body = await read_body(receive)
            units = mcp_units(body)
            receive = replay(messages, receive)
        else:
            units = rest_units(method, path)
        if units:
            principal = authenticated(scope) or acting_principal()
            try:
                await self.meter.admit(principal, units)
            except QuotaExceeded as exc:
                response = error_response(429, exc.kind, str(exc), headers={"Retry-After": str(exc.retry_after_s)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
