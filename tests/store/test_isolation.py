"""Principals' tasks apart, on SQLite and on PostgreSQL, through the service: one principal's task is
"not found" to another in every read and every write (never "forbidden": that would say it exists),
and nothing one principal does changes what another has."""

from __future__ import annotations

import pytest

from mcp_server.core.batch import CompleteOp, CreateOp, DeleteOp, UpdateOp
from mcp_server.core.domain import NewTask, StatusFilter, TaskList, TaskPatch, TaskQuery
from mcp_server.core.errors import ScopeMissing, TaskNotFound
from mcp_server.core.principals import Principal, Scope, acting_as
from mcp_server.core.service import TaskService
from mcp_server.store import TaskStore

pytestmark = pytest.mark.anyio

ALICE = Principal("alice")
BOB = Principal("bob")


async def test_another_principals_task_is_not_found_in_any_read_or_write(service: TaskService) -> None:
    with acting_as(ALICE):
        parent = await service.create_task(NewTask(title="alice's plan", tags=["secret"], list="work"))
        child = await service.create_task(NewTask(title="alice's step", parent_id=parent.id))
        trashed = await service.create_task(NewTask(title="alice's trash"))
        await service.delete_task(trashed.id)
    with acting_as(BOB):
        own = await service.create_task(NewTask(title="bob's own", tags=["mine"]))
        page = await service.list_tasks(TaskQuery(), limit=50)
        assert [t.id for t in page.tasks] == [own.id] and page.total == 1
        for query in (
            TaskQuery(search="alice"),
            TaskQuery(tag="secret"),
            TaskQuery(list="work"),
            TaskQuery(parent_id=parent.id),
            TaskQuery(status=StatusFilter.DELETED),
        ):
            empty = await service.list_tasks(query, limit=50)
            assert empty.tasks == [] and empty.total == 0, query
        assert await service.list_lists() == [TaskList(name="inbox", open=1, done=0)]
        assert await service.suggest_tags("") == ["mine"]
        assert await service.suggest_open_ids("") == [own.id]
        for task_id in (parent.id, child.id, trashed.id):
            calls = (
                service.get_task(task_id),
                service.history(task_id),
                service.update_task(task_id, TaskPatch(title="taken")),
                service.complete_task(task_id, cascade=True),
                service.delete_task(task_id, permanent=True),
                service.restore_task(task_id),
                service.create_task(NewTask(title="adopted", parent_id=task_id)),
            )
            for call in calls:
                with pytest.raises(TaskNotFound):
                    await call
        with pytest.raises(TaskNotFound):
            await service.rename_list("work", "mine now")
        result = await service.batch(
            [
                UpdateOp(op="update", task_id=parent.id, title="taken"),
                CompleteOp(op="complete", task_id=child.id),
                DeleteOp(op="delete", task_id=parent.id),
                CreateOp(op="create", title="bob's second"),
            ]
        )
        assert [item.ok for item in result.results] == [False, False, False, True]
        assert all(item.error and item.error.kind == "not_found" for item in result.results[:3])
    with acting_as(ALICE):  # as alice left them
        assert (await service.get_task(parent.id)).title == "alice's plan"
        assert (await service.get_task(child.id)).version == 1
        assert [t.id for t in (await service.list_tasks(TaskQuery(status=StatusFilter.DELETED))).tasks] == [trashed.id]
        assert [t.title for t in (await service.list_tasks()).tasks] == ["alice's plan", "alice's step"]
        assert await service.suggest_tags("") == ["secret"]


async def test_idempotency_keys_are_each_principals_own(service: TaskService) -> None:
    with acting_as(ALICE):
        first = await service.create_task(NewTask(title="pay rent"), idempotency_key="k-1")
    with acting_as(BOB):  # the same key and request: a new task of bob's, not alice's back
        other = await service.create_task(NewTask(title="pay rent"), idempotency_key="k-1")
        assert other.id != first.id
        assert await service.create_task(NewTask(title="pay rent"), idempotency_key="k-1") == other
    with acting_as(ALICE):
        assert await service.create_task(NewTask(title="pay rent"), idempotency_key="k-1") == first


async def test_each_principal_purges_only_its_own_trash(service: TaskService, store: TaskStore) -> None:
    keeping = TaskService(store, trash_days=0)  # every delete purges at once
    with acting_as(ALICE):
        kept = await service.create_task(NewTask(title="alice keeps this in the trash"))
        await service.delete_task(kept.id)
    with acting_as(BOB):
        gone = await keeping.create_task(NewTask(title="bob's"))
        await keeping.delete_task(gone.id)
        assert await keeping.purge_expired() == 0
    with acting_as(ALICE):
        assert [t.id for t in (await service.list_tasks(TaskQuery(status=StatusFilter.DELETED))).tasks] == [kept.id]


async def test_a_read_only_principal_reads_and_never_writes(service: TaskService) -> None:
    with acting_as(ALICE):
        task = await service.create_task(NewTask(title="shared view"))
    reader = Principal("alice", scopes=frozenset({Scope.READ}))
    with acting_as(reader):
        assert (await service.get_task(task.id)).title == "shared view"
        assert (await service.list_tasks()).total == 1
        writes = (
            service.create_task(NewTask(title="no")),
            service.update_task(task.id, TaskPatch(title="no")),
            service.complete_task(task.id),
            service.delete_task(task.id),
            service.restore_task(task.id),
            service.rename_list("inbox", "other"),
            service.batch([CreateOp(op="create", title="no")]),
        )
        for write in writes:
            with pytest.raises(ScopeMissing, match="tasks:write"):
                await write
    with acting_as(Principal("alice", scopes=frozenset({Scope.WRITE}))), pytest.raises(ScopeMissing, match="read"):
        await service.list_tasks()
    with acting_as(ALICE):
        assert (await service.get_task(task.id)).version == 1
