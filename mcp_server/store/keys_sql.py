"""What both stores share of API keys: the columns a key is read with, and how its scopes are stored."""

from __future__ import annotations

from mcp_server.core.principals import Scope

# A key with its principal's plan.
KEY_COLUMNS_SQL = (
    "SELECT k.prefix, k.name, k.principal_id, k.scopes, k.secret_hash, k.created_at, k.revoked_at, p.plan"
    " FROM api_keys AS k JOIN principals AS p ON p.id = k.principal_id"
)


def scopes_text(scopes: frozenset[Scope]) -> str:
    return " ".join(sorted(scope.value for scope in scopes))


def scopes_of(text: str) -> frozenset[Scope]:
    """A stored key's scopes; a name this release does not know grants nothing."""
    return frozenset(Scope(name) for name in text.split() if name in Scope._value2member_map_)
