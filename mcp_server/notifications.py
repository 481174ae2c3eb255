"""Server-to-client notifications: resource subscriptions and client log levels.

Two protocol generations are served:
- handshake-era clients (2025-11-25 and earlier) call `resources/subscribe` and `logging/setLevel`;
  their updates ride the connection's standalone channel (stdio, or stateful HTTP's GET stream);
- 2026-07-28 clients open a `subscriptions/listen` stream; updates are published on the SDK's
  subscription bus, which the SDK fans out to those streams.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

import mcp_types as types
from mcp.server.connection import Connection
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ResourceUpdated

logger = logging.getLogger(__name__)

LOG_LEVELS: tuple[str, ...] = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


SUBSCRIBED_KEY = "task_api.subscribed_uris"
LOG_LEVEL_KEY = "task_api.log_level"


def connection_of(session: ServerSession) -> Connection:
    """The per-client connection behind a per-request session proxy; it lives as long as the client
    and its `state` dict is the SDK's place for per-client data. The SDK exposes no public accessor."""
    return session._connection


class ClientNotifier:
    def __init__(self) -> None:
        self.bus = InMemorySubscriptionBus()
        # Held weakly: a client that goes away takes its subscriptions and log level with it.
        self._subscribers: weakref.WeakSet[Connection] = weakref.WeakSet()

    # -- handlers for the low-level server ----------------------------------------------------

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        connection = connection_of(ctx.session)
        connection.state.setdefault(SUBSCRIBED_KEY, set()).add(str(params.uri))
        self._subscribers.add(connection)
        return types.EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        connection_of(ctx.session).state.get(SUBSCRIBED_KEY, set()).discard(str(params.uri))
        return types.EmptyResult()

    async def set_level(
        self, ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
    ) -> types.EmptyResult:
        connection_of(ctx.session).state[LOG_LEVEL_KEY] = params.level
        return types.EmptyResult()

    # -- outgoing ------------------------------------------------------------------------------

    async def resource_updated(self, uri: str) -> None:
        """Tell every subscriber of `uri`, in both protocol generations, that it changed."""
        await self.bus.publish(ResourceUpdated(uri=uri))
        for connection in list(self._subscribers):
            if uri not in connection.state.get(SUBSCRIBED_KEY, ()):
                continue
            try:
                await connection.send_resource_updated(uri)
            except Exception as exc:  # the client went away: forget it
                logger.info("dropping subscriber that could not be notified", extra={"error": str(exc)})
                self._subscribers.discard(connection)

    async def log(self, ctx: ServerRequestContext[Any, Any], level: str, data: dict[str, Any]) -> None:
        """Send a log notification about this request, on this request's own stream, to a client that
        asked for this level with logging/setLevel (works on stateless HTTP too)."""
        wanted = connection_of(ctx.session).state.get(LOG_LEVEL_KEY)
        if wanted is None or LOG_LEVELS.index(level) < LOG_LEVELS.index(wanted):
            return
        notification = types.LoggingMessageNotification(
            params=types.LoggingMessageNotificationParams(level=level, logger="task-api-mcp", data=data)
        )
        try:
            await ctx.session.send_notification(notification, related_request_id=ctx.request_id)
        except Exception as exc:
            logger.debug("could not send a log notification", extra={"error": str(exc)})
