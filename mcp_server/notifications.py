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
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ResourceUpdated

logger = logging.getLogger(__name__)

LOG_LEVELS: tuple[str, ...] = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


def _connection_of(session: ServerSession) -> Any:
    """The per-client connection behind a per-request session proxy (stable for the client's lifetime)."""
    return getattr(session, "_connection", session)


class ClientNotifier:
    def __init__(self) -> None:
        self.bus = InMemorySubscriptionBus()
        # Keyed weakly by connection so a client that goes away leaves nothing behind.
        self._subscribed: weakref.WeakKeyDictionary[Any, tuple[ServerSession, set[str]]] = weakref.WeakKeyDictionary()
        self._log_levels: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    # -- handlers for the low-level server ----------------------------------------------------

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        connection = _connection_of(ctx.session)
        _, uris = self._subscribed.setdefault(connection, (ctx.session, set()))
        uris.add(str(params.uri))
        logger.debug("resource subscribed", extra={"uri": str(params.uri)})
        return types.EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        entry = self._subscribed.get(_connection_of(ctx.session))
        if entry is not None:
            entry[1].discard(str(params.uri))
        return types.EmptyResult()

    async def set_level(
        self, ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
    ) -> types.EmptyResult:
        self._log_levels[_connection_of(ctx.session)] = params.level
        return types.EmptyResult()

    # -- outgoing ------------------------------------------------------------------------------

    async def resource_updated(self, uri: str) -> None:
        """Tell every subscriber of `uri`, in both protocol generations, that it changed."""
        await self.bus.publish(ResourceUpdated(uri=uri))
        for connection, (session, uris) in list(self._subscribed.items()):
            if uri not in uris:
                continue
            try:
                await session.send_resource_updated(uri)
            except Exception as exc:  # the client went away: forget its subscriptions
                logger.info("dropping subscriber that could not be notified", extra={"error": str(exc)})
                self._subscribed.pop(connection, None)

    async def log(self, session: ServerSession, level: str, data: dict[str, Any]) -> None:
        """Send a log notification to a client that asked for this level with logging/setLevel."""
        wanted = self._log_levels.get(_connection_of(session))
        if wanted is None or LOG_LEVELS.index(level) < LOG_LEVELS.index(wanted):
            return
        notification = types.LoggingMessageNotification(
            params=types.LoggingMessageNotificationParams(level=level, logger="task-api-mcp", data=data)
        )
        try:
            await session.send_notification(notification)
        except Exception as exc:
            logger.debug("could not send a log notification", extra={"error": str(exc)})
