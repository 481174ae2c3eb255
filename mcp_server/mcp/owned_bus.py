"""The subscription bus, one principal's events to that principal's subscribers only.

Every event this server publishes is a change to one principal's tasks (a task, or its lists), and it
is published from the write that made it, which acts for that principal. A subscriber, a
`subscriptions/listen` stream or a handshake-era `resources/subscribe`, registers from a request that
acts for its own principal. So the bus records each listener's principal when it subscribes and hands
an event only to the listeners of the principal publishing it: a subscription to another principal's
task id, or to `task://lists`, hears nothing of that principal's changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio.lowlevel
from mcp.server.subscriptions import ServerEvent

from mcp_server.core.principals import acting_owner

logger = logging.getLogger(__name__)

Listener = Callable[[ServerEvent], None]


class OwnedSubscriptionBus:
    """An in-process SubscriptionBus (the SDK's protocol) with each listener bound to a principal."""

    def __init__(self) -> None:
        self._listeners: dict[object, tuple[str, Listener]] = {}

    async def publish(self, event: ServerEvent) -> None:
        """Deliver `event` to the listeners of the acting principal. A raising listener is logged and
        skipped; the checkpoint lets streams drain between events of a burst (as the SDK's bus does)."""
        owner = acting_owner()
        for listener_owner, listener in list(self._listeners.values()):
            if listener_owner != owner:
                continue
            try:
                listener(event)
            except Exception:
                logger.exception("subscription listener raised; continuing")
        await anyio.lowlevel.checkpoint()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Register `listener` for the acting principal's events; returns an idempotent unsubscribe."""
        token = object()
        self._listeners[token] = (acting_owner(), listener)

        def unsubscribe() -> None:
            self._listeners.pop(token, None)

        return unsubscribe
