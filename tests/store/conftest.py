"""Both stores behind one fixture, so the contract suite runs the same tests on each, and the service
that every write goes through."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness.postgres_server import PostgresServer
from mcp_server.core.service import TaskService
from mcp_server.store import TaskStore
from tests.support.store_backends import Backend, postgres_backend, sqlite_backend


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return sqlite_backend(tmp_path / "tasks.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return postgres_backend(server.create_database())


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[TaskStore]:
    opened = backend.make()
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
def service(store: TaskStore) -> TaskService:
    """The service over the store: a store keeps rows, and every write goes through the service's rules."""
    return TaskService(store)
