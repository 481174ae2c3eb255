"""The TaskStore contract, run on SQLite and on PostgreSQL, with every write through the TaskService:
every operation, the trash, filters, search, keyset pages, idempotency keys, optimistic concurrency,
atomic writes (history included), lists and migrations behave the same."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from mcp_server.core.batch import BatchOperation, CreateOp, DeleteOp, UpdateOp
from mcp_server.core.domain import (
    DEFAULT_LIST,
    ListRename,
    NewTask,
    Priority,
    Status,
    StatusFilter,
    Task,
    TaskList,
    TaskPatch,
    TaskQuery,
)
from mcp_server.core.errors import (
    IdempotencyConflict,
    InvalidInput,
    StateConflict,
    StoreUnavailable,
    TaskNotFound,
    VersionConflict,
)
from mcp_server.core.history import FieldChange, HistoryEntry, HistoryKind
from mcp_server.core.service import TaskService
from mcp_server.store import TaskStore
from tests.support.store_backends import EXPLODES, Backend

pytestmark = pytest.mark.anyio


async def kinds(store: TaskStore, task_id: int) -> list[HistoryKind]:
    return [entry.kind for entry in await store.history(task_id, limit=50)]


async def everything(store: TaskStore, query: TaskQuery | None = None) -> tuple[list[Task], int]:
    return await store.list_page(query or TaskQuery(), after_id=None, limit=100)


Snapshot = dict[int, tuple[Task | None, list[HistoryEntry]]]


async def snapshot(store: TaskStore, tasks: list[Task]) -> Snapshot:
    """Each task as stored, with its history: what a failed write must leave as it was."""
    return {t.id: (await store.get(t.id), await store.history(t.id, limit=10)) for t in tasks}


async def test_open_brings_the_schema_to_the_latest_version(store: TaskStore, backend: Backend) -> None:
    assert await store.schema_version() == backend.migrations


async def test_reopening_does_not_rerun_migrations_or_lose_data(backend: Backend) -> None:
    first = backend.make()
    await first.open()
    task = await TaskService(first).create_task(NewTask(title="survives", tags=["kept"]))
    trashed = (await TaskService(first).delete_task(task.id)).task
    history = await first.history(task.id, limit=10)
    await first.close()
    second = backend.make()
    await second.open()
    try:
        again = await second.get(trashed.id)
        assert again is not None and again == trashed and again.deleted_at is not None
        assert await second.history(task.id, limit=10) == history
        assert await second.schema_version() == backend.migrations
    finally:
        await second.close()


async def test_a_newer_schema_than_known_is_refused(backend: Backend) -> None:
    first = backend.make()
    await first.open()
    await first.close()
    backend.set_schema_version(backend.migrations + 1)
    newer = backend.make()
    try:
        with pytest.raises(StoreUnavailable, match="newer than this server knows"):
            await newer.open()
    finally:
        await newer.close()


async def test_create_get_update_delete_round_trip(store: TaskStore, service: TaskService) -> None:
    task = await service.create_task(NewTask(title="a", priority=Priority.HIGH, tags=["x"], due="2026-12-01"))
    assert task.version == 1 and task.status == Status.OPEN and task.deleted_at is None
    assert (task.title, task.priority, task.tags, task.due) == ("a", Priority.HIGH, ["x"], "2026-12-01")
    assert task.created_at == task.updated_at and task.created_at.tzinfo is not None
    assert await store.get(task.id) == task
    assert await everything(store) == ([task], 1)
    updated = await service.update_task(task.id, TaskPatch(title="b", status=Status.DONE))
    assert (updated.title, updated.status, updated.version) == ("b", Status.DONE, 2)
    assert updated.completed_at is not None
    assert await store.get(task.id) == updated
    reopened = await service.update_task(task.id, TaskPatch(status=Status.OPEN))
    assert reopened.completed_at is None and reopened.version == 3

    # A delete moves the task to the trash: the row stays (get still finds it), reads no longer show it.
    deleted = await service.delete_task(task.id)
    trashed = deleted.task
    assert not deleted.permanent and trashed.deleted_at is not None and trashed.version == 4
    unchanged = {"deleted_at", "version", "updated_at"}
    assert trashed.model_dump(exclude=unchanged) == reopened.model_dump(exclude=unchanged)
    assert await store.get(task.id) == trashed
    assert await everything(store) == ([], 0)
    assert await everything(store, TaskQuery(status=StatusFilter.DELETED)) == ([trashed], 1)
    with pytest.raises(StateConflict, match="already in the trash"):
        await service.delete_task(task.id)
    with pytest.raises(TaskNotFound, match="in the trash"):
        await service.update_task(task.id, TaskPatch(title="gone"))
    assert await store.get(task.id) == trashed
    restored = await service.restore_task(task.id)
    assert restored.deleted_at is None and restored.version == 5
    assert await everything(store) == ([restored], 1)
    assert await kinds(store, task.id) == [
        HistoryKind.CREATED,
        HistoryKind.COMPLETED,
        HistoryKind.REOPENED,
        HistoryKind.DELETED,
        HistoryKind.RESTORED,
    ]
    assert [e.version for e in await store.history(task.id, limit=10)] == [1, 2, 3, 4, 5]

    # Deleted permanently, it is gone: no row, in no read, the trash included.
    purged = await service.delete_task(task.id, permanent=True)
    assert purged.permanent and purged.task == restored
    assert await store.get(task.id) is None
    assert await everything(store) == ([], 0)
    assert await everything(store, TaskQuery(status=StatusFilter.DELETED)) == ([], 0)
    with pytest.raises(TaskNotFound):
        await service.delete_task(task.id)
    with pytest.raises(TaskNotFound):
        await service.delete_task(task.id, permanent=True)
    with pytest.raises(TaskNotFound):
        await service.update_task(task.id, TaskPatch(title="gone"))
    with pytest.raises(TaskNotFound):
        await service.restore_task(task.id)
    assert await kinds(store, task.id) == [HistoryKind.PURGED]  # no title or notes are kept


async def test_ids_increase_and_are_not_reused(store: TaskStore, service: TaskService, backend: Backend) -> None:
    first = await service.create_task(NewTask(title="1"))
    second = await service.create_task(NewTask(title="2"))
    await service.delete_task(second.id, permanent=True)  # the highest id, purged
    third = await service.create_task(NewTask(title="3"))
    await service.delete_task(third.id)  # in the trash, and then purged
    await service.delete_task(third.id, permanent=True)
    fourth = await service.create_task(NewTask(title="4"))
    assert first.id < second.id < third.id < fourth.id
    await service.delete_task(fourth.id, permanent=True)
    reopened = backend.make()  # what the store remembers of the ids survives a restart
    await reopened.open()
    try:
        fifth = await TaskService(reopened).create_task(NewTask(title="5"))
    finally:
        await reopened.close()
    assert fifth.id > fourth.id
    assert [t.title for t in (await everything(store))[0]] == ["1", "5"]


async def test_update_that_changes_nothing_keeps_the_version(store: TaskStore, service: TaskService) -> None:
    task = await service.create_task(NewTask(title="same", tags=["a"]))
    same = await service.update_task(task.id, TaskPatch(title="same", tags=["A"]))
    assert same == task and same.version == 1
    assert await store.get(task.id) == task
    assert await kinds(store, task.id) == [HistoryKind.CREATED]  # nothing happened, nothing recorded


async def test_stale_expected_version_is_refused_and_names_the_current(store: TaskStore, service: TaskService) -> None:
    task = await service.create_task(NewTask(title="v"))
    await service.update_task(task.id, TaskPatch(title="v2"))
    history = await store.history(task.id, limit=10)
    with pytest.raises(VersionConflict, match="version 2") as caught:
        await service.update_task(task.id, TaskPatch(title="v3"), expected_version=1)
    assert caught.value.current == 2
    stored = await store.get(task.id)
    assert stored is not None and (stored.title, stored.version) == ("v2", 2)
    assert await store.history(task.id, limit=10) == history


async def test_concurrent_read_modify_writes_lose_nothing(store: TaskStore, service: TaskService) -> None:
    """20 writers add one tag each with expected_version, retrying on conflict: every tag lands, and
    the history has one entry per version."""
    task = await service.create_task(NewTask(title="shared"))

    async def add_tag(n: int) -> None:
        while True:
            current = await store.get(task.id)
            assert current is not None
            try:
                await service.update_task(
                    task.id, TaskPatch(tags=[*current.tags, f"t{n}"]), expected_version=current.version
                )
                return
            except VersionConflict:
                await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(add_tag, n)
    final = await store.get(task.id)
    assert final is not None
    assert sorted(final.tags) == sorted(f"t{n}" for n in range(20)) and final.version == 21
    tagged, total = await store.list_page(TaskQuery(tag="t7"), after_id=None, limit=5)
    assert total == 1 and tagged[0].id == task.id
    history = await store.history(task.id, limit=50)
    assert [e.version for e in history] == list(range(1, 22))
    assert await store.history(task.id, limit=3) == history[-3:]  # the newest, oldest first
    assert history[-1].changes["tags"].new == final.tags


async def test_idempotency_key_returns_first_task(store: TaskStore, service: TaskService) -> None:
    first = await service.create_task(NewTask(title="once"), idempotency_key="k")
    again = await service.create_task(NewTask(title="once"), idempotency_key="k")
    assert again == first
    assert await everything(store) == ([first], 1)  # the retry made no second task
    assert await kinds(store, first.id) == [HistoryKind.CREATED]
    with pytest.raises(IdempotencyConflict, match="different parameters"):
        await service.create_task(NewTask(title="other"), idempotency_key="k")
    await service.delete_task(first.id)
    with pytest.raises(TaskNotFound, match="has since been deleted"):
        await service.create_task(NewTask(title="once"), idempotency_key="k")
    assert (await everything(store))[1] == 0
    assert (await everything(store, TaskQuery(status=StatusFilter.DELETED)))[1] == 1
    await service.delete_task(first.id, permanent=True)
    with pytest.raises(TaskNotFound, match="has since been deleted"):
        await service.create_task(NewTask(title="once"), idempotency_key="k")
    assert (await everything(store))[1] == (await everything(store, TaskQuery(status=StatusFilter.DELETED)))[1] == 0


async def test_concurrent_retries_of_one_idempotency_key_create_one_task(
    store: TaskStore, service: TaskService
) -> None:
    results: list[Task] = []

    async def create() -> None:
        results.append(await service.create_task(NewTask(title="retried"), idempotency_key="same"))

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(create)
    assert len(results) == 10 and all(task == results[0] for task in results)
    assert await everything(store) == ([results[0]], 1)
    assert await kinds(store, results[0].id) == [HistoryKind.CREATED]  # one create, nine replays


async def test_failed_transaction_leaves_nothing_behind(
    store: TaskStore, service: TaskService, backend: Backend
) -> None:
    """A write that fails half-way (here: the tag insert) must roll back the task row, its history
    entry and its idempotency key too."""
    backend.sabotage_tag_inserts()
    with pytest.raises(StoreUnavailable, match="boom"):
        await service.create_task(NewTask(title="half", tags=["t"]), idempotency_key="half")
    assert await everything(store) == ([], 0)
    assert await store.suggest_tags("", 10) == []
    # The key was not kept: another task with it is a new create, not a conflict with the failed one.
    untagged = await service.create_task(NewTask(title="fine"), idempotency_key="half")
    assert untagged.tags == [] and untagged.title == "fine"
    for task_id in range(1, untagged.id):  # an id the failed create may have taken: no row, no history
        assert await store.get(task_id) is None
        assert await store.history(task_id, limit=10) == []
    assert await kinds(store, untagged.id) == [HistoryKind.CREATED]


async def test_a_write_whose_history_entry_fails_is_undone(
    store: TaskStore, service: TaskService, backend: Backend
) -> None:
    """A change and the history entry that records it commit together: when the entry cannot be
    written, no write (of any kind) leaves its change behind."""
    parent = await service.create_task(NewTask(title="parent", tags=["kept"], list="work"))
    child = await service.create_task(NewTask(title="child", parent_id=parent.id))
    before = await snapshot(store, [parent, child])
    backend.sabotage_history_inserts()
    writes: list[Callable[[], Awaitable[Any]]] = [
        lambda: service.create_task(NewTask(title="new", tags=["new"]), idempotency_key="k"),
        lambda: service.update_task(parent.id, TaskPatch(title="renamed", tags=["changed"], list="home")),
        lambda: service.complete_task(child.id),
        lambda: service.complete_task(parent.id, cascade=True),
        lambda: service.delete_task(parent.id),
        lambda: service.delete_task(child.id, permanent=True),
        lambda: service.rename_list("work", "office"),
    ]
    for write in writes:
        with pytest.raises(StoreUnavailable, match="boom"):
            await write()
        assert await snapshot(store, [parent, child]) == before
    assert [t.id for t in (await everything(store))[0]] == [parent.id, child.id]
    assert await store.lists() == [TaskList(name="work", open=2, done=0)]
    assert await store.suggest_tags("", 10) == ["kept"]


async def test_a_write_that_fails_on_a_subtask_undoes_the_parent_and_its_history(
    store: TaskStore, service: TaskService, backend: Backend
) -> None:
    """A write that cascades (a move to another list, a delete) is one transaction with its history:
    when a subtask's update fails, the parent changed before it is as it was, history and all."""
    parent = await service.create_task(NewTask(title="parent", list="work"))
    first = await service.create_task(NewTask(title="first", parent_id=parent.id))
    exploding = await service.create_task(NewTask(title=EXPLODES, parent_id=parent.id))
    tasks = [parent, first, exploding]
    before = await snapshot(store, tasks)
    backend.sabotage_task_updates()
    for write in (
        lambda: service.update_task(parent.id, TaskPatch(list="home")),
        lambda: service.delete_task(parent.id),
    ):
        with pytest.raises(StoreUnavailable, match="boom"):
            await write()
        assert await snapshot(store, tasks) == before
    assert await store.lists() == [TaskList(name="work", open=3, done=0)]
    assert (await everything(store, TaskQuery(status=StatusFilter.DELETED)))[1] == 0


