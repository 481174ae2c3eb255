"""What both stores share of API keys and usage: the columns a key is read with, how its scopes are
stored, and each principal's count in a month with its plan."""

from __future__ import annotations

from mcp_server.core.principals import FEED_SCOPES, Scope

# A key with its principal's plan.
KEY_COLUMNS_SQL = (
    "SELECT k.prefix, k.name, k.principal_id, k.scopes, k.secret_hash, k.created_at, k.revoked_at, p.plan"
    " FROM api_keys AS k JOIN principals AS p ON p.id = k.principal_id"
)

# Every principal counted in a month (the placeholder), with its plan (none for one without a key).
USAGE_IN_SQL = (
    "SELECT u.principal_id, p.plan, u.requests FROM usage AS u LEFT JOIN principals AS p ON p.id = u.principal_id"
    " WHERE u.month = {placeholder} ORDER BY u.principal_id"
)


def scopes_text(scopes: frozenset[Scope]) -> str:
    return " ".join(sorted(scope.value for scope in scopes))


def scopes_of(text: str) -> frozenset[Scope]:
    """A stored key's scopes; a name this release does not know grants nothing."""
    return frozenset(Scope(name) for name in text.split() if name in Scope._value2member_map_)


# Any key but a calendar feed's token (whose scopes text is the placeholder).
CREDENTIAL_KEY_SQL = "SELECT 1 FROM api_keys WHERE scopes <> {placeholder} LIMIT 1"
SET_PLAN_SQL = "INSERT INTO principals (id, plan, created_at)"
PRINCIPALS_SQL = (
    "SELECT p.id, p.plan, p.created_at,"
    " (SELECT count(*) FROM api_keys AS k WHERE k.principal_id = p.id AND k.revoked_at IS NULL) AS active_keys"
    " FROM principals AS p ORDER BY p.created_at, p.id"
)


def feed_scopes_text() -> str:
    return scopes_text(FEED_SCOPES)
