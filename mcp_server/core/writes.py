"""The rules of every write, run inside one store transaction: versions, subtasks, recurrence, the
trash and the history entries that record each change. Both stores run these same rules; a write,
what it cascades to and its history commit together or not at all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mcp_server.core.domain import NESTING_MAX, DeletedTask, NewTask, Status, Task
from mcp_server.core.errors import IdempotencyConflict, InvalidInput, StateConflict, TaskNotFound, VersionConflict
from mcp_server.core.history import FieldChange, HistoryEntry, HistoryKind
from mcp_server.core.recurrence import RepeatFrom, next_occurrence
from mcp_server.core.storage import TaskTransaction

# How many open subtasks a refused completion names.
NAMED_MAX = 5
# The fields of a task its history records when they change.
_TRACKED = (
    "title",
    "description",
    "status",
    "priority",
    "due",
    "tags",
    "list",
    "parent_id",
    "recurrence",
    "repeat_from",
    "timezone",
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _json(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _diff(before: Task, after: Task) -> dict[str, FieldChange]:
    return {
        name: FieldChange(old=_json(getattr(before, name)), new=_json(getattr(after, name)))
        for name in _TRACKED
        if getattr(before, name) != getattr(after, name)
    }


def _height(root: int, subtree: list[Task]) -> int:
    """How many levels of subtasks hang under `root` (0 for none), from its subtree (parents first)."""
    depth = {root: 0}
    for task in subtree:
        if task.parent_id in depth:
            depth[task.id] = depth[task.parent_id] + 1
    return max(depth.values())


def _in_trash(task: Task) -> TaskNotFound:
    return TaskNotFound(
        task.id,
        f"task {task.id} is in the trash; restore_task brings it back, list_tasks status=deleted lists the trash",
    )


@dataclass
class Outcome:
    """What a write did: its result, and who to tell after the commit."""

    changed: list[int] = field(default_factory=list)
    lists: bool = False


@dataclass(frozen=True)
class Mark:
    """Where a transaction's writes stood before one operation of a batch."""

    writes: int
    changed: int
    lists: bool
    entries: int


