"""What only the SQLite store has: one file in WAL mode, created on first open.
The behaviour both stores share is in test_contract.py."""

import sqlite3
from pathlib import Path

import anyio
import pytest

from mcp_server.core.domain import NewTask, SubtaskCounts, TaskPatch, TaskQuery
from mcp_server.core.principals import LOCAL_PRINCIPAL
from mcp_server.core.service import TaskService
from mcp_server.store.selection import select
from mcp_server.store.sqlite import MIGRATIONS, TAG_IN_ROW, SQLiteTaskStore

pytestmark = pytest.mark.anyio


async def test_open_creates_the_file_and_its_folder_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "tasks.db"
    store = SQLiteTaskStore(path)
    await store.open()
    try:
        await TaskService(store).create_task(NewTask(title="on disk"))
        assert path.stat().st_size > 0
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        await store.close()


async def test_a_store_from_an_older_version_is_migrated_forward_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute(
            "INSERT INTO tasks (title, status, priority, tags, created_at, updated_at, version)"
            " VALUES ('kept', 'open', 'high', '[\"x\"]', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', 1)"
        )
        conn.execute("INSERT INTO task_tags (task_id, tag) VALUES (1, 'x')")
        conn.execute("PRAGMA user_version = 1")
    store = SQLiteTaskStore(path)
    await store.open()
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        kept = await store.get(1)
        assert kept is not None and kept.title == "kept" and kept.tags == ["x"]
        assert (kept.list, kept.parent_id, kept.subtasks, kept.deleted_at) == ("inbox", None, SubtaskCounts(), None)
        assert await store.history(1, limit=10) == []
        await TaskService(store).update_task(1, TaskPatch(tags=["y"]))
        with sqlite3.connect(path) as conn:
            plan = conn.execute("EXPLAIN QUERY PLAN DELETE FROM task_tags WHERE task_id = 1").fetchall()
            assert "task_tags_task" in str([tuple(row) for row in plan])
            assert conn.execute("SELECT tag FROM task_tags").fetchall() == [("y",)]
    finally:
        await store.close()


async def test_the_list_filter_reads_the_list_index(tmp_path: Path) -> None:
    """A list's page and its count are read from the (list, id) index, in id order, with no sort."""
    path = tmp_path / "tasks.db"
    store = SQLiteTaskStore(path)
    await store.open()
    await store.close()
    selection = select(
        TaskQuery(list="work"), owner=LOCAL_PRINCIPAL, placeholder="?", ilike="LIKE", tag_in_row=TAG_IN_ROW
    )
    with sqlite3.connect(path) as conn:
        for sql, args in (
            (selection.page_sql("?"), [*selection.args, 0, 21]),
            (selection.count_sql("?"), [*selection.args, 1001]),
        ):
            plan = str([tuple(row) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args)])
            assert "tasks_list" in plan and "TEMP B-TREE" not in plan, plan


async def test_a_write_that_finds_the_file_busy_waits_its_turn_off_the_event_loop(tmp_path: Path) -> None:
    """Another process holds the write lock: the write falls back to a worker thread, waits with the
    busy timeout, and lands once the lock is released, while reads keep answering meanwhile."""

    path = tmp_path / "busy.db"
    store = SQLiteTaskStore(path)
    await store.open()
    service = TaskService(store)
    first = await service.create_task(NewTask(title="before"))
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    try:
        async with anyio.create_task_group() as group:
            created = []

            async def write() -> None:
                created.append(await service.create_task(NewTask(title="waited")))

            group.start_soon(write)
            await anyio.wait_all_tasks_blocked()  # the write has met the lock and waits in its thread
            assert created == []  # still waiting for the lock
            assert (await store.get(first.id)) == first  # reads are not blocked
            other.execute("COMMIT")
        assert created[0].title == "waited"
        assert [e.kind for e in await store.history(created[0].id, limit=10)] == ["created"]
    finally:
        other.close()
        await store.close()


async def test_a_write_cancelled_while_the_file_is_busy_leaves_no_lock_behind(tmp_path: Path) -> None:
    """Another process holds the write lock, so the write waits in a worker thread; the caller gives
    up (a cancelled call). Once the other process lets go, writes go through again at once."""
    path = tmp_path / "busy.db"
    store = SQLiteTaskStore(path)
    await store.open()
    service = TaskService(store)
    try:
        await service.create_task(NewTask(title="before"))
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        waiting = anyio.Event()

        async def cancelled_write() -> None:
            with anyio.CancelScope() as scope:
                waiting.set()
                scope_holder.append(scope)
                await service.create_task(NewTask(title="cancelled"))

        scope_holder: list[anyio.CancelScope] = []
        async with anyio.create_task_group() as group:
            group.start_soon(cancelled_write)
            await waiting.wait()
            await anyio.wait_all_tasks_blocked()  # the write waits for the file, in a worker thread
            scope_holder[0].cancel()  # the caller gives up while it waits...
            other.execute("ROLLBACK")  # ...and then the other process lets go
            other.close()
        with anyio.fail_after(3):  # a lock left behind would keep it waiting for the 5 s busy timeout
            after = await service.create_task(NewTask(title="after"))
        titles = [t.title for t in (await service.list_tasks()).tasks]
        assert titles[0] == "before" and titles[-1] == after.title and len(titles) in (2, 3)
    finally:
        await store.close()
