"""Who a call acts for: a principal (a user or a service account) and the scopes its credentials grant.

Every task belongs to one principal, and a store reads and writes only the tasks of the principal
acting now. The transport sets it once per request (`acting_as`), at the one place that
authenticates, and everything below reads it from there, so no adapter can forget to pass it on: a
tool, a REST route, a completion and process_command's title lookup see one principal's tasks alike.
Without credentials (stdio, the single shared token) the principal is `local`, which owns every task
a database held before there were principals.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum

from mcp_server.core.errors import InvalidInput, ScopeMissing

LOCAL_PRINCIPAL = "local"
PRINCIPAL_ID_MAX = 200


class Scope(StrEnum):
    """What a key or token may do: read tasks, change them, administer the service, or read the
    calendar feed only (the key a calendar URL carries)."""

    READ = "tasks:read"
    WRITE = "tasks:write"
    ADMIN = "admin"
    CALENDAR = "calendar:read"


DEFAULT_SCOPES: frozenset[Scope] = frozenset({Scope.READ, Scope.WRITE})
# A key with these scopes alone is a calendar feed's token: it may sit in a URL, and does not count
# as a credential that makes a server ask everyone for one.
FEED_SCOPES: frozenset[Scope] = frozenset({Scope.CALENDAR})
ALL_SCOPES: frozenset[Scope] = frozenset(Scope)


def parse_scopes(text: str) -> frozenset[Scope]:
    """Scopes from a comma- or space-separated list, refusing a name that is not one."""
    names = [name for name in text.replace(",", " ").split() if name]
    unknown = [name for name in names if name not in Scope._value2member_map_]
    if unknown:
        raise InvalidInput(f"unknown scope {unknown[0]!r}; scopes are {', '.join(s.value for s in Scope)}")
    if not names:
        raise InvalidInput(f"give at least one scope of {', '.join(s.value for s in Scope)}")
    return frozenset(Scope(name) for name in names)


def valid_principal_id(value: str) -> str:
    """A principal id as an operator or an issuer names it: 1-200 printable characters, no spaces
    (an issuer's subjects can be `auth0|5f1c...` or a URL)."""
    if not (1 <= len(value) <= PRINCIPAL_ID_MAX) or not value.isprintable() or any(c.isspace() for c in value):
        raise InvalidInput(f"principal {value!r} is not one: use 1-{PRINCIPAL_ID_MAX} printable characters, no spaces")
    return value


@dataclass(frozen=True)
class Principal:
    id: str
    scopes: frozenset[Scope] = field(default=ALL_SCOPES)
    plan: str | None = None

    def require(self, scope: Scope) -> None:
        """Raise ScopeMissing unless these credentials grant `scope` (admin grants every scope)."""
        if scope not in self.scopes and Scope.ADMIN not in self.scopes:
            raise ScopeMissing(scope.value)


LOCAL = Principal(LOCAL_PRINCIPAL)

_acting: ContextVar[Principal] = ContextVar("acting_principal", default=LOCAL)


def acting_principal() -> Principal:
    return _acting.get()


def acting_owner() -> str:
    """The id of the principal whose tasks a store may read and write now."""
    return _acting.get().id


@contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    """Run the block (and every task it starts) for `principal`."""
    token = _acting.set(principal)
    try:
        yield principal
    finally:
        _acting.reset(token)
