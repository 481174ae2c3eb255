"""Feed tokens: the API keys a calendar URL carries, since calendar apps cannot send a header.

A feed token grants `calendar:read` and nothing else, and is the only credential taken from a URL,
on the feed's path only: a key with more scopes in a URL is refused, so a leaked calendar URL can
read the deadlines and never change a task.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import Scope as AsgiScope

from mcp_server.core.keys import ApiKey
from mcp_server.core.principals import FEED_SCOPES, Principal

FEED_PATH = "/v1/calendar.ics"
TOKEN_PARAMETER = "token"


def is_feed_key(key: ApiKey) -> bool:
    return key.scopes == FEED_SCOPES


def is_feed_principal(principal: Principal) -> bool:
    return principal.scopes == FEED_SCOPES


def feed_token(scope: AsgiScope) -> str | None:
    """The feed token of a request to the feed without an Authorization header, if it carries one."""
    if scope["path"] != FEED_PATH:
        return None
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(TOKEN_PARAMETER, [])
    return values[0] if len(values) == 1 and values[0] else None