async def test_a_batch_that_meets_a_store_failure_applies_none_of_its_operations(
    store: TaskStore, service: TaskService, backend: Backend
) -> None:
    """Each operation of a batch runs in a savepoint, but a store failure in one fails the whole
    batch: the operations before it, their history and the tasks they created are all undone."""
    kept = await service.create_task(NewTask(title="kept"))
    exploding = await service.create_task(NewTask(title=EXPLODES))
    before = await snapshot(store, [kept, exploding])
    backend.sabotage_task_updates()
    operations: list[BatchOperation] = [
        UpdateOp(op="update", task_id=kept.id, title="changed"),
        CreateOp(op="create", title="new", idempotency_key="k"),
        DeleteOp(op="delete", task_id=exploding.id),
    ]
    with pytest.raises(StoreUnavailable, match="boom"):
        await service.batch(operations)
    assert await snapshot(store, [kept, exploding]) == before
    assert [t.id for t in (await everything(store))[0]] == [kept.id, exploding.id]
    created = await service.create_task(NewTask(title="other"), idempotency_key="k")  # the key was not kept
    assert created.title == "other"


async def test_filters_combine(store: TaskStore, service: TaskService) -> None:
    await service.create_task(NewTask(title="Write report", priority=Priority.HIGH, tags=["work"], due="2026-12-01"))
    await service.create_task(NewTask(title="Buy milk", description="semi-skimmed", tags=["home"], due="2026-12-05"))
    done = await service.create_task(NewTask(title="Report expenses", tags=["work"], due="2026-12-10T09:00:00+01:00"))
    await service.update_task(done.id, TaskPatch(status=Status.DONE))

    async def titles(**filters: Any) -> list[str]:
        tasks, total = await store.list_page(TaskQuery(**filters).normalised(), after_id=None, limit=50)
        assert total == len(tasks)
        return [t.title for t in tasks]

    assert await titles(tag="WORK") == ["Write report", "Report expenses"]
    assert await titles(status="open", tag="work") == ["Write report"]
    assert await titles(status="done") == ["Report expenses"]
    assert await titles(priority=Priority.HIGH) == ["Write report"]
    assert await titles(search="report") == ["Write report", "Report expenses"]
    assert await titles(search="SKIMMED") == ["Buy milk"]
    assert await titles(due_before="2026-12-05") == ["Write report", "Buy milk"]
    assert await titles(due_after="2026-12-05") == ["Buy milk", "Report expenses"]
    assert await titles(due_after="2026-12-10T08:00:00Z") == ["Report expenses"]
    assert await titles(search="100%") == []
    assert await titles(tag="work", search="write", priority=Priority.HIGH, due_before="2026-12-02") == ["Write report"]


