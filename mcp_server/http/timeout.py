"""A deadline for REST requests (504 with the JSON error shape); /mcp, the probes and the change
stream keep their own."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_server.http.errors import error_response
from mcp_server.http.events import EVENTS_PATH


class RequestTimeoutMiddleware:
    """A REST request that has not been answered within `seconds` gets 504 and its work is cancelled.
    The MCP endpoint is left alone: its long-lived streams (subscriptions/listen, stateful GET) are
    meant to outlive any timeout, and its model calls have their own."""

    def __init__(
        self, app: ASGIApp, seconds: float, prefix: str = "/v1/", streams: frozenset[str] = frozenset({EVENTS_PATH})
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.prefix = prefix
        self.streams = streams  # REST routes that answer with a stream meant to stay open

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or path in self.streams:
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        with anyio.move_on_after(self.seconds) as scope_timer:
            await self.app(scope, receive, tracking_send)
        if scope_timer.cancelled_caught and not started:
            response = error_response(504, "timeout", f"no answer within {self.seconds:g} s; retry")
            await response(scope, receive, send)
