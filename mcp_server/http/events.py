"""`GET /v1/events`: the acting principal's task changes as server-sent events, for the task page and
any client that would rather be told than poll.

The feed hears the same change notices as the MCP subscriptions (`TaskService.on_change` and
`on_lists_change`), after each write's commit, and hands each one only to the streams of the
principal whose write made it. A stream says what changed, never the task itself, so it carries
nothing a fresh read under the reader's own credentials would not: `task` with the id, `lists` when
the lists' counts may have moved. A stream sends what arrived within a tenth of a second together,
each change once, so a burst of writes costs it one send, not one an event. Each stream has a
bounded queue; one that falls that far behind loses its queue and gets `resync` (read everything
again) instead of holding the writer back or growing without bound. A principal may hold a few
streams at once (tabs, devices), not unbounded.

Events are those of this process: replicas sharing a PostgreSQL store each tell their own clients
of their own writes (as the MCP subscriptions do).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from fastapi import FastAPI, HTTPException, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from mcp_server.core.principals import Scope, acting_owner, acting_principal
from mcp_server.core.service import TaskService

EVENTS_PATH = "/v1/events"
QUEUE_SIZE = 256
STREAMS_PER_PRINCIPAL = 16
KEEPALIVE_S = 15.0
COALESCE_S = 0.1  # a person sees no tenth of a second; the page waits longer to read again anyway


@dataclass(frozen=True)
class Change:
    """One notice: `task` (with its id) or `lists`; `resync` when a stream lost some."""

    kind: str
    task_id: int | None = None

    def event(self) -> ServerSentEvent:
        data = {"id": self.task_id} if self.task_id is not None else {}
        return ServerSentEvent(data=json.dumps(data), event=self.kind)


@dataclass
class _Stream:
    sender: MemoryObjectSendStream[Change]
    receiver: MemoryObjectReceiveStream[Change]

    def offer(self, change: Change) -> None:
        """Queue `change`, or, when the reader is a full queue behind, drop the queue for one `resync`."""
        try:
            self.sender.send_nowait(change)
        except anyio.WouldBlock:
            _drained(self.receiver)
            self.sender.send_nowait(Change("resync"))


def _drained(receiver: MemoryObjectReceiveStream[Change]) -> list[Change]:
    queued = []
    while True:
        try:
            queued.append(receiver.receive_nowait())
        except anyio.WouldBlock:
            return queued


def _coalesced(changes: list[Change]) -> list[Change]:
    """Each change once, in the order first seen; only `resync` when one is there (it says it all)."""
    if Change("resync") in changes:
        return [Change("resync")]
    return list(dict.fromkeys(changes))


@dataclass
class ChangeFeed:
    """The open event streams by principal, fed from the service's change notices."""

    queue_size: int = QUEUE_SIZE
    streams_per_principal: int = STREAMS_PER_PRINCIPAL
    coalesce_s: float = COALESCE_S
    _streams: dict[str, list[_Stream]] = field(default_factory=dict)

    def listen_to(self, service: TaskService) -> ChangeFeed:
        async def task_changed(task_id: int) -> None:
            self.publish(Change("task", task_id))

        async def lists_changed() -> None:
            self.publish(Change("lists"))

        service.on_change(task_changed)
        service.on_lists_change(lists_changed)
        return self

    def publish(self, change: Change) -> None:
        """Hand `change` to every stream of the acting principal (the one whose write made it)."""
        for stream in self._streams.get(acting_owner(), ()):
            stream.offer(change)

    def streams_of(self, owner: str) -> int:
        return len(self._streams.get(owner, ()))

    def has_room(self) -> bool:
        return self.streams_of(acting_owner()) < self.streams_per_principal

    async def stream(self) -> AsyncIterator[ServerSentEvent | bytes]:
        """The acting principal's changes from now on, after a `ready` event that says it listens.
        The stream is registered when it starts and removed when it ends, however it ends."""
        owner = acting_owner()
        if self.streams_of(owner) >= self.streams_per_principal:  # the route checked; two raced
            yield ServerSentEvent(data=json.dumps({"error": {"code": "rate_limited"}}), event="error")
            return
        sender, receiver = anyio.create_memory_object_stream[Change](max_buffer_size=self.queue_size)
        mine = _Stream(sender, receiver)
        self._streams.setdefault(owner, []).append(mine)
        try:
            yield ServerSentEvent(data="{}", event="ready")
            async with receiver:
                async for first in receiver:
                    # What arrives meanwhile goes out with it, in one write: a burst of changes (a
                    # batch, agents at work) costs a stream one send a window, not one an event.
                    await anyio.sleep(self.coalesce_s)
                    yield b"".join(change.event().encode() for change in _coalesced([first, *_drained(receiver)]))
        finally:
            remaining = [s for s in self._streams.get(owner, []) if s is not mine]
            if remaining:
                self._streams[owner] = remaining
            else:
                self._streams.pop(owner, None)
            sender.close()


def add_event_routes(app: FastAPI, feed: ChangeFeed) -> None:
    @app.get(
        EVENTS_PATH,
        summary="The caller's task changes as server-sent events",
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def events(_: Request) -> EventSourceResponse:
        """Events: `ready` once listening, then `task` ({"id": n}) after a task of the caller's is
        created, changed, completed, deleted or restored, `lists` when the lists' counts may have
        moved, and `resync` when the stream fell too far behind (read everything again). A comment
        line every 15 s keeps proxies from closing an idle stream."""
        acting_principal().require(Scope.READ)
        if not feed.has_room():
            raise HTTPException(
                429, f"{feed.streams_per_principal} event streams are open for this principal; close one first"
            )
        return EventSourceResponse(feed.stream(), ping=int(KEEPALIVE_S))
