"""Forward migration from the release before lists: databases that release wrote itself, through its
own TaskService and stores (data/make_release_v2.py made them, from commit 6960856), open under this
one at the newest schema version with every task, tag, idempotency key and version intact, every
task in the inbox with the defaults of the fields added since (no parent, no subtasks, no recurrence,
not in the trash, an empty history), and take new writes. The SQLite file is copied; the PostgreSQL
dump (plain SQL) is loaded into a fresh database."""

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
from mcp_server.core.domain import (
    DEFAULT_LIST,
    NewTask,
    Status,
    StatusFilter,
    SubtaskCounts,
    Task,
    TaskList,
    TaskPatch,
    TaskQuery,
)
from mcp_server.core.errors import IdempotencyConflict, TaskNotFound
from mcp_server.core.history import HistoryKind
from mcp_server.core.principals import LOCAL, Principal, acting_as
from mcp_server.core.recurrence import RepeatFrom
from mcp_server.core.service import TaskService
from mcp_server.core.storage import TaskStore
from mcp_server.store import PostgresTaskStore, SQLiteTaskStore
from mcp_server.store import postgres as postgres_store
from mcp_server.store import sqlite as sqlite_store

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent / "data"
RELEASE: dict[str, Any] = json.loads((DATA / "release_v2.json").read_text(encoding="utf-8"))
# The schema version each store is at now, and the one the release left it at.
NEWEST = {"sqlite": 8, "postgres": 6}
RELEASED = {"sqlite": 2, "postgres": 1}
# The fields of a task added since the release, and the values a migrated task has.
ADDED = {
    "list": DEFAULT_LIST,
    "parent_id": None,
    "subtasks": SubtaskCounts(open=0, done=0),
    "recurrence": None,
    "repeat_from": RepeatFrom.DUE,
    "timezone": None,
    "deleted_at": None,
}
# The indexes of the tasks table the migrations since the release add.
ADDED_INDEXES = {"tasks_list", "tasks_parent", "tasks_trash", "tasks_owner"}


@dataclass
class Migrated:
    name: str
    store: TaskStore
    service: TaskService
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
    yield Migrated(request.param, store, TaskService(store), RELEASE[request.param], migrations, indexes)
    await store.close()


def released_tasks(migrated: Migrated) -> list[Task]:
    tasks = migrated.release["tasks"]
    assert tasks and all(not set(task) & set(ADDED) for task in tasks)  # written before any of these fields
    return [Task.model_validate(task) for task in tasks]


async def test_the_schema_moves_forward_to_the_newest_version_with_its_indexes(migrated: Migrated) -> None:
    assert migrated.release["schema_version"] == RELEASED[migrated.name]
    assert await migrated.store.schema_version() == migrated.migrations == NEWEST[migrated.name]
    assert migrated.indexes() >= ADDED_INDEXES


async def test_migrated_tasks_are_found_by_the_text_search_index(migrated: Migrated) -> None:
    """The search index is built over the tasks already there, not only the ones written after."""
    if migrated.name == "postgres":
        assert migrated.indexes() >= {"tasks_title_trgm", "tasks_description_trgm"}
    for task in released_tasks(migrated):
        if len(task.title) >= 3 and task.deleted_at is None:
            page = await migrated.service.list_tasks(TaskQuery(search=task.title[:40]), limit=100)
            assert task.id in [found.id for found in page.tasks], task.title


async def test_every_task_keeps_its_fields_tags_and_version_and_has_the_new_fields_defaults(
    migrated: Migrated,
) -> None:
    store, service, expected = migrated.store, migrated.service, released_tasks(migrated)
    assert len(expected) == 12
    assert {t.version for t in expected} == {1, 2, 3} and {t.status for t in expected} == {Status.OPEN, Status.DONE}
    for task in expected:
        got = await store.get(task.id)
        assert got is not None
        assert got.model_dump(exclude=set(ADDED)) == task.model_dump(exclude=set(ADDED))
        assert {name: getattr(got, name) for name in ADDED} == ADDED
        assert (await service.history(task.id)).entries == []
        assert (await service.task_detail(task.id, include=["subtasks", "history"])).model_dump(
            include={"subtasks", "history"}
        ) == {"subtasks": [], "history": []}
    for task_id in migrated.release["deleted_ids"]:  # deleted by the release: gone, no history either
        assert await store.get(task_id) is None
        assert await store.history(task_id, limit=10) == []
    # The tag index (task_tags) came across too: every tag finds its tasks.
    for tag in {tag for task in expected for tag in task.tags}:
        tagged, total = await store.list_page(TaskQuery(tag=tag), after_id=None, limit=50)
        assert [t.id for t in tagged] == [t.id for t in sorted(expected, key=lambda t: t.id) if tag in t.tags]
        assert total == len(tagged)
    ids = sorted(t.id for t in expected)
    for query in (TaskQuery(), TaskQuery(list=DEFAULT_LIST)):
        page, total = await store.list_page(query, after_id=None, limit=50)
        assert [t.id for t in page] == ids and total == len(ids)
    assert await store.list_page(TaskQuery(status=StatusFilter.DELETED), after_id=None, limit=50) == ([], 0)
    done = sum(t.status == Status.DONE for t in expected)
    assert await store.lists() == [TaskList(name=DEFAULT_LIST, open=len(expected) - done, done=done)]
    assert await store.count_by_status() == {"open": len(expected) - done, "done": done}


