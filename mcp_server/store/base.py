"""How a stored row becomes a Task, for every backend."""

from __future__ import annotations

import datetime as dt

from mcp_server.core.domain import NO_SUBTASKS, NewTask, Priority, Status, SubtaskCounts, Task
from mcp_server.core.recurrence import RepeatFrom


def stored_task(
    *,
    id: int,
    title: str,
    description: str | None,
    status: str,
    priority: str,
    due: str | None,
    tags: list[str],
    list: str,
    parent_id: int | None,
    recurrence: str | None,
    repeat_from: str,
    timezone: str | None,
    created_at: dt.datetime,
    updated_at: dt.datetime,
    completed_at: dt.datetime | None,
    deleted_at: dt.datetime | None,
    version: int,
    subtasks_open: int,
    subtasks_done: int,
) -> Task:
    """A Task from values a store wrote itself, validated on their way in, built without validating
    them again: pages of tasks are the hot path, and re-validation was most of their cost."""
    return Task.model_construct(
        id=id,
        title=title,
        description=description,
        status=Status(status),
        priority=Priority(priority),
        due=due,
        tags=tags,
        list=list,
        parent_id=parent_id,
        subtasks=SubtaskCounts.model_construct(open=subtasks_open, done=subtasks_done),
        recurrence=recurrence,
        repeat_from=RepeatFrom(repeat_from),
        timezone=timezone,
        created_at=created_at,
        updated_at=updated_at,
        completed_at=completed_at,
        deleted_at=deleted_at,
        version=version,
    )


def inserted_task(task_id: int, new: NewTask, *, timezone: str | None, now: dt.datetime) -> Task:
    """The task an insert of `new` just wrote, without reading it back: a new task has no subtasks,
    version 1, and the values given (validated by NewTask). Task has no validators of its own, and
    pydantic-core checks these fields faster than model_construct assigns them in Python."""
    return Task.model_validate(
        {
            "id": task_id,
            "title": new.title,
            "description": new.description,
            "status": Status.OPEN,
            "priority": new.priority,
            "due": new.due,
            "tags": list(new.tags),
            "list": new.list,
            "parent_id": new.parent_id,
            "subtasks": NO_SUBTASKS,  # given, not defaulted: pydantic deep-copies a model default
            "recurrence": new.recurrence,
            "repeat_from": new.repeat_from,
            "timezone": timezone,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
    )
