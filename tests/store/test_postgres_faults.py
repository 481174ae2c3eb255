"""The PostgreSQL store when the database cannot do what is asked: a value it cannot store is
invalid input, a database that went read-only or lost our tables is store_unavailable and not
ready, never the driver's own exception (an internal error for clients)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest

from mcp_server.core.domain import NewTask
from mcp_server.core.errors import InvalidInput, StoreUnavailable
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
        conn.execute(sql)  # type: ignore[arg-type]


async def test_a_value_the_database_cannot_store_is_invalid_input(store: PostgresTaskStore) -> None:
    task, _ = await store.create(NewTask(title="plain"))
    with pytest.raises(InvalidInput, match=r"cannot store a value of this request: .*NUL"):
        await store.update(task.id, {"title": "nul\x00byte"})
    assert await store.get(task.id) == task


async def test_a_database_gone_read_only_is_store_unavailable_and_not_ready(
    store: PostgresTaskStore, pg_url: str
) -> None:
    """As after a failover to a standby: sessions may read but not write."""
    task, _ = await store.create(NewTask(title="before"))
    database = pg_url.rsplit("/", 1)[1]
    admin(pg_url, f"ALTER DATABASE {database} SET default_transaction_read_only = on")
    # End the pool's sessions, so that its next ones start read-only.
    admin(
        pg_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    with pytest.raises(StoreUnavailable, match=r"could not complete the operation: .* in a read-only transaction"):
        await store.update(task.id, {"title": "refused"})
    with pytest.raises(StoreUnavailable, match=r"could not complete the operation: .* in a read-only transaction"):
        await store.rename_list("inbox", "elsewhere")
    assert await store.get(task.id) == task
    report = await Health(store).report()
    assert report["ready"] is False
    assert "accepts no writes" in report["components"]["store"]["error"]


async def test_a_database_without_our_tables_is_store_unavailable_and_not_ready(
    store: PostgresTaskStore, pg_url: str
) -> None:
    await store.create(NewTask(title="before"))
    admin(pg_url, "DROP TABLE task_tags, task_api_schema")
    with pytest.raises(StoreUnavailable, match='relation "task_tags" does not exist'):
        await store.create(NewTask(title="tagged", tags=["t"]))
    with pytest.raises(StoreUnavailable, match='relation "task_api_schema" does not exist'):
        await store.ping()
