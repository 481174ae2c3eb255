"""A per-client rate limit (429 with Retry-After), keyed on a valid token's principal else the
client address; the probes are never limited, so an orchestrator can always see the service."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.http.errors import error_response
from mcp_server.observability.health import PROBE_PATHS


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
