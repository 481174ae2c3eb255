"""Running one normalised action through TaskService: tasks named by title resolved to one id,
deletes only when confirmed. The same rules hold whichever parser produced the action."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from mcp_server.core.domain import NewTask, Status, Task, TaskPatch, TaskQuery
from mcp_server.core.errors import AmbiguousTask, CommandRefused, ConfirmationRequired, InvalidInput, TaskNotFound
from mcp_server.core.service import TaskService
from mcp_server.nlu.actions import (
    Action,
    CompleteTask,
    CreateTask,
    DeleteTask,
    ListTasks,
    TaskAction,
    TaskRef,
    UpdateTask,
)
from mcp_server.nlu.normalise import normalise, service_request

CANDIDATES_SHOWN = 5
_WORD = re.compile(r"[\w#@'-]+")


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


class CommandExecutor:
    def __init__(self, service: TaskService) -> None:
        self.service = service

    # -- preparing: everything short of changing data ------------------------------------------

    async def resolve_task(self, ref: TaskRef) -> Task:
        """The one task a reference names: by id, or by words of its title (open tasks preferred,
        an exact title preferred); several matches are an error that lists them."""
        if ref.task_id is not None:
            return await self.service.get_task(ref.task_id)
        assert ref.task_title is not None
        wanted = _words(ref.task_title)
        if not wanted:
            raise InvalidInput(f"cannot find a task from {ref.task_title!r}; name it by id")
        longest = max(wanted, key=len)
        page = await self.service.list_tasks(TaskQuery(search=longest), limit=100)
        matches = [task for task in page.tasks if all(word in _words(task.title) for word in wanted)]
        if not matches:
            raise TaskNotFound(None, f"no task has {ref.task_title!r} in its title; call list_tasks to find it")
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

    async def prepare(
        self, action: Action, *, timezone: str, now: dt.datetime | None = None, command: str | None = None
    ) -> TaskAction:
        """The action as it will run: normalised (see `normalise`), and a task named by title resolved
        to its id. A refusal is raised as CommandRefused."""
        action = normalise(action, timezone=timezone, now=now, command=command)
        service_request(action)  # a dry run, too, learns what the task rules refuse
        if isinstance(action, (CreateTask, ListTasks)):
            return action
        task = await self.resolve_task(action.params)
        params = action.params.model_copy(update={"task_id": task.id, "task_title": None})
        return action.model_copy(update={"params": params})

    # -- running -------------------------------------------------------------------------------

    async def run(self, action: Action, *, confirmed: bool = False) -> Any:
        """Execute a prepared action; a delete runs only when confirmed."""
        request = service_request(action)
        if isinstance(request, NewTask):
            return await self.service.create_task(request)
        if isinstance(request, TaskQuery):
            return await self.service.list_tasks(request)
        if isinstance(action, (UpdateTask, DeleteTask, CompleteTask)):
            task_id = action.params.task_id
            assert task_id is not None, "prepare() resolves every task reference to an id"
            if isinstance(action, CompleteTask):
                return await self.service.complete_task(task_id)
            if isinstance(action, DeleteTask):
                if not confirmed:
                    task = await self.service.get_task(task_id)
                    raise ConfirmationRequired(
                        f"deleting task #{task.id} {task.title!r} needs confirmation: "
                        f"send the command again with confirm=true"
                    )
                return await self.service.delete_task(task_id)
            assert isinstance(request, TaskPatch)
            return await self.service.update_task(task_id, request)
        raise CommandRefused(getattr(action, "message", "not a task command"))
