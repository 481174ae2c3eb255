"""API keys: each names a principal and the scopes it grants, and is kept only as a hash.

A key is `tam_<prefix>_<secret>`: the prefix (48 random bits) is its public id, shown in listings and
used to find it; the secret (256 random bits) is what proves it. A key that random needs no slow
password hash: its SHA-256 is as hard to invert as the key is to guess. The hash is compared in
constant time, and an unknown key, a revoked one and a wrong secret get the same answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

from mcp_server.core.audit import audit_account
from mcp_server.core.errors import ErrorKind, InvalidInput, TaskError, TaskNotFound
from mcp_server.core.principals import DEFAULT_SCOPES, PRINCIPAL_ID_MAX, Principal, Scope, valid_principal_id

KEY_MARK = "tam_"
_KEY_SHAPE = re.compile(r"tam_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_NAME_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:-]*")


class KeyNameTaken(TaskError):
    kind = ErrorKind.CONFLICT

    def __init__(self, name: str) -> None:
        super().__init__(f"a key named {name!r} exists already (revoked keys keep their names); choose another")


@dataclass(frozen=True)
class ApiKey:
    """What the store keeps of a key, besides its hash; never the key itself."""

    prefix: str
    name: str
    principal_id: str
    scopes: frozenset[Scope]
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    plan: str | None = None

    @property
    def shown(self) -> str:
        """How the key is shown once created: its public part only."""
        return f"{KEY_MARK}{self.prefix}_..."

    def principal(self) -> Principal:
        return Principal(self.principal_id, scopes=self.scopes, plan=self.plan)


@dataclass(frozen=True)
class PrincipalRecord:
    """What the store keeps of a principal: it exists from its first key or first access token."""

    id: str
    plan: str | None
    created_at: dt.datetime
    active_keys: int


class KeyStore(Protocol):
    """Where keys live: the task store itself, so that every replica sees a new or revoked key."""

    async def add_key(self, key: ApiKey, secret_hash: str) -> None:
        """Store a key (and its principal, with the key's plan when one is given). Raise KeyNameTaken
        when a key of that name exists, revoked or not."""
        ...

    async def key_by_prefix(self, prefix: str) -> tuple[ApiKey, str] | None:
        """A key and its hash, revoked or not."""
        ...

    async def list_keys(self) -> list[ApiKey]:
        """Every key, oldest first."""
        ...

    async def revoke_key(self, name_or_prefix: str, *, now: dt.datetime) -> ApiKey | None:
        """Revoke the key of that name or prefix (revoking twice keeps the first time); None when none is."""
        ...

    async def has_keys(self) -> bool:
        """Whether any key was ever created but feed tokens: from then on, HTTP asks every caller for
        credentials."""
        ...

    async def principal_plan(self, principal_id: str, *, now: dt.datetime) -> str | None:
        """The plan of a principal, which is created (with no plan) if it is new: a principal an
        issuer's token names exists from its first request."""
        ...

    async def set_principal_plan(self, principal_id: str, plan: str | None, *, now: dt.datetime) -> None:
        """Give a principal a plan (None: the server's default), creating it if it is new (so a
        person's plan can be set before their first sign-in)."""
        ...

    async def list_principals(self) -> list[PrincipalRecord]:
        """Every principal, oldest first."""
        ...


def valid_name(kind: str, value: str) -> str:
    if not (1 <= len(value) <= PRINCIPAL_ID_MAX and _NAME_SHAPE.fullmatch(value)):
        raise InvalidInput(
            f"{kind} {value!r} is not one: use 1-{PRINCIPAL_ID_MAX} letters, digits and . _ @ : - "
            f"(starting with a letter or digit)"
        )
    return value


def secret_hash(presented: str) -> str:
    return hashlib.sha256(presented.encode()).hexdigest()


# Keys remembered by a checker at once (past it, the memory starts again empty).
KEY_CACHE_MAX = 10_000


class ApiKeys:
    """Creating, listing, revoking and checking keys, over the store that keeps them.

    `cache_s`: how long a key read from the store is trusted before it is read again. Reading it on
    every request cost 1-5% of a CRUD call's P50 on SQLite under 10 clients (the read waits for a
    worker thread while the loop's connection is in a write), so a SQLite server keeps it for a
    second, the most the accounts contract allows there; PostgreSQL replicas read it on every
    request, so a key revoked on one replica stops at once on all. A revoke through this checker
    forgets the key at once."""

    def __init__(self, store: KeyStore, *, cache_s: float = 0.0) -> None:
        self.store = store
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, ApiKey, str]] = {}

    async def create(
        self,
        name: str,
        *,
        principal_id: str | None = None,
        scopes: frozenset[Scope] = DEFAULT_SCOPES,
        plan: str | None = None,
        now: dt.datetime | None = None,
    ) -> tuple[str, ApiKey]:
        """A new key: the key itself (shown once, never stored) and what is stored of it."""
        valid_name("key name", name)
        principal = valid_principal_id(principal_id or name)
        if plan is not None:
            valid_name("plan", plan)
        prefix = secrets.token_hex(6)
        presented = f"{KEY_MARK}{prefix}_{secrets.token_urlsafe(32)}"
        assert _KEY_SHAPE.fullmatch(presented)
        record = ApiKey(
            prefix=prefix,
            name=name,
            principal_id=principal,
            scopes=scopes,
            created_at=now or dt.datetime.now(dt.UTC),
            plan=plan,
        )
        try:
            await self.store.add_key(record, secret_hash(presented))
        except TaskError as exc:
            audit_account("create_key", principal, exc.kind.value, key=record.shown)
            raise
        audit_account("create_key", principal, "ok", key=record.shown)
        return presented, record

    async def authenticate(self, presented: str) -> Principal | None:
        """The principal a key acts for, or None for anything else (malformed, unknown, revoked,
        wrong secret), without saying which."""
        digest = secret_hash(presented)
        shape = _KEY_SHAPE.fullmatch(presented)
        if shape is None:
            return None
        found = await self._key(shape.group(1))
        if found is None:
            return None
        key, stored = found
        if not hmac.compare_digest(digest, stored) or key.revoked_at is not None:
            return None
        return key.principal()

    async def _key(self, prefix: str) -> tuple[ApiKey, str] | None:
        if self.cache_s <= 0:
            return await self.store.key_by_prefix(prefix)
        now = time.monotonic()
        cached = self._cache.get(prefix)
        if cached is not None and now < cached[0]:
            return cached[1], cached[2]
        found = await self.store.key_by_prefix(prefix)
        if found is not None:  # unknown prefixes are not remembered: guesses must not fill the memory
            if len(self._cache) >= KEY_CACHE_MAX:
                self._cache.clear()
            self._cache[prefix] = (now + self.cache_s, *found)
        return found

    async def list(self) -> list[ApiKey]:
        return await self.store.list_keys()

    async def revoke(self, name_or_prefix: str, *, now: dt.datetime | None = None) -> ApiKey:
        """Revoke by name, by prefix, or by the key as shown (`tam_<prefix>_...`) or given."""
        wanted = name_or_prefix
        if wanted.startswith(KEY_MARK):
            wanted = wanted.removeprefix(KEY_MARK).split("_", 1)[0]
        revoked = await self.store.revoke_key(wanted, now=now or dt.datetime.now(dt.UTC))
        if revoked is not None:
            self._cache.pop(revoked.prefix, None)
        if revoked is None:
            audit_account("revoke_key", "?", ErrorKind.NOT_FOUND.value)
            raise TaskNotFound(None, f"no key is named {name_or_prefix!r} or has that prefix; `keys list` shows them")
        audit_account("revoke_key", revoked.principal_id, "ok", key=revoked.shown)
        return revoked
