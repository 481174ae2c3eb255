"""The deeper task model on both stores, through the service: subtasks, recurrence, the trash, history
and batches. Each write and what it cascades to commits together with its history, or not at all."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from mcp_server.core.batch import CompleteOp, CreateOp, DeleteOp, RestoreOp, UpdateOp
from mcp_server.core.domain import NESTING_MAX, NewTask, Status, StatusFilter, SubtaskCounts, TaskPatch, TaskQuery
from mcp_server.core.errors import (
    ErrorKind,
    InvalidInput,
    StateConflict,
    StoreUnavailable,
    TaskNotFound,
    VersionConflict,
)
from mcp_server.core.history import HistoryKind
from mcp_server.core.principals import LOCAL_PRINCIPAL
from mcp_server.core.service import TaskService
from mcp_server.core.storage import TaskTransaction
from mcp_server.core.writes import Writes
from mcp_server.store import SQLiteTaskStore, TaskStore
from mcp_server.store.selection import select
from mcp_server.store.sqlite import TAG_IN_ROW, fts_search
from tests.support.store_backends import EXPLODES, Backend

pytestmark = pytest.mark.anyio


@pytest.fixture
def service(store: TaskStore) -> TaskService:
    return TaskService(store, default_timezone="Europe/Paris")


async def _ids(service: TaskService, **filters: object) -> list[int]:
    page = await service.list_tasks(TaskQuery.model_validate(filters), limit=100)
    return [task.id for task in page.tasks]


# -- subtasks ------------------------------------------------------------------------------------


async def test_subtasks_are_counted_listed_and_inherit_their_parents_list(service: TaskService) -> None:
    parent = await service.create_task(NewTask(title="move house", list="home"))
    boxes = await service.create_task(NewTask(title="buy boxes", parent_id=parent.id))
    tape = await service.create_task(NewTask(title="buy tape", parent_id=parent.id))
    grandchild = await service.create_task(NewTask(title="brown tape", parent_id=tape.id))
    assert (boxes.list, boxes.parent_id) == ("home", parent.id)
    await service.complete_task(boxes.id)
    assert (await service.get_task(parent.id)).subtasks == SubtaskCounts(open=1, done=1)
    assert (await service.get_task(tape.id)).subtasks == SubtaskCounts(open=1, done=0)
    assert await _ids(service, parent_id=parent.id) == [boxes.id, tape.id]
    assert await _ids(service, parent_id=tape.id) == [grandchild.id]
    page = await service.list_tasks(TaskQuery(list="home"))
    assert {t.id: t.subtasks.open for t in page.tasks}[parent.id] == 1


async def test_a_subtask_in_another_list_than_its_parent_is_refused(service: TaskService) -> None:
    parent = await service.create_task(NewTask(title="p", list="work"))
    with pytest.raises(InvalidInput, match="in list 'work', not 'home'"):
        await service.create_task(NewTask(title="c", list="home", parent_id=parent.id))
    other = await service.create_task(NewTask(title="o", list="home"))
    with pytest.raises(InvalidInput, match="in list 'work', not 'home'"):
        await service.update_task(other.id, TaskPatch(parent_id=parent.id))
    child = await service.create_task(NewTask(title="c", parent_id=parent.id))
    with pytest.raises(InvalidInput, match="is a subtask of task"):
        await service.update_task(child.id, TaskPatch(list="home"))
    assert (await service.get_task(child.id)).list == "work"


async def test_moving_a_parent_to_another_list_takes_its_subtasks_along(service: TaskService) -> None:
    parent = await service.create_task(NewTask(title="p", list="work"))
    child = await service.create_task(NewTask(title="c", parent_id=parent.id))
    grandchild = await service.create_task(NewTask(title="g", parent_id=child.id))
    await service.update_task(parent.id, TaskPatch(list="home"))
    for task_id in (parent.id, child.id, grandchild.id):
        assert (await service.get_task(task_id)).list == "home"


async def test_cycles_and_missing_parents_are_refused_and_change_nothing(service: TaskService) -> None:
    a = await service.create_task(NewTask(title="a"))
    b = await service.create_task(NewTask(title="b", parent_id=a.id))
    c = await service.create_task(NewTask(title="c", parent_id=b.id))
    with pytest.raises(InvalidInput, match="cannot be its own subtask"):
        await service.update_task(a.id, TaskPatch(parent_id=c.id))
    with pytest.raises(InvalidInput, match="cannot be its own subtask"):
        await service.update_task(a.id, TaskPatch(parent_id=a.id))
    with pytest.raises(TaskNotFound, match="parent_id: task 999999"):
        await service.create_task(NewTask(title="orphan", parent_id=999_999))
    assert (await service.get_task(a.id)).version == 1
    assert (await service.get_task(a.id)).parent_id is None


async def test_completing_with_open_subtasks_is_refused_unless_cascading(service: TaskService) -> None:
    parent = await service.create_task(NewTask(title="trip"))
    passport = await service.create_task(NewTask(title="passport", parent_id=parent.id))
    visa = await service.create_task(NewTask(title="visa", parent_id=passport.id))
    with pytest.raises(StateConflict, match=r"2 open subtask\(s\): #\d+ 'passport', #\d+ 'visa'.*cascade=true"):
        await service.complete_task(parent.id)
    with pytest.raises(StateConflict):
        await service.update_task(parent.id, TaskPatch(status=Status.DONE))
    assert (await service.get_task(parent.id)).status == Status.OPEN
    done = await service.complete_task(parent.id, cascade=True)
    assert done.status == Status.DONE and done.subtasks == SubtaskCounts(open=0, done=1)
    assert (await service.get_task(visa.id)).status == Status.DONE
    kinds = [e.kind for e in (await service.history(visa.id)).entries]
    assert kinds == [HistoryKind.CREATED, HistoryKind.COMPLETED]


# -- the trash -------------------------------------------------------------------------------------


async def test_delete_moves_to_the_trash_with_subtasks_and_restore_brings_them_back(service: TaskService) -> None:
    parent = await service.create_task(NewTask(title="party", tags=["fun"], list="home"))
    cake = await service.create_task(NewTask(title="cake", parent_id=parent.id))
    earlier = await service.create_task(NewTask(title="balloons", parent_id=parent.id))
    await service.delete_task(earlier.id)  # deleted on its own, before the parent
    deleted = await service.delete_task(parent.id)
    assert deleted.task.deleted_at is not None and not deleted.permanent
    assert deleted.subtask_ids == [cake.id]
    assert await _ids(service) == []
    assert await _ids(service, status="deleted") == [parent.id, cake.id, earlier.id]
    assert await service.list_lists() == []
    assert await service.store.count_by_status() == {"open": 0, "done": 0}
    assert await service.suggest_tags("f") == []
    with pytest.raises(TaskNotFound, match="in the trash"):
        await service.get_task(parent.id)
    with pytest.raises(TaskNotFound, match="in the trash"):
        await service.update_task(cake.id, TaskPatch(title="x"))
    with pytest.raises(StateConflict, match="already in the trash"):
        await service.delete_task(parent.id)
    with pytest.raises(StateConflict, match="is in the trash; restore task"):
        await service.restore_task(cake.id)

    restored = await service.restore_task(parent.id)
    assert restored.id == parent.id and restored.deleted_at is None and restored.version == deleted.task.version + 1
    assert await _ids(service) == [parent.id, cake.id]
    assert await _ids(service, status=StatusFilter.DELETED) == [earlier.id]
    assert (await service.get_task(parent.id)).subtasks == SubtaskCounts(open=1, done=0)
    with pytest.raises(StateConflict, match="not in the trash"):
        await service.restore_task(parent.id)
    kinds = [e.kind for e in (await service.history(cake.id)).entries]
    assert kinds == [HistoryKind.CREATED, HistoryKind.DELETED, HistoryKind.RESTORED]


async def test_permanent_delete_purges_the_task_and_its_subtasks(service: TaskService) -> None:
    parent = await service.create_task(NewTask(title="p", description="secret notes"))
    child = await service.create_task(NewTask(title="c", parent_id=parent.id))
    purged = await service.delete_task(parent.id, permanent=True)
    assert purged.permanent and purged.subtask_ids == [child.id]
    assert await service.store.get(parent.id) is None and await service.store.get(child.id) is None
    with pytest.raises(TaskNotFound, match="never created or has been purged"):
        await service.restore_task(parent.id)
    history = await service.history(parent.id)
    assert [(e.kind, e.changes) for e in history.entries] == [(HistoryKind.PURGED, {})]
    again = await service.create_task(NewTask(title="new"))
    assert again.id > child.id


async def test_a_trashed_task_is_purged_after_the_trash_days(store: TaskStore) -> None:
    service = TaskService(store, trash_days=0)
    old = await service.create_task(NewTask(title="old"))
    deleted = await service.delete_task(old.id)  # 0 days: no trash, and the answer says so
    assert deleted.permanent and await store.get(old.id) is None
    keeping = TaskService(store, trash_days=30)
    kept = await keeping.create_task(NewTask(title="kept"))
    await keeping.delete_task(kept.id)
    assert await keeping.purge_expired() == 0
    assert (await store.get(kept.id)) is not None


async def test_an_idempotent_retry_after_a_delete_says_it_was_deleted(service: TaskService) -> None:
    task = await service.create_task(NewTask(title="once"), idempotency_key="k1")
    assert (await service.create_task(NewTask(title="once"), idempotency_key="k1")).id == task.id
    await service.delete_task(task.id)
    with pytest.raises(TaskNotFound, match="has since been deleted"):
        await service.create_task(NewTask(title="once"), idempotency_key="k1")


# -- history -----------------------------------------------------------------------------------


async def test_every_change_is_recorded_with_old_and_new_values(service: TaskService) -> None:
    task = await service.create_task(NewTask(title="draft", priority="low"))
    await service.update_task(task.id, TaskPatch(title="final", priority="high", tags=["a"]))
    await service.update_task(task.id, TaskPatch(title="final"))  # no change, no entry
    await service.complete_task(task.id)
    await service.update_task(task.id, TaskPatch(status=Status.OPEN))
    await service.rename_list("inbox", "work")
    entries = (await service.history(task.id)).entries
    assert [e.kind for e in entries] == [
        HistoryKind.CREATED,
        HistoryKind.UPDATED,
        HistoryKind.COMPLETED,
        HistoryKind.REOPENED,
        HistoryKind.UPDATED,
    ]
    assert [e.version for e in entries] == [1, 2, 3, 4, 5]
    changes = {name: (c.old, c.new) for name, c in entries[1].changes.items()}
    assert changes == {"title": ("draft", "final"), "priority": ("low", "high"), "tags": ([], ["a"])}
    assert entries[4].changes["list"].model_dump() == {"old": "inbox", "new": "work"}
    assert (await service.get_task(task.id)).version == 5
    with pytest.raises(TaskNotFound):
        await service.history(999_999)


async def test_a_failed_write_leaves_no_history(service: TaskService, backend: Backend) -> None:
    task = await service.create_task(NewTask(title="calm"))
    backend.sabotage_task_updates()
    with pytest.raises(StoreUnavailable):
        await service.update_task(task.id, TaskPatch(title=EXPLODES))
    assert [e.kind for e in (await service.history(task.id)).entries] == [HistoryKind.CREATED]
    assert (await service.get_task(task.id)).title == "calm"


# -- recurrence --------------------------------------------------------------------------------


async def test_a_weekly_task_completed_twice_moves_its_due_and_stays_open(service: TaskService) -> None:
    task = await service.create_task(
        NewTask(title="team sync", due="2027-03-22T09:00:00+01:00", recurrence="FREQ=WEEKLY;BYDAY=MO")
    )
    assert task.timezone == "Europe/Paris"  # the server's default, kept with the task
    first = await service.complete_task(task.id)
    assert (first.status, first.due, first.version) == (Status.OPEN, "2027-03-29T09:00:00+02:00", 2)
    second = await service.complete_task(task.id)
    assert (second.status, second.due) == (Status.OPEN, "2027-04-05T09:00:00+02:00")
    entries = (await service.history(task.id)).entries
    assert [e.kind for e in entries] == [HistoryKind.CREATED, *[HistoryKind.OCCURRENCE_COMPLETED] * 2]
    assert entries[1].changes["due"].model_dump() == {
        "old": "2027-03-22T09:00:00+01:00",
        "new": "2027-03-29T09:00:00+02:00",
    }


async def test_a_counted_series_is_done_after_its_last_occurrence(service: TaskService) -> None:
    task = await service.create_task(NewTask(title="pay rent", due="2027-01-01", recurrence="FREQ=MONTHLY;COUNT=2"))
    first = await service.complete_task(task.id)
    assert (first.status, first.due, first.recurrence) == (Status.OPEN, "2027-02-01", "FREQ=MONTHLY;COUNT=1")
    last = await service.complete_task(task.id)
    assert last.status == Status.DONE and last.completed_at is not None
    assert [e.kind for e in (await service.history(task.id)).entries][-1] == HistoryKind.COMPLETED


async def test_rescheduling_keeps_the_rule_and_clearing_it_ends_the_series(service: TaskService) -> None:
    task = await service.create_task(NewTask(title="water", due="2027-01-04", recurrence="FREQ=DAILY;INTERVAL=3"))
    moved = await service.update_task(task.id, TaskPatch(due="2027-01-10"))
    assert moved.recurrence == "FREQ=DAILY;INTERVAL=3"
    assert (await service.complete_task(task.id)).due == "2027-01-13"
    with pytest.raises(InvalidInput, match="cannot be cleared from a recurring task"):
        await service.update_task(task.id, TaskPatch(due=None))
    ended = await service.update_task(task.id, TaskPatch(recurrence=None))
    assert ended.recurrence is None and ended.timezone is None
    assert (await service.complete_task(task.id)).status == Status.DONE


async def test_recurrence_needs_a_due(service: TaskService) -> None:
    with pytest.raises(InvalidInput, match="recurrence needs a due"):
        await service.create_task(NewTask(title="x", recurrence="FREQ=DAILY"))
    task = await service.create_task(NewTask(title="y"))
    with pytest.raises(InvalidInput, match="recurrence needs a due"):
        await service.update_task(task.id, TaskPatch(recurrence="FREQ=DAILY"))
    assert (await service.get_task(task.id)).version == 1


async def test_repeat_from_completion_counts_from_the_moment_it_was_done(service: TaskService) -> None:
    task = await service.create_task(
        NewTask(title="haircut", due="2020-01-01", recurrence="FREQ=WEEKLY;INTERVAL=4", repeat_from="completion")
    )
    done = await service.complete_task(task.id)
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=1))).date()
    assert dt.date.fromisoformat(done.due or "") > today


# -- batches -----------------------------------------------------------------------------------


async def test_a_batch_gives_one_result_per_operation_and_keeps_the_good_ones(service: TaskService) -> None:
    existing = await service.create_task(NewTask(title="existing"))
    result = await service.batch(
        [
            CreateOp(op="create", title="one"),
            UpdateOp(op="update", task_id=999_999, title="ghost"),
            CompleteOp(op="complete", task_id=existing.id),
            DeleteOp(op="delete", task_id=existing.id),
            RestoreOp(op="restore", task_id=existing.id),
        ]
    )
    assert result.applied
    assert [item.ok for item in result.results] == [True, False, True, True, True]
    failed = result.results[1].error
    assert failed is not None and failed.kind == ErrorKind.NOT_FOUND and "999999" in failed.message
    one = result.results[0].task
    assert one is not None and (await service.get_task(one.id)).title == "one"
    assert (await service.get_task(existing.id)).status == Status.DONE


async def test_an_atomic_batch_with_a_failure_changes_nothing(service: TaskService) -> None:
    existing = await service.create_task(NewTask(title="existing"))
    result = await service.batch(
        [
            CreateOp(op="create", title="would be new"),
            UpdateOp(op="update", task_id=existing.id, title="renamed", expected_version=7),
            CompleteOp(op="complete", task_id=existing.id),
        ],
        atomic=True,
    )
    assert not result.applied
    kinds = [item.error.kind if item.error else None for item in result.results]
    assert kinds == [ErrorKind.ABORTED, ErrorKind.CONFLICT, ErrorKind.ABORTED]
    assert "operation(s) 1 failed" in (result.results[0].error.message if result.results[0].error else "")
    assert await _ids(service) == [existing.id]
    current = await service.get_task(existing.id)
    assert (current.title, current.status, current.version) == ("existing", Status.OPEN, 1)
    assert len((await service.history(existing.id)).entries) == 1


async def test_operations_in_a_batch_see_the_ones_before_them(service: TaskService) -> None:
    parent = await service.create_task(NewTask(title="p"))
    result = await service.batch(
        [
            CreateOp(op="create", title="child", parent_id=parent.id),
            CompleteOp(op="complete", task_id=parent.id),  # refused: the child above is open
            CompleteOp(op="complete", task_id=parent.id, cascade=True),
        ],
        atomic=False,
    )
    assert [item.ok for item in result.results] == [True, False, True]
    assert result.results[1].error is not None and result.results[1].error.kind == ErrorKind.CONFLICT
    assert (await service.get_task(parent.id)).subtasks == SubtaskCounts(open=0, done=1)


async def test_a_version_conflict_in_a_batch_is_that_operations_result(service: TaskService) -> None:
    task = await service.create_task(NewTask(title="t"))
    result = await service.batch([UpdateOp(op="update", task_id=task.id, title="u", expected_version=1)] * 2)
    assert result.results[0].ok and not result.results[1].ok
    with pytest.raises(VersionConflict):
        await service.update_task(task.id, TaskPatch(title="v"), expected_version=1)


# -- text search by index ----------------------------------------------------------------------


async def test_search_follows_every_write_and_finds_substrings_case_insensitively(service: TaskService) -> None:
    task = await service.create_task(NewTask(title="Quarterly Invoice", description="send to ACME Corp"))
    await service.create_task(NewTask(title="water the plants"))

    async def found(text: str, **filters: object) -> list[int]:
        return await _ids(service, search=text, **filters)

    assert await found("invoice") == [task.id]
    assert await found("acme c") == [task.id]  # in the description, across a space
    assert await found("Qu") == [task.id]  # shorter than a trigram: still found, by a scan
    assert await found('in"vo') == []
    await service.update_task(task.id, TaskPatch(title="Annual report", description=None))
    assert await found("invoice") == [] and await found("acme") == []
    assert await found("annual") == [task.id]
    await service.delete_task(task.id)
    assert await found("annual") == []
    assert await found("annual", status="deleted") == [task.id]
    await service.delete_task(task.id, permanent=True)
    assert await found("annual", status="deleted") == []


async def test_a_search_on_sqlite_reads_the_trigram_index(tmp_path: Path) -> None:
    store = SQLiteTaskStore(tmp_path / "plan.db")
    await store.open()
    try:
        query = TaskQuery(search="invoice")
        selection = select(
            query,
            owner=LOCAL_PRINCIPAL,
            placeholder="?",
            ilike="LIKE",
            tag_in_row=TAG_IN_ROW,
            indexed_search=fts_search,
        )
        with sqlite3.connect(tmp_path / "plan.db") as conn:
            plan = conn.execute("EXPLAIN QUERY PLAN " + selection.page_sql("?"), [*selection.args, 0, 21]).fetchall()
        assert any("task_search" in str(row[-1]) and "VIRTUAL TABLE" in str(row[-1]) for row in plan), plan
    finally:
        await store.close()


async def test_the_trigram_index_keeps_no_column_sizes_per_task(tmp_path: Path) -> None:
    """Column sizes serve only ranking, which search never does; writing them slowed every create."""
    store = SQLiteTaskStore(tmp_path / "sizes.db")
    await store.open()
    try:
        await TaskService(store).create_task(NewTask(title="pay the invoice"))
        with sqlite3.connect(tmp_path / "sizes.db") as conn:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "task_search" in tables and "task_search_docsize" not in tables, tables
    finally:
        await store.close()


async def test_the_trash_lists_only_what_can_still_be_restored(store: TaskStore) -> None:
    service = TaskService(store, trash_days=30)
    task = await service.create_task(NewTask(title="old"))
    await service.delete_task(task.id)
    assert await _ids(service, status="deleted") == [task.id]
    strict = TaskService(store, trash_days=0)  # the same trash, read by a server keeping it 0 days
    assert await _ids(strict, status="deleted") == []
    assert await store.get(task.id) is None


async def test_a_cascade_completes_recurring_subtasks_for_good(service: TaskService) -> None:
    parent = await service.create_task(NewTask(title="project"))
    daily = await service.create_task(
        NewTask(title="standup", parent_id=parent.id, due="2027-01-04", recurrence="FREQ=DAILY")
    )
    done = await service.complete_task(parent.id, cascade=True)
    assert done.status == Status.DONE and done.subtasks == SubtaskCounts(open=0, done=1)
    assert (await service.get_task(daily.id)).status == Status.DONE


async def test_a_list_whose_tasks_are_all_in_the_trash_is_no_list_to_rename(service: TaskService) -> None:
    gone = await service.create_task(NewTask(title="gone", list="old"))
    await service.delete_task(gone.id)
    with pytest.raises(TaskNotFound, match="no task is in a list called 'old'"):
        await service.rename_list("old", "new")
    assert (await service.store.get(gone.id)).list == "old"  # type: ignore[union-attr]
    kept = await service.create_task(NewTask(title="kept", list="old"))
    renamed = await service.rename_list("old", "new")
    assert renamed.moved == 1  # the live task; the trashed one moved too, to be restored into "new"
    restored = await service.restore_task(gone.id)
    assert restored.list == "new" and (await service.get_task(kept.id)).list == "new"


async def test_subtasks_nest_at_most_nesting_max_levels(service: TaskService) -> None:
    chain = [await service.create_task(NewTask(title="level 1"))]
    for level in range(2, NESTING_MAX + 1):
        chain.append(await service.create_task(NewTask(title=f"level {level}", parent_id=chain[-1].id)))
    with pytest.raises(InvalidInput, match=f"at most {NESTING_MAX} levels"):
        await service.create_task(NewTask(title="too deep", parent_id=chain[-1].id))
    other = await service.create_task(NewTask(title="other root"))
    await service.create_task(NewTask(title="its child", parent_id=other.id))
    with pytest.raises(InvalidInput, match=f"at most {NESTING_MAX} levels"):  # its subtree too would go too deep
        await service.update_task(other.id, TaskPatch(parent_id=chain[-2].id))
    deleted = await service.delete_task(chain[0].id)
    assert len(deleted.subtask_ids) == NESTING_MAX - 1
    await service.delete_task(chain[0].id, permanent=True)
    assert await service.store.get(chain[-1].id) is None


async def test_a_purge_skips_a_task_restored_after_it_was_found_due(store: TaskStore) -> None:
    """The ids due for purging are read without a lock; one restored before its lock was taken stays."""
    service = TaskService(store)
    task = await service.create_task(NewTask(title="saved in time"))
    await service.delete_task(task.id)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    async with store.transaction() as tx:
        due = await tx.expired_trash(future)
    await service.restore_task(task.id)

    class StaleReads:  # the transaction as a purge racing the restore saw it
        def __init__(self, tx: TaskTransaction) -> None:
            self.tx = tx

        def __getattr__(self, name: str) -> object:
            return getattr(self.tx, name)

        async def expired_trash(self, before: dt.datetime) -> list[int]:
            return due

    async with store.transaction() as tx:
        writes = Writes(StaleReads(tx), now=future, default_timezone="UTC")  # type: ignore[arg-type]
        assert await writes.purge_expired(future) == 0
    assert (await service.get_task(task.id)).deleted_at is None


async def test_short_searches_ignore_case_beyond_ascii_on_both_stores(service: TaskService) -> None:
    task = await service.create_task(NewTask(title="Ünïcödé notes", description="ÉTÉ"))
    for text in ("ü", "Ü", "é", "ét", "ünï"):
        assert await _ids(service, search=text) == [task.id], text


async def test_a_stored_zone_the_server_cannot_use_is_a_clear_error_that_changes_nothing(
    service: TaskService, store: TaskStore
) -> None:
    """A zone can vanish from the system's tz database after an upgrade: completing then is the
    caller's error to fix, not an internal one, and nothing is written."""
    task = await service.create_task(NewTask(title="weekly", due="2027-01-04", recurrence="FREQ=WEEKLY"))
    async with store.transaction() as tx:  # as a database written on another system would hold it
        stored = await tx.get(task.id)
        assert stored is not None
        await tx.save(stored.model_copy(update={"timezone": "Gone/Zone"}), tags_changed=False)
    with pytest.raises(InvalidInput, match="cannot move to its next occurrence"):
        await service.complete_task(task.id)
    after = await service.get_task(task.id)
    assert (after.due, after.version, after.status) == ("2027-01-04", 1, Status.OPEN)
    assert [e.kind for e in (await service.history(task.id)).entries] == [HistoryKind.CREATED]
