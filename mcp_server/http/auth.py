"""Authentication for every HTTP route but the probes: who a request acts for.

A request presents `Authorization: Bearer <credential>`: the single shared token (the principal
`local`, every scope: the mode of a personal server) or an API key from the store (its principal and
scopes). The request then runs as that principal (`acting_as`), so every route below, MCP and REST
alike, reads and writes that principal's tasks only. Credentials are asked for once a token is set or
any API key was ever created; before that (a loopback server of one person) every request is local.

The token is compared in constant time, and keys by their hash (core/keys.py). Failed attempts are
limited per client address, so a flood of wrong credentials gets 429 instead of work; a valid
credential is always let through, so clients that share an address with the flood (behind one proxy)
keep working. A failure never says whether a key exists.
"""

from __future__ import annotations

import hmac
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.core.errors import StoreUnavailable
from mcp_server.core.keys import ApiKeys
from mcp_server.core.principals import LOCAL, Principal, acting_as
from mcp_server.http.errors import error_response
from mcp_server.http.rate_limit import RateLimitMiddleware, client_address, too_many_requests
from mcp_server.observability.health import PROBE_PATHS

AUTH_FAILURE_LIMIT = "20/minute"
# Where the principal a request authenticated as is kept in its ASGI scope (for the layers inside).
PRINCIPAL_KEY = "task_api.principal"
# How long the answer to "was any key ever created" is trusted before the store is asked again.
KEYS_RECHECK_S = 1.0


def authenticated(scope: Scope) -> Principal | None:
    """The principal a request's credentials authenticated as; None when none were asked for."""
    found = scope.get(PRINCIPAL_KEY)
    return found if isinstance(found, Principal) else None


class Credentials:
    """What a request may present: the shared token, and the API keys of the store."""

    def __init__(self, token: str | None = None, keys: ApiKeys | None = None) -> None:
        self._token = f"Bearer {token}".encode() if token else None
        self._keys = keys
        self._keys_exist = False
        self._keys_checked_at: float | None = None

    async def required(self) -> bool:
        """Whether requests must authenticate: a token is set, or a key was ever made (a revoked
        last key must not open the server again)."""
        if self._token is not None or self._keys_exist:
            return True
        if self._keys is None:
            return False
        now = time.monotonic()
        if self._keys_checked_at is None or now - self._keys_checked_at >= KEYS_RECHECK_S:
            self._keys_checked_at = now
            self._keys_exist = await self._keys.store.has_keys()
        return self._keys_exist

    async def principal(self, scope: Scope) -> Principal | None:
        """Who a request authenticates as, or None when it presents no valid credential."""
        given = dict(scope["headers"]).get(b"authorization", b"")
        if self._token is not None and hmac.compare_digest(given, self._token):
            return LOCAL
        scheme, _, credential = given.partition(b" ")
        if self._keys is None or scheme.lower() != b"bearer" or not credential:
            return None
        try:
            return await self._keys.authenticate(credential.decode("ascii"))
        except UnicodeDecodeError:
            return None


class AuthenticationMiddleware:
    """Runs each request as the principal it authenticates as: 401 without a valid credential, 429
    instead for an address past `failure_limit` failed attempts, 503 when the store that holds the
    keys cannot be asked."""

    def __init__(
        self,
        app: ASGIApp,
        credentials: Credentials,
        failure_limit: str = AUTH_FAILURE_LIMIT,
        rate_limit: RateLimitMiddleware | None = None,
    ) -> None:
        self.app = app
        self.credentials = credentials
        self.rate_limit = rate_limit  # the general limit, which counts failed attempts by address too
        self.failure_limit: RateLimitItem = parse(failure_limit)
        self.failures = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        try:
            required = await self.credentials.required()
            principal = await self.credentials.principal(scope) if required else LOCAL
        except StoreUnavailable as exc:
            response = error_response(503, "store_unavailable", f"cannot check credentials now: {exc}")
            await response(scope, receive, send)
            return
        if not required:  # every request is local's, and limits tell clients apart by address
            await self.app(scope, receive, send)
            return
        if principal is not None:
            scope[PRINCIPAL_KEY] = principal
            with acting_as(principal):
                await self.app(scope, receive, send)
            return
        address = client_address(scope)
        limited = self.rate_limit.address_refusal(scope) if self.rate_limit is not None else None
        if limited is not None:
            response = limited
        elif not self.failures.hit(self.failure_limit, address):
            reason = f"more than {self.failure_limit} failed authentications from {address}"
            response = too_many_requests(self.failures, self.failure_limit, address, reason)
        else:
            response = error_response(
                401,
                "unauthorized",
                "missing or wrong bearer token or API key",
                headers={"WWW-Authenticate": 'Bearer realm="task-api-mcp"'},
            )
        await response(scope, receive, send)
