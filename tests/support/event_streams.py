"""An open `GET /v1/events` stream read in the background, for the tests of the change feed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio

from mcp_server.http.events import EVENTS_PATH
from tests.support.asgi import InProcessServer


@dataclass
class Heard:
    """The events one open stream has delivered so far, as (event, data) pairs."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    arrived: anyio.Event = field(default_factory=anyio.Event)

    async def until(self, wanted: tuple[str, dict[str, Any]], times: int = 1) -> None:
        with anyio.fail_after(10):
            while self.events.count(wanted) < times:
                await self.arrived.wait()
                self.arrived = anyio.Event()


@asynccontextmanager
async def listening(server: InProcessServer, headers: dict[str, str] | None = None) -> AsyncIterator[Heard]:
    """An open event stream, read in the background; entered once the server says `ready`."""
    heard = Heard()
    async with server.streaming_http(headers=headers) as http, anyio.create_task_group() as group:

        async def read() -> None:
            async with http.stream("GET", EVENTS_PATH) as response:
                assert response.status_code == 200, await response.aread()
                assert response.headers["content-type"].startswith("text/event-stream")
                event = "message"
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        heard.events.append((event, json.loads(line[5:])))
                        heard.arrived.set()

        group.start_soon(read)
        await heard.until(("ready", {}))
        yield heard
        group.cancel_scope.cancel()
