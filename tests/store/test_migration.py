"""Forward migration from the release before lists: databases that release wrote itself, through its
own TaskService and stores (data/make_release_v2.py made them, from commit 6960856), open under this
one with every task, tag, idempotency key and version intact, every task in the inbox, and take new
writes. The SQLite file is copied; the PostgreSQL dump (plain SQL) is loaded into a fresh database."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from harness.postgres_server import PostgresServer, pg_binary
from mcp_server.core.domain import DEFAULT_LIST, NewTask, Status, Task, TaskList, TaskQuery
from mcp_server.core.errors import IdempotencyConflict, TaskNotFound
from mcp_server.core.service import TaskService
from mcp_server.core.storage import TaskStore
from mcp_server.store import PostgresTaskStore, SQLiteTaskStore
from mcp_server.store import postgres as postgres_store
from mcp_server.store import sqlite as sqlite_store

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent / "data"
RELEASE: dict[str, Any] = json.loads((DATA / "release_v2.json").read_text(encoding="utf-8"))


@dataclass
class Migrated:
    store: TaskStore
    release: dict[str, Any]  # what the release wrote to this store: schema version, tasks, deleted ids
    migrations: int  # the schema version this code brings a store to
    indexes: Callable[[], set[str]]  # the index names of the tasks table, read from outside the store


def sqlite_copy(tmp_path: Path) -> tuple[Path, Callable[[], set[str]]]:
    path = tmp_path / "tasks.db"
    shutil.copyfile(DATA / "release_v2.sqlite", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == RELEASE["sqlite"]["schema_version"] == 2

    def indexes() -> set[str]:
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'")
            return {row[0] for row in rows}

    return path, indexes


def postgres_load(server: PostgresServer) -> tuple[str, Callable[[], set[str]]]:
    url = server.create_database()
    subprocess.run(
        [pg_binary("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(DATA / "release_v2.pg.sql")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT max(version) FROM task_api_schema").fetchone()
        assert row is not None and row[0] == RELEASE["postgres"]["schema_version"] == 1

    def indexes() -> set[str]:
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'tasks'").fetchall()
            return {row[0] for row in rows}

    return url, indexes


@pytest.fixture(params=["sqlite", "postgres"])
async def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Migrated]:
    store: TaskStore
    if request.param == "sqlite":
        path, indexes = sqlite_copy(tmp_path)
        store, migrations = SQLiteTaskStore(path), len(sqlite_store.MIGRATIONS)
    else:
        url, indexes = postgres_load(request.getfixturevalue("postgres"))
        store, migrations = PostgresTaskStore(url), len(postgres_store.MIGRATIONS)
    await store.open()
    yield Migrated(store, RELEASE[request.param], migrations, indexes)
    await store.close()


def released_tasks(migrated: Migrated) -> list[Task]:
    tasks = migrated.release["tasks"]
    assert tasks and all("list" not in task for task in tasks)  # written before tasks had lists
    return [Task.model_validate(task) for task in tasks]


async def test_the_schema_moves_forward_by_one_version_with_the_list_index(migrated: Migrated) -> None:
    assert await migrated.store.schema_version() == migrated.migrations == migrated.release["schema_version"] + 1
    assert "tasks_list" in migrated.indexes()


async def test_every_task_keeps_its_fields_tags_and_version_and_is_in_the_inbox(migrated: Migrated) -> None:
    store, expected = migrated.store, released_tasks(migrated)
    assert len(expected) == 12
    assert {t.version for t in expected} == {1, 2, 3} and {t.status for t in expected} == {Status.OPEN, Status.DONE}
    for task in expected:
        got = await store.get(task.id)
        assert got is not None and got.list == DEFAULT_LIST
        assert got.model_dump(exclude={"list"}) == task.model_dump(exclude={"list"})
    for task_id in migrated.release["deleted_ids"]:
        assert await store.get(task_id) is None
    # The tag index (task_tags) came across too: every tag finds its tasks.
    for tag in {tag for task in expected for tag in task.tags}:
        tagged, total = await store.list_page(TaskQuery(tag=tag), after_id=None, limit=50)
        assert [t.id for t in tagged] == [t.id for t in sorted(expected, key=lambda t: t.id) if tag in t.tags]
        assert total == len(tagged)
    ids = sorted(t.id for t in expected)
    for query in (TaskQuery(), TaskQuery(list=DEFAULT_LIST)):
        page, total = await store.list_page(query, after_id=None, limit=50)
        assert [t.id for t in page] == ids and total == len(ids)
    done = sum(t.status == Status.DONE for t in expected)
    assert await store.lists() == [TaskList(name=DEFAULT_LIST, open=len(expected) - done, done=done)]


async def test_idempotency_keys_still_replay_their_task(migrated: Migrated) -> None:
    """A key stored by the release, retried with the same request, gives the same task back (not a
    conflict, not a second task); the key of a deleted task still says so."""
    store, service = migrated.store, TaskService(migrated.store)
    keys = RELEASE["keys"]
    assert {entry["deleted"] for entry in keys} == {True, False}
    _, before = await store.list_page(TaskQuery(), after_id=None, limit=1)
    for entry in keys:
        new = NewTask(**entry["new"])
        if entry["deleted"]:
            with pytest.raises(TaskNotFound, match="has since been deleted"):
                await service.create_task(new, idempotency_key=entry["key"])
            continue
        stored = await store.get(entry["task_id"])
        assert stored is not None
        assert await service.create_task(new, idempotency_key=entry["key"]) == stored
        # The default list named outright is the same request; another list, or another title, is not.
        same = NewTask(**entry["new"], list=DEFAULT_LIST)
        assert await service.create_task(same, idempotency_key=entry["key"]) == stored
        for other in (NewTask(**{**entry["new"], "list": "work"}), NewTask(**{**entry["new"], "title": "other"})):
            with pytest.raises(IdempotencyConflict):
                await service.create_task(other, idempotency_key=entry["key"])
    _, after = await store.list_page(TaskQuery(), after_id=None, limit=1)
    assert after == before


async def test_new_writes_work_on_the_migrated_store(migrated: Migrated) -> None:
    store, service = migrated.store, TaskService(migrated.store)
    expected = released_tasks(migrated)
    highest = max([t.id for t in expected] + migrated.release["deleted_ids"])
    created = await service.create_task(
        NewTask(title="after the upgrade", list="Work", tags=["new"]), idempotency_key="k"
    )
    assert created.id > highest and (created.list, created.version) == ("work", 1)  # no id is reused
    assert (
        await service.create_task(NewTask(title="after the upgrade", list="work", tags=["new"]), idempotency_key="k")
        == created
    )

    oldest = max(expected, key=lambda t: t.version)
    moved, changed = await store.update(oldest.id, {"list": "work"}, expected_version=oldest.version)
    assert changed and (moved.list, moved.version) == ("work", oldest.version + 1)
    renamed = await store.rename_list(DEFAULT_LIST, "archive")
    assert renamed == sorted(t.id for t in expected if t.id != oldest.id)
    for task in expected:
        got = await store.get(task.id)
        assert got is not None and got.version == task.version + 1
    done = sum(t.status == Status.DONE for t in expected if t.id != oldest.id)
    assert await store.lists() == [
        TaskList(name="archive", open=len(renamed) - done, done=done),
        TaskList(name="work", open=1 + (oldest.status == Status.OPEN), done=int(oldest.status == Status.DONE)),
    ]
    deleted = await store.delete(expected[0].id)
    assert deleted.id == expected[0].id and await store.get(expected[0].id) is None
