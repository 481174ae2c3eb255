"""Fixtures that start the real thing: a SQLite file, the MCP server in memory, over stdio, over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_server.cli import App, open_app
from mcp_server.config import Settings


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run under AnyIO's plugin (each module sets pytestmark = pytest.mark.anyio), which
    keeps a fixture's setup and teardown in one task, as the mcp client's task groups require."""
    return "asyncio"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tasks.db"


@pytest.fixture
async def app(db_path: Path) -> AsyncIterator[App]:
    async with open_app(Settings(db=str(db_path))) as running:
        yield running


@pytest.fixture
async def client(app: App) -> AsyncIterator[Client]:
    async with Client(app.server) as connected:
        yield connected


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class HttpServer:
    """A `task-api-mcp serve --transport http` process on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def logs(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_http_server(db: Path, log_path: Path, *extra: str, env: dict[str, str] | None = None) -> HttpServer:
    port = free_port()
    log = log_path.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcp_server",
            "serve",
            "--transport",
            "http",
            "--port",
            str(port),
            "--db",
            str(db),
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, **(env or {})},
    )
    server = HttpServer(process, port, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.logs()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not answer /healthz within 30 s:\n{server.logs()}")


@pytest.fixture
def http_server(db_path: Path, tmp_path: Path) -> Iterator[HttpServer]:
    server = start_http_server(db_path, tmp_path / "server.log")
    yield server
    server.stop()


def http_client_with_headers(url: str, headers: dict[str, str], **options: object) -> Client:
    """An mcp Client over streamable HTTP that sends extra headers (a token, a request id)."""
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers))
    return Client(transport, **options)  # type: ignore[arg-type]
