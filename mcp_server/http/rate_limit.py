"""A per-client rate limit (429 with Retry-After), keyed on the principal a request authenticated as
(http/auth.py, which runs first) else the client address; the probes are never limited, so an
orchestrator can always see the service."""

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

    A client is the principal its credentials authenticated as, else (no credentials asked for) its
    address; a request with a wrong or made-up credential never gets this far (the authentication's
    own limit counts it against its address, and so does this one through `address_refusal`), so
    varying the header never escapes a limit."""

    def __init__(self, app: ASGIApp, limit: str, principal: Callable[[Scope], str | None] | None = None) -> None:
        self.app = app
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.principal = principal

    def client_key(self, scope: Scope) -> str:
        who = self.principal(scope) if self.principal is not None else None
        return f"principal:{who}" if who is not None else f"addr:{client_address(scope)}"

    def refusal(self, key: str) -> JSONResponse | None:
        """Count a request of `key`: None while it is within the limit, else the 429 to answer."""
        if self.limiter.hit(self.item, key):
            return None
        return too_many_requests(self.limiter, self.item, key, f"more than {self.item} requests")

    def address_refusal(self, scope: Scope) -> JSONResponse | None:
        """Count a request that presented wrong credentials against its address (the authentication
        refuses it before it gets here)."""
        return self.refusal(f"addr:{client_address(scope)}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        response = self.refusal(self.client_key(scope))
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