async def test_a_task_in_the_trash_shows_in_no_read_but_the_trash(store: TaskStore, service: TaskService) -> None:
    """Every read (pages under any filter, counts, suggestions, lists) leaves the trash out, unless
    asked for it with status=deleted, which combines with the other filters."""
    fields: dict[str, Any] = {"tags": ["work"], "list": "work", "due": "2026-12-01", "priority": Priority.HIGH}
    kept = await service.create_task(NewTask(title="kept report", **fields))
    gone = await service.create_task(NewTask(title="gone report", **{**fields, "tags": ["work", "gone"]}))
    alone = await service.create_task(NewTask(title="alone", list="elsewhere", tags=["solo"]))
    done = await service.create_task(NewTask(title="done report", **fields))
    await service.complete_task(done.id)
    for task in (gone, alone, done):
        await service.delete_task(task.id)

    async def ids(**filters: Any) -> list[int]:
        tasks, total = await store.list_page(TaskQuery(**filters), after_id=None, limit=50)
        assert total == len(tasks)
        return [t.id for t in tasks]

    for filters in (
        {},
        {"tag": "work"},
        {"list": "work"},
        {"status": "open"},
        {"search": "report"},
        {"priority": Priority.HIGH},
        {"due_before": "2027-01-01"},
        {"tag": "work", "list": "work", "search": "report"},
    ):
        assert await ids(**filters) == [kept.id], filters
    for filters in ({"tag": "gone"}, {"tag": "solo"}, {"list": "elsewhere"}, {"status": "done"}, {"search": "alone"}):
        assert await ids(**filters) == [], filters
    assert await ids(status=StatusFilter.DELETED) == [gone.id, alone.id, done.id]
    assert await ids(status=StatusFilter.DELETED, tag="gone") == [gone.id]
    assert await ids(status=StatusFilter.DELETED, list="elsewhere") == [alone.id]
    assert await ids(status=StatusFilter.DELETED, search="report", tag="work") == [gone.id, done.id]
    trash, _ = await everything(store, TaskQuery(status=StatusFilter.DELETED))
    assert all(t.deleted_at is not None for t in trash)
    assert await store.count_by_status() == {"open": 1, "done": 0}
    assert await store.suggest_tags("", 10) == ["work"]
    assert await store.suggest_ids("", 10) == [kept.id]
    assert await store.lists() == [TaskList(name="work", open=1, done=0)]


