"""Abuse limits for the HTTP service: a request body size limit (413) and a per-client rate limit
(429 with Retry-After). Both answer with the service's one JSON error shape and leave the probes
alone, so an orchestrator can always see the service."""

from __future__ import annotations

import math
import time

import anyio
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_server.errors_http import error_response

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/health"})


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
    """At most `limit` requests per client (its bearer token when there is one, else its address)
    in a moving window; beyond it, 429 with Retry-After."""

    def __init__(self, app: ASGIApp, limit: str) -> None:
        self.app = app
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    @staticmethod
    def client_key(scope: Scope) -> str:
        authorization = dict(scope["headers"]).get(b"authorization")
        if authorization:
            return "token:" + authorization.decode(errors="replace")[-16:]
        client = scope.get("client")
        return f"addr:{client[0]}" if client else "addr:unknown"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        key = self.client_key(scope)
        if not self.limiter.hit(self.item, key):
            reset = self.limiter.get_window_stats(self.item, key).reset_time
            retry_after = max(1, math.ceil(reset - time.time()))
            response = error_response(
                429,
                "rate_limited",
                f"more than {self.item} requests; retry in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )
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
