"""A reverse proxy on loopback that adds credentials to every request: how a client that cannot send
headers of its own (the MCP conformance suite) is run against a server that requires a token. It
forwards everything else as it came, the Host and Origin headers included (so host checks still see
what the client sent), and streams answers back as they arrive (server-sent events)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from harness.servers import free_port
from harness.threaded_server import ThreadedServer

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"})


class CredentialProxy:
    def __init__(self, upstream: str, authorization: str, port: int | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.authorization = authorization
        self.port = port or free_port()
        self._server = ThreadedServer(self, self.port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CredentialProxy:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        headers = [(k, v) for k, v in request.headers.items() if k not in HOP_BY_HOP and k != "authorization"]
        headers.append(("authorization", self.authorization))
        client = httpx.AsyncClient(timeout=httpx.Timeout(60, read=None))
        upstream = client.build_request(
            request.method,
            f"{self.upstream}{request.url.path}",
            params=request.url.query,
            headers=headers,
            content=await request.body(),
        )
        response = await client.send(upstream, stream=True)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in response.aiter_raw():
                yield chunk

        async def close() -> None:
            await response.aclose()
            await client.aclose()

        answer = StreamingResponse(
            body(),
            status_code=response.status_code,
            headers={k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP},
            background=BackgroundTask(close),
        )
        await answer(scope, receive, send)
