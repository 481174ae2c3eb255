"""Fixtures that start the real thing: a SQLite file, a PostgreSQL server, the MCP server in memory,
its HTTP app in-process, or a real HTTP server process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from mcp import Client
from playwright.sync_api import Browser

from harness.ollama_server import FakeOllama
from harness.postgres_server import PostgresServer
from harness.servers import HttpServer, start_http_server
from mcp_server.app import App, open_app
from mcp_server.config import Settings
from tests.support.asgi import InProcessServer, serve_in_process
from tests.support.browser import chromium


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
    async with open_app(Settings(db=str(db_path), backend="none")) as running:
        yield running


@pytest.fixture
async def client(app: App) -> AsyncIterator[Client]:
    async with Client(app.server) as connected:
        yield connected


@pytest.fixture
def http_settings(db_path: Path) -> Settings:
    """What `task-api-mcp serve --transport http --backend none` runs with."""
    return Settings(db=str(db_path), transport="http", backend="none")


@pytest.fixture
async def served(http_settings: Settings) -> AsyncIterator[InProcessServer]:
    """The HTTP app that server would serve, in this process, its lifespan running (no socket)."""
    async with serve_in_process(http_settings) as server:
        yield server


@pytest.fixture
def http_server(db_path: Path, tmp_path: Path) -> Iterator[HttpServer]:
    """A real `task-api-mcp serve --transport http` process, for what needs the process itself."""
    server = start_http_server(db_path, tmp_path / "server.log", "--backend", "none")
    yield server
    server.stop()


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    """A test server speaking Ollama's HTTP API, started on a free loopback port."""
    fake = FakeOllama().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session (initdb + pg_ctl on a free loopback port)."""
    server = PostgresServer().init().start()
    yield server
    server.destroy()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres.create_database()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for a module of browser tests."""
    with chromium() as launched:
        yield launched
