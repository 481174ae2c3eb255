"""Who an access token acts for: its `sub` is the principal (created on its first request, with the
default plan until an operator gives it one), and the scopes it was granted that this server knows
are the principal's scopes for that request."""

from __future__ import annotations

import datetime as dt
import time

from mcp_server.core.errors import InvalidInput
from mcp_server.core.keys import KeyStore
from mcp_server.core.principals import LOCAL_PRINCIPAL, PRINCIPAL_ID_MAX, Principal, Scope, valid_principal_id
from mcp_server.http.oauth.tokens import AccessTokenVerifier, TokenRefused

PLAN_CACHE_MAX = 10_000


class TokenPrincipals:
    """`cache_s`: how long a principal's plan is trusted before the store is read again (as API keys:
    a second on SQLite, every request on PostgreSQL)."""

    def __init__(self, verifier: AccessTokenVerifier, store: KeyStore, *, cache_s: float = 0.0) -> None:
        self.verifier = verifier
        self.store = store
        self.cache_s = cache_s
        self._plans: dict[str, tuple[float, str | None]] = {}

    async def principal(self, token: str) -> Principal:
        """The principal of a valid token; TokenRefused (saying why) for any other."""
        verified = await self.verifier.verify(token)
        subject = verified.subject
        if subject == LOCAL_PRINCIPAL:  # the principal of stdio and the shared token: not an issuer's to name
            raise TokenRefused(f"the subject {LOCAL_PRINCIPAL!r} is reserved on this server")
        try:
            valid_principal_id(subject)
        except InvalidInput:
            raise TokenRefused(
                f"the token's subject is no principal id here (1-{PRINCIPAL_ID_MAX} printable characters, no spaces)"
            ) from None
        scopes = frozenset(Scope(name) for name in verified.scopes if name in Scope._value2member_map_)
        return Principal(subject, scopes=scopes, plan=await self._plan(subject))

    async def _plan(self, subject: str) -> str | None:
        now = time.monotonic()
        cached = self._plans.get(subject)
        if cached is not None and now < cached[0]:
            return cached[1]
        plan = await self.store.principal_plan(subject, now=dt.datetime.now(dt.UTC))
        if self.cache_s > 0:
            if len(self._plans) >= PLAN_CACHE_MAX:
                self._plans.clear()
            self._plans[subject] = (now + self.cache_s, plan)
        return plan
