"""What only the PostgreSQL store has: a server that can go away and come back, several stores
(replicas) on one database, and a URL whose password must not leak."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import psycopg
import pytest

from harness.postgres_server import PostgresServer
from harness.servers import free_port
from mcp_server.core.domain import NewTask, TaskPatch, TaskQuery
from mcp_server.core.errors import ConcurrentWrite, StoreUnavailable
from mcp_server.core.principals import LOCAL_PRINCIPAL
from mcp_server.core.service import TaskService
from mcp_server.store import PostgresTaskStore, store_for
from mcp_server.store.postgres import MIGRATIONS, TAG_IN_ROW
from mcp_server.store.selection import select
from mcp_server.store.urls import redacted
from tests.support.waiting import wait_until

pytestmark = pytest.mark.anyio


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, free to be stopped and restarted."""
    server = PostgresServer().init().start()
    yield server
    server.destroy()


def test_the_url_chooses_the_store() -> None:
    assert isinstance(store_for("postgresql://u@h:5432/d"), PostgresTaskStore)
    assert isinstance(store_for("postgres://u@h/d"), PostgresTaskStore)
    assert not isinstance(store_for("/tmp/tasks.db"), PostgresTaskStore)


def test_description_never_shows_the_password() -> None:
    assert redacted("postgresql://tasks:s3cret@db.internal:6543/tasks?sslmode=require") == (
        "postgresql://tasks@db.internal:6543/tasks"
    )
    assert "s3cret" not in PostgresTaskStore("postgresql://tasks:s3cret@db/tasks").description


async def test_an_unreachable_database_is_a_clear_error_at_open() -> None:
    store = PostgresTaskStore(f"postgresql://postgres@127.0.0.1:{free_port()}/tasks", acquire_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="cannot connect to the task database at postgresql://postgres@127"):
        await store.open()
    assert time.monotonic() - started < 15


async def test_replicas_opening_together_migrate_once(pg_url: str) -> None:
    stores = [PostgresTaskStore(pg_url) for _ in range(4)]
    async with anyio.create_task_group() as group:
        for store in stores:
            group.start_soon(store.open)
    try:
        assert {await s.schema_version() for s in stores} == {len(MIGRATIONS)}
        created = await TaskService(stores[0]).create_task(NewTask(title="seen by all"))
        assert all([await s.get(created.id) == created for s in stores])
        # A write through one replica is seen by the others, its history too.
        trashed = (await TaskService(stores[1]).delete_task(created.id)).task
        assert all([await s.get(created.id) == trashed for s in stores])
        assert all([len(await s.history(created.id, limit=10)) == 2 for s in stores])
    finally:
        for store in stores:
            await store.close()


async def test_a_database_restart_fails_calls_clearly_then_they_recover(own_server: PostgresServer) -> None:
    url = own_server.create_database()
    store = PostgresTaskStore(url, acquire_timeout_s=2)
    service = TaskService(store)
    await store.open()
    try:
        before = await service.create_task(NewTask(title="before the restart"))
        own_server.stop()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"task database at postgresql://postgres@127\.0\.0\.1:\d+/tasks_"):
            await store.get(before.id)
        with pytest.raises(StoreUnavailable):
            await store.ping()
        with pytest.raises(StoreUnavailable):
            await service.update_task(before.id, TaskPatch(title="while away"))
        assert time.monotonic() - started < 10, "calls must fail fast while the database is away"
        own_server.start()

        async def answers() -> bool:
            try:
                await store.ping()
            except StoreUnavailable:
                return False
            return True

        # The restarted server process says nothing when it is back: ask until it answers.
        await wait_until(answers, within_s=15, what="the store answering once the database is back")
        assert await store.get(before.id) == before
        after = await service.create_task(NewTask(title="after the restart"))
        tasks, total = await store.list_page(TaskQuery(), after_id=None, limit=10)
        assert total == 2 and [t.id for t in tasks] == [before.id, after.id]
    finally:
        await store.close()


async def test_the_list_filter_reads_the_list_index(pg_url: str) -> None:
    """A page of a small list among many tasks is read from the (list, id) index, its count too,
    not by walking every task in id order."""
    store = PostgresTaskStore(pg_url)
    await store.open()
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO tasks (title, status, priority, tags, list, created_at, updated_at, version)"
                " SELECT 'task ' || n, 'open', 'normal', '[]', CASE WHEN n % 500 = 0 THEN 'rare' ELSE 'inbox' END,"
                " now(), now(), 1 FROM generate_series(1, 20000) AS n"
            )
            conn.execute("ANALYZE tasks")
            selection = select(
                TaskQuery(list="rare"), owner=LOCAL_PRINCIPAL, placeholder="%s", ilike="ILIKE", tag_in_row=TAG_IN_ROW
            )
            for sql, args in (
                (selection.page_sql("%s"), [*selection.args, 0, 21]),
                (selection.count_sql("%s"), [*selection.args, 1001]),
            ):
                plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN {sql}", args).fetchall())
                assert "tasks_list" in plan, plan
        tasks, total = await store.list_page(TaskQuery(list="rare"), after_id=None, limit=50)
        assert total == 40 and [t.id for t in tasks] == list(range(500, 20001, 500))
    finally:
        await store.close()


async def test_two_writes_that_deadlock_end_one_with_a_retryable_conflict(pg_url: str) -> None:
    """Two transactions lock the same two tasks in opposite orders; PostgreSQL breaks the deadlock, and
    the one it undoes reaches its caller as a conflict that says to send it again, not as an outage."""
    store = PostgresTaskStore(pg_url)
    await store.open()
    try:
        service = TaskService(store)
        a = await service.create_task(NewTask(title="a"))
        b = await service.create_task(NewTask(title="b"))
        first_locked, second_locked = anyio.Event(), anyio.Event()
        outcomes: list[BaseException | None] = []

        async def lock_both(first: int, second: int, mine: anyio.Event, theirs: anyio.Event) -> None:
            try:
                async with store.transaction() as tx:
                    await tx.get(first)
                    mine.set()
                    await theirs.wait()
                    await tx.get(second)
                outcomes.append(None)
            except ConcurrentWrite as exc:
                outcomes.append(exc)
                mine.set()

        with anyio.fail_after(30):
            async with anyio.create_task_group() as group:
                group.start_soon(lock_both, a.id, b.id, first_locked, second_locked)
                group.start_soon(lock_both, b.id, a.id, second_locked, first_locked)
        assert sorted(type(o).__name__ for o in outcomes) == ["ConcurrentWrite", "NoneType"]
        (error,) = [o for o in outcomes if o is not None]
        assert error.kind == "conflict" and "send it again" in str(error)
    finally:
        await store.close()
