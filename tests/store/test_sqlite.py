"""The SQLite store on a real file: schema, WAL, migrations, atomic writes, filters and keyset pages."""

import sqlite3
from pathlib import Path

import pytest

from mcp_server.domain import NewTask, Priority, Status, TaskQuery
from mcp_server.errors import IdempotencyConflict, StoreUnavailable, TaskNotFound, VersionConflict
from mcp_server.store.sqlite import MIGRATIONS, SQLiteTaskStore

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(db_path: Path):
    opened = SQLiteTaskStore(db_path)
    await opened.open()
    yield opened
    await opened.close()


async def test_open_creates_file_in_wal_mode_at_latest_schema(store: SQLiteTaskStore, db_path: Path) -> None:
    assert db_path.stat().st_size > 0  # noqa: ASYNC240 - a test's one-off check
    assert await store.schema_version() == len(MIGRATIONS)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_reopening_does_not_rerun_migrations_or_lose_data(db_path: Path) -> None:
    first = SQLiteTaskStore(db_path)
    await first.open()
    task, _ = await first.create(NewTask(title="survives"))
    await first.close()
    second = SQLiteTaskStore(db_path)
    await second.open()
    assert (await second.get(task.id)).title == "survives"
    await second.close()


async def test_a_newer_schema_than_known_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreUnavailable, match="newer than this server knows"):
        await SQLiteTaskStore(db_path).open()


async def test_create_get_update_delete_round_trip(store: SQLiteTaskStore) -> None:
    task, created = await store.create(NewTask(title="a", priority="high", tags=["x"], due="2026-12-01"))
    assert created and task.version == 1 and task.status == Status.OPEN
    updated, changed = await store.update(task.id, {"title": "b", "status": Status.DONE})
    assert changed
    assert (updated.title, updated.status, updated.version) == ("b", Status.DONE, 2)
    assert updated.completed_at is not None
    reopened, _ = await store.update(task.id, {"status": Status.OPEN})
    assert reopened.completed_at is None
    deleted = await store.delete(task.id)
    assert deleted.id == task.id
    assert await store.get(task.id) is None
    with pytest.raises(TaskNotFound):
        await store.delete(task.id)


async def test_update_that_changes_nothing_keeps_the_version(store: SQLiteTaskStore) -> None:
    task, _ = await store.create(NewTask(title="same"))
    same, changed = await store.update(task.id, {"title": "same"})
    assert same.version == 1 and not changed


async def test_stale_expected_version_is_refused_and_names_the_current(store: SQLiteTaskStore) -> None:
    task, _ = await store.create(NewTask(title="v"))
    await store.update(task.id, {"title": "v2"})
    with pytest.raises(VersionConflict, match="version 2") as caught:
        await store.update(task.id, {"title": "v3"}, expected_version=1)
    assert caught.value.current == 2
    assert (await store.get(task.id)).title == "v2"


async def test_idempotency_key_returns_first_task(store: SQLiteTaskStore) -> None:
    first, created = await store.create(NewTask(title="once"), idempotency_key="k", fingerprint="f")
    again, created_again = await store.create(NewTask(title="once"), idempotency_key="k", fingerprint="f")
    assert created and not created_again and again.id == first.id
    with pytest.raises(IdempotencyConflict, match="different parameters"):
        await store.create(NewTask(title="other"), idempotency_key="k", fingerprint="g")
    await store.delete(first.id)
    with pytest.raises(TaskNotFound, match="has since been deleted"):
        await store.create(NewTask(title="once"), idempotency_key="k", fingerprint="f")
    _, total = await store.list_page(TaskQuery(), after_id=None, limit=10)
    assert total == 0


async def test_failed_transaction_leaves_nothing_behind(store: SQLiteTaskStore, db_path: Path) -> None:
    """A write that fails half-way (here: the tag insert) must roll back the task row too."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TRIGGER boom BEFORE INSERT ON task_tags BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(sqlite3.IntegrityError):
        await store.create(NewTask(title="half", tags=["t"]))
    _, total = await store.list_page(TaskQuery(), after_id=None, limit=10)
    assert total == 0


async def test_filters_combine(store: SQLiteTaskStore) -> None:
    await store.create(NewTask(title="Write report", priority="high", tags=["work"], due="2026-12-01"))
    await store.create(NewTask(title="Buy milk", description="semi-skimmed", tags=["home"], due="2026-12-05"))
    done, _ = await store.create(NewTask(title="Report expenses", tags=["work"], due="2026-12-10T09:00:00+01:00"))
    await store.update(done.id, {"status": Status.DONE})

    async def titles(**filters: object) -> list[str]:
        tasks, total = await store.list_page(TaskQuery(**filters).normalised(), after_id=None, limit=50)
        assert total == len(tasks)
        return [t.title for t in tasks]

    assert await titles(tag="WORK") == ["Write report", "Report expenses"]
    assert await titles(status="open", tag="work") == ["Write report"]
    assert await titles(priority=Priority.HIGH) == ["Write report"]
    assert await titles(search="report") == ["Write report", "Report expenses"]
    assert await titles(search="SKIMMED") == ["Buy milk"]
    assert await titles(due_before="2026-12-05") == ["Write report", "Buy milk"]
    assert await titles(due_after="2026-12-05") == ["Buy milk", "Report expenses"]
    assert await titles(due_after="2026-12-10T08:00:00Z") == ["Report expenses"]
    assert await titles(search="100%") == []


async def test_search_treats_like_wildcards_literally(store: SQLiteTaskStore) -> None:
    await store.create(NewTask(title="50% done"))
    await store.create(NewTask(title="500 done"))
    tasks, _ = await store.list_page(TaskQuery(search="50%"), after_id=None, limit=10)
    assert [t.title for t in tasks] == ["50% done"]


async def test_keyset_pages_are_stable_while_tasks_are_added(store: SQLiteTaskStore) -> None:
    for n in range(5):
        await store.create(NewTask(title=f"t{n}"))
    first, total = await store.list_page(TaskQuery(), after_id=None, limit=2)
    await store.create(NewTask(title="late"))
    second, _ = await store.list_page(TaskQuery(), after_id=first[-1].id, limit=2)
    assert total == 5
    assert [t.title for t in first + second] == ["t0", "t1", "t2", "t3"]


async def test_tag_and_id_suggestions(store: SQLiteTaskStore) -> None:
    for tags in (["work"], ["work", "home"], ["wood"]):
        await store.create(NewTask(title="x", tags=tags))
    assert await store.suggest_tags("wo", 10) == ["work", "wood"]
    assert await store.suggest_ids("", 2) == [3, 2]


async def test_closed_store_says_so(store: SQLiteTaskStore) -> None:
    await store.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.get(1)