async def test_search_treats_like_wildcards_literally(store: TaskStore, service: TaskService) -> None:
    for title in ("50% done", "500 done", "a_b", "axb", "back\\slash"):
        await service.create_task(NewTask(title=title))

    async def found(text: str) -> list[str]:
        tasks, _ = await store.list_page(TaskQuery(search=text), after_id=None, limit=10)
        return [t.title for t in tasks]

    assert await found("50%") == ["50% done"]
    assert await found("a_b") == ["a_b"]
    assert await found("k\\s") == ["back\\slash"]


async def test_keyset_pages_are_stable_while_tasks_are_added(store: TaskStore, service: TaskService) -> None:
    for n in range(5):
        await service.create_task(NewTask(title=f"t{n}"))
    first, total = await store.list_page(TaskQuery(), after_id=None, limit=2)
    await service.create_task(NewTask(title="late"))
    second, _ = await store.list_page(TaskQuery(), after_id=first[-1].id, limit=2)
    assert total == 5
    assert [t.title for t in first + second] == ["t0", "t1", "t2", "t3"]


async def test_pages_walk_every_match_once(store: TaskStore, service: TaskService) -> None:
    for n in range(23):
        await service.create_task(NewTask(title=f"t{n}", tags=["even" if n % 2 == 0 else "odd"]))
    seen: list[int] = []
    after = None
    while True:
        page, total = await store.list_page(TaskQuery(tag="even"), after_id=after, limit=5)
        assert total == 12
        if not page:
            break
        seen.extend(t.id for t in page)
        after = page[-1].id
    assert len(seen) == len(set(seen)) == 12 and seen == sorted(seen)


