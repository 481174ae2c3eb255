"""Bearer-token authentication for every HTTP route but the probes.

The token is compared in constant time, and must be long enough that guessing it is hopeless (the
settings refuse a short one). Failed attempts are limited per client address, whether or not a
general rate limit is set, so a flood of wrong tokens gets 429 instead of work; a valid token is
always let through, so clients that share an address with the flood (behind one proxy) keep working.
"""

from __future__ import annotations

import hmac

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.http.errors import error_response
from mcp_server.http.rate_limit import client_address, too_many_requests
from mcp_server.observability.health import PROBE_PATHS

AUTH_FAILURE_LIMIT = "20/minute"
TOKEN_PRINCIPAL = "token"


class BearerToken:
    """One shared token: a request that presents it acts for the principal `token`."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def principal(self, scope: Scope) -> str | None:
        """Who a request authenticates as, or None when it presents no valid token."""
        given = dict(scope["headers"]).get(b"authorization", b"")
        return TOKEN_PRINCIPAL if hmac.compare_digest(given, self._expected) else None


class BearerTokenMiddleware:
    """401 without a valid token; 429 instead for an address past `failure_limit` failed attempts."""

    def __init__(self, app: ASGIApp, auth: BearerToken, failure_limit: str = AUTH_FAILURE_LIMIT) -> None:
        self.app = app
        self.auth = auth
        self.failure_limit: RateLimitItem = parse(failure_limit)
        self.failures = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        if self.auth.principal(scope) is not None:
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        if not self.failures.hit(self.failure_limit, address):
            reason = f"more than {self.failure_limit} failed authentications from {address}"
            response = too_many_requests(self.failures, self.failure_limit, address, reason)
        else:
            response = error_response(
                401,
                "unauthorized",
                "missing or wrong bearer token",
                headers={"WWW-Authenticate": 'Bearer realm="task-api-mcp"'},
            )
        await response(scope, receive, send)
