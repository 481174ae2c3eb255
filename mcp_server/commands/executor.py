"""Running one normalised action through TaskService: tasks named by title resolved to one id (a
restore looks in the trash), a parent named by title resolved the same way, deletes only when
confirmed. The same rules hold whichever parser produced the action."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from mcp_server.core.domain import NewTask, Status, StatusFilter, Task, TaskPatch, TaskQuery
from mcp_server.core.errors import (
    AmbiguousTask,
    CommandRefused,
    ConfirmationRequired,
    InvalidInput,
    StateConflict,
    TaskNotFound,
)
from mcp_server.core.service import TaskService
from mcp_server.nlu.actions import (
    Action,
    CompleteTask,
    CreateTask,
    DeleteTask,
    ListTasks,
    RestoreTask,
    TaskAction,
    TaskRef,
    UpdateTask,
)
from mcp_server.nlu.normalise import due_of_series, normalise, recurrence_of, service_request, with_time_of_day
from mcp_server.nlu.zones import zone

CANDIDATES_SHOWN = 5
_WORD = re.compile(r"[\w#@'-]+")


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


class CommandExecutor:
    def __init__(self, service: TaskService) -> None:
        self.service = service

    # -- preparing: everything short of changing data ------------------------------------------

    async def resolve_task(self, ref: TaskRef, *, in_trash: bool = False) -> Task:
        """The one task a reference names: by id, or by words of its title (open tasks preferred,
        an exact title preferred); several matches are an error that lists them. With in_trash, by
        words of its title among the tasks in the trash."""
        if ref.task_id is not None:
            return await self.service.get_task(ref.task_id)
        assert ref.task_title is not None
        wanted = _words(ref.task_title)
        if not wanted:
            raise InvalidInput(f"cannot find a task from {ref.task_title!r}; name it by id")
        longest = max(wanted, key=len)
        query = TaskQuery(search=longest, status=StatusFilter.DELETED if in_trash else None)
        page = await self.service.list_tasks(query, limit=100)
        matches = [task for task in page.tasks if all(word in _words(task.title) for word in wanted)]
        if not matches:
            trash, find = (" in the trash", "list_tasks status=deleted") if in_trash else ("", "list_tasks")
            raise TaskNotFound(None, f"no task{trash} has {ref.task_title!r} in its title; call {find} to find it")
        exact = ref.task_title.lower()
        narrowers: tuple[Callable[[Task], bool], ...] = (
            lambda t: t.status == Status.OPEN,
            lambda t: t.title.lower() == exact,
        )
        for narrower in narrowers:
            preferred = [task for task in matches if narrower(task)]
            if preferred:
                matches = preferred
        if len(matches) > 1:
            shown = ", ".join(f"#{t.id} {t.title!r}" for t in matches[:CANDIDATES_SHOWN])
            more = f" and {len(matches) - CANDIDATES_SHOWN} more" if len(matches) > CANDIDATES_SHOWN else ""
            raise AmbiguousTask(f"{ref.task_title!r} matches several tasks: {shown}{more}; say which one by id")
        return matches[0]

    async def _restorable(self, ref: TaskRef) -> int:
        """The id of the task a restore names: by words of its title, among the tasks in the trash;
        by id, any but a live task (restore_task itself tells a trashed task from a purged one)."""
        if ref.task_id is None:
            return (await self.resolve_task(ref, in_trash=True)).id
        try:
            task = await self.service.get_task(ref.task_id)
        except TaskNotFound:  # in the trash, purged, or never created
            return ref.task_id
        raise StateConflict(f"task {task.id} is not in the trash; there is nothing to restore")

    async def _parent(self, parent_id: int | None, parent_title: str | None) -> Task | None:
        """The parent task said (by id or by words of its title), not in the trash."""
        try:
            if parent_title is not None:
                return await self.resolve_task(TaskRef(task_title=parent_title))
            return None if parent_id is None else await self.service.get_task(parent_id)
        except TaskNotFound as exc:
            raise TaskNotFound(exc.task_id, f"parent: {exc}") from None
        except AmbiguousTask as exc:
            raise AmbiguousTask(f"parent: {exc}") from None

    async def prepare(
        self, action: Action, *, timezone: str, now: dt.datetime | None = None, command: str | None = None
    ) -> TaskAction:
        """The action as it will run: normalised (see `normalise`), a task named by title resolved
        to its id (in the trash, for a restore), a parent named by title to its id. An update that
        sets a parent without a list moves the task into the parent's list (a subtask is in its
        parent's list); one that sets a recurrence without a due starts the series from the task's
        due (with the rule's time of day, if the due is a date), or from the rule's first occurrence
        when the task has none. A refusal is raised as CommandRefused."""
        said = action
        action = normalise(action, timezone=timezone, now=now, command=command)
        service_request(action, timezone=timezone)  # a dry run, too, learns what the task rules refuse
        if isinstance(action, ListTasks):
            return action
        if isinstance(action, CreateTask):
            parent = await self._parent(action.params.parent_id, action.params.parent_title)
            if parent is None:
                return action
            created = action.params.model_copy(update={"parent_id": parent.id, "parent_title": None})
            return action.model_copy(update={"params": created})
        if isinstance(action, RestoreTask):
            restored = action.params.model_copy(
                update={"task_id": await self._restorable(action.params), "task_title": None}
            )
            return action.model_copy(update={"params": restored})
        task = await self.resolve_task(action.params)
        update: dict[str, Any] = {"task_id": task.id, "task_title": None}
        if isinstance(action, UpdateTask) and isinstance(said, UpdateTask):
            p = action.params
            parent = await self._parent(p.parent_id, p.parent_title)
            if parent is not None:
                update |= {"parent_id": parent.id, "parent_title": None}
                if p.list is None and parent.list != task.list:
                    update["list"] = parent.list
            if p.recurrence is not None and p.due is None:
                update["due"] = self._series_start(
                    task, said.params.recurrence, timezone=timezone, now=now, command=command
                )
        params = action.params.model_copy(update=update)
        return action.model_copy(update={"params": params})

    @staticmethod
    def _series_start(
        task: Task, said: str | None, *, timezone: str, now: dt.datetime | None, command: str | None
    ) -> str:
        """Where a recurrence set on an existing task, with no due said, starts: the task's due, on
        its day at the rule's time of day when one was said; the rule's first occurrence when the
        task has no due."""
        recurrence = recurrence_of(said, timezone, now, command)
        assert recurrence is not None, "normalise() has read the recurrence already"
        if task.due is None:
            return due_of_series(None, recurrence, timezone=timezone, now=now)
        if recurrence.time is None:
            return task.due
        if len(task.due) == 10:
            return with_time_of_day(task.due, recurrence, timezone=timezone)
        local = dt.datetime.fromisoformat(task.due).astimezone(zone(timezone))
        if local.time().replace(tzinfo=None) == recurrence.time:
            return task.due
        return with_time_of_day(local.date().isoformat(), recurrence, timezone=timezone)

    # -- running -------------------------------------------------------------------------------

    async def run(self, action: Action, *, confirmed: bool = False, timezone: str | None = None) -> Any:
        """Execute a prepared action; a delete runs only when confirmed. A recurring task keeps its
        wall-clock time in `timezone`, the command's (default: the server's)."""
        request = service_request(action, timezone=timezone)
        if isinstance(request, NewTask):
            return await self.service.create_task(request)
        if isinstance(request, TaskQuery):
            return await self.service.list_tasks(request)
        if isinstance(action, (UpdateTask, DeleteTask, CompleteTask, RestoreTask)):
            task_id = action.params.task_id
            assert task_id is not None, "prepare() resolves every task reference to an id"
            if isinstance(action, CompleteTask):
                return await self.service.complete_task(task_id)
            if isinstance(action, RestoreTask):
                return await self.service.restore_task(task_id)
            if isinstance(action, DeleteTask):
                if not confirmed:
                    task = await self.service.get_task(task_id)
                    raise ConfirmationRequired(self.delete_question(task))
                return await self.service.delete_task(task_id)
            assert isinstance(request, TaskPatch)
            return await self.service.update_task(task_id, request)
        raise CommandRefused(getattr(action, "message", "not a task command"))

    def delete_question(self, task: Task) -> str:
        """Why a delete in words waits: what goes to the trash, and that it comes back."""
        subtasks = task.subtasks.open + task.subtasks.done
        along = f" and its {subtasks} subtask{'s' if subtasks != 1 else ''}" if subtasks else ""
        return (
            f"deleting task #{task.id} {task.title!r}{along} needs confirmation: it moves to the trash, where "
            f"restore_task can bring it back for {self.service.trash_days} days; "
            f"send the command again with confirm=true"
        )
