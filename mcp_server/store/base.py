"""The pure rules every backend applies inside its own transaction, and how a stored row becomes a Task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mcp_server.core.domain import Priority, Status, Task
from mcp_server.core.errors import IdempotencyConflict, TaskNotFound


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
    created_at: dt.datetime,
    updated_at: dt.datetime,
    completed_at: dt.datetime | None,
    version: int,
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
        created_at=created_at,
        updated_at=updated_at,
        completed_at=completed_at,
        version=version,
    )


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def apply_changes(task: Task, changes: dict[str, Any], now: dt.datetime) -> Task | None:
    """The task after `changes`, or None when nothing would change (no new version for a no-op).

    Completing sets completed_at; reopening clears it.
    """
    effective = {key: value for key, value in changes.items() if getattr(task, key) != value}
    if not effective:
        return None
    if "status" in effective:
        effective["completed_at"] = now if effective["status"] == Status.DONE else None
    return task.model_copy(update={**effective, "updated_at": now, "version": task.version + 1})


def replay_create(
    key: str, stored_fingerprint: str, fingerprint: str | None, task_id: int, task: Task | None
) -> tuple[Task, bool]:
    """Answer a create retried with a known idempotency key: the first task, never a second one."""
    if stored_fingerprint != (fingerprint or ""):
        raise IdempotencyConflict(
            f"idempotency_key {key!r} was already used to create task {task_id} with different "
            f"parameters; use a new key for a new task"
        )
    if task is None:
        raise TaskNotFound(task_id, f"task {task_id}, created with idempotency_key {key!r}, has since been deleted")
    return task, False
