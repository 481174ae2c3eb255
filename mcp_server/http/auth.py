"""Authentication for every HTTP route but the probes: who a request acts for.

A request presents `Authorization: Bearer <credential>`: the single shared token (the principal
`local`, every scope: the mode of a personal server), an API key from the store (its principal and
scopes), or an OAuth access token of the configured issuer (its subject and granted scopes). The
request then runs as that principal (`acting_as`), so every route below, MCP and REST alike, reads
and writes that principal's tasks only. Credentials are asked for once a token or an issuer is set or
any API key was ever created; before that (a loopback server of one person) every request is local.
With an issuer, a 401 says where to get a token (`WWW-Authenticate: Bearer resource_metadata=...`),
and a token granted none of this server's scopes gets 403 `insufficient_scope`.

The token is compared in constant time, and keys by their hash (core/keys.py). Failed attempts are
limited per client address, so a flood of wrong credentials gets 429 instead of work; a valid
credential is always let through, so clients that share an address with the flood (behind one proxy)
keep working. A failure never says whether a key exists.
"""

from __future__ import annotations

import hmac
import time
from typing import Literal

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.core.errors import StoreUnavailable
from mcp_server.core.keys import KEY_MARK, ApiKeys
from mcp_server.core.principals import LOCAL, Principal, acting_as
from mcp_server.core.principals import Scope as TaskScope
from mcp_server.http.calendar.tokens import FEED_PATH, feed_token, is_feed_principal
from mcp_server.http.errors import error_response
from mcp_server.http.oauth.principals import TokenPrincipals
from mcp_server.http.oauth.resource import ProtectedResource
from mcp_server.http.oauth.tokens import IssuerUnavailable, TokenRefused
from mcp_server.http.rate_limit import RateLimitMiddleware, client_address, too_many_requests
from mcp_server.http.web.page import is_page_path
from mcp_server.observability.health import PROBE_PATHS

AUTH_FAILURE_LIMIT = "20/minute"
# Where the principal a request authenticated as is kept in its ASGI scope (for the layers inside).
PRINCIPAL_KEY = "task_api.principal"
# Which kind of credential it presented: "token" (the shared one), "key" or "oauth".
CREDENTIAL_KEY = "task_api.credential"
TASK_SCOPES = frozenset({TaskScope.READ, TaskScope.WRITE, TaskScope.ADMIN})
CredentialKind = Literal["token", "key", "oauth"]
# How long the answer to "was any key ever created" is trusted before the store is asked again.
KEYS_RECHECK_S = 1.0


def authenticated(scope: Scope) -> Principal | None:
    """The principal a request's credentials authenticated as; None when none were asked for."""
    found = scope.get(PRINCIPAL_KEY)
    return found if isinstance(found, Principal) else None


def credential_kind(scope: Scope) -> CredentialKind | None:
    found = scope.get(CREDENTIAL_KEY)
    return found if found in ("token", "key", "oauth") else None


class NotAuthenticated(Exception):
    """No valid credential. `token_refused`: an access token was presented and refused (the message
    says why); otherwise nothing is said, so that a failure never tells whether a key exists."""

    def __init__(self, message: str = "missing or wrong bearer token or API key", *, token_refused: bool = False):
        super().__init__(message)
        self.token_refused = token_refused


