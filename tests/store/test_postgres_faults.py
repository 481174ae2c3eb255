"""The PostgreSQL store when the database cannot do what is asked: a value it cannot store is
invalid input, a database that went read-only or lost our tables is store_unavailable and not
ready, never the driver's own exception (an internal error for clients)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest

from mcp_server.core.domain import NewTask, TaskPatch, TaskQuery
from mcp_server.core.errors import InvalidInput, StoreUnavailable
from mcp_server.core.service import TaskService
from mcp_server.observability.health import Health
from mcp_server.store import PostgresTaskStore

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[PostgresTaskStore]:
    opened = PostgresTaskStore(pg_url, max_size=2)
    await opened.open()
    yield opened
    await opened.close()


def admin(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


async def test_a_value_the_database_cannot_store_is_invalid_input(
    store: PostgresTaskStore, service: TaskService
) -> None:
    """The models refuse a NUL before a store sees it; a value that gets past them (built without
    validation here) is still refused by the database as invalid input, and nothing of it is kept."""
    task = await service.create_task(NewTask(title="plain"))
    history = await store.history(task.id, limit=10)
    with pytest.raises(InvalidInput, match=r"cannot store a value of this request: .*NUL"):
        await service.update_task(task.id, TaskPatch.model_construct(title="nul\x00byte"))
    with pytest.raises(InvalidInput, match=r"cannot store a value of this request: .*NUL"):
        await service.create_task(NewTask.model_construct(title="nul\x00byte"))
    assert await store.get(task.id) == task
    assert await store.history(task.id, limit=10) == history
    assert (await store.list_page(TaskQuery(), after_id=None, limit=10))[1] == 1


async def test_a_database_gone_read_only_is_store_unavailable_and_not_ready(
    store: PostgresTaskStore, service: TaskService, pg_url: str
) -> None:
    """As after a failover to a standby: sessions may read but not write."""
    task = await service.create_task(NewTask(title="before"))
    database = pg_url.rsplit("/", 1)[1]
    admin(pg_url, f"ALTER DATABASE {database} SET default_transaction_read_only = on")
    # End the pool's sessions, so that its next ones start read-only.
    admin(
        pg_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    read_only = r"could not complete the operation: .* in a read-only transaction"
    with pytest.raises(StoreUnavailable, match=read_only):
        await service.update_task(task.id, TaskPatch(title="refused"))
    with pytest.raises(StoreUnavailable, match=read_only):
        await service.delete_task(task.id)
    with pytest.raises(StoreUnavailable, match=read_only):
        await service.rename_list("inbox", "elsewhere")
    assert await store.get(task.id) == task
    report = await Health(store).report()
    assert report["ready"] is False
    assert "accepts no writes" in report["components"]["store"]["error"]


async def test_a_database_without_our_tables_is_store_unavailable_and_not_ready(
    store: PostgresTaskStore, service: TaskService, pg_url: str
) -> None:
    await service.create_task(NewTask(title="before"))
    admin(pg_url, "DROP TABLE task_tags, task_api_schema, task_history")
    with pytest.raises(StoreUnavailable, match='relation "task_tags" does not exist'):
        await service.create_task(NewTask(title="tagged", tags=["t"]))
    with pytest.raises(StoreUnavailable, match='relation "task_history" does not exist'):
        await service.create_task(NewTask(title="untagged"))
    with pytest.raises(StoreUnavailable, match='relation "task_api_schema" does not exist'):
        await store.ping()
