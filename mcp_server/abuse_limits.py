"""Abuse limits for the HTTP service: a request body size limit (413) and a per-client rate limit
(429 with Retry-After). Both answer with the service's one JSON error shape and leave the probes
alone, so an orchestrator can always see the service."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import anyio
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_server.errors_http import error_response
from mcp_server.probes import PROBE_PATHS


def client_address(scope: Scope) -> str:
    """The peer's address (a proxy's forwarded address only when uvicorn was told to trust it)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def too_many_requests(limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str, reason: str) -> JSONResponse:
    """429 with the seconds until the window lets `key` in again, in Retry-After and the message."""
    reset = limiter.get_window_stats(item, key).reset_time
    retry_after = max(1, math.ceil(reset - time.time()))
    return error_response(
        429, "rate_limited", f"{reason}; retry in {retry_after} s", headers={"Retry-After": str(retry_after)}
    )


class BodySizeLimitMiddleware:
    """Refuse bodies over `max_bytes`: at once when Content-Length says so, else while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            # Past the limit: answer 413 now and tell the app the client has gone, so it stops.
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not refused:
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 already went out; drop what the app still says
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "payload_too_large", f"the request body is larger than {self.max_bytes} bytes")
        await response(scope, receive, send)


class RateLimitMiddleware:
    """At most `limit` requests per client in a moving window; beyond it, 429 with Retry-After.

    A client is the principal its credentials authenticate as, once they are valid, else its
    address: a request with a wrong or made-up `Authorization` header counts against its address,
    so varying the header never escapes the limit."""

    def __init__(self, app: ASGIApp, limit: str, principal: Callable[[Scope], str | None] | None = None) -> None:
        self.app = app
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.principal = principal

    def client_key(self, scope: Scope) -> str:
        who = self.principal(scope) if self.principal is not None else None
        return f"principal:{who}" if who is not None else f"addr:{client_address(scope)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        key = self.client_key(scope)
        if not self.limiter.hit(self.item, key):
            response = too_many_requests(self.limiter, self.item, key, f"more than {self.item} requests")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RequestTimeoutMiddleware:
    """A REST request that has not been answered within `seconds` gets 504 and its work is cancelled.
    The MCP endpoint is left alone: its long-lived streams (subscriptions/listen, stateful GET) are
    meant to outlive any timeout, and its model calls have their own."""

    def __init__(self, app: ASGIApp, seconds: float, prefix: str = "/v1/") -> None:
        self.app = app
        self.seconds = seconds
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
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