async def test_the_total_counts_no_further_than_asked(store: TaskStore, service: TaskService) -> None:
    for n in range(6):
        await service.create_task(
            NewTask(title=f"t{n}", tags=["many"], priority=Priority.HIGH if n % 2 else Priority.LOW)
        )
    page, total = await store.list_page(TaskQuery(tag="many"), after_id=None, limit=2, count_limit=4)
    assert total == 4 and len(page) == 2
    _, everything_tagged = await store.list_page(TaskQuery(tag="many"), after_id=None, limit=2)
    assert everything_tagged == 6
    _, high = await store.list_page(
        TaskQuery(tag="many", priority=Priority.HIGH), after_id=None, limit=2, count_limit=10
    )
    assert high == 3


async def test_a_page_past_the_end_is_empty_but_still_counts(store: TaskStore, service: TaskService) -> None:
    last = None
    for n in range(3):
        last = await service.create_task(NewTask(title=f"t{n}", tags=["x"]))
    assert last is not None
    assert await store.list_page(TaskQuery(tag="x"), after_id=last.id, limit=5) == ([], 3)
    assert await store.list_page(TaskQuery(), after_id=last.id, limit=5, count_limit=2) == ([], 2)


async def test_counts_by_status(store: TaskStore, service: TaskService) -> None:
    assert await store.count_by_status() == {"open": 0, "done": 0}
    a = await service.create_task(NewTask(title="a"))
    await service.create_task(NewTask(title="b"))
    await service.update_task(a.id, TaskPatch(status=Status.DONE))
    assert await store.count_by_status() == {"open": 1, "done": 1}


