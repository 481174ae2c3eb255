"""An MCP client over streamable HTTP with extra headers, for the tests and the benchmarks."""

from __future__ import annotations

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def http_client_with_headers(url: str, headers: dict[str, str], **options: object) -> Client:
    """An mcp Client over streamable HTTP that sends extra headers (a token, a request id)."""
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers))
    return Client(transport, **options)  # type: ignore[arg-type]
