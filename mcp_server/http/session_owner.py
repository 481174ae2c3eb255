"""A stateful MCP session belongs to the principal that opened it.

The SDK runs a session's handlers in the task its first request started, so they act for that
request's principal however later requests authenticated. A session id presented by anyone else must
therefore reach nothing: it is "not found" (404, what the SDK answers for an unknown session, so
it says no more than a wrong id would). Every session opened through this stack is recorded when the
SDK names it in a response; an id this stack never recorded is refused too.
"""

from __future__ import annotations

from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_server.http.auth import authenticated
from mcp_server.http.errors import error_response

SESSION_HEADER = b"mcp-session-id"
# Sessions remembered at once; past it the oldest is forgotten (its client opens a new one on the 404).
SESSIONS_MAX = 10_000


class SessionOwnerMiddleware:
    def __init__(self, app: ASGIApp, sessions_max: int = SESSIONS_MAX) -> None:
        self.app = app
        self.sessions_max = sessions_max
        self._owners: OrderedDict[bytes, str | None] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        principal = authenticated(scope)
        owner = principal.id if principal is not None else None
        presented = dict(scope["headers"]).get(SESSION_HEADER)
        if presented is not None:
            if presented not in self._owners or self._owners[presented] != owner:
                response = error_response(404, "not_found", "session not found; initialize a new session")
                await response(scope, receive, send)
                return
            if scope["method"] == "DELETE":
                self._owners.pop(presented, None)
            await self.app(scope, receive, send)
            return

        async def remember_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                named = dict(message.get("headers", [])).get(SESSION_HEADER)
                if named is not None:
                    self._owners[named] = owner
                    while len(self._owners) > self.sessions_max:
                        self._owners.popitem(last=False)
            await send(message)

        await self.app(scope, receive, remember_session)