async def test_tag_and_id_suggestions(store: TaskStore, service: TaskService) -> None:
    ids = []
    for tags in (["work"], ["work", "home"], ["wood"]):
        ids.append((await service.create_task(NewTask(title="x", tags=tags))).id)
    assert await store.suggest_tags("wo", 10) == ["work", "wood"]
    assert await store.suggest_tags("w%", 10) == []
    assert await store.suggest_ids("", 2) == [ids[2], ids[1]]
    await service.update_task(ids[2], TaskPatch(status=Status.DONE))
    assert await store.suggest_ids("", 5) == [ids[1], ids[0]]


async def test_closed_store_says_so(store: TaskStore, service: TaskService) -> None:
    await store.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.get(1)
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.lists()
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.history(1, limit=10)
    with pytest.raises(StoreUnavailable, match="closed"):
        async with store.transaction():
            pass
    with pytest.raises(StoreUnavailable, match="closed"):
        await service.create_task(NewTask(title="refused"))
    with pytest.raises(StoreUnavailable, match="closed"):
        await service.rename_list("inbox", "elsewhere")


# -- lists ---------------------------------------------------------------------------------------


async def test_a_task_is_in_the_inbox_unless_given_a_list(store: TaskStore, service: TaskService) -> None:
    plain = await service.create_task(NewTask(title="plain"))
    assert plain.list == DEFAULT_LIST == "inbox"
    filed = await service.create_task(NewTask(title="filed", list="  Work Stuff "))
    assert filed.list == "work stuff"
    assert await store.get(filed.id) == filed
    moved = await service.update_task(plain.id, TaskPatch(list="home"))
    assert (moved.list, moved.version) == ("home", 2) and moved.updated_at > plain.updated_at
    assert await store.get(plain.id) == moved
    same = await service.update_task(plain.id, TaskPatch(list="HOME"))
    assert same == moved and same.version == 2


