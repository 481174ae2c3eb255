"""An MCP client over streamable HTTP with extra headers, for the tests and the benchmarks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from mcp import Client
from mcp.client._transport import TransportStreams
from mcp.client.streamable_http import streamable_http_client


@asynccontextmanager
async def streamable_http_over(url: str, http: httpx2.AsyncClient) -> AsyncIterator[TransportStreams]:
    """Streamable HTTP to `url` through the given httpx2 client, which is closed with the session
    (the SDK leaves a client it is handed open)."""
    async with http, streamable_http_client(url, http_client=http) as streams:
        yield streams


def http_client_with_headers(url: str, headers: dict[str, str], **options: object) -> Client:
    """An mcp Client over streamable HTTP that sends extra headers (a token, a request id)."""
    return Client(streamable_http_over(url, httpx2.AsyncClient(headers=headers)), **options)  # type: ignore[arg-type]
