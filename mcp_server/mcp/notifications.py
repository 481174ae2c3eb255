"""Server-to-client notifications: resource subscriptions and client log levels.

Two protocol generations are served:
- handshake-era clients (2025-11-25 and earlier) call `resources/subscribe` and `logging/setLevel`;
  their updates ride the connection's standalone channel (stdio, or stateful HTTP's GET stream);
- 2026-07-28 clients open a `subscriptions/listen` stream; updates are published on the SDK's
  subscription bus, which the SDK fans out to those streams.

Both ride the bus, and neither ever makes a write wait on a client: the bus only records an update
for each subscriber (a listen stream's bounded buffer, a handshake-era subscriber's pending URIs), and
each subscriber's own task writes it out. A client that stops reading is dropped: the SDK ends such a
listen stream when its buffer fills, and a handshake-era subscriber that takes no update for
SUBSCRIBER_STALL_S loses its subscriptions.
Stateless HTTP has no stream that outlives a request, so there `resources/subscribe` is neither
advertised nor served (`refuse_legacy_subscriptions`); `subscriptions/listen` works there.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, get_args

import anyio
import mcp_types as types
from anyio.abc import TaskGroup
from mcp.server.connection import Connection
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import ServerEvent
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourceUpdated

from mcp_server.mcp.owned_bus import OwnedSubscriptionBus

logger = logging.getLogger(__name__)

LOG_LEVELS: tuple[types.LoggingLevel, ...] = get_args(types.LoggingLevel)  # least severe first


SUBSCRIBER_KEY = "task_api.subscriber"
LOG_LEVEL_KEY = "task_api.log_level"

SUBSCRIBER_STALL_S = 10.0
"""How long one update may wait to be taken by a handshake-era client before the client counts as
stalled (no longer reading) and its subscriptions are dropped."""

LEGACY_SUBSCRIPTION_METHODS = frozenset({"resources/subscribe", "resources/unsubscribe"})


def connection_of(session: ServerSession) -> Connection:
    """The per-client connection behind a per-request session proxy; it lives as long as the client
    and its `state` dict is the SDK's place for per-client data. The SDK exposes no public accessor."""
    return session._connection


@dataclass(frozen=True)
class NotifierLifespan:
    """What the server's lifespan holds for the notifier: the task group its subscribers' delivery
    tasks run in (per connection on stdio, per server on HTTP)."""

    tasks: TaskGroup


@dataclass(eq=False)
class LegacySubscriber:
    """One handshake-era connection's subscriptions. The bus marks a changed URI as pending without
    waiting (a URI that changes again before it is sent is sent once: the client re-reads it anyway),
    and the subscriber's own task writes the pending URIs out. A client that takes no update for
    `stall_s` is dropped."""

    connection: Connection
    stall_s: float
    uris: set[str] = field(default_factory=set)
    pending: dict[str, None] = field(default_factory=dict)  # an ordered set
    stop_listening: Callable[[], None] = lambda: None
    dropped: bool = False
    _wake: anyio.Event = field(default_factory=anyio.Event)
    _scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)

    def offer(self, event: ServerEvent) -> None:
        """The bus listener: never waits, never raises."""
        if isinstance(event, ResourceUpdated) and event.uri in self.uris:
            self.pending[event.uri] = None
            self._wake.set()

    async def deliver(self) -> None:
        """Write pending updates to the client; only this task ever waits on it."""
        with self._scope:
            while True:
                await self._wake.wait()
                self._wake = anyio.Event()
                while self.pending:
                    uri = next(iter(self.pending))
                    del self.pending[uri]
                    if not await self._send(uri):
                        return

    async def _send(self, uri: str) -> bool:
        try:
            with anyio.move_on_after(self.stall_s) as waited:
                await self.connection.send_resource_updated(uri)
        except Exception as exc:  # the client went away: forget it
            logger.info("dropping subscriber that could not be notified", extra={"error": str(exc)})
            self.close()
            return False
        if waited.cancelled_caught:
            logger.warning(
                "subscriber_dropped",
                extra={
                    "reason": f"the client took no update for {self.stall_s:g} s: it stopped reading",
                    "session_id": self.connection.session_id,
                    "uris": sorted(self.uris),
                },
            )
            self.close()
            return False
        return True

    def close(self) -> None:
        """Forget this subscriber: off the bus, nothing pending, its task (perhaps stuck writing) cancelled."""
        self.dropped = True
        self.uris.clear()
        self.pending.clear()
        self.stop_listening()
        self._scope.cancel()


async def refuse_legacy_subscriptions(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware for stateless HTTP, where an update could never be delivered: refuse
    `resources/subscribe` with the ways that work instead of acknowledging it (or a bare -32601)."""
    if ctx.request_id is not None and ctx.method in LEGACY_SUBSCRIPTION_METHODS:
        raise MCPError(
            types.METHOD_NOT_FOUND,
            f"{ctx.method} is not served on stateless HTTP: no stream outlives a request here, so an "
            "update could never be delivered. Use subscriptions/listen (protocol 2026-07-28), which works "
            "here, or a server started with --stateful, or stdio",
            data=ctx.method,
        )
    return await call_next(ctx)


class ClientNotifier:
    def __init__(self, *, stall_s: float = SUBSCRIBER_STALL_S) -> None:
        self.bus = OwnedSubscriptionBus()
        self._stall_s = stall_s

    @asynccontextmanager
    async def lifespan(self, _server: Any) -> AsyncIterator[NotifierLifespan]:
        """The server's lifespan: a task group for the delivery tasks, cancelled when it ends."""
        async with anyio.create_task_group() as tasks:
            try:
                yield NotifierLifespan(tasks)
            finally:
                tasks.cancel_scope.cancel()

    # -- handlers for the low-level server ----------------------------------------------------

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        connection = connection_of(ctx.session)
        subscriber = connection.state.get(SUBSCRIBER_KEY)
        if subscriber is None or subscriber.dropped:
            subscriber = self._start_delivery(ctx, connection)
        subscriber.uris.add(str(params.uri))
        return types.EmptyResult()

    def _start_delivery(self, ctx: ServerRequestContext[Any, Any], connection: Connection) -> LegacySubscriber:
        runtime = ctx.lifespan_context
        if not isinstance(runtime, NotifierLifespan):
            raise MCPError(types.INTERNAL_ERROR, "resource subscriptions need the server's lifespan running")
        subscriber = LegacySubscriber(connection, self._stall_s)
        subscriber.stop_listening = self.bus.subscribe(subscriber.offer)
        runtime.tasks.start_soon(subscriber.deliver)
        connection.exit_stack.callback(subscriber.close)  # a client that goes away takes them along
        connection.state[SUBSCRIBER_KEY] = subscriber
        return subscriber

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        subscriber = connection_of(ctx.session).state.get(SUBSCRIBER_KEY)
        if subscriber is not None:
            subscriber.uris.discard(str(params.uri))
        return types.EmptyResult()

    async def set_level(
        self, ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
    ) -> types.EmptyResult:
        connection_of(ctx.session).state[LOG_LEVEL_KEY] = params.level
        return types.EmptyResult()

    # -- outgoing ------------------------------------------------------------------------------

    async def resource_updated(self, uri: str) -> None:
        """Tell every subscriber of `uri`, in both protocol generations, that it changed. Waits on no
        client: the bus only records the update for each subscriber, whose own task sends it."""
        await self.bus.publish(ResourceUpdated(uri=uri))

    async def log(self, ctx: ServerRequestContext[Any, Any], level: types.LoggingLevel, data: dict[str, Any]) -> None:
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
