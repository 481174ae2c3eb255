"""Resource subscriptions over HTTP: what each mode advertises and refuses (in-process, through the
HTTP stack), and a stateful subscriber that stops reading (a real `task-api-mcp serve --transport http`
process: the test needs its sockets' buffers to fill)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from harness.mcp_messages import MCP_HEADERS
from harness.servers import start_http_server
from mcp_server.config import Settings
from tests.support.asgi import InProcessServer, serve_in_process
from tests.support.clients import call

pytestmark = pytest.mark.anyio

LEGACY_VERSION = "2025-11-25"


async def test_stateless_http_neither_advertises_nor_acknowledges_legacy_subscriptions(
    served: InProcessServer,
) -> None:
    async with served.mcp(mode="legacy") as client:
        resources = client.server_capabilities.resources
        assert resources is not None and not resources.subscribe
        task = await call(client, "create_task", title="cannot be watched this way")
        with pytest.raises(MCPError) as refused:
            await client.subscribe_resource(f"task://{task['id']}")
    assert refused.value.error.code == -32601
    message = refused.value.error.message
    assert "stateless HTTP" in message
    assert "subscriptions/listen" in message and "--stateful" in message and "stdio" in message


async def test_stateless_http_advertises_subscriptions_to_listen_clients(served: InProcessServer) -> None:
    """Protocol 2026-07-28's subscriptions/listen rides the request's own stream, so it works here."""
    async with served.mcp() as client:
        resources = client.server_capabilities.resources
        assert resources is not None and resources.subscribe


async def test_stateful_http_advertises_legacy_subscriptions(http_settings: Settings) -> None:
    stateful = serve_in_process(replace(http_settings, stateless=False))
    async with stateful as server, server.mcp(mode="legacy") as client:
        resources = client.server_capabilities.resources
        assert resources is not None and resources.subscribe


# -- a stateful subscriber that stops reading -------------------------------------------------


def answer_of(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC answer in a streamable HTTP response (an SSE stream or a JSON body)."""
    response.raise_for_status()
    if response.headers["content-type"].startswith("application/json"):
        return response.json()
    for line in response.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            message = json.loads(line[5:])
            if "id" in message:
                return message
    raise AssertionError(f"no JSON-RPC answer in {response.text!r}")


class LegacySession:
    """A handshake-era session on a stateful server, spoken in raw JSON-RPC over HTTP."""

    def __init__(self, http: httpx.Client, url: str) -> None:
        self.http, self.url, self._next_id = http, url, 0
        initialize = {
            "protocolVersion": LEGACY_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        }
        response = http.post(url, json=self._request("initialize", initialize), headers=MCP_HEADERS)
        answer_of(response)
        self.session_id = response.headers["mcp-session-id"]
        self.headers = {**MCP_HEADERS, "mcp-session-id": self.session_id, "mcp-protocol-version": LEGACY_VERSION}
        http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=self.headers)

    def _request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        return {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}

    def request(self, method: str, **params: Any) -> dict[str, Any]:
        answer = answer_of(self.http.post(self.url, json=self._request(method, params), headers=self.headers))
        assert "result" in answer, answer
        return answer["result"]

    def tool(self, name: str, **arguments: Any) -> dict[str, Any]:
        result = self.request("tools/call", name=name, arguments=arguments)
        assert not result.get("isError"), result
        return result["structuredContent"]


@contextmanager
def unread_standalone_stream(port: int, session: LegacySession) -> Iterator[None]:
    """Open the session's GET stream and never read it. A small receive buffer and segment size keep
    what the kernels hold for it small, so the server's writes back up after some hundreds of updates
    rather than tens of thousands."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 88)
    try:
        sock.connect(("127.0.0.1", port))
        request = (
            f"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
            f"mcp-session-id: {session.session_id}\r\nmcp-protocol-version: {LEGACY_VERSION}\r\n\r\n"
        )
        sock.sendall(request.encode())
        yield
    finally:
        sock.close()


class LogTail:
    """What a server wrote to its log since the last look."""

    def __init__(self, path: Path) -> None:
        self._path, self._offset, self._partial = path, 0, b""

    def new_lines(self) -> list[str]:
        with self._path.open("rb") as log:
            log.seek(self._offset)
            written = log.read()
        self._offset += len(written)
        *lines, self._partial = (self._partial + written).split(b"\n")
        return [line.decode() for line in lines]


def test_a_stateful_subscriber_that_stops_reading_never_delays_other_clients(db_path: Path, tmp_path: Path) -> None:
    """With the stream above, a write that waited on the subscriber would hang once its buffers
    filled, somewhere between the 830th and the 2,900th update (about the 24,000th without the small
    buffers). Updates go on until the server drops the subscriber, which it does once one update
    has waited --subscriber-timeout for the client."""
    server = start_http_server(
        db_path, tmp_path / "stateful.log", "--stateful", "--backend", "none", "--subscriber-timeout", "1"
    )
    drops: list[dict[str, Any]] = []
    try:
        log = LogTail(server.log_path)
        with httpx.Client(timeout=10) as http:
            slow = LegacySession(http, server.mcp_url)
            task = slow.tool("create_task", title="watched by a client that stops reading")
            slow.request("resources/subscribe", uri=f"task://{task['id']}")
            with unread_standalone_stream(server.port, slow):
                writer = LegacySession(http, server.mcp_url)
                updates, after_drop = 0, 0
                deadline = time.monotonic() + 120
                while after_drop < 100:
                    assert time.monotonic() < deadline, f"not dropped after {updates} updates"
                    try:
                        writer.tool("update_task", task_id=task["id"], title=f"revision {updates}")
                    except httpx.TimeoutException:
                        pytest.fail(f"update {updates} got no answer within 10 s")
                    updates += 1
                    drops += [json.loads(line) for line in log.new_lines() if '"subscriber_dropped"' in line]
                    after_drop += 1 if drops else 0
    finally:
        server.stop()
    assert len(drops) == 1
    assert drops[0]["session_id"] == slow.session_id and drops[0]["uris"] == [f"task://{task['id']}"]
