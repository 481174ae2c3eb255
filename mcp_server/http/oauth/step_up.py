"""Step-up for OAuth clients: a tool call that needs a scope the access token lacks is answered HTTP
403 with `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."` (the MCP authorization
spec), so the client can ask the authorization server for a token with that scope and retry.

Only tools whose scope is fixed are refused here: every tool but the read-only ones changes tasks.
process_command needs whichever scope the action it understands needs, so the service answers it
(an isError result). Keys and the shared token keep the service's isError result too: no
authorization server can widen them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.core.principals import Scope as TaskScope
from mcp_server.http.auth import authenticated, credential_kind
from mcp_server.http.body import read_body, replay
from mcp_server.http.errors import error_response
from mcp_server.http.oauth.resource import ADVERTISED_SCOPES, ProtectedResource

SCOPE_DECIDED_BY_SERVICE = frozenset({"process_command"})


def called_tools(body: bytes) -> list[str]:
    """The names of the tools an MCP POST body calls (a batch may call several)."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    messages = parsed if isinstance(parsed, list) else [parsed]
    names = []
    for message in messages:
        if isinstance(message, dict) and message.get("method") == "tools/call":
            params = message.get("params")
            name = params.get("name") if isinstance(params, dict) else None
            if isinstance(name, str):
                names.append(name)
    return names


class ScopeStepUpMiddleware:
    """`writing_tools`: the names of the tools that change tasks, read once from the server."""

    def __init__(
        self, app: ASGIApp, resource: ProtectedResource, writing_tools: Callable[[], Awaitable[frozenset[str]]]
    ) -> None:
        self.app = app
        self.resource = resource
        self._writing_tools = writing_tools
        self._writing: frozenset[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = authenticated(scope)
        if (
            scope["type"] != "http"
            or (scope["method"], scope["path"]) != ("POST", "/mcp")
            or credential_kind(scope) != "oauth"
            or principal is None
            or principal.scopes & {TaskScope.WRITE, TaskScope.ADMIN}
        ):
            await self.app(scope, receive, send)
            return
        messages, body = await read_body(receive)
        receive = replay(messages, receive)
        if self._writing is None:
            self._writing = await self._writing_tools()
        refused = [name for name in called_tools(body) if name in self._writing]
        if not refused:
            await self.app(scope, receive, send)
            return
        message = f"{refused[0]} needs the scope {TaskScope.WRITE.value}, which the access token lacks"
        challenge = self.resource.challenge(
            error="insufficient_scope", description=message, scope=" ".join(ADVERTISED_SCOPES)
        )
        await error_response(403, "insufficient_scope", message, headers={"WWW-Authenticate": challenge})(
            scope, receive, send
        )


async def writing_tools_of(list_tools: Callable[[], Awaitable[list[Any]]]) -> frozenset[str]:
    """The tools not marked read-only, but those whose scope the service decides."""
    return frozenset(
        tool.name
        for tool in await list_tools()
        if not (tool.annotations is not None and tool.annotations.read_only_hint)
        and tool.name not in SCOPE_DECIDED_BY_SERVICE
    )