async def test_idempotency_keys_still_replay_their_task(migrated: Migrated) -> None:
    """A key stored by the release, retried with the same request, gives the same task back (not a
    conflict, not a second task); the key of a deleted task still says so."""
    store, service = migrated.store, migrated.service
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
        assert (await service.history(stored.id)).entries == []  # a replay changes nothing
    _, after = await store.list_page(TaskQuery(), after_id=None, limit=1)
    assert after == before


async def test_migrated_tasks_can_be_completed_deleted_to_the_trash_and_restored(migrated: Migrated) -> None:
    store, service, expected = migrated.store, migrated.service, released_tasks(migrated)
    for task in expected:
        if task.status == Status.OPEN:
            completed = await service.complete_task(task.id)
            assert (completed.status, completed.version) == (Status.DONE, task.version + 1)
            assert completed.completed_at is not None
        else:
            assert await service.complete_task(task.id) == await store.get(task.id)  # done already: unchanged
    done = await store.count_by_status()
    assert done == {"open": 0, "done": len(expected)}

    for task in expected:
        deleted = await service.delete_task(task.id)
        assert not deleted.permanent and deleted.task.deleted_at is not None and deleted.subtask_ids == []
        assert await store.get(task.id) == deleted.task  # the row is kept, in the trash
    assert await store.list_page(TaskQuery(), after_id=None, limit=50) == ([], 0)
    trash, total = await store.list_page(TaskQuery(status=StatusFilter.DELETED), after_id=None, limit=50)
    assert [t.id for t in trash] == sorted(t.id for t in expected) and total == len(expected)
    assert await store.lists() == []

    for task in expected:
        restored = await service.restore_task(task.id)
        assert restored.deleted_at is None and restored.status == Status.DONE
        opened = task.status == Status.OPEN
        assert restored.version == task.version + 2 + opened
        entries = (await service.history(task.id)).entries
        kinds = [HistoryKind.DELETED, HistoryKind.RESTORED]
        assert [e.kind for e in entries] == ([HistoryKind.COMPLETED] if opened else []) + kinds
        assert [e.version for e in entries] == list(range(task.version + 1, restored.version + 1))
    assert await store.lists() == [TaskList(name=DEFAULT_LIST, open=0, done=len(expected))]
    page, total = await store.list_page(TaskQuery(), after_id=None, limit=50)
    assert [t.id for t in page] == sorted(t.id for t in expected) and total == len(expected)


async def test_new_writes_work_on_the_migrated_store(migrated: Migrated) -> None:
    store, service = migrated.store, migrated.service
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
    moved = await service.update_task(oldest.id, TaskPatch(list="work"), expected_version=oldest.version)
    assert (moved.list, moved.version) == ("work", oldest.version + 1)
    renamed = await service.rename_list(DEFAULT_LIST, "archive")
    assert renamed.moved == len(expected) - 1
    for task in expected:
        got = await store.get(task.id)
        assert got is not None and got.version == task.version + 1
        assert [(e.kind, e.version) for e in (await service.history(task.id)).entries] == [
            (HistoryKind.UPDATED, task.version + 1)
        ]
    done = sum(t.status == Status.DONE for t in expected if t.id != oldest.id)
    assert await store.lists() == [
        TaskList(name="archive", open=renamed.moved - done, done=done),
        TaskList(name="work", open=1 + (oldest.status == Status.OPEN), done=int(oldest.status == Status.DONE)),
    ]

    # A migrated task takes subtasks.
    parent = next(t for t in expected if t.status == Status.OPEN and t.id != oldest.id)
    subtask = await service.create_task(NewTask(title="a first step", parent_id=parent.id))
    assert (subtask.parent_id, subtask.list) == (parent.id, "archive")
    with_subtask = await store.get(parent.id)
    assert with_subtask is not None and with_subtask.subtasks == SubtaskCounts(open=1, done=0)

    deleted = await service.delete_task(parent.id)
    assert deleted.task.id == parent.id and deleted.subtask_ids == [subtask.id]
    in_trash = await store.get(parent.id)
    assert in_trash is not None and in_trash.deleted_at is not None
    page, _ = await store.list_page(TaskQuery(), after_id=None, limit=50)
    assert parent.id not in {t.id for t in page} and subtask.id not in {t.id for t in page}
    await service.delete_task(parent.id, permanent=True)
    assert await store.get(parent.id) is None and await store.get(subtask.id) is None


async def test_migrated_tasks_and_keys_are_the_local_principals_and_no_one_elses(migrated: Migrated) -> None:
    """Before principals, a database was one person's: all of it is `local`'s, the principal of stdio
    and of the single shared token, and another principal finds none of it."""
    store, service, expected = migrated.store, migrated.service, released_tasks(migrated)
    with acting_as(LOCAL):
        _, total = await store.list_page(TaskQuery(), after_id=None, limit=1)
        assert total == len(expected)
    with acting_as(Principal("someone-else")):
        assert await store.list_page(TaskQuery(), after_id=None, limit=50) == ([], 0)
        assert await store.lists() == []
        for task in expected:
            assert await store.get(task.id) is None
            with pytest.raises(TaskNotFound):
                await service.update_task(task.id, TaskPatch(title="taken"))
        # The release's idempotency keys are local's: the same key is a new request for anyone else.
        entry = next(entry for entry in RELEASE["keys"] if not entry["deleted"])
        created = await service.create_task(NewTask(**entry["new"]), idempotency_key=entry["key"])
        assert created.id != entry["task_id"]
    for task in expected:  # and local's tasks are as they were
        got = await store.get(task.id)
        assert got is not None and got.title == task.title and got.version == task.version