async def test_the_list_filter_combines_with_tags_status_and_pages(store: TaskStore, service: TaskService) -> None:
    ids: dict[str, list[int]] = {"work": [], "home": []}
    for n in range(14):
        name = "work" if n % 2 == 0 else "home"
        task = await service.create_task(
            NewTask(
                title=f"task {n}",
                list=name,
                tags=["urgent"] if n % 3 == 0 else [],
                priority=Priority.HIGH if n < 7 else Priority.LOW,
            )
        )
        ids[name].append(task.id)
    done = ids["work"][:3]
    for task_id in done:
        await service.update_task(task_id, TaskPatch(status=Status.DONE))

    async def matching(**filters: Any) -> list[int]:
        query = TaskQuery(**filters).normalised()
        found: list[int] = []
        after = None
        while True:  # pages of 2, each with the same total
            page, total = await store.list_page(query, after_id=after, limit=2)
            if not page:
                break
            found.extend(t.id for t in page)
            after = page[-1].id
        assert total == len(found)
        return found

    assert await matching(list="work") == ids["work"]
    assert await matching(list="WORK ") == ids["work"]
    assert await matching(list="home", tag="urgent") == [i for n, i in enumerate(ids["home"]) if (2 * n + 1) % 3 == 0]
    assert await matching(list="work", status="done") == done
    assert await matching(list="work", status="open", tag="urgent") == [
        i for n, i in enumerate(ids["work"]) if (2 * n) % 3 == 0 and i not in done
    ]
    assert await matching(list="work", priority=Priority.HIGH) == ids["work"][:4]
    assert await matching(list="work", priority=Priority.LOW, search="task 1") == ids["work"][5:]  # tasks 10 and 12
    assert await matching(list="nowhere") == []
    _, capped = await store.list_page(TaskQuery(list="home"), after_id=None, limit=2, count_limit=3)
    assert capped == 3


async def test_lists_have_open_and_done_counts_and_end_with_their_last_task(
    store: TaskStore, service: TaskService
) -> None:
    assert await store.lists() == []
    a = await service.create_task(NewTask(title="a"))
    b = await service.create_task(NewTask(title="b", list="work"))
    c = await service.create_task(NewTask(title="c", list="work"))
    d = await service.create_task(NewTask(title="d", list="ärger"))  # after z by code point, in both stores
    e = await service.create_task(NewTask(title="e", list="zed"))
    await service.update_task(c.id, TaskPatch(status=Status.DONE))
    assert await store.lists() == [
        TaskList(name="inbox", open=1, done=0),
        TaskList(name="work", open=1, done=1),
        TaskList(name="zed", open=1, done=0),
        TaskList(name="ärger", open=1, done=0),
    ]
    await service.update_task(e.id, TaskPatch(list="work"))  # the last task leaves zed
    await service.delete_task(d.id)  # the last task of ärger goes to the trash
    await service.update_task(a.id, TaskPatch(status=Status.DONE))
    assert await store.lists() == [TaskList(name="inbox", open=0, done=1), TaskList(name="work", open=2, done=1)]
    assert b.list == "work"
    await service.restore_task(d.id)  # back from the trash, back in its list
    assert await store.lists() == [
        TaskList(name="inbox", open=0, done=1),
        TaskList(name="work", open=2, done=1),
        TaskList(name="ärger", open=1, done=0),
    ]


async def test_rename_list_moves_every_task_with_a_new_version(store: TaskStore, service: TaskService) -> None:
    first = await service.create_task(NewTask(title="first", list="work", tags=["t"]))
    await service.create_task(NewTask(title="elsewhere"))
    second = await service.create_task(NewTask(title="second", list="work"))
    second = await service.update_task(second.id, TaskPatch(status=Status.DONE))
    trashed = await service.create_task(NewTask(title="trashed", list="work"))
    trashed = (await service.delete_task(trashed.id)).task
    before = {t.id: t for t in (first, second, trashed)}

    renamed = await service.rename_list("work", "office")
    # the trash moves too (a restore lands in "office"), but counts only among the lists it is in: none
    assert renamed == ListRename(name="work", new_name="office", moved=2)
    for task_id, old in before.items():
        now = await store.get(task_id)
        assert now is not None
        assert now.list == "office" and now.version == old.version + 1 and now.updated_at > old.updated_at
        assert now.model_dump(exclude={"list", "version", "updated_at"}) == old.model_dump(
            exclude={"list", "version", "updated_at"}
        )
        last = (await store.history(task_id, limit=10))[-1]
        assert (last.kind, last.version) == (HistoryKind.UPDATED, now.version)
        assert last.changes == {"list": FieldChange(old="work", new="office")}
    other = (await store.list_page(TaskQuery(list="inbox"), after_id=None, limit=5))[0]
    assert [(t.title, t.version) for t in other] == [("elsewhere", 1)]
    assert await store.lists() == [TaskList(name="inbox", open=1, done=0), TaskList(name="office", open=1, done=1)]
    assert [t.id for t in (await store.list_page(TaskQuery(list="office", tag="t"), after_id=None, limit=5))[0]] == [
        first.id
    ]
    with pytest.raises(TaskNotFound, match="no task is in a list called 'work'"):
        await service.rename_list("work", "office")  # nothing is in work now
    with pytest.raises(TaskNotFound):
        await service.rename_list("nowhere", "office")
    with pytest.raises(InvalidInput, match="already called"):
        await service.rename_list("office", "OFFICE")  # the same name changes nothing
    again = await store.get(first.id)
    assert again is not None and again.version == before[first.id].version + 1
    restored = await service.restore_task(trashed.id)
    assert restored.list == "office"


