"""The HTTP app in-process: the ASGI app `serve_http` serves, its lifespan run, and clients that talk
to it through ASGI instead of a socket (httpx for REST and the probes, an MCP `Client` over
streamable HTTP). What needs a real listening process (uvicorn's own limits, the CLI's start-up and
logs on stderr, a browser) uses `harness.servers` instead."""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import httpx2
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream
from mcp import Client
from starlette.types import ASGIApp

from harness.clients import streamable_http_over
from mcp_server.app import App, open_app
from mcp_server.config import Settings
from mcp_server.serving import http_app

BASE_URL = "http://127.0.0.1:8000"  # the Host the app sees: an allowed one, as on a default server
CLIENT = ("127.0.0.1", 50000)  # the peer address the app sees

Message = MutableMapping[str, Any]


@asynccontextmanager
async def lifespan(asgi: ASGIApp) -> AsyncIterator[None]:
    """Run the app's ASGI lifespan (startup, then shutdown at exit), as uvicorn does: the MCP
    endpoint's session manager runs in it."""
    to_app, app_receives = anyio.create_memory_object_stream[Message](1)
    app_sends, from_app = anyio.create_memory_object_stream[Message](1)

    async def receive() -> Message:
        return await app_receives.receive()

    async def send(message: Message) -> None:
        await app_sends.send(message)

    async def expect(wanted: str) -> None:
        message = await from_app.receive()
        if message["type"] != wanted:
            raise RuntimeError(f"lifespan: {message['type']} ({message.get('message', '')})")

    async def run() -> None:
        await asgi({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)

    with to_app, app_receives, app_sends, from_app:
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            await to_app.send({"type": "lifespan.startup"})
            await expect("lifespan.startup.complete")
            try:
                yield
            finally:
                await to_app.send({"type": "lifespan.shutdown"})
                await expect("lifespan.shutdown.complete")


class _StreamedBody(httpx2.AsyncByteStream):
    def __init__(self, chunks: MemoryObjectReceiveStream[bytes], on_close: anyio.Event) -> None:
        self._chunks, self._on_close = chunks, on_close
        self.failure: BaseException | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk
        if self.failure is not None:
            raise self.failure

    async def aclose(self) -> None:
        self._on_close.set()  # the client hangs up: the app's receive() says http.disconnect
        self._chunks.close()


class StreamingASGITransport(httpx2.AsyncBaseTransport):
    """Like `httpx2.ASGITransport`, but the response streams as the app sends it, as over a socket:
    an SSE stream that stays open (subscriptions/listen, a stateful session's GET stream) and
    progress notifications that arrive before the result. Each request's app call runs in
    `task_group`, which outlives the requests."""

    def __init__(self, asgi: ASGIApp, task_group: TaskGroup) -> None:
        self.asgi, self.task_group = asgi, task_group

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        assert isinstance(request.stream, httpx2.AsyncByteStream)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for (k, v) in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": CLIENT,
            "root_path": "",
        }
        request_chunks = request.stream.__aiter__()
        request_done = False
        hung_up = anyio.Event()
        started = anyio.Event()
        head: dict[str, Any] = {}
        body_in, body_out = anyio.create_memory_object_stream[bytes](math.inf)
        body = _StreamedBody(body_out, hung_up)

        async def receive() -> Message:
            nonlocal request_done
            if not request_done:
                try:
                    chunk = await request_chunks.__anext__()
                except StopAsyncIteration:
                    request_done = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                return {"type": "http.request", "body": chunk, "more_body": True}
            await hung_up.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                head.update(status=message["status"], headers=message.get("headers", []))
                started.set()
            elif message["type"] == "http.response.body":
                if (chunk := message.get("body", b"")) and request.method != "HEAD":
                    with contextlib.suppress(anyio.BrokenResourceError):  # the client has stopped reading
                        body_in.send_nowait(chunk)
                if not message.get("more_body", False):
                    body_in.close()
                    hung_up.set()

        async def run() -> None:
            try:
                await self.asgi(scope, receive, send)
            except Exception as exc:  # raised to the client, as httpx2.ASGITransport does
                body.failure = exc
            finally:
                body_in.close()
                started.set()

        self.task_group.start_soon(run)
        await started.wait()
        if "status" not in head:
            raise body.failure or RuntimeError("the app sent no response")
        return httpx2.Response(head["status"], headers=head["headers"], stream=body)


@dataclass
class InProcessServer:
    """An app and its HTTP stack with the lifespan running; clients for it."""

    app: App
    asgi: ASGIApp
    settings: Settings
    task_group: TaskGroup
    base_url: str = BASE_URL

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def http(self, **options: Any) -> httpx.AsyncClient:
        """An httpx client for REST, the probes and raw MCP requests (the body arrives whole)."""
        transport = httpx.ASGITransport(app=self.asgi, client=CLIENT)
        return httpx.AsyncClient(transport=transport, base_url=self.base_url, **options)

    def streaming_http(self, **options: Any) -> httpx2.AsyncClient:
        """An httpx client whose responses stream as over a socket (server-sent events as they come)."""
        transport = StreamingASGITransport(self.asgi, self.task_group)
        return httpx2.AsyncClient(transport=transport, base_url=self.base_url, **options)

    def mcp(self, headers: dict[str, str] | None = None, **options: Any) -> Client:
        """An MCP client over streamable HTTP, streaming as over a socket."""
        http = httpx2.AsyncClient(transport=StreamingASGITransport(self.asgi, self.task_group), headers=headers)
        return Client(streamable_http_over(self.mcp_url, http), **options)


@asynccontextmanager
async def served(asgi: ASGIApp, app: App, settings: Settings) -> AsyncIterator[InProcessServer]:
    """`asgi` with its lifespan running. At exit, what a client left streaming is cancelled."""
    async with lifespan(asgi), anyio.create_task_group() as group:
        yield InProcessServer(app, asgi, settings, group)
        group.cancel_scope.cancel()


@asynccontextmanager
async def serve_in_process(settings: Settings) -> AsyncIterator[InProcessServer]:
    """What `task-api-mcp serve --transport http` would serve for `settings`, in this process."""
    async with open_app(settings) as app, served(http_app(app, settings), app, settings) as server:
        yield server