class Credentials:
    """What a request may present: the shared token, the API keys of the store, and the access tokens
    of an issuer."""

    def __init__(
        self,
        token: str | None = None,
        keys: ApiKeys | None = None,
        *,
        oauth: TokenPrincipals | None = None,
        resource: ProtectedResource | None = None,
    ) -> None:
        self._token = f"Bearer {token}".encode() if token else None
        self._keys = keys
        self.oauth = oauth
        self.resource = resource
        self._keys_exist = False
        self._keys_checked_at: float | None = None

    async def required(self) -> bool:
        """Whether requests must authenticate: a token is set, or a key was ever made (a revoked
        last key must not open the server again)."""
        if self._token is not None or self.oauth is not None or self._keys_exist:
            return True
        if self._keys is None:
            return False
        now = time.monotonic()
        if self._keys_checked_at is None or now - self._keys_checked_at >= KEYS_RECHECK_S:
            self._keys_checked_at = now
            self._keys_exist = await self._keys.store.has_keys()
        return self._keys_exist

    async def principal(self, scope: Scope) -> tuple[Principal, CredentialKind]:
        """Who a request authenticates as, and with what; NotAuthenticated when it presents no valid
        credential, IssuerUnavailable when a token cannot be checked now."""
        given = dict(scope["headers"]).get(b"authorization", b"")
        if not given:
            return await self._feed_principal(feed_token(scope))
        if self._token is not None and hmac.compare_digest(given, self._token):
            return LOCAL, "token"
        scheme, _, raw = given.partition(b" ")
        try:
            credential = raw.strip().decode("ascii")
        except UnicodeDecodeError:
            raise NotAuthenticated() from None
        if scheme.lower() != b"bearer" or not credential:
            raise NotAuthenticated()
        if self._keys is not None and (self.oauth is None or credential.startswith(KEY_MARK)):
            found = await self._keys.authenticate(credential)
            if found is None:
                raise NotAuthenticated()
            return found, "key"
        if self.oauth is None:
            raise NotAuthenticated()
        try:
            return await self.oauth.principal(credential), "oauth"
        except TokenRefused as exc:
            raise NotAuthenticated(str(exc), token_refused=True) from None

    async def _feed_principal(self, token: str | None) -> tuple[Principal, CredentialKind]:
        """A calendar feed's token from its URL: accepted only when it is a feed token, so no key
        that can do more is ever taken from a URL."""
        if token is None or self._keys is None:
            raise NotAuthenticated()
        found = await self._keys.authenticate(token)
        if found is None or not is_feed_principal(found):
            raise NotAuthenticated()
        return found, "key"


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
        resource = credentials.resource
        self.public_paths = PROBE_PATHS | (resource.metadata_paths if resource is not None else frozenset())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public_paths or is_page_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        refused: NotAuthenticated | None = None
        try:
            required = await self.credentials.required()
            if required:
                principal, kind = await self.credentials.principal(scope)
        except StoreUnavailable as exc:
            await error_response(503, "store_unavailable", f"cannot check credentials now: {exc}")(scope, receive, send)
            return
        except IssuerUnavailable as exc:
            response = error_response(503, "issuer_unavailable", f"cannot check the access token now: {exc}")
            await response(scope, receive, send)
            return
        except NotAuthenticated as exc:
            refused = exc
        if not required:  # every request is local's, and limits tell clients apart by address
            await self.app(scope, receive, send)
            return
        if refused is None:
            if kind == "oauth" and not principal.scopes & TASK_SCOPES:
                await self._insufficient_scope(scope, receive, send)
                return
            if is_feed_principal(principal) and scope["path"] != FEED_PATH:  # a feed token, moved to a header
                message = "a calendar feed token reads the calendar feed and nothing else"
                await error_response(403, "insufficient_scope", message)(scope, receive, send)
                return
            scope[PRINCIPAL_KEY] = principal
            scope[CREDENTIAL_KEY] = kind
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
                401, "unauthorized", str(refused), headers={"WWW-Authenticate": self._challenge(refused)}
            )
        await response(scope, receive, send)

    def _challenge(self, refused: NotAuthenticated) -> str:
        resource = self.credentials.resource
        if resource is None:
            return 'Bearer realm="task-api-mcp"'
        if refused.token_refused:
            return resource.challenge(error="invalid_token", description=str(refused))
        return resource.challenge()

    async def _insufficient_scope(self, scope: Scope, receive: Receive, send: Send) -> None:
        resource = self.credentials.resource
        message = f"the access token grants none of {', '.join(sorted(s.value for s in TASK_SCOPES))}"
        headers = {}
        if resource is not None:
            headers["WWW-Authenticate"] = resource.challenge(error="insufficient_scope", description=message)
        await error_response(403, "insufficient_scope", message, headers=headers)(scope, receive, send)