async def test_rename_list_merges_into_an_existing_list(store: TaskStore, service: TaskService) -> None:
    kept = await service.create_task(NewTask(title="already home", list="home"))
    moved = await service.create_task(NewTask(title="from work", list="work"))
    assert (await service.rename_list("work", "home")).moved == 1
    assert await store.lists() == [TaskList(name="home", open=2, done=0)]
    assert [t.id for t in (await store.list_page(TaskQuery(list="home"), after_id=None, limit=5))[0]] == [
        kept.id,
        moved.id,
    ]
    untouched = await store.get(kept.id)
    assert untouched == kept
    assert await kinds(store, kept.id) == [HistoryKind.CREATED]


async def test_an_update_with_a_version_read_before_a_rename_conflicts(store: TaskStore, service: TaskService) -> None:
    task = await service.create_task(NewTask(title="read", list="work"))
    assert (await service.rename_list("work", "office")).moved == 1
    with pytest.raises(VersionConflict) as caught:
        await service.update_task(task.id, TaskPatch(title="stale"), expected_version=task.version)
    assert caught.value.current == task.version + 1
    current = await store.get(task.id)
    assert current is not None and (current.title, current.list) == ("read", "office")
    updated = await service.update_task(task.id, TaskPatch(title="fresh"), expected_version=current.version)
    assert updated.version == task.version + 2


async def test_a_rename_and_concurrent_read_modify_writes_lose_nothing(store: TaskStore, service: TaskService) -> None:
    """Writers tag every task of a list with expected_version (retrying on conflict) while the list is
    renamed: every tag lands, every task moves, and each has exactly one version per change."""
    tasks = [await service.create_task(NewTask(title=f"t{n}", list="work")) for n in range(8)]
    renamed: list[ListRename] = []

    async def tag(task: Task) -> None:
        while True:
            current = await store.get(task.id)
            assert current is not None
            try:
                await service.update_task(task.id, TaskPatch(tags=["tagged"]), expected_version=current.version)
                return
            except VersionConflict:
                await anyio.lowlevel.checkpoint()

    async def rename() -> None:
        renamed.append(await service.rename_list("work", "office"))

    async with anyio.create_task_group() as group:
        for task in tasks[:4]:
            group.start_soon(tag, task)
        group.start_soon(rename)
        for task in tasks[4:]:
            group.start_soon(tag, task)
    assert [r.moved for r in renamed] == [len(tasks)]
    for task in tasks:
        final = await store.get(task.id)
        assert final is not None and (final.list, final.tags, final.version) == ("office", ["tagged"], 3)
        assert [e.version for e in await store.history(task.id, limit=10)] == [1, 2, 3]
    assert await store.lists() == [TaskList(name="office", open=8, done=0)]


async def test_a_rename_that_fails_half_way_moves_nothing(
    store: TaskStore, service: TaskService, backend: Backend
) -> None:
    """A rename is one transaction: when one task's update fails, no task of the list has moved, and
    no history entry of the move is left."""
    tasks = [await service.create_task(NewTask(title=title, list="work")) for title in ("a", EXPLODES, "c")]
    before = await snapshot(store, tasks)
    backend.sabotage_task_updates()
    with pytest.raises(StoreUnavailable, match="boom"):
        await service.rename_list("work", "office")
    assert await snapshot(store, tasks) == before
    for task in tasks:
        assert await store.get(task.id) == task
    assert await store.lists() == [TaskList(name="work", open=3, done=0)]