class Writes:
    """The writes of one transaction. `now` is one instant for the whole transaction, so a delete
    and the subtasks it takes along share one deleted_at (which is how a restore finds them).

    Every operation checks all that can refuse it before its first write, so a refused operation of
    a batch has written nothing and needs no savepoint (a savepoint per operation cost more than
    the operations: SQLite's FTS5 index flushes at each one). History entries are written in one
    statement at the end (flush), inside the same transaction."""

    def __init__(self, tx: TaskTransaction, *, now: dt.datetime, default_timezone: str) -> None:
        self.tx = tx
        self.now = now
        self.default_timezone = default_timezone
        self.outcome = Outcome()
        self.entries: list[HistoryEntry] = []
        self.writes = 0

    def mark(self) -> Mark:
        return Mark(self.writes, len(self.outcome.changed), self.outcome.lists, len(self.entries))

    def undo_to(self, mark: Mark) -> None:
        """Forget what a refused operation was about to report; it wrote nothing (see wrote_since)."""
        del self.outcome.changed[mark.changed :]
        del self.entries[mark.entries :]
        self.outcome.lists = mark.lists

    def wrote_since(self, mark: Mark) -> bool:
        return self.writes != mark.writes

    async def flush(self) -> None:
        """Write the history entries of the transaction's changes."""
        if self.entries:
            entries, self.entries = self.entries, []
            await self.tx.record(entries)

    # -- helpers -------------------------------------------------------------------------------

    async def _live(self, task_id: int) -> Task:
        """A task that exists and is not in the trash."""
        task = await self.tx.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        if task.deleted_at is not None:
            raise _in_trash(task)
        return task

    async def _parent(self, parent_id: int) -> Task:
        parent = await self.tx.get(parent_id)
        if parent is None or parent.deleted_at is not None:
            raise TaskNotFound(parent_id, f"parent_id: task {parent_id} does not exist (or is in the trash)")
        return parent

    async def _save(self, before: Task, after: Task, kind: HistoryKind, *, lists: bool = False) -> Task:
        """Persist a changed task at its next version and record the change."""
        after = after.model_copy(update={"updated_at": self.now, "version": before.version + 1})
        self.writes += 1
        moved_in_or_out_of_trash = (before.deleted_at is None) != (after.deleted_at is None)
        await self.tx.save(after, tags_changed=before.tags != after.tags or moved_in_or_out_of_trash)
        await self._record(after, kind, _diff(before, after))
        self.outcome.changed.append(after.id)
        self.outcome.lists = self.outcome.lists or lists
        return after

    async def _record(self, task: Task, kind: HistoryKind, changes: dict[str, FieldChange] | None = None) -> None:
        self.entries.append(HistoryEntry.of(task.id, self.now, kind, task.version, changes or {}))

    def _zone(self, task: Task | NewTask) -> str:
        return task.timezone or self.default_timezone

    @staticmethod
    def _needs_due(recurrence: str | None, due: str | None) -> None:
        if recurrence is not None and due is None:
            raise InvalidInput(
                "recurrence needs a due: give the first occurrence's date (due), or clear the recurrence"
            )

    # -- create ----------------------------------------------------------------------------------

    async def create(self, new: NewTask, *, idempotency_key: str | None, fingerprint: str | None) -> Task:
        if idempotency_key is not None:
            known = await self.tx.key_owner(idempotency_key)
            if known is not None:
                return await self._replay(idempotency_key, known, fingerprint)
        self._needs_due(new.recurrence, new.due)
        if new.parent_id is not None:
            parent = await self._parent(new.parent_id)
            if await self._level(parent) + 1 > NESTING_MAX:
                raise InvalidInput(f"parent_id: subtasks nest at most {NESTING_MAX} levels deep")
            if "list" not in new.model_fields_set:
                new = new.model_copy(update={"list": parent.list})
            elif new.list != parent.list:
                raise InvalidInput(
                    f"parent_id: task {parent.id} is in list {parent.list!r}, not {new.list!r}; "
                    f"a subtask is in its parent's list (leave list out)"
                )
        timezone = self._zone(new) if new.recurrence is not None else new.timezone
        self.writes += 1
        task = await self.tx.insert(new, timezone=timezone, now=self.now)
        await self._record(task, HistoryKind.CREATED)
        if idempotency_key is not None:
            await self.tx.remember_key(idempotency_key, fingerprint or "", task.id, now=self.now)
        self.outcome.changed.append(task.id)
        self.outcome.lists = True
        return task

    async def _replay(self, key: str, known: tuple[str, int], fingerprint: str | None) -> Task:
        """A create retried with a known idempotency key: the first task, never a second one."""
        stored_fingerprint, task_id = known
        if stored_fingerprint != (fingerprint or ""):
            raise IdempotencyConflict(
                f"idempotency_key {key!r} was already used to create task {task_id} with different "
                f"parameters; use a new key for a new task"
            )
        task = await self.tx.get(task_id)
        if task is None or task.deleted_at is not None:
            raise TaskNotFound(task_id, f"task {task_id}, created with idempotency_key {key!r}, has since been deleted")
        return task

    # -- update ----------------------------------------------------------------------------------

    async def update(self, task_id: int, changes: dict[str, Any], *, expected_version: int | None) -> Task:
        current = await self._live(task_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionConflict(task_id, expected_version, current.version)
        wanted = {name: value for name, value in changes.items() if getattr(current, name) != value}
        if not wanted:
            return current
        after = current.model_copy(update=wanted)
        if "recurrence" in wanted and after.recurrence is None:
            after = after.model_copy(update={"repeat_from": RepeatFrom.DUE, "timezone": None})
        elif after.recurrence is not None and after.timezone is None:
            after = after.model_copy(update={"timezone": self.default_timezone})
        if "due" in wanted and after.due is None and after.recurrence is not None:
            raise InvalidInput(
                'due cannot be cleared from a recurring task; clear ["recurrence"] too to end the series'
            )
        self._needs_due(after.recurrence, after.due)
        if "parent_id" in wanted and after.parent_id is not None:
            await self._check_parent(current, after.parent_id, after.list)
        elif "list" in wanted and after.parent_id is not None:
            parent = await self._parent(after.parent_id)
            raise InvalidInput(
                f"task {task_id} is a subtask of task {parent.id} in list {parent.list!r}; move task "
                f"{parent.id} (its subtasks follow), or clear parent_id to move this task alone"
            )
        kind = HistoryKind.UPDATED
        if "status" in wanted:
            if after.status == Status.DONE:
                await self._refuse_open_subtasks(current)
                kind = HistoryKind.COMPLETED
            else:
                kind = HistoryKind.REOPENED
            after = after.model_copy(update={"completed_at": self.now if after.status == Status.DONE else None})
        lists = "status" in wanted or "list" in wanted
        saved = await self._save(current, after, kind, lists=lists)
        if "list" in wanted:
            for child in await self.tx.subtree(task_id):
                if child.list != saved.list:
                    await self._save(child, child.model_copy(update={"list": saved.list}), HistoryKind.UPDATED)
        return saved

    async def _ancestry(self, task: Task) -> list[Task]:
        """`task` and its ancestors up to the top, at most NESTING_MAX + 1 of them."""
        chain = [task]
        while chain[-1].parent_id is not None and len(chain) <= NESTING_MAX:
            above = await self.tx.get(chain[-1].parent_id)
            if above is None:
                break
            chain.append(above)
        return chain

    async def _level(self, task: Task) -> int:
        """1 for a top-level task, 2 for its subtask, and so on."""
        return len(await self._ancestry(task))

    async def _check_parent(self, task: Task, parent_id: int, list_name: str) -> None:
        """A parent in the same list, not the task itself nor one of its subtasks, and the task's whole
        subtree within NESTING_MAX levels under it."""
        parent = await self._parent(parent_id)
        if parent.list != list_name:
            raise InvalidInput(
                f"parent_id: task {parent.id} is in list {parent.list!r}, not {list_name!r}; a subtask is "
                f"in its parent's list (move it with list as well)"
            )
        ancestry = await self._ancestry(parent)
        if any(ancestor.id == task.id for ancestor in ancestry):
            raise InvalidInput(
                f"parent_id: task {parent_id} is task {task.id} itself or one of its subtasks; "
                f"a task cannot be its own subtask"
            )
        if len(ancestry) + _height(task.id, await self.tx.subtree(task.id)) + 1 > NESTING_MAX:
            raise InvalidInput(f"parent_id: subtasks nest at most {NESTING_MAX} levels deep")

    async def _refuse_open_subtasks(self, task: Task) -> list[Task]:
        """The open subtasks (any depth) that keep `task` from being done; refused when there are any."""
        if task.subtasks.open == 0 and task.subtasks.done == 0:  # no subtasks at all: nothing to read
            return []
        open_ones = self._open(await self.tx.subtree(task.id))
        if open_ones:
            named = ", ".join(f"#{t.id} {t.title!r}" for t in open_ones[:NAMED_MAX])
            more = f" and {len(open_ones) - NAMED_MAX} more" if len(open_ones) > NAMED_MAX else ""
            raise StateConflict(
                f"task {task.id} has {len(open_ones)} open subtask(s): {named}{more}; complete them first, "
                f"or complete_task with cascade=true to complete them all"
            )
        return open_ones

    @staticmethod
    def _open(tasks: list[Task]) -> list[Task]:
        return [t for t in tasks if t.status == Status.OPEN and t.deleted_at is None]

    # -- complete ----------------------------------------------------------------------------------

    async def complete(self, task_id: int, *, cascade: bool) -> Task:
        """Done; or, for a recurring task, the next occurrence (done after the last). With cascade,
        every open subtask is marked done first (a recurring subtask's series ends with it)."""
        current = await self._live(task_id)
        if current.status == Status.DONE:
            return current
        following = self._next_occurrence(current)  # before any write: it may refuse
        if cascade:  # every open subtask done for good, a recurring one too: none stays open under it
            cascaded = self._open(await self.tx.subtree(task_id))
            for child in reversed(cascaded):
                done = child.model_copy(update={"status": Status.DONE, "completed_at": self.now})
                await self._save(child, done, HistoryKind.COMPLETED, lists=True)
            if cascaded:  # its subtask counts moved
                current = await self._live(task_id)
        else:
            await self._refuse_open_subtasks(current)
        if following is not None:
            due, rule = following
            after = current.model_copy(update={"due": due, "recurrence": rule})
            return await self._save(current, after, HistoryKind.OCCURRENCE_COMPLETED)
        after = current.model_copy(update={"status": Status.DONE, "completed_at": self.now})
        return await self._save(current, after, HistoryKind.COMPLETED, lists=True)

    def _next_occurrence(self, task: Task) -> tuple[str, str] | None:
        """A recurring task's next due and rule, or None when it is not recurring or its series ends.
        A stored rule or zone this server cannot use (a zone gone from the system's tz database) is
        the caller's to fix, not an internal error."""
        if task.recurrence is None or task.due is None:
            return None
        try:
            return next_occurrence(
                task.recurrence,
                task.due,
                timezone=self._zone(task),
                repeat_from=task.repeat_from,
                completed_at=self.now,
            )
        except ValueError as exc:
            raise InvalidInput(
                f"task {task.id} cannot move to its next occurrence ({exc}); fix its recurrence or timezone "
                f'with update_task, or clear ["recurrence"]'
            ) from None

    # -- trash -------------------------------------------------------------------------------------

    async def delete(self, task_id: int, *, permanent: bool) -> DeletedTask:
        current = await self.tx.get(task_id)
        if current is None:
            raise TaskNotFound(task_id)
        if permanent:
            subtree = await self.tx.subtree(task_id)
            await self.purge([current, *subtree])
            return DeletedTask(permanent=True, task=current, subtask_ids=[t.id for t in subtree])
        if current.deleted_at is not None:
            raise StateConflict(
                f"task {task_id} is already in the trash; restore_task brings it back, "
                f"delete_task with permanent=true purges it"
            )
        taken = [t for t in await self.tx.subtree(task_id) if t.deleted_at is None]
        trashed = await self._save(
            current, current.model_copy(update={"deleted_at": self.now}), HistoryKind.DELETED, lists=True
        )
        for child in taken:
            await self._save(child, child.model_copy(update={"deleted_at": self.now}), HistoryKind.DELETED)
        if taken:  # its subtask counts moved
            trashed = await self.tx.get(task_id) or trashed
        return DeletedTask(task=trashed, subtask_ids=[t.id for t in taken])

    async def restore(self, task_id: int) -> Task:
        """Back from the trash with the subtasks that were deleted with it (same deleted_at)."""
        current = await self.tx.get(task_id)
        if current is None:
            raise TaskNotFound(task_id, f"task {task_id} does not exist: it was never created or has been purged")
        if current.deleted_at is None:
            raise StateConflict(f"task {task_id} is not in the trash; there is nothing to restore")
        if current.parent_id is not None:
            parent = await self.tx.get(current.parent_id)
            if parent is not None and parent.deleted_at is not None:
                raise StateConflict(
                    f"task {task_id} is a subtask of task {parent.id}, which is in the trash; restore task "
                    f"{parent.id} (the subtasks deleted with it come back too), or restore it first"
                )
        deleted_at = current.deleted_at
        restored = await self._save(
            current, current.model_copy(update={"deleted_at": None}), HistoryKind.RESTORED, lists=True
        )
        back = [child for child in await self.tx.subtree(task_id) if child.deleted_at == deleted_at]
        for child in back:
            await self._save(child, child.model_copy(update={"deleted_at": None}), HistoryKind.RESTORED)
        if back:  # its subtask counts moved
            restored = await self.tx.get(task_id) or restored
        return restored

    async def purge(self, tasks: list[Task]) -> None:
        """Remove tasks for good; each keeps one history entry saying it was purged (no title, no notes)."""
        ids = [t.id for t in tasks]
        self.writes += 1
        await self.tx.purge(ids)
        await self.tx.forget_history(ids)
        gone = set(ids)
        self.entries = [entry for entry in self.entries if entry.task_id not in gone]
        self.entries.extend(
            HistoryEntry(task_id=task_id, at=self.now, kind=HistoryKind.PURGED, version=0) for task_id in ids
        )
        self.outcome.changed.extend(ids)
        self.outcome.lists = self.outcome.lists or any(t.deleted_at is None for t in tasks)

    async def purge_expired(self, before: dt.datetime) -> int:
        """Purge what has been in the trash since before `before`; how many tasks went."""
        expired = await self.tx.expired_trash(before)
        if not expired:
            return 0
        tasks: dict[int, Task] = {}
        for task_id in expired:
            if task_id in tasks:
                continue
            task = await self.tx.get(task_id)  # locked now: restored meanwhile, it is no longer due
            if task is not None and task.deleted_at is not None and task.deleted_at < before:
                tasks[task.id] = task
                tasks.update((t.id, t) for t in await self.tx.subtree(task_id))
        await self.purge(sorted(tasks.values(), key=lambda t: t.id))
        return len(tasks)

    # -- lists -------------------------------------------------------------------------------------

    async def rename_list(self, name: str, new_name: str) -> int:
        """Move the list's tasks, trashed ones too (a restore then lands in the list by its new name);
        how many tasks out of the trash moved."""
        self.writes += 1
        moved = await self.tx.move_list(name, new_name, now=self.now)
        self.entries.extend(
            [
                HistoryEntry(
                    task_id=t.id,
                    at=self.now,
                    kind=HistoryKind.UPDATED,
                    version=t.version + 1,
                    changes={"list": FieldChange(old=name, new=new_name)},
                )
                for t in moved
            ]
        )
        live = sum(1 for t in moved if t.deleted_at is None)
        self.outcome.changed.extend(t.id for t in moved)
        self.outcome.lists = self.outcome.lists or bool(live)
        return live
